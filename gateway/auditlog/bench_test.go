package auditlog

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// The benchmarks measure each operation on a log of 10^3 leaves and on one
// of 10^6 in the same run, alternating, and report per size: the median
// ns/op (the machine is shared, and a median shrugs off the preemptions that
// swamp a mean), storage node reads per op, and the 10^6/10^3 ratio of both. With O(log n)
// costs the ratio stays near log(10^6)/log(10^3) = 2 (and near 1 where
// signing dominates); a linear cost would show as ~1000.
//
//	go test -run '^$' -bench . -benchtime 2000x ./gateway/auditlog

const (
	smallLog = 1_000
	largeLog = 1_000_000
)

type benchLog struct {
	log   *Log
	store *MemoryStorage
	size  uint64
	ns    []time.Duration
	reads int64
}

// mustBenchLog builds a log of n leaves with batch appends.
func mustBenchLog(b *testing.B, n int) *benchLog {
	b.Helper()
	l, store, _, _ := mustLog(b, n, 50_000)
	return &benchLog{log: l, store: store, size: uint64(n)}
}

// measure runs op on l and adds its time and node reads to l's totals.
func (l *benchLog) measure(b *testing.B, op func(*benchLog) error) {
	reads0, _ := l.store.ReadStats()
	start := time.Now()
	err := op(l)
	l.ns = append(l.ns, time.Since(start))
	reads1, _ := l.store.ReadStats()
	l.reads += reads1 - reads0
	if err != nil {
		b.Fatal(err)
	}
}

// compare runs op alternately on a small and a large log and reports both.
// setup, when set, runs untimed before each iteration (for example to reset
// the small log so it stays small).
func compare(b *testing.B, small, large *benchLog, setup func(i int), op func(l *benchLog, i int) error) {
	b.ResetTimer()
	n := 0
	for b.Loop() {
		if setup != nil {
			b.StopTimer()
			setup(n)
			b.StartTimer()
		}
		small.measure(b, func(l *benchLog) error { return op(l, n) })
		large.measure(b, func(l *benchLog) error { return op(l, n) })
		n++
	}
	nsSmall, nsLarge := median(small.ns), median(large.ns)
	readsSmall := float64(small.reads) / float64(n)
	readsLarge := float64(large.reads) / float64(n)
	b.ReportMetric(nsSmall, "median-ns@1e3")
	b.ReportMetric(nsLarge, "median-ns@1e6")
	b.ReportMetric(nsLarge/nsSmall, "ns-ratio")
	b.ReportMetric(readsSmall, "reads/op@1e3")
	b.ReportMetric(readsLarge, "reads/op@1e6")
	if readsSmall > 0 {
		b.ReportMetric(readsLarge/readsSmall, "reads-ratio")
	}
}

func median(d []time.Duration) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	return float64(s[len(s)/2].Nanoseconds())
}

// spread picks the i-th index in [0, size) along a stride that visits
// leaves all over the tree rather than one path.
func spread(i int, size uint64) uint64 { return uint64(i) * 7919 % size }

func BenchmarkInclusionProof(b *testing.B) {
	small, large := mustBenchLog(b, smallLog), mustBenchLog(b, largeLog)
	ctx := context.Background()
	compare(b, small, large, nil, func(l *benchLog, i int) error {
		_, err := l.log.InclusionProof(ctx, spread(i, l.size), l.size)
		return err
	})
}

func BenchmarkConsistencyProof(b *testing.B) {
	small, large := mustBenchLog(b, smallLog), mustBenchLog(b, largeLog)
	ctx := context.Background()
	compare(b, small, large, nil, func(l *benchLog, i int) error {
		_, err := l.log.ConsistencyProof(ctx, spread(i, l.size-1)+1, l.size)
		return err
	})
}

func BenchmarkCheckpoint(b *testing.B) {
	small, large := mustBenchLog(b, smallLog), mustBenchLog(b, largeLog)
	ctx := context.Background()
	compare(b, small, large, nil, func(l *benchLog, i int) error {
		_, err := l.log.Checkpoint(ctx)
		return err
	})
}

// BenchmarkAppendOne appends one leaf per call. The small log is rebuilt
// (untimed) every 1000 appends so that it stays between 10^3 and 2*10^3
// leaves; the large one grows by b.N, a small fraction of 10^6.
func BenchmarkAppendOne(b *testing.B) {
	small, large := mustBenchLog(b, smallLog), mustBenchLog(b, largeLog)
	ctx := context.Background()
	var rec LeafRecord
	reset := func(i int) {
		if i > 0 && i%smallLog == 0 {
			fresh := mustBenchLog(b, smallLog)
			small.log, small.store = fresh.log, fresh.store
		}
		rec = testRecord(largeLog + i)
	}
	compare(b, small, large, reset, func(l *benchLog, i int) error {
		_, err := l.log.Append(ctx, rec)
		return err
	})
}

// BenchmarkAppendBatch is the throughput of batch appends into the large
// log, in leaves per second.
func BenchmarkAppendBatch(b *testing.B) {
	for _, batch := range []int{100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			large := mustBenchLog(b, largeLog)
			ctx := context.Background()
			recs := make([]LeafRecord, batch)
			for i := range recs {
				recs[i] = testRecord(largeLog + i)
			}
			b.ResetTimer()
			n := 0
			for b.Loop() {
				if _, err := large.log.Append(ctx, recs...); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n*batch)/b.Elapsed().Seconds(), "leaves/s")
		})
	}
}

// BenchmarkVerifyProof is the auditor's side: open the checkpoint (one
// Ed25519 verification) and check an inclusion path in a tree of 10^6.
func BenchmarkVerifyProof(b *testing.B) {
	l, _, data, v := mustLog(b, largeLog, 50_000)
	p, err := l.Prove(context.Background(), 123_456)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.VerifyProof(p, data[123_456]); err != nil {
			b.Fatal(err)
		}
	}
}
