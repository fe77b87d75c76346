package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"docgate/gateway"
	"docgate/gateway/httpapi"
	"docgate/gateway/registry"
	"docgate/gateway/stats"
)

// TestReportJSON seeds documents in the real SQLite store at known times and
// reads GET /v1/reports: the numbers, in seconds and VND, are those of the
// seeded documents; an agency gets its own numbers only.
func TestReportJSON(t *testing.T) {
	now := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	e := mustEnv(t, func(s *httpapi.Server) {
		s.Reports = &stats.Service{Store: s.Store.(stats.Store), Postage: 27000, Now: func() time.Time { return now }}
	})
	ctx := context.Background()
	tokens := map[string]string{}
	for _, c := range []string{"000.00.00.H41", "000.00.00.H14", "000.00.00.H56"} {
		r := e.json(t, "POST", "/v1/agencies", e.admin, `{"code":"`+c+`","name":"Đơn vị `+c+`"}`)
		tokens[c] = mustDecode[registry.CreatedAgency](t, r, http.StatusCreated).Token.Secret
	}
	// H41 sends two documents in February (Vietnam time) to two recipients
	// each; H14 retrieves the first after 90 s and finishes it before its due
	// date, H56 retrieves it after 1 h. H14 sends one in March to H41.
	at1 := time.Date(2026, 2, 3, 2, 0, 0, 0, time.UTC)
	due := at1.Add(72 * time.Hour)
	at2 := time.Date(2026, 2, 27, 18, 0, 0, 0, time.UTC) // 28 February in Vietnam
	at3 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	docs := []struct {
		id, from string
		to       []string
		at       time.Time
		due      *time.Time
		events   []*gateway.Event
	}{
		{"d1", "000.00.00.H41", []string{"000.00.00.H14", "000.00.00.H56"}, at1, &due, []*gateway.Event{
			{Type: gateway.EventContentHandover, Recipient: "000.00.00.H14", At: at1.Add(90 * time.Second)},
			{Type: gateway.EventContentHandover, Recipient: "000.00.00.H56", At: at1.Add(time.Hour)},
			{Type: gateway.EventStatus, Recipient: "000.00.00.H14", Status: gateway.StatusDone, At: at1.Add(24 * time.Hour)},
		}},
		{"d2", "000.00.00.H41", []string{"000.00.00.H14", "000.00.00.H56"}, at2, nil, nil},
		{"d3", "000.00.00.H14", []string{"000.00.00.H41"}, at3, nil, nil},
	}
	for _, d := range docs {
		sub := &gateway.Submission{Document: &gateway.Document{ID: d.id, State: gateway.DocumentActive, SubmittedAt: d.at,
			Envelope: gateway.Envelope{From: d.from, To: d.to, Subject: "Báo cáo " + d.id, DueDate: d.due},
			PDF:      gateway.Part{Name: "a.pdf", ContentType: "application/pdf", SHA256: "aa" + d.id, Size: 1}}}
		for _, to := range d.to {
			sub.Deliveries = append(sub.Deliveries, &gateway.Delivery{DocumentID: d.id, Recipient: to, State: gateway.DeliveryPending, UpdatedAt: d.at})
			sub.Events = append(sub.Events, &gateway.Event{DocumentID: d.id, Type: gateway.EventContentConsignment, Actor: "gateway", Recipient: to, At: d.at})
		}
		for _, ev := range d.events {
			ev.DocumentID, ev.Actor = d.id, ev.Recipient
			sub.Events = append(sub.Events, ev)
		}
		if err := e.store.CreateDocument(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}

	type latency struct {
		Count      int64
		P50Seconds float64
		P90Seconds float64
		P99Seconds float64
		Histogram  []int64
	}
	type report struct {
		From, To, Agency string
		Months           []stats.MonthTotal
		Bounds           []float64
		Delivery         latency
		Retrieval        latency
		OnTime           stats.OnTime
		OnTimeShare      *float64
		Documents        int64
		Dispatches       int64
		PostageCost      int64
		PostageSaved     int64
	}
	rep := mustDecode[report](t, e.json(t, "GET", "/v1/reports?from=2026-02&to=2026-03", e.admin, ""), http.StatusOK)
	if rep.From != "2026-02" || rep.To != "2026-03" || len(rep.Months) != 2 {
		t.Fatalf("period %+v", rep)
	}
	if m := rep.Months[0]; m.Sent != 2 || m.Dispatches != 4 || m.Received != 4 {
		t.Errorf("February %+v", m)
	}
	if m := rep.Months[1]; m.Sent != 1 || m.Dispatches != 1 || m.Received != 1 {
		t.Errorf("March %+v", m)
	}
	if rep.Documents != 3 || rep.Dispatches != 5 || rep.PostageCost != 27000 || rep.PostageSaved != 5*27000 {
		t.Errorf("postage %+v", rep)
	}
	// Every delivery was consigned at submission; two were retrieved.
	if rep.Delivery.Count != 5 || rep.Delivery.P99Seconds != 0 {
		t.Errorf("delivery %+v", rep.Delivery)
	}
	if r := rep.Retrieval; r.Count != 2 || r.P50Seconds != 90 || r.P90Seconds != 3600 || r.P99Seconds != 3600 {
		t.Errorf("retrieval %+v", r)
	}
	if len(rep.Bounds) == 0 || rep.Bounds[0] != 60 || len(rep.Retrieval.Histogram) != len(rep.Bounds)+1 {
		t.Errorf("bounds %v, histogram %v", rep.Bounds, rep.Retrieval.Histogram)
	}
	// d1's due date has passed: H14 was on time, H56 is overdue.
	if rep.OnTime != (stats.OnTime{OnTime: 1, Overdue: 1}) || rep.OnTimeShare == nil || *rep.OnTimeShare != 0.5 {
		t.Errorf("on time %+v %v", rep.OnTime, rep.OnTimeShare)
	}

	// H56 sees its own numbers: it received two documents and sent none.
	own := mustDecode[report](t, e.json(t, "GET", "/v1/reports?from=2026-02&to=2026-03", tokens["000.00.00.H56"], ""), http.StatusOK)
	if own.Agency != "000.00.00.H56" || own.Documents != 0 || own.Months[0].Received != 2 || own.Retrieval.Count != 1 || own.Retrieval.P50Seconds != 3600 {
		t.Errorf("H56's own report %+v", own)
	}
	mustProblem(t, e.json(t, "GET", "/v1/reports?agency=000.00.00.H41", tokens["000.00.00.H56"], ""), http.StatusForbidden, "own numbers")
	mustProblem(t, e.json(t, "GET", "/v1/reports?from=2026-13", e.admin, ""), http.StatusBadRequest, "YYYY-MM")
	if r := e.json(t, "GET", "/v1/reports", "", ""); r.status != http.StatusUnauthorized {
		t.Errorf("without a token: %d", r.status)
	}
	var raw map[string]any
	json.Unmarshal(e.json(t, "GET", "/v1/reports", e.admin, "").body, &raw)
	if _, ok := raw["delivery"].(map[string]any)["p50Seconds"]; !ok {
		t.Errorf("latencies are not in seconds: %v", raw["delivery"])
	}
}

func TestReportNotConfigured(t *testing.T) {
	e := mustEnv(t, nil)
	if r := e.json(t, "GET", "/v1/reports", e.admin, ""); r.status != http.StatusNotImplemented {
		t.Errorf("status %d", r.status)
	}
}
