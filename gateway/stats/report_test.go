package stats_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"docgate/gateway"
	"docgate/gateway/stats"
)

// fakeStore returns fixed aggregates and remembers what it was asked.
type fakeStore struct {
	vols    []stats.Volume
	lat     map[string]*stats.Latency
	ontime  stats.OnTime
	queries []stats.Query
	last    map[string]bool
}

func (f *fakeStore) Volumes(_ context.Context, q *stats.Query) ([]stats.Volume, error) {
	f.queries = append(f.queries, *q)
	return f.vols, nil
}

func (f *fakeStore) Latency(_ context.Context, q *stats.Query, event string, last bool) (*stats.Latency, error) {
	if f.last == nil {
		f.last = map[string]bool{}
	}
	f.last[event] = last
	l := *f.lat[event]
	return &l, nil
}

func (f *fakeStore) OnTime(_ context.Context, q *stats.Query) (*stats.OnTime, error) {
	o := f.ontime
	return &o, nil
}

func as(role gateway.Role, code string) context.Context {
	return gateway.NewContextWithPrincipal(context.Background(), &gateway.Principal{Role: role, AgencyCode: code})
}

func newService(now time.Time) (*stats.Service, *fakeStore) {
	f := &fakeStore{
		vols: []stats.Volume{
			{Agency: "000.00.01.H41", Month: "2025-03", Sent: 3, Dispatches: 7, Received: 1},
			{Agency: "000.00.01.H41", Month: "2026-02", Sent: 2, Dispatches: 2},
			{Agency: "000.00.02.H41", Month: "2025-03", Received: 5},
			{Agency: "000.00.02.H41", Month: "2025-11", Sent: 4, Dispatches: 9, Received: 2},
		},
		lat: map[string]*stats.Latency{
			gateway.EventContentConsignment: {Count: 4, P50: time.Minute, P90: time.Hour, P99: 2 * time.Hour, Histogram: []int64{1, 3}},
			gateway.EventContentHandover:    {Count: 2, P50: time.Hour, P90: 3 * time.Hour, P99: 3 * time.Hour, Histogram: []int64{0, 2}},
		},
		ontime: stats.OnTime{OnTime: 3, Late: 1, Overdue: 4, Open: 9},
	}
	return &stats.Service{Store: f, Postage: 31000, Now: func() time.Time { return now }}, f
}

func TestReportPeriodAndSums(t *testing.T) {
	// 18:00 UTC on 28 February is already 1 March in Vietnam: the default
	// period ends with March.
	now := time.Date(2026, 2, 28, 18, 0, 0, 0, time.UTC)
	s, f := newService(now)
	rep, err := s.Report(as(gateway.RoleAuditor, ""), stats.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.From != "2025-04" || rep.To != "2026-03" || len(rep.Months) != 12 {
		t.Fatalf("default period %s..%s with %d months", rep.From, rep.To, len(rep.Months))
	}
	q := f.queries[0]
	ict := time.FixedZone("", 7*3600)
	if !q.Start.Equal(time.Date(2025, 4, 1, 0, 0, 0, 0, ict)) || !q.End.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, ict)) || q.Offset != 7*3600 || !q.Now.Equal(now) || q.Agency != "" {
		t.Errorf("query %+v", q)
	}
	if !f.last[gateway.EventContentConsignment] || f.last[gateway.EventContentHandover] {
		t.Errorf("delivery must take the latest consignment, retrieval the first handover: %v", f.last)
	}

	rep, err = s.Report(as(gateway.RoleAdmin, ""), stats.Filter{From: "2025-03", To: "2026-02"})
	if err != nil {
		t.Fatal(err)
	}
	var docs, disp int64
	months := map[string]stats.MonthTotal{}
	agencies := map[string]stats.AgencyTotal{}
	for _, v := range f.vols {
		docs += v.Sent
		disp += v.Dispatches
		m := months[v.Month]
		m.Sent, m.Received, m.Dispatches = m.Sent+v.Sent, m.Received+v.Received, m.Dispatches+v.Dispatches
		months[v.Month] = m
		a := agencies[v.Agency]
		a.Sent, a.Received, a.Dispatches = a.Sent+v.Sent, a.Received+v.Received, a.Dispatches+v.Dispatches
		agencies[v.Agency] = a
	}
	if rep.Documents != docs || rep.Dispatches != disp || rep.PostageCost != 31000 || rep.PostageSaved != disp*31000 {
		t.Errorf("totals: %d documents, %d dispatches, %d saved at %d", rep.Documents, rep.Dispatches, rep.PostageSaved, rep.PostageCost)
	}
	for i, m := range rep.Months {
		want := months[m.Month]
		want.Month = m.Month
		if m != want {
			t.Errorf("month %d: %+v, want %+v", i, m, want)
		}
	}
	if rep.Months[0].Month != "2025-03" || rep.Months[11].Month != "2026-02" {
		t.Errorf("months run %s..%s", rep.Months[0].Month, rep.Months[11].Month)
	}
	if len(rep.Agencies) != len(agencies) {
		t.Fatalf("agencies %+v", rep.Agencies)
	}
	for i, a := range rep.Agencies {
		want := agencies[a.Agency]
		want.Agency = a.Agency
		if a != want || (i > 0 && rep.Agencies[i-1].Agency >= a.Agency) {
			t.Errorf("agency %d: %+v, want %+v (in code order)", i, a, want)
		}
	}
	o := f.ontime
	if rep.OnTimeShare == nil || *rep.OnTimeShare != float64(o.OnTime)/float64(o.OnTime+o.Late+o.Overdue) {
		t.Errorf("share %v", rep.OnTimeShare)
	}
	if !reflect.DeepEqual(rep.Delivery, *f.lat[gateway.EventContentConsignment]) || !reflect.DeepEqual(rep.Retrieval, *f.lat[gateway.EventContentHandover]) || rep.OnTime != o {
		t.Errorf("measures not passed through: %+v %+v %+v", rep.Delivery, rep.Retrieval, rep.OnTime)
	}
}

func TestReportWhoSeesWhat(t *testing.T) {
	s, f := newService(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	own := "000.00.01.H41"
	if _, err := s.Report(context.Background(), stats.Filter{}); gateway.ErrorCode(err) != gateway.EUNAUTHORIZED {
		t.Errorf("no principal: %v", err)
	}
	if _, err := s.Report(as(gateway.RoleAgency, own), stats.Filter{Agency: "000.00.02.H41"}); gateway.ErrorCode(err) != gateway.EFORBIDDEN {
		t.Errorf("another agency's numbers: %v", err)
	}
	rep, err := s.Report(as(gateway.RoleAgency, own), stats.Filter{})
	if err != nil || rep.Agency != own || f.queries[len(f.queries)-1].Agency != own {
		t.Errorf("an agency sees its own numbers: %+v, %v", rep, err)
	}
	if _, err := s.Report(as(gateway.RoleAuditor, ""), stats.Filter{Agency: own}); err != nil || f.queries[len(f.queries)-1].Agency != own {
		t.Errorf("auditor filtering by agency: %v", err)
	}
}

func TestReportBadPeriods(t *testing.T) {
	s, _ := newService(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	for _, f := range []stats.Filter{
		{From: "2026-13"}, {To: "26-01"}, {From: "2026-05", To: "2026-04"}, {From: "2000-01", To: "2026-01"},
	} {
		if _, err := s.Report(as(gateway.RoleAdmin, ""), f); gateway.ErrorCode(err) != gateway.EINVALID {
			t.Errorf("%+v: %v", f, err)
		}
	}
	rep, err := s.Report(as(gateway.RoleAdmin, ""), stats.Filter{From: "2026-04", To: "2026-04"})
	if err != nil || len(rep.Months) != 1 {
		t.Errorf("one month: %+v, %v", rep, err)
	}
}

func TestReportCache(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	s, f := newService(now)
	s.Now = func() time.Time { return now }
	ctx := as(gateway.RoleAdmin, "")
	first, err := s.Report(ctx, stats.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	// The same question, asked as the default period or spelt out, is
	// answered from memory; another agency's is not.
	again, _ := s.Report(ctx, stats.Filter{From: first.From, To: first.To})
	if len(f.queries) != 1 || again != first {
		t.Errorf("%d queries for the same report", len(f.queries))
	}
	s.Report(ctx, stats.Filter{Agency: "000.00.01.H41"})
	if len(f.queries) != 2 {
		t.Errorf("%d queries after another agency's report, want 2", len(f.queries))
	}
	now = now.Add(stats.DefaultCacheFor)
	s.Report(ctx, stats.Filter{})
	if len(f.queries) != 3 {
		t.Errorf("%d queries after the cache expired, want 3", len(f.queries))
	}
	s.CacheFor = -1
	s.Report(ctx, stats.Filter{})
	s.Report(ctx, stats.Filter{})
	if len(f.queries) != 5 {
		t.Errorf("%d queries without a cache, want 5", len(f.queries))
	}
}
