// Package stats computes the exchange report: documents sent and received
// per agency and month, how long delivery and retrieval took, how many
// documents were processed by their due date, and the paper postage the
// exchange saved.
//
// It decides the period, who may see which agency's numbers and how the
// store's aggregates become a report. The counting itself happens in the
// database (Store), grouped there: at a province's scale (millions of
// documents) the report must never load documents into memory. This package
// does no HTTP and no SQL.
package stats

import (
	"context"
	"fmt"
	"time"

	"docgate/gateway"
)

// Query is what the store aggregates over: the deliveries of documents
// submitted in [Start, End), optionally only those one agency sent or
// received.
type Query struct {
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

// Volume is one agency's documents in one month.
type Volume struct {
	Agency string `json:"agency"`
	Month  string `json:"month"` // YYYY-MM in the report's time zone
	// Sent counts documents the agency submitted; Dispatches counts their
	// recipients, one paper letter each in the old way.
	Sent       int64 `json:"sent"`
	Dispatches int64 `json:"dispatches"`
	// Received counts documents addressed to the agency.
	Received int64 `json:"received"`
}

// Latency describes how long a step took after submission, over the
// deliveries that reached it.
type Latency struct {
	Count int64 `json:"count"`
	// P50, P90 and P99 are nearest-rank percentiles: the smallest latency
	// at least that share of deliveries did not exceed. Zero when Count is.
	P50 time.Duration `json:"p50"`
	P90 time.Duration `json:"p90"`
	P99 time.Duration `json:"p99"`
	// Histogram counts deliveries per bucket of Query.Bounds: bucket i
	// holds latencies in (Bounds[i-1], Bounds[i]]; the last one, above the
	// last bound.
	Histogram []int64 `json:"histogram"`
}

// OnTime counts the deliveries of documents with a due date by how their
// processing went. Rejected and recalled deliveries are not counted: nothing
// was due from them.
type OnTime struct {
	OnTime  int64 `json:"onTime"`  // done at or before the due date
	Late    int64 `json:"late"`    // done after it
	Overdue int64 `json:"overdue"` // not done, and the due date has passed
	Open    int64 `json:"open"`    // not done, due date still ahead
}

// Store aggregates in the database. Implementations: storage/sqlite,
// storage/postgres (conformance suite in storage/storetest).
type Store interface {
	// Volumes returns one row per agency and month with any document,
	// ordered by agency then month.
	Volumes(ctx context.Context, q *Query) ([]Volume, error)
	// Latency measures, for each delivery of the query that has an event
	// of the given type, the time from the document's submission to that
	// event: to the latest one when last is set, else to the first.
	Latency(ctx context.Context, q *Query, event string, last bool) (*Latency, error)
	// OnTime compares the first "done" status of each delivery with the
	// envelope's due date.
	OnTime(ctx context.Context, q *Query) (*OnTime, error)
}

// Month is a calendar month.
type Month struct {
	Year  int
	Month time.Month
}

// ParseMonth reads YYYY-MM. EINVALID.
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return Month{}, gateway.Errorf(gateway.EINVALID, "month %q: write it as YYYY-MM, e.g. 2026-03", s)
	}
	return Month{t.Year(), t.Month()}, nil
}

func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// start is the first instant of the month in loc.
func (m Month) start(loc *time.Location) time.Time {
	return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, loc)
}

func (m Month) next() Month {
	t := time.Date(m.Year, m.Month+1, 1, 0, 0, 0, 0, time.UTC)
	return Month{t.Year(), t.Month()}
}

func (m Month) before(o Month) bool {
	return m.Year < o.Year || (m.Year == o.Year && m.Month < o.Month)
}
