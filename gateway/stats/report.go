package stats

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"docgate/gateway"
)

// DefaultPostage is the cost in VND of one paper dispatch when the operator
// sets none: a registered letter inside a province plus the envelope,
// printing and the clerk's time, rounded.
const DefaultPostage = 25000

// maxMonths bounds a report's period so that a page stays readable and a
// query stays bounded.
const maxMonths = 120

// DefaultBounds are the latency histogram's buckets: from "at once" to
// "more than a week", in the steps a clerk thinks in.
var defaultBounds = [...]time.Duration{
	time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 4 * time.Hour,
	24 * time.Hour, 3 * 24 * time.Hour, 7 * 24 * time.Hour,
}

// Vietnam is the report's default time zone (UTC+7, no daylight saving).
// A fixed zone, so that the gateway needs no time zone database.
func Vietnam() *time.Location { return time.FixedZone("ICT", 7*3600) }

// Service computes reports. Its fields are set by whoever wires it.
type Service struct {
	Store Store
	// Postage is the cost in VND of one paper dispatch; 0 means
	// DefaultPostage.
	Postage int64
	// Location is the zone months are counted in; nil means Vietnam().
	Location *time.Location
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// CacheFor keeps a computed report this long and answers the same
	// question from memory meanwhile: a year of a province takes the
	// database seconds, and a report page is opened again and again (every
	// filter change, every language switch, the CSV after the page). 0
	// means DefaultCacheFor; negative turns the cache off.
	CacheFor time.Duration

	mu    sync.Mutex
	cache map[cacheKey]cached
}

// DefaultCacheFor is how long a report is reused: its numbers move slowly,
// and "overdue" may lag by this much.
const DefaultCacheFor = 5 * time.Minute

// maxCached bounds the cache: one entry per agency and period asked for.
const maxCached = 1024

type cacheKey struct{ from, to, agency string }

type cached struct {
	rep *Report
	at  time.Time
}

// Filter is what a caller asks for: months as YYYY-MM, both inclusive
// (empty: the twelve months up to the current one), and optionally one
// agency's code.
type Filter struct {
	From, To string
	Agency   string
}

// MonthTotal sums the volumes of one month.
type MonthTotal struct {
	Month      string `json:"month"`
	Sent       int64  `json:"sent"`
	Received   int64  `json:"received"`
	Dispatches int64  `json:"dispatches"`
}

// AgencyTotal sums the volumes of one agency over the period.
type AgencyTotal struct {
	Agency     string `json:"agency"`
	Sent       int64  `json:"sent"`
	Received   int64  `json:"received"`
	Dispatches int64  `json:"dispatches"`
}

// Report is the answer.
type Report struct {
	From   string `json:"from"` // YYYY-MM, inclusive
	To     string `json:"to"`
	Agency string `json:"agency,omitempty"`
	// Zone names the time zone months are counted in, e.g. UTC+07:00.
	Zone     string        `json:"zone"`
	Months   []MonthTotal  `json:"months"`   // every month of the period, zeros included
	Agencies []AgencyTotal `json:"agencies"` // agencies with any document, by code
	Volumes  []Volume      `json:"volumes"`  // per agency and month
	// Bounds are the latency histogram's buckets (see Latency.Histogram).
	Bounds    []time.Duration `json:"bounds"`
	Delivery  Latency         `json:"delivery"`
	Retrieval Latency         `json:"retrieval"`
	OnTime    OnTime          `json:"onTime"`
	// OnTimeShare is OnTime / (OnTime + Late + Overdue) in [0, 1]; nil when
	// no document with a due date has come due or been done.
	OnTimeShare *float64 `json:"onTimeShare,omitempty"`
	// Documents and Dispatches total the documents sent in the period and
	// their recipients; PostageSaved is Dispatches × PostageCost, in VND.
	Documents    int64 `json:"documents"`
	Dispatches   int64 `json:"dispatches"`
	PostageCost  int64 `json:"postageCost"`
	PostageSaved int64 `json:"postageSaved"`
}

// Report computes the report for the principal in ctx. Admins and auditors
// may ask for any agency or all; an agency sees only its own numbers (an
// empty Filter.Agency means its own). EUNAUTHORIZED without a principal,
// EFORBIDDEN for another agency's numbers, EINVALID for a bad period.
func (s *Service) Report(ctx context.Context, f Filter) (*Report, error) {
	p := gateway.PrincipalFromContext(ctx)
	if p == nil {
		return nil, gateway.Errorf(gateway.EUNAUTHORIZED, "sign in to see the report")
	}
	agency := f.Agency
	switch p.Role {
	case gateway.RoleAdmin, gateway.RoleAuditor:
	case gateway.RoleAgency:
		if agency == "" {
			agency = p.AgencyCode
		}
		if agency != p.AgencyCode {
			return nil, gateway.Errorf(gateway.EFORBIDDEN, "an agency sees only its own numbers")
		}
	default:
		return nil, gateway.Errorf(gateway.EFORBIDDEN, "role %s may not see reports", p.Role)
	}
	loc := s.Location
	if loc == nil {
		loc = Vietnam()
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	at := now()
	from, to, err := period(f, at.In(loc))
	if err != nil {
		return nil, err
	}
	key := cacheKey{from.String(), to.String(), agency}
	if r := s.cached(key, at); r != nil {
		return r, nil
	}
	start, end := from.start(loc), to.next().start(loc)
	_, offset := start.Zone()
	q := &Query{Start: start.UTC(), End: end.UTC(), Agency: agency, Offset: offset, Now: at, Bounds: defaultBounds[:]}

	vols, err := s.Store.Volumes(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("report volumes: %w", err)
	}
	// A recipient that takes pushes gets a second ContentConsignment when
	// the push succeeds: delivery is the latest, whichever way it went.
	del, err := s.Store.Latency(ctx, q, gateway.EventContentConsignment, true)
	if err != nil {
		return nil, fmt.Errorf("report delivery latency: %w", err)
	}
	ret, err := s.Store.Latency(ctx, q, gateway.EventContentHandover, false)
	if err != nil {
		return nil, fmt.Errorf("report retrieval latency: %w", err)
	}
	ot, err := s.Store.OnTime(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("report on time: %w", err)
	}
	cost := s.Postage
	if cost <= 0 {
		cost = DefaultPostage
	}
	r := &Report{
		From: from.String(), To: to.String(), Agency: agency, Zone: zoneName(offset),
		Volumes: vols, Bounds: q.Bounds, Delivery: *del, Retrieval: *ret, OnTime: *ot, PostageCost: cost,
	}
	if r.Volumes == nil {
		r.Volumes = []Volume{}
	}
	r.sum(from, to)
	r.PostageSaved = r.Dispatches * cost
	if n := ot.OnTime + ot.Late + ot.Overdue; n > 0 {
		share := float64(ot.OnTime) / float64(n)
		r.OnTimeShare = &share
	}
	s.remember(key, r, at)
	return r, nil
}

// cached returns a report computed for key less than CacheFor ago. Callers
// get the same *Report: it is never changed after it is made.
func (s *Service) cached(key cacheKey, now time.Time) *Report {
	if s.CacheFor < 0 {
		return nil
	}
	ttl := s.CacheFor
	if ttl == 0 {
		ttl = DefaultCacheFor
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cache[key]
	if !ok || now.Sub(c.at) >= ttl || now.Before(c.at) {
		return nil
	}
	return c.rep
}

func (s *Service) remember(key cacheKey, r *Report, now time.Time) {
	if s.CacheFor < 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cache == nil || len(s.cache) >= maxCached {
		// Dropping everything is crude but bounded, and the next views
		// fill it again with what is asked for now.
		s.cache = map[cacheKey]cached{}
	}
	s.cache[key] = cached{rep: r, at: now}
}

// period resolves the filter's months against the current month.
func period(f Filter, now time.Time) (from, to Month, err error) {
	to = Month{now.Year(), now.Month()}
	if f.To != "" {
		if to, err = ParseMonth(f.To); err != nil {
			return
		}
	}
	t := time.Date(to.Year, to.Month-11, 1, 0, 0, 0, 0, time.UTC)
	from = Month{t.Year(), t.Month()}
	if f.From != "" {
		if from, err = ParseMonth(f.From); err != nil {
			return
		}
	}
	if to.before(from) {
		return from, to, gateway.Errorf(gateway.EINVALID, "the period ends (%s) before it starts (%s)", to, from)
	}
	n := (to.Year-from.Year)*12 + int(to.Month-from.Month) + 1
	if n > maxMonths {
		return from, to, gateway.Errorf(gateway.EINVALID, "a report covers at most %d months; this one asks for %d", maxMonths, n)
	}
	return from, to, nil
}

// sum fills the month and agency totals from the volumes.
func (r *Report) sum(from, to Month) {
	byMonth := map[string]*MonthTotal{}
	for m := from; !to.before(m); m = m.next() {
		r.Months = append(r.Months, MonthTotal{Month: m.String()})
	}
	for i := range r.Months {
		byMonth[r.Months[i].Month] = &r.Months[i]
	}
	byAgency := map[string]*AgencyTotal{}
	for _, v := range r.Volumes {
		if mt := byMonth[v.Month]; mt != nil {
			mt.Sent += v.Sent
			mt.Received += v.Received
			mt.Dispatches += v.Dispatches
		}
		at := byAgency[v.Agency]
		if at == nil {
			at = &AgencyTotal{Agency: v.Agency}
			byAgency[v.Agency] = at
		}
		at.Sent += v.Sent
		at.Received += v.Received
		at.Dispatches += v.Dispatches
		r.Documents += v.Sent
		r.Dispatches += v.Dispatches
	}
	r.Agencies = make([]AgencyTotal, 0, len(byAgency))
	for _, a := range byAgency {
		r.Agencies = append(r.Agencies, *a)
	}
	sort.Slice(r.Agencies, func(i, j int) bool { return r.Agencies[i].Agency < r.Agencies[j].Agency })
}

func zoneName(offset int) string {
	sign := '+'
	if offset < 0 {
		sign, offset = '-', -offset
	}
	return fmt.Sprintf("UTC%c%02d:%02d", sign, offset/3600, offset%3600/60)
}
