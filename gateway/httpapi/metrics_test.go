package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMetricsExposition parses /metrics with Prometheus's own text parser:
// the hand-written exposition must be what a scraper reads, histograms
// cumulative, label values escaped.
func TestMetricsExposition(t *testing.T) {
	m := newMetrics(nil)
	m.observe("GET", "/v1/agencies/{code}", 200, 3*time.Millisecond)
	m.observe("GET", "/v1/agencies/{code}", 200, 40*time.Second)
	m.observe("GET", "/v1/agencies/{code}", 200, 5*time.Millisecond) // on a bucket's bound: counted in it
	m.observe("POST", `/odd "route"\`+"\n", 500, time.Millisecond)
	m.registry.CounterFunc("docgate_delivery_pushes_delivered_total", "Pushes.\nDelivered.", func() float64 { return 7 })

	rec := httptest.NewRecorder()
	m.handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("content type %q", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, rec.Body)
	}

	reqs := fams["docgate_http_requests_total"]
	if reqs == nil || len(reqs.Metric) != 2 {
		t.Fatalf("requests_total: %v", reqs)
	}
	byRoute := map[string]float64{}
	for _, mt := range reqs.Metric {
		for _, l := range mt.Label {
			if l.GetName() == "route" {
				byRoute[l.GetValue()] = mt.GetCounter().GetValue()
			}
		}
	}
	if byRoute["/v1/agencies/{code}"] != 3 || byRoute[`/odd "route"\`+"\n"] != 1 {
		t.Errorf("counts by route: %v", byRoute)
	}

	h := fams["docgate_http_request_duration_seconds"]
	if h == nil || len(h.Metric) != 2 {
		t.Fatalf("duration histogram: %v", h)
	}
	hist := h.Metric[0].GetHistogram() // GET sorts before POST
	if hist.GetSampleCount() != 3 || hist.GetSampleSum() < 40 {
		t.Errorf("count %d sum %g", hist.GetSampleCount(), hist.GetSampleSum())
	}
	want := map[float64]uint64{.001: 0, .0025: 0, .005: 2, 10: 2, 30: 2}
	for _, b := range hist.Bucket {
		if w, ok := want[b.GetUpperBound()]; ok && b.GetCumulativeCount() != w {
			t.Errorf("bucket le=%g: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), w)
		}
	}

	if d := fams["docgate_delivery_pushes_delivered_total"]; d == nil || d.Metric[0].GetCounter().GetValue() != 7 || d.GetHelp() != "Pushes.\nDelivered." {
		t.Errorf("counter func: %v", d)
	}
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "go_gc_cycles_total", "process_start_time_seconds", "go_info"} {
		if f := fams[name]; f == nil || len(f.Metric) != 1 {
			t.Errorf("runtime metric %s missing", name)
		}
	}
	if g := fams["go_goroutines"]; g != nil && g.Metric[0].GetGauge().GetValue() < 1 {
		t.Errorf("go_goroutines %v", g)
	}
}

func TestMetricsRegisteredTwicePanics(t *testing.T) {
	r := NewRegistry()
	r.GaugeFunc("x", "x", func() float64 { return 0 })
	defer func() {
		if recover() == nil {
			t.Error("a second x was accepted")
		}
	}()
	r.GaugeFunc("x", "x", func() float64 { return 0 })
}
