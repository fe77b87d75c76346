package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"docgate/gateway"
	"docgate/gateway/stats"
)

// reporter computes the exchange report for the principal in ctx and
// decides who may see which agency's numbers; stats.Service is one.
type reporter interface {
	// Report returns EFORBIDDEN for another agency's numbers and EINVALID
	// for a bad period.
	Report(ctx context.Context, f stats.Filter) (*stats.Report, error)
}

var _ reporter = (*stats.Service)(nil)

// routeReports adds the report page and its CSV, for signed-in users.
func (p *Pages) routeReports(r chi.Router) {
	r.Get("/reports", p.signedIn(p.handleReports))
	r.Get("/reports.csv", p.signedIn(p.handleReportsCSV))
}

// reportFilter reads ?from=YYYY-MM&to=YYYY-MM&agency=CODE; the use case
// checks them.
func reportFilter(r *http.Request) stats.Filter {
	q := r.URL.Query()
	return stats.Filter{From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")), Agency: strings.TrimSpace(q.Get("agency"))}
}

func (p *Pages) handleReports(w http.ResponseWriter, r *http.Request, pg *page) {
	pg.Title = pg.T("reports.title")
	f := reportFilter(r)
	rep, err := p.Reports.Report(r.Context(), f)
	if err != nil {
		p.useCaseError(w, r, pg, err)
		return
	}
	names := p.agencyNames(r.Context())
	pg.Stats = newReportsView(pg, rep, names, pg.User != nil && pg.User.Role != gateway.RoleAgency)
	p.render(w, r, http.StatusOK, "reports.html", pg)
}

// agencyNames maps codes to names for the tables, so that a reader sees
// "Sở Tư pháp" and not only a code. Best effort: a registry failure leaves
// the codes alone rather than failing the report.
func (p *Pages) agencyNames(ctx context.Context) map[string]string {
	names := map[string]string{}
	after := ""
	// 20 pages of 1000 are more agencies than a province has.
	for range 20 {
		list, next, err := p.Auth.Agencies(ctx, gateway.AgencyFilter{After: after, Limit: 1000})
		if err != nil {
			p.Logger.WarnContext(ctx, "report: agency names", "err", err)
			return names
		}
		for _, a := range list {
			names[a.Code] = a.Name
		}
		if next == "" {
			break
		}
		after = next
	}
	return names
}

// reportsView is the report page: the filter, the headline numbers, and the
// charts drawn as inline SVG with their numbers as text beside them.
type reportsView struct {
	From, To, Agency string
	AnyAgency        bool // the user may pick an agency (admins, auditors)
	Zone             string
	CSV              string // link to the same report as CSV

	Documents, Dispatches, PostageCost, PostageSaved string
	OnTimeShare                                      string // "" when nothing is due yet
	OnTime                                           repOnTimeView
	Months                                           repMonthChart
	Delivery, Retrieval                              repLatencyView
	Agencies                                         []repAgencyRow
}

type repAgencyRow struct {
	Code, Name                               string
	Sent, Received, Dispatches, PostageSaved string
}

// repMonthChart is a bar pair per month: documents sent and received.
type repMonthChart struct {
	Width, Height int
	Base          int // y of the axis
	Bars          []repMonthBars
	Rows          []repMonthRow // the same numbers as a table
	Empty         bool
}

type repMonthBars struct {
	X, LabelX                   int
	SentX, SentY, SentH         int
	RecvX, RecvY, RecvH         int
	Sent, Received, Label, Year string
	Title                       string
}

type repMonthRow struct{ Month, Sent, Received, Dispatches string }

// repLatencyView is the percentiles and a horizontal bar per histogram bucket.
type repLatencyView struct {
	Page                 *page  // for the words: the template is shared by both measures
	Kind                 string // delivery or retrieval
	Count, P50, P90, P99 string
	Width, Height        int
	Buckets              []repBucketBar
	Empty                bool
}

type repBucketBar struct {
	Label, Count, Share string
	Y, W, TextX         int
}

// repOnTimeView is one stacked bar: on time, late, overdue (open is told in
// words: nothing is decided about it yet).
type repOnTimeView struct {
	OnTime, Late, Overdue, Open string
	Segments                    []repSegment
	Empty                       bool
}

type repSegment struct {
	Class, Label string
	X, W         int
}

// Chart geometry, in SVG user units: the SVG scales to the width it is
// given, and a container scrolls sideways on a narrow phone instead.
const (
	monthSlot   = 56
	monthBarW   = 20
	chartLeft   = 8
	chartTop    = 22
	chartPlot   = 150
	bucketRow   = 28
	bucketLabel = 110
	bucketPlot  = 220
)

func newReportsView(pg *page, rep *stats.Report, names map[string]string, anyAgency bool) *reportsView {
	v := &reportsView{
		From: rep.From, To: rep.To, Agency: rep.Agency, AnyAgency: anyAgency, Zone: rep.Zone,
		Documents: repFmtInt(pg, rep.Documents), Dispatches: repFmtInt(pg, rep.Dispatches),
		PostageCost: repFmtInt(pg, rep.PostageCost), PostageSaved: repFmtInt(pg, rep.PostageSaved),
	}
	qs := url.Values{"from": {rep.From}, "to": {rep.To}}
	if rep.Agency != "" && anyAgency {
		qs.Set("agency", rep.Agency)
	}
	v.CSV = "/reports.csv?" + qs.Encode()
	if rep.OnTimeShare != nil {
		v.OnTimeShare = repFmtPercent(pg, *rep.OnTimeShare)
	}
	v.OnTime = repNewOnTimeView(pg, rep.OnTime)
	v.Months = repNewMonthChart(pg, rep.Months)
	v.Delivery = repNewLatencyView(pg, "delivery", rep.Delivery, rep.Bounds)
	v.Retrieval = repNewLatencyView(pg, "retrieval", rep.Retrieval, rep.Bounds)
	for _, a := range rep.Agencies {
		v.Agencies = append(v.Agencies, repAgencyRow{Code: a.Agency, Name: names[a.Agency],
			Sent: repFmtInt(pg, a.Sent), Received: repFmtInt(pg, a.Received), Dispatches: repFmtInt(pg, a.Dispatches),
			PostageSaved: repFmtInt(pg, a.Dispatches*rep.PostageCost)})
	}
	return v
}

func repNewMonthChart(pg *page, months []stats.MonthTotal) repMonthChart {
	c := repMonthChart{Width: chartLeft*2 + monthSlot*len(months), Height: chartTop + chartPlot + 40, Base: chartTop + chartPlot}
	var top int64
	for _, m := range months {
		top = max(top, m.Sent, m.Received)
	}
	c.Empty = top == 0
	h := func(n int64) int {
		if top == 0 {
			return 0
		}
		return minBar(n, int((n*chartPlot+top/2)/top))
	}
	for i, m := range months {
		x := chartLeft + i*monthSlot
		t, _ := time.Parse("2006-01", m.Month)
		b := repMonthBars{X: x, LabelX: x + monthSlot/2,
			SentX: x + monthSlot/2 - monthBarW, RecvX: x + monthSlot/2,
			Sent: repFmtInt(pg, m.Sent), Received: repFmtInt(pg, m.Received),
			Label: fmt.Sprintf("%02d", int(t.Month())),
			Title: pg.Tf("reports.month.title", m.Month, repFmtInt(pg, m.Sent), repFmtInt(pg, m.Received)),
		}
		// The year under January and under the first month, so that a
		// period across a new year reads without guessing.
		if i == 0 || t.Month() == time.January {
			b.Year = strconv.Itoa(t.Year())
		}
		b.SentH, b.RecvH = h(m.Sent), h(m.Received)
		b.SentY, b.RecvY = c.Base-b.SentH, c.Base-b.RecvH
		c.Bars = append(c.Bars, b)
		c.Rows = append(c.Rows, repMonthRow{Month: m.Month, Sent: repFmtInt(pg, m.Sent), Received: repFmtInt(pg, m.Received), Dispatches: repFmtInt(pg, m.Dispatches)})
	}
	return c
}

func repNewLatencyView(pg *page, kind string, l stats.Latency, bounds []time.Duration) repLatencyView {
	v := repLatencyView{Page: pg, Kind: kind, Count: repFmtInt(pg, l.Count), Empty: l.Count == 0,
		Width: bucketLabel + bucketPlot + 90, Height: bucketRow*len(l.Histogram) + 8}
	if !v.Empty {
		v.P50, v.P90, v.P99 = repFmtDuration(pg, l.P50), repFmtDuration(pg, l.P90), repFmtDuration(pg, l.P99)
	}
	var top int64
	for _, n := range l.Histogram {
		top = max(top, n)
	}
	for i, n := range l.Histogram {
		label := ""
		if i < len(bounds) {
			label = "≤ " + repFmtDuration(pg, bounds[i])
		} else if len(bounds) > 0 {
			label = "> " + repFmtDuration(pg, bounds[len(bounds)-1])
		}
		w := 0
		if top > 0 {
			w = minBar(n, int((n*bucketPlot+top/2)/top))
		}
		b := repBucketBar{Label: label, Count: repFmtInt(pg, n), Y: 4 + i*bucketRow, W: w, TextX: bucketLabel + w + 6}
		if l.Count > 0 {
			b.Share = repFmtPercent(pg, float64(n)/float64(l.Count))
		}
		v.Buckets = append(v.Buckets, b)
	}
	return v
}

// onTimeWidth is the stacked bar's length in SVG units.
const onTimeWidth = 600

func repNewOnTimeView(pg *page, o stats.OnTime) repOnTimeView {
	v := repOnTimeView{OnTime: repFmtInt(pg, o.OnTime), Late: repFmtInt(pg, o.Late), Overdue: repFmtInt(pg, o.Overdue), Open: repFmtInt(pg, o.Open)}
	total := o.OnTime + o.Late + o.Overdue
	v.Empty = total == 0
	if v.Empty {
		return v
	}
	x := 0
	for _, s := range []struct {
		class, key string
		n          int64
	}{{"ok", "reports.ontime.ontime", o.OnTime}, {"warn", "reports.ontime.late", o.Late}, {"bad", "reports.ontime.overdue", o.Overdue}} {
		w := int((s.n*onTimeWidth + total/2) / total)
		if s.n == 0 {
			continue
		}
		v.Segments = append(v.Segments, repSegment{Class: s.class, Label: pg.T(s.key) + ": " + repFmtInt(pg, s.n), X: x, W: w})
		x += w
	}
	return v
}

// repFmtInt groups thousands the way the page's language does: 25.000 in
// Vietnamese, 25,000 in English.
func repFmtInt(pg *page, n int64) string {
	sep := ","
	if pg.Lang == langVI {
		sep = "."
	}
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// repFmtPercent shows a share with one decimal: 87,5 % or 87.5%.
func repFmtPercent(pg *page, share float64) string {
	s := strconv.FormatFloat(share*100, 'f', 1, 64)
	if pg.Lang == langVI {
		return strings.Replace(s, ".", ",", 1) + " %"
	}
	return s + "%"
}

// repFmtDuration says a latency in the two largest units a person would use:
// "1 giờ 33 phút", "2 days 3 h", "45 s".
func repFmtDuration(pg *page, d time.Duration) string {
	if d < time.Second {
		return pg.Tf("reports.unit.s", 0)
	}
	units := []struct {
		key  string
		size time.Duration
	}{{"reports.unit.d", 24 * time.Hour}, {"reports.unit.h", time.Hour}, {"reports.unit.m", time.Minute}, {"reports.unit.s", time.Second}}
	var parts []string
	for _, u := range units {
		if n := d / u.size; n > 0 {
			parts = append(parts, pg.Tf(u.key, int64(n)))
			d -= n * u.size
			if len(parts) == 2 {
				break
			}
		} else if len(parts) > 0 {
			break
		}
	}
	return strings.Join(parts, " ")
}

// handleReportsCSV writes the report as CSV for a spreadsheet: a UTF-8 byte
// order mark first, without which Excel reads Vietnamese as Latin-1, then
// blocks separated by an empty line, each with its own header row.
func (p *Pages) handleReportsCSV(w http.ResponseWriter, r *http.Request, pg *page) {
	rep, err := p.Reports.Report(r.Context(), reportFilter(r))
	if err != nil {
		p.useCaseError(w, r, pg, err)
		return
	}
	names := p.agencyNames(r.Context())
	name := "docgate-report-" + rep.From + "-" + rep.To
	if rep.Agency != "" {
		name += "-" + rep.Agency
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	// FormatMediaType quotes (or encodes) whatever an admin typed as the
	// agency, so it cannot break out of the header parameter.
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + ".csv"}))
	w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	// Excel on Windows expects CRLF line ends.
	cw.UseCRLF = true
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	secs := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }
	agency := rep.Agency
	if agency == "" {
		agency = pg.T("reports.allagencies")
	}
	recs := [][]string{
		{pg.T("reports.csv.from"), rep.From},
		{pg.T("reports.csv.to"), rep.To},
		{pg.T("reports.csv.agency"), repCsvText(agency)},
		{pg.T("reports.csv.zone"), rep.Zone},
		{},
		{pg.T("reports.csv.code"), pg.T("reports.csv.name"), pg.T("reports.csv.month"), pg.T("reports.sent"), pg.T("reports.received"), pg.T("reports.dispatches"), pg.T("reports.csv.saved")},
	}
	for _, v := range rep.Volumes {
		recs = append(recs, []string{v.Agency, repCsvText(names[v.Agency]), v.Month, n(v.Sent), n(v.Received), n(v.Dispatches), n(v.Dispatches * rep.PostageCost)})
	}
	recs = append(recs, []string{},
		[]string{pg.T("reports.csv.measure"), pg.T("reports.csv.count"), "p50 (s)", "p90 (s)", "p99 (s)"},
		[]string{pg.T("reports.delivery"), n(rep.Delivery.Count), secs(rep.Delivery.P50), secs(rep.Delivery.P90), secs(rep.Delivery.P99)},
		[]string{pg.T("reports.retrieval"), n(rep.Retrieval.Count), secs(rep.Retrieval.P50), secs(rep.Retrieval.P90), secs(rep.Retrieval.P99)},
		[]string{},
		[]string{pg.T("reports.ontime.ontime"), pg.T("reports.ontime.late"), pg.T("reports.ontime.overdue"), pg.T("reports.ontime.open"), pg.T("reports.csv.share")},
	)
	share := ""
	if rep.OnTimeShare != nil {
		share = strconv.FormatFloat(*rep.OnTimeShare*100, 'f', 1, 64)
	}
	recs = append(recs, []string{n(rep.OnTime.OnTime), n(rep.OnTime.Late), n(rep.OnTime.Overdue), n(rep.OnTime.Open), share},
		[]string{},
		[]string{pg.T("reports.documents"), pg.T("reports.dispatches"), pg.T("reports.csv.cost"), pg.T("reports.csv.saved")},
		[]string{n(rep.Documents), n(rep.Dispatches), n(rep.PostageCost), n(rep.PostageSaved)},
	)
	if err := cw.WriteAll(recs); err != nil {
		p.Logger.WarnContext(r.Context(), "write report csv", "err", err)
	}
}

// repCsvText keeps a spreadsheet from reading a registered name such as
// "=HYPERLINK(...)" as a formula: such a cell starts with an apostrophe,
// which Excel hides.
func repCsvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// minBar keeps a bar for a count that is not zero visible beside a much
// larger one: two units, so that "a few" never reads as "none".
func minBar(n int64, size int) int {
	if n > 0 && size < 2 {
		return 2
	}
	return size
}
