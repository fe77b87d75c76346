package gateway

import (
	"context"
	"time"
)

// StatsQuery is what a StatsStore aggregates over: the deliveries of
// documents submitted in [Start, End), optionally only those one agency sent
// or received.
type StatsQuery struct {
	Start, End time.Time
	// Agency limits the report to one agency's numbers; empty means all.
	Agency string
	// Offset is the report's time zone as seconds east of UTC: a month is
	// the calendar month there. A fixed offset suffices for Vietnam, which
	// keeps no daylight saving time.
	Offset int
	// Now decides which due dates have passed.
	Now time.Time
	// Bounds are the upper bounds of the latency histogram's buckets,
	// ascending; a last bucket holds everything above the last bound.
	Bounds []time.Duration
}

// StatsVolume is one agency's documents in one month.
type StatsVolume struct {
	Agency string `json:"agency"`
	Month  string `json:"month"` // YYYY-MM in the report's time zone
	// Sent counts documents the agency submitted; Dispatches counts their
	// recipients, one paper letter each in the old way.
	Sent       int64 `json:"sent"`
	Dispatches int64 `json:"dispatches"`
	// Received counts documents addressed to the agency.
	Received int64 `json:"received"`
}

// StatsLatency describes how long a step took after submission, over the
// deliveries that reached it.
type StatsLatency struct {
	Count int64 `json:"count"`
	// P50, P90 and P99 are nearest-rank percentiles: the smallest latency
	// at least that share of deliveries did not exceed. Zero when Count is.
	P50 time.Duration `json:"p50"`
	P90 time.Duration `json:"p90"`
	P99 time.Duration `json:"p99"`
	// Histogram counts deliveries per bucket of StatsQuery.Bounds: bucket i
	// holds latencies in (Bounds[i-1], Bounds[i]]; the last one, above the
	// last bound.
	Histogram []int64 `json:"histogram"`
}

// StatsOnTime counts the deliveries of documents with a due date by how
// their processing went. Rejected and recalled deliveries are not counted:
// nothing was due from them.
type StatsOnTime struct {
	OnTime  int64 `json:"onTime"`  // done at or before the due date
	Late    int64 `json:"late"`    // done after it
	Overdue int64 `json:"overdue"` // not done, and the due date has passed
	Open    int64 `json:"open"`    // not done, due date still ahead
}

// StatsStore aggregates the exchange report (gateway/stats) in the database,
// grouped there, so that no report loads documents into memory.
// Implementations: storage/sqlite, storage/postgres (conformance suite in
// storage/storetest).
type StatsStore interface {
	// Volumes returns one row per agency and month with any document,
	// ordered by agency then month.
	Volumes(ctx context.Context, q *StatsQuery) ([]StatsVolume, error)
	// Latency measures, for each delivery of the query that has an event
	// of the given type, the time from the document's submission to that
	// event: to the latest one when last is set, else to the first.
	Latency(ctx context.Context, q *StatsQuery, event string, last bool) (*StatsLatency, error)
	// OnTime compares the first "done" status of each delivery with the
	// envelope's due date.
	OnTime(ctx context.Context, q *StatsQuery) (*StatsOnTime, error)
}
