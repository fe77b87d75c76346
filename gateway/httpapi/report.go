package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"docgate/gateway"
	"docgate/gateway/stats"
)

// routeReports serves the exchange report as JSON, the numbers behind the
// report page, for a DMS or a spreadsheet script.
func (s *Server) routeReports(r chi.Router) {
	r.Get("/v1/reports", s.handleReport)
}

// reportLatency states durations in seconds: nanoseconds, time.Duration's
// JSON, mean nothing to a script reading the report.
type reportLatency struct {
	Count     int64   `json:"count"`
	P50       float64 `json:"p50Seconds"`
	P90       float64 `json:"p90Seconds"`
	P99       float64 `json:"p99Seconds"`
	Histogram []int64 `json:"histogram"`
}

func newReportLatency(l stats.Latency) reportLatency {
	return reportLatency{Count: l.Count, P50: l.P50.Seconds(), P90: l.P90.Seconds(), P99: l.P99.Seconds(), Histogram: l.Histogram}
}

// reportResponse is the use case's report with its durations in seconds;
// the outer fields hide the embedded ones of the same name.
type reportResponse struct {
	*stats.Report
	Bounds    []float64     `json:"bounds"` // upper bounds of the histogram buckets, in seconds
	Delivery  reportLatency `json:"delivery"`
	Retrieval reportLatency `json:"retrieval"`
}

func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	if s.Reports == nil {
		s.writeError(w, r, gateway.Errorf(gateway.ENOTIMPL, "this gateway keeps no report"))
		return
	}
	q := r.URL.Query()
	rep, err := s.Reports.Report(r.Context(), stats.Filter{From: q.Get("from"), To: q.Get("to"), Agency: q.Get("agency")})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := reportResponse{Report: rep, Delivery: newReportLatency(rep.Delivery), Retrieval: newReportLatency(rep.Retrieval)}
	for _, b := range rep.Bounds {
		out.Bounds = append(out.Bounds, b.Seconds())
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, http.StatusOK, out)
}
