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
	"fmt"
	"time"

	"docgate/gateway"
)

// The store's contract lives in package gateway, so that the stores that
// implement it import only the domain; these names keep this package's
// callers reading as before.
type (
	// Query is what the store aggregates over; see gateway.StatsQuery.
	Query = gateway.StatsQuery
	// Volume is one agency's documents in one month; see
	// gateway.StatsVolume.
	Volume = gateway.StatsVolume
	// Latency describes how long a step took after submission; see
	// gateway.StatsLatency.
	Latency = gateway.StatsLatency
	// OnTime counts deliveries by how their processing went against their
	// due date; see gateway.StatsOnTime.
	OnTime = gateway.StatsOnTime
	// Store aggregates in the database; see gateway.StatsStore.
	Store = gateway.StatsStore
)

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
