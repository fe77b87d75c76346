package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"docgate/gateway/auditlog"
)

// The benchmarks build a log of 10^3 leaves and one of 10^6 (override with
// DOCGATE_BENCH_LEAVES) in SQLite files, then time each operation on both,
// alternating, and report the median ns/op per size and their ratio. With
// O(log n) reads the ratio stays near 1-2 (plus what a bigger B-tree costs
// per lookup); a linear cost would show as ~1000.
//
//	go test -run '^$' -bench AuditLog -benchtime 2000x ./storage/sqlite
const benchSmall = 1_000

func benchLarge(b *testing.B) int {
	if s := os.Getenv("DOCGATE_BENCH_LEAVES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < benchSmall {
			b.Fatalf("DOCGATE_BENCH_LEAVES=%q: want a number of at least %d", s, benchSmall)
		}
		return n
	}
	return 1_000_000
}

type sqliteBenchLog struct {
	log  *auditlog.Log
	size uint64
	ns   []time.Duration
}

// mustBenchLog builds a log of n leaves with batch appends of 50,000, the
// way a backfill would, and reports how long that took.
func mustSQLiteBenchLog(b *testing.B, keys logKeys, n int) *sqliteBenchLog {
	b.Helper()
	s := mustOpen(b, filepath.Join(b.TempDir(), "docgate.db"))
	b.Cleanup(func() { s.Close() })
	l := keys.open(b, s.AuditLog())
	ctx := context.Background()
	start := time.Now()
	const batch = 50_000
	data := make([][]byte, 0, batch)
	for i := 0; i < n; i += batch {
		data = data[:0]
		for j := i; j < min(i+batch, n); j++ {
			data = append(data, leafData(j))
		}
		if _, err := l.AppendData(ctx, data); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("built a SQLite log of %d leaves in %s", n, time.Since(start).Round(time.Millisecond))
	return &sqliteBenchLog{log: l, size: uint64(n)}
}

func medianNs(d []time.Duration) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	return float64(s[len(s)/2].Nanoseconds())
}

// spreadIndex visits leaves all over the tree rather than one path.
func spreadIndex(i int, size uint64) uint64 { return uint64(i) * 7919 % size }

// BenchmarkAuditLog builds both logs once and runs each proof on them.
func BenchmarkAuditLog(b *testing.B) {
	keys := mustLogKeys(b)
	large := benchLarge(b)
	small, big := mustSQLiteBenchLog(b, keys, benchSmall), mustSQLiteBenchLog(b, keys, large)
	ctx := context.Background()
	ops := []struct {
		name string
		op   func(l *sqliteBenchLog, i int) error
	}{
		{"InclusionProof", func(l *sqliteBenchLog, i int) error {
			_, err := l.log.InclusionProof(ctx, spreadIndex(i, l.size), l.size)
			return err
		}},
		{"ConsistencyProof", func(l *sqliteBenchLog, i int) error {
			_, err := l.log.ConsistencyProof(ctx, spreadIndex(i, l.size-1)+1, l.size)
			return err
		}},
		{"Checkpoint", func(l *sqliteBenchLog, i int) error {
			_, err := l.log.Checkpoint(ctx)
			return err
		}},
	}
	for _, o := range ops {
		b.Run(o.name, func(b *testing.B) {
			small.ns, big.ns = small.ns[:0], big.ns[:0]
			n := 0
			for b.Loop() {
				for _, l := range []*sqliteBenchLog{small, big} {
					start := time.Now()
					if err := o.op(l, n); err != nil {
						b.Fatal(err)
					}
					l.ns = append(l.ns, time.Since(start))
				}
				n++
			}
			s, g := medianNs(small.ns), medianNs(big.ns)
			b.ReportMetric(s, "median-ns@1e3")
			b.ReportMetric(g, "median-ns@large")
			b.ReportMetric(g/s, "ns-ratio")
		})
	}
}
