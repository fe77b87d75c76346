package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"docgate/gateway"
	"docgate/gateway/stats"
	"docgate/gateway/web"
)

// reportStore answers the report's aggregates from fixed rows, keeping
// only what the query's agency may see, as the SQL does; the SQL itself is
// checked against seeded documents in storage/storetest.
type reportStore struct {
	mu     sync.Mutex
	vols   []stats.Volume
	lat    map[string]*stats.Latency
	ontime stats.OnTime
	asked  []string // the agency of each Volumes query
}

func (s *reportStore) Volumes(_ context.Context, q *stats.Query) ([]stats.Volume, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, q.Agency)
	var out []stats.Volume
	for _, v := range s.vols {
		if q.Agency == "" || v.Agency == q.Agency {
			out = append(out, v)
		}
	}
	return out, nil
}

func (s *reportStore) Latency(_ context.Context, _ *stats.Query, event string, _ bool) (*stats.Latency, error) {
	l := *s.lat[event]
	return &l, nil
}

func (s *reportStore) OnTime(context.Context, *stats.Query) (*stats.OnTime, error) {
	o := s.ontime
	return &o, nil
}

const (
	reportAdmin = "tok-report-admin"
	reportH41   = "tok-report-h41"
)

func mustReportEnv(t *testing.T) (*httptest.Server, *reportStore) {
	t.Helper()
	rs := &reportStore{
		vols: []stats.Volume{
			{Agency: "000.00.00.H41", Month: "2026-01", Sent: 1200, Dispatches: 3400, Received: 7},
			{Agency: "000.00.00.H41", Month: "2026-03", Sent: 15, Dispatches: 15},
			{Agency: "000.00.01.H41", Month: "2026-02", Sent: 2, Dispatches: 6, Received: 900},
			{Agency: "000.00.02.H41", Month: "2026-01", Received: 2500},
		},
		lat: map[string]*stats.Latency{
			gateway.EventContentConsignment: {Count: 4000, P50: 1500 * time.Millisecond, P90: 95 * time.Minute, P99: 26 * time.Hour, Histogram: []int64{3000, 500, 200, 100, 100, 50, 30, 15, 5}},
			gateway.EventContentHandover:    {Count: 3000, P50: 2 * time.Hour, P90: 30 * time.Hour, P99: 80 * time.Hour, Histogram: []int64{10, 20, 30, 40, 1900, 700, 200, 90, 10}},
		},
		ontime: stats.OnTime{OnTime: 70, Late: 20, Overdue: 10, Open: 33},
	}
	auth := &fakeAuth{tokens: map[string]*gateway.Principal{
		reportAdmin: {Role: gateway.RoleAdmin},
		reportH41:   {Role: gateway.RoleAgency, AgencyCode: "000.00.00.H41"},
	}, agencies: []*gateway.Agency{
		{Code: "000.00.00.H41", Name: `Sở "Tư pháp", tỉnh Bắc Ninh`},
		{Code: "000.00.01.H41", Name: `=HYPERLINK("http://x")`},
		{Code: "000.00.02.H41", Name: "Ủy ban nhân dân xã Đông Phong"},
	}}
	svc := &stats.Service{Store: rs, Postage: 25000, Now: func() time.Time { return time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC) }}
	p := &web.Pages{Verifier: &fakeVerifier{}, Auth: auth, Exchange: &fakeExchange{}, Reports: svc, TempDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(p.Handler())
	t.Cleanup(srv.Close)
	return srv, rs
}

func reportGet(t *testing.T, srv *httptest.Server, path, token string) response {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.AddCookie(&http.Cookie{Name: "docgate_token", Value: token})
	}
	c := *srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return response{res.StatusCode, res.Header, b.String()}
}

// groupVI writes n with Vietnamese thousands dots, independently of the
// page's helper.
func groupVI(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "." + s[i:]
	}
	return s
}

func TestReportPage(t *testing.T) {
	srv, rs := mustReportEnv(t)
	if r := reportGet(t, srv, "/reports", ""); r.status != http.StatusSeeOther || r.header.Get("Location") != "/login" {
		t.Fatalf("signed out: %d %s", r.status, r.header.Get("Location"))
	}

	r := reportGet(t, srv, "/reports?from=2026-01&to=2026-03&lang=vi", reportAdmin)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var docs, disp int64
	for _, v := range rs.vols {
		docs += v.Sent
		disp += v.Dispatches
	}
	o := rs.ontime
	share := strings.Replace(strconv.FormatFloat(float64(o.OnTime)*100/float64(o.OnTime+o.Late+o.Overdue), 'f', 1, 64), ".", ",", 1) + " %"
	mustContain(t, r.body,
		`id="chart-months"`, `<svg class="chart hist"`, `id="chart-ontime"`, `href="/static/reports.css"`,
		`id="kpi-documents">`+groupVI(docs)+`<`,
		`id="kpi-dispatches">`+groupVI(disp)+`<`,
		`id="kpi-saved">`+groupVI(disp*25000)+` ₫<`,
		`id="kpi-ontime">`+share+`<`,
		`id="ontime-overdue">`+groupVI(o.Overdue)+`<`,
		// The postage is explained, with the numbers it was computed from.
		groupVI(disp)+" lượt gửi", groupVI(25000)+" ₫ chi phí",
		// Latencies in words, and the histogram's counts as text.
		`<dd class="p90">1 giờ 35 phút</dd>`, `<dd class="p99">1 ngày 2 giờ</dd>`, `<dd class="p50">1 giây</dd>`,
		">"+groupVI(rs.lat[gateway.EventContentConsignment].Histogram[0])+" (75,0 %)<",
		// A bar per month of the period, its numbers on it and in the table.
		`<td data-label="Tháng">2026-02</td>`, ">"+groupVI(1200)+"</text>",
		`id="nav-reports"`, `href="/reports.csv?from=2026-01&amp;to=2026-03"`,
		`Sở &#34;Tư pháp&#34;, tỉnh Bắc Ninh`,
	)
	if n := strings.Count(r.body, `<g class="month">`); n != 3 {
		t.Errorf("%d month groups in the chart, want 3", n)
	}
	if strings.Contains(r.body, "⟦") {
		t.Errorf("a message is missing: %s", r.body[strings.Index(r.body, "⟦"):][:60])
	}
	if en := reportGet(t, srv, "/reports?lang=en", reportAdmin); en.status != http.StatusOK || strings.Contains(en.body, "⟦") {
		t.Errorf("English page: %d", en.status)
	}

	// An agency sees its own numbers only, and may not ask for another's.
	r = reportGet(t, srv, "/reports", reportH41)
	if r.status != http.StatusOK || rs.asked[len(rs.asked)-1] != "000.00.00.H41" {
		t.Errorf("agency's own report: %d, asked for %q", r.status, rs.asked[len(rs.asked)-1])
	}
	if strings.Contains(r.body, `name="agency"`) {
		t.Errorf("an agency is offered to pick another agency")
	}
	if r := reportGet(t, srv, "/reports?agency=000.00.01.H41", reportH41); r.status != http.StatusForbidden {
		t.Errorf("another agency's report: %d", r.status)
	}
	if r := reportGet(t, srv, "/reports?from=2026-13", reportAdmin); r.status != http.StatusBadRequest {
		t.Errorf("bad month: %d", r.status)
	}
}

func TestReportCSV(t *testing.T) {
	srv, rs := mustReportEnv(t)
	r := reportGet(t, srv, "/reports.csv?from=2026-01&to=2026-03&lang=en", reportAdmin)
	_, params, _ := mime.ParseMediaType(r.header.Get("Content-Disposition"))
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") ||
		params["filename"] != "docgate-report-2026-01-2026-03.csv" {
		t.Fatalf("%d %v", r.status, r.header)
	}
	// Whatever an admin types as the agency stays inside the parameter.
	odd := reportGet(t, srv, "/reports.csv?agency="+url.QueryEscape(`x"; filename=evil.exe`), reportAdmin)
	if _, params, err := mime.ParseMediaType(odd.header.Get("Content-Disposition")); err != nil || !strings.HasSuffix(params["filename"], ".csv") {
		t.Errorf("Content-Disposition %q: %v", odd.header.Get("Content-Disposition"), err)
	}
	if !strings.HasPrefix(r.body, "\ufeff") {
		t.Fatalf("no UTF-8 byte order mark: %q", r.body[:10])
	}
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\ufeff")))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v", err)
	}
	find := func(first string) int {
		for i, rec := range recs {
			if rec[0] == first {
				return i
			}
		}
		t.Fatalf("no row starting %q in %q", first, recs)
		return -1
	}
	names := map[string]string{"000.00.00.H41": `Sở "Tư pháp", tỉnh Bắc Ninh`, "000.00.01.H41": `'=HYPERLINK("http://x")`, "000.00.02.H41": "Ủy ban nhân dân xã Đông Phong"}
	h := find("Agency code")
	for i, v := range rs.vols {
		want := []string{v.Agency, names[v.Agency], v.Month, fmt.Sprint(v.Sent), fmt.Sprint(v.Received), fmt.Sprint(v.Dispatches), fmt.Sprint(v.Dispatches * 25000)}
		if got := recs[h+1+i]; strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("row %d: %q, want %q", i, got, want)
		}
	}
	secs := func(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
	for _, m := range []struct {
		name  string
		event string
	}{{"Delivery time", gateway.EventContentConsignment}, {"Retrieval time", gateway.EventContentHandover}} {
		l := rs.lat[m.event]
		want := []string{m.name, fmt.Sprint(l.Count), secs(l.P50), secs(l.P90), secs(l.P99)}
		if got := recs[find(m.name)]; strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: %q, want %q", m.name, got, want)
		}
	}
	o := rs.ontime
	want := []string{fmt.Sprint(o.OnTime), fmt.Sprint(o.Late), fmt.Sprint(o.Overdue), fmt.Sprint(o.Open),
		strconv.FormatFloat(float64(o.OnTime)*100/float64(o.OnTime+o.Late+o.Overdue), 'f', 1, 64)}
	if got := recs[find("On time")+1]; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("due dates: %q, want %q", got, want)
	}
	var docs, disp int64
	for _, v := range rs.vols {
		docs += v.Sent
		disp += v.Dispatches
	}
	want = []string{fmt.Sprint(docs), fmt.Sprint(disp), "25000", fmt.Sprint(disp * 25000)}
	if got := recs[find("Documents sent")+1]; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("postage: %q, want %q", got, want)
	}
	// Proper quoting: the name with a comma and quotes survives as one
	// field, written the RFC 4180 way.
	if !strings.Contains(r.body, `"Sở ""Tư pháp"", tỉnh Bắc Ninh"`) {
		t.Errorf("the quoted name is not escaped by doubling quotes")
	}

	// The agency's CSV carries only its own rows.
	r = reportGet(t, srv, "/reports.csv", reportH41)
	if r.status != http.StatusOK || strings.Contains(r.body, "000.00.02.H41") || !strings.Contains(r.body, "000.00.00.H41") {
		t.Errorf("agency CSV: %d\n%s", r.status, r.body)
	}
}
