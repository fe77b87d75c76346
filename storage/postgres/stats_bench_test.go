package postgres_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"docgate/gateway"
)

// BenchmarkStatsReport times the report's three aggregates over a year of
// a province: DOCGATE_BENCH_DOCS documents (default 100000) from 400
// agencies, three recipients each, every delivery consigned and most
// retrieved, a third with a due date. The rows are written with
// generate_series, which seeds in seconds what CreateDocument would take
// minutes for; the report reads only the columns the store writes.
func BenchmarkStatsReport(b *testing.B) {
	n := 100000
	if v := os.Getenv("DOCGATE_BENCH_DOCS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	cfg, _ := freshSchema(b)
	s := mustOpen(b, cfg)
	ctx := context.Background()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	seed := []string{
		`INSERT INTO agencies (code, name, created_at, updated_at)
			SELECT format('000.%s.%s.H41', lpad((i / 100)::text, 2, '0'), lpad((i % 100)::text, 2, '0')), 'Agency ' || i, now(), now()
			FROM generate_series(0, 399) i`,
		`INSERT INTO documents (id, from_code, envelope, pdf, attachments, state, submitted_at)
			SELECT 'doc' || i, format('000.%s.%s.H41', lpad((i % 400 / 100)::text, 2, '0'), lpad((i % 100)::text, 2, '0')),
				CASE WHEN i % 3 = 0 THEN jsonb_build_object('dueDate', to_char($2::timestamptz + (i * interval '1 minute') * (365.0 * 1440 / $1) + interval '10 days', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) ELSE '{}'::jsonb END,
				'{}', '[]', 'active', $2::timestamptz + (i * interval '1 minute') * (365.0 * 1440 / $1)
			FROM generate_series(1, $1) i`,
		`INSERT INTO deliveries (document_id, recipient, state, updated_at)
			SELECT d.id, format('000.%s.%s.H41', lpad(((d.seq + k) % 400 / 100)::text, 2, '0'), lpad(((d.seq + k) % 100)::text, 2, '0')), 'pending', d.submitted_at
			FROM documents d, generate_series(1, 3) k`,
		`INSERT INTO events (document_id, type, actor, recipient, at)
			SELECT dl.document_id, 'ContentConsignment', 'gateway', dl.recipient, d.submitted_at
			FROM deliveries dl JOIN documents d ON d.id = dl.document_id`,
		`INSERT INTO events (document_id, type, actor, recipient, at)
			SELECT dl.document_id, 'ContentHandover', dl.recipient, dl.recipient, d.submitted_at + (dl.seq % 5000) * interval '1 minute'
			FROM deliveries dl JOIN documents d ON d.id = dl.document_id WHERE dl.seq % 4 <> 0`,
		`INSERT INTO events (document_id, type, actor, recipient, status, at)
			SELECT dl.document_id, 'ProcessingStatus', dl.recipient, dl.recipient, 'done', d.submitted_at + (dl.seq % 20) * interval '1 day'
			FROM deliveries dl JOIN documents d ON d.id = dl.document_id WHERE dl.seq % 2 = 0`,
		`ANALYZE`,
	}
	t0 := time.Now()
	for i, q := range seed {
		var err error
		if i == 1 {
			_, err = s.Pool().Exec(ctx, q, n, start)
		} else {
			_, err = s.Pool().Exec(ctx, q)
		}
		if err != nil {
			b.Fatalf("seed step %d: %v", i, err)
		}
	}
	b.Logf("seeded %d documents in %v", n, time.Since(t0).Round(time.Millisecond))
	for _, agency := range []string{"", "000.01.23.H41"} {
		name := "all"
		if agency != "" {
			name = "one-agency"
		}
		b.Run(name, func(b *testing.B) {
			q := &gateway.StatsQuery{Start: start.UTC(), End: start.AddDate(1, 0, 0).UTC(), Agency: agency, Offset: 7 * 3600,
				Now: start.AddDate(1, 0, 0), Bounds: []time.Duration{time.Minute, time.Hour, 24 * time.Hour}}
			for b.Loop() {
				vols, err := s.Volumes(ctx, q)
				if err != nil || len(vols) == 0 {
					b.Fatalf("volumes: %d rows, %v", len(vols), err)
				}
				for _, ev := range []string{gateway.EventContentConsignment, gateway.EventContentHandover} {
					if _, err := s.Latency(ctx, q, ev, ev == gateway.EventContentConsignment); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := s.OnTime(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
