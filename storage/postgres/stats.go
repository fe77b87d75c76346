package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"docgate/gateway"
)

var _ gateway.StatsStore = (*Store)(nil)

// statsArgs numbers placeholders as they are added, so that a WHERE clause
// and its arguments are built together.
type statsArgs []any

func (a *statsArgs) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// month is the expression for the calendar month, in the report's zone, of
// a document's submission.
func (a *statsArgs) month(q *gateway.StatsQuery) string {
	return `to_char((d.submitted_at AT TIME ZONE 'UTC') + make_interval(secs => ` + a.add(float64(q.Offset)) + `), 'YYYY-MM')`
}

// Volumes counts documents sent, dispatches and documents received per
// agency and month, grouped in the database: the documents once for what was
// sent, and their deliveries once, grouped both by sender (dispatches) and by
// recipient (received) with GROUPING SETS.
func (s *Store) Volumes(ctx context.Context, q *gateway.StatsQuery) ([]gateway.StatsVolume, error) {
	var a statsArgs
	start, end := a.add(q.Start), a.add(q.End)
	month := a.month(q)
	sentWhere, outerWhere := "", ""
	dlRows := `SELECT d.from_code, dl.recipient, ` + month + ` AS month
		FROM deliveries dl JOIN documents d ON d.id = dl.document_id
		WHERE d.submitted_at >= ` + start + ` AND d.submitted_at < ` + end
	if q.Agency != "" {
		p := a.add(q.Agency)
		sentWhere = ` AND d.from_code = ` + p
		// Two indexed branches rather than an OR across the tables.
		dlRows = dlRows + ` AND d.from_code = ` + p + ` UNION ALL ` + dlRows + ` AND dl.recipient = ` + p + ` AND d.from_code <> ` + p
		// The deliveries that concern the agency also count for the other
		// side of each: keep only the agency's own rows.
		outerWhere = ` WHERE agency = ` + p
	}
	rows, err := s.pool.Query(ctx, `SELECT agency, month, sum(sent)::bigint, sum(dispatches)::bigint, sum(received)::bigint FROM (
			SELECT d.from_code AS agency, `+month+` AS month, count(*) AS sent, 0::bigint AS dispatches, 0::bigint AS received
			FROM documents d
			WHERE d.submitted_at >= `+start+` AND d.submitted_at < `+end+sentWhere+`
			GROUP BY 1, 2
		UNION ALL
			SELECT coalesce(from_code, recipient), month, 0,
				CASE WHEN GROUPING(from_code) = 0 THEN count(*) ELSE 0 END,
				CASE WHEN GROUPING(recipient) = 0 THEN count(*) ELSE 0 END
			FROM (`+dlRows+`) x
			GROUP BY GROUPING SETS ((from_code, month), (recipient, month))
	) v`+outerWhere+` GROUP BY agency, month ORDER BY agency, month`, a...)
	if err != nil {
		return nil, fmt.Errorf("volumes: %w", translate(err))
	}
	defer rows.Close()
	var out []gateway.StatsVolume
	for rows.Next() {
		var v gateway.StatsVolume
		if err := rows.Scan(&v.Agency, &v.Month, &v.Sent, &v.Dispatches, &v.Received); err != nil {
			return nil, fmt.Errorf("volumes: %w", translate(err))
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("volumes: %w", translate(err))
	}
	return out, nil
}

// deliveriesOf is the FROM and WHERE shared by the latency and due-date
// queries: the deliveries (x) of documents submitted in the period. For one
// agency, those it sent and those it received are two indexed branches of a
// UNION ALL; an OR across the two tables would read the whole period.
func (a *statsArgs) deliveriesOf(q *gateway.StatsQuery, join string) string {
	start, end := a.add(q.Start), a.add(q.End)
	base := `SELECT d.id, d.submitted_at, d.envelope, dl.recipient, dl.state, dl.status, dl.seq
		FROM documents d JOIN deliveries dl ON dl.document_id = d.id
		WHERE d.submitted_at >= ` + start + ` AND d.submitted_at < ` + end
	src := base
	if q.Agency != "" {
		p := a.add(q.Agency)
		src = base + ` AND d.from_code = ` + p + ` UNION ALL ` + base + ` AND dl.recipient = ` + p + ` AND d.from_code <> ` + p
	}
	return ` FROM (` + src + `) x` + join + ` WHERE true`
}

// Latency computes the percentiles (percentile_disc is the nearest rank)
// and the histogram's cumulative counts in one pass over the deliveries'
// latencies, in whole milliseconds.
func (s *Store) Latency(ctx context.Context, q *gateway.StatsQuery, event string, last bool) (*gateway.StatsLatency, error) {
	agg := "min"
	if last {
		agg = "max"
	}
	var a statsArgs
	from := a.deliveriesOf(q, ` JOIN events e ON e.document_id = x.id AND e.recipient = x.recipient AND e.type = `+a.add(event))
	cols := []string{`count(*)`,
		`percentile_disc(0.5) WITHIN GROUP (ORDER BY ms)`,
		`percentile_disc(0.9) WITHIN GROUP (ORDER BY ms)`,
		`percentile_disc(0.99) WITHIN GROUP (ORDER BY ms)`}
	for _, b := range q.Bounds {
		cols = append(cols, `count(*) FILTER (WHERE ms <= `+a.add(b.Milliseconds())+`)`)
	}
	sql := `WITH lat AS (SELECT round(extract(epoch FROM ` + agg + `(e.at) - x.submitted_at) * 1000)::bigint AS ms` + from + `
		GROUP BY x.seq, x.submitted_at) SELECT ` + strings.Join(cols, ", ") + ` FROM lat`
	var n int64
	var p [3]*int64
	cum := make([]int64, len(q.Bounds)+1)
	dest := []any{&n, &p[0], &p[1], &p[2]}
	for i := range q.Bounds {
		dest = append(dest, &cum[i])
	}
	if err := s.pool.QueryRow(ctx, sql, a...).Scan(dest...); err != nil {
		return nil, fmt.Errorf("latency %s: %w", event, translate(err))
	}
	cum[len(q.Bounds)] = n
	out := &gateway.StatsLatency{Count: n, Histogram: make([]int64, len(cum))}
	var prev int64
	for i, c := range cum {
		out.Histogram[i] = c - prev
		prev = c
	}
	ms := func(v *int64) time.Duration {
		if v == nil {
			return 0
		}
		return time.Duration(*v) * time.Millisecond
	}
	out.P50, out.P90, out.P99 = ms(p[0]), ms(p[1]), ms(p[2])
	return out, nil
}

// OnTime classifies the deliveries of documents with a due date by the
// first "done" status each recipient reported.
func (s *Store) OnTime(ctx context.Context, q *gateway.StatsQuery) (*gateway.StatsOnTime, error) {
	var a statsArgs
	now := a.add(q.Now)
	typ, done := a.add(gateway.EventStatus), a.add(string(gateway.StatusDone))
	// MATERIALIZED: the outer counts name done four times, and inlined the
	// subquery would run once for each.
	sql := `WITH o AS MATERIALIZED (SELECT (x.envelope->>'dueDate')::timestamptz AS due,
			(SELECT min(e.at) FROM events e
				WHERE e.document_id = x.id AND e.recipient = x.recipient AND e.type = ` + typ + ` AND e.status = ` + done + `) AS done` +
		a.deliveriesOf(q, "") + ` AND x.envelope ? 'dueDate'
			AND x.state <> 'recalled' AND x.status <> 'rejected')
		SELECT
			count(*) FILTER (WHERE done IS NOT NULL AND done <= due),
			count(*) FILTER (WHERE done IS NOT NULL AND done > due),
			count(*) FILTER (WHERE done IS NULL AND due < ` + now + `),
			count(*) FILTER (WHERE done IS NULL AND due >= ` + now + `)
		FROM o`
	var o gateway.StatsOnTime
	if err := s.pool.QueryRow(ctx, sql, a...).Scan(&o.OnTime, &o.Late, &o.Overdue, &o.Open); err != nil {
		return nil, fmt.Errorf("on time: %w", translate(err))
	}
	return &o, nil
}
