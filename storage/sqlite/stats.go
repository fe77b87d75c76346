package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"docgate/gateway"
)

var _ gateway.StatsStore = (*Store)(nil)

// monthModifier shifts a stored UTC time into the report's zone for
// strftime, so that a month is the calendar month there.
func monthModifier(q *gateway.StatsQuery) string { return fmt.Sprintf("%+d seconds", q.Offset) }

// Volumes counts documents sent (and their recipients) and received per
// agency and month, grouped in the database.
func (s *Store) Volumes(ctx context.Context, q *gateway.StatsQuery) ([]gateway.StatsVolume, error) {
	mod, start, end := monthModifier(q), formatTime(q.Start), formatTime(q.End)
	sentWhere, recvWhere := "", ""
	args := []any{mod, start, end}
	if q.Agency != "" {
		sentWhere = ` AND d.from_code = ?`
		args = append(args, q.Agency)
	}
	args = append(args, mod, start, end)
	if q.Agency != "" {
		recvWhere = ` AND dl.recipient = ?`
		args = append(args, q.Agency)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT agency, month, SUM(sent), SUM(dispatches), SUM(received) FROM (
		SELECT d.from_code AS agency, strftime('%Y-%m', d.submitted_at, ?) AS month, COUNT(*) AS sent,
			SUM((SELECT COUNT(*) FROM deliveries x WHERE x.document_id = d.id)) AS dispatches, 0 AS received
		FROM documents d
		WHERE d.submitted_at >= ? AND d.submitted_at < ?`+sentWhere+`
		GROUP BY 1, 2
		UNION ALL
		SELECT dl.recipient, strftime('%Y-%m', d.submitted_at, ?), 0, 0, COUNT(*)
		FROM deliveries dl JOIN documents d ON d.id = dl.document_id
		WHERE d.submitted_at >= ? AND d.submitted_at < ?`+recvWhere+`
		GROUP BY 1, 2
	) GROUP BY agency, month ORDER BY agency, month`, args...)
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
func deliveriesOf(q *gateway.StatsQuery, join string) (string, []any) {
	base := `SELECT d.id, d.submitted_at, d.envelope, dl.recipient, dl.state, dl.status, dl.seq
		FROM documents d JOIN deliveries dl ON dl.document_id = d.id
		WHERE d.submitted_at >= ? AND d.submitted_at < ?`
	src, args := base, []any{formatTime(q.Start), formatTime(q.End)}
	if q.Agency != "" {
		src = base + ` AND d.from_code = ? UNION ALL ` + base + ` AND dl.recipient = ? AND d.from_code <> ?`
		args = append(args, q.Agency, formatTime(q.Start), formatTime(q.End), q.Agency, q.Agency)
	}
	return ` FROM (` + src + `) x` + join + ` WHERE 1`, args
}

// Latency ranks the deliveries' latencies in the database (a window over
// the sorted latencies) and returns only the three percentile rows and the
// histogram's counts. Latencies are whole milliseconds, so that bucket
// edges are exact rather than at the mercy of julianday's floating point.
func (s *Store) Latency(ctx context.Context, q *gateway.StatsQuery, event string, last bool) (*gateway.StatsLatency, error) {
	agg := "MIN"
	if last {
		agg = "MAX"
	}
	from, fargs := deliveriesOf(q, ` JOIN events e ON e.document_id = x.id AND e.recipient = x.recipient`)
	lat := `WITH lat AS (SELECT CAST(ROUND((julianday(` + agg + `(e.at)) - julianday(x.submitted_at)) * 86400000.0) AS INTEGER) AS ms` +
		from + ` AND e.type = ?` + `
		GROUP BY x.seq)`
	args := append(fargs, event)

	// The histogram's cumulative counts at each bound ride along as
	// windows over the whole set, so that one pass yields everything; the
	// buckets are their differences.
	var cols []string
	for i, b := range q.Bounds {
		cols = append(cols, fmt.Sprintf(`, SUM(CASE WHEN ms <= ? THEN 1 ELSE 0 END) OVER () AS c%d`, i))
		args = append(args, b.Milliseconds())
	}
	var sel []string
	for i := range q.Bounds {
		sel = append(sel, fmt.Sprintf(`, c%d`, i))
	}
	out := &gateway.StatsLatency{Histogram: make([]int64, len(q.Bounds)+1)}
	rows, err := s.read.QueryContext(ctx, lat+`, ranked AS (SELECT ms, ROW_NUMBER() OVER (ORDER BY ms) AS rn, COUNT(*) OVER () AS n`+
		strings.Join(cols, "")+` FROM lat)
		SELECT n, rn, ms`+strings.Join(sel, "")+` FROM ranked WHERE rn IN ((50*n+99)/100, (90*n+99)/100, (99*n+99)/100)`, args...)
	if err != nil {
		return nil, fmt.Errorf("latency %s: %w", event, translate(err))
	}
	defer rows.Close()
	cum := make([]int64, len(q.Bounds)+1)
	for rows.Next() {
		var n, rn, ms int64
		dest := []any{&n, &rn, &ms}
		for i := range q.Bounds {
			dest = append(dest, &cum[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("latency %s: %w", event, translate(err))
		}
		out.Count = n
		cum[len(q.Bounds)] = n
		d := time.Duration(ms) * time.Millisecond
		// One row may be several percentiles when there are few deliveries.
		if rn == (50*n+99)/100 {
			out.P50 = d
		}
		if rn == (90*n+99)/100 {
			out.P90 = d
		}
		if rn == (99*n+99)/100 {
			out.P99 = d
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("latency %s: %w", event, translate(err))
	}
	out.Histogram = buckets(cum)
	return out, nil
}

// buckets turns cumulative counts into per-bucket counts.
func buckets(cum []int64) []int64 {
	out := make([]int64, len(cum))
	var prev int64
	for i, c := range cum {
		out[i] = c - prev
		prev = c
	}
	return out
}

// OnTime classifies the deliveries of documents with a due date by the
// first "done" status each recipient reported.
func (s *Store) OnTime(ctx context.Context, q *gateway.StatsQuery) (*gateway.StatsOnTime, error) {
	from, fargs := deliveriesOf(q, "")
	// In the order the placeholders appear.
	args := append([]any{formatTime(q.Now), formatTime(q.Now), gateway.EventStatus, string(gateway.StatusDone)}, fargs...)
	var o gateway.StatsOnTime
	err := s.read.QueryRowContext(ctx, `SELECT
			COALESCE(SUM(CASE WHEN done IS NOT NULL AND done <= due THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN done IS NOT NULL AND done > due THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN done IS NULL AND due < julianday(?) THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN done IS NULL AND due >= julianday(?) THEN 1 ELSE 0 END), 0)
		FROM (SELECT julianday(json_extract(x.envelope, '$.dueDate')) AS due,
			(SELECT julianday(MIN(e.at)) FROM events e
				WHERE e.document_id = x.id AND e.recipient = x.recipient AND e.type = ? AND e.status = ?) AS done`+
		from+` AND json_extract(x.envelope, '$.dueDate') IS NOT NULL
			AND x.state <> 'recalled' AND x.status <> 'rejected')`,
		args...).Scan(&o.OnTime, &o.Late, &o.Overdue, &o.Open)
	if err != nil {
		return nil, fmt.Errorf("on time: %w", translate(err))
	}
	return &o, nil
}
