package postgres_test

import (
	"context"
	"crypto/rand"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"docgate/gateway/auditlog"
)

// BenchmarkAuditLog times proofs on a log of 10^3 leaves and on a large one
// (DOCGATE_BENCH_LEAVES, default 10^6) in PostgreSQL, alternating, and
// reports the median of each and their ratio; every proof is one round trip.
//
//	go test -run '^$' -bench AuditLog -benchtime 1000x ./storage/postgres
func BenchmarkAuditLog(b *testing.B) {
	if os.Getenv(urlEnv) == "" {
		b.Skip(urlEnv + " is not set")
	}
	large := 1_000_000
	if s := os.Getenv("DOCGATE_BENCH_LEAVES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1000 {
			b.Fatalf("DOCGATE_BENCH_LEAVES=%q: want a number of at least 1000", s)
		}
		large = n
	}
	skey, _, err := auditlog.GenerateKey(rand.Reader, "bench.test/log")
	if err != nil {
		b.Fatal(err)
	}
	type benchLog struct {
		log  *auditlog.Log
		size uint64
		ns   []time.Duration
	}
	build := func(n int) *benchLog {
		cfg, _ := freshSchema(b)
		signer, err := auditlog.NewSigner(skey)
		if err != nil {
			b.Fatal(err)
		}
		l := auditlog.NewLog(mustOpen(b, cfg).AuditLog(), signer)
		start := time.Now()
		const batch = 50_000
		data := make([][]byte, 0, batch)
		for i := 0; i < n; i += batch {
			data = data[:0]
			for j := i; j < min(i+batch, n); j++ {
				data = append(data, logRecord(j))
			}
			if _, err := l.AppendData(context.Background(), data); err != nil {
				b.Fatal(err)
			}
		}
		b.Logf("built a PostgreSQL log of %d leaves in %s", n, time.Since(start).Round(time.Millisecond))
		return &benchLog{log: l, size: uint64(n)}
	}
	small, big := build(1000), build(large)
	ctx := context.Background()
	spread := func(i int, size uint64) uint64 { return uint64(i) * 7919 % size }
	ops := []struct {
		name string
		op   func(l *benchLog, i int) error
	}{
		{"InclusionProof", func(l *benchLog, i int) error {
			_, err := l.log.InclusionProof(ctx, spread(i, l.size), l.size)
			return err
		}},
		{"ConsistencyProof", func(l *benchLog, i int) error {
			_, err := l.log.ConsistencyProof(ctx, spread(i, l.size-1)+1, l.size)
			return err
		}},
		{"Checkpoint", func(l *benchLog, i int) error {
			_, err := l.log.Checkpoint(ctx)
			return err
		}},
	}
	median := func(d []time.Duration) float64 {
		s := slices.Clone(d)
		slices.Sort(s)
		return float64(s[len(s)/2].Nanoseconds())
	}
	for _, o := range ops {
		b.Run(o.name, func(b *testing.B) {
			small.ns, big.ns = small.ns[:0], big.ns[:0]
			n := 0
			for b.Loop() {
				for _, l := range []*benchLog{small, big} {
					start := time.Now()
					if err := o.op(l, n); err != nil {
						b.Fatal(err)
					}
					l.ns = append(l.ns, time.Since(start))
				}
				n++
			}
			s, g := median(small.ns), median(big.ns)
			b.ReportMetric(s, "median-ns@1e3")
			b.ReportMetric(g, "median-ns@large")
			b.ReportMetric(g/s, "ns-ratio")
		})
	}
}
