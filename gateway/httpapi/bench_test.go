package httpapi_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"docgate/gateway/httpapi"
)

// BenchmarkAuthenticatedGet measures the authenticated request path against
// the SQLite store: token hash, token lookup, agency status, the handler's
// agency lookup and the JSON response, all through the real middleware. The
// baseline, measured in the same run, is /healthz through the same
// middleware with no authentication and no store; the ratio is what
// authentication and one lookup cost on top of the bare server.
func BenchmarkAuthenticatedGet(b *testing.B) {
	e := mustEnv(b, func(s *httpapi.Server) { s.Logger = slog.New(slog.DiscardHandler) })
	tok := e.mustCreate(b, "000.00.00.H41", "UBND tỉnh Nghệ An", "")

	serve := func(tb testing.TB, path, token string) {
		req := httptest.NewRequest("GET", path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			tb.Fatalf("%s: %d %s", path, w.Code, w.Body)
		}
	}
	// Both paths run in every iteration, each timed on its own, so that the
	// load of a shared machine falls on both alike and the ratio stays
	// meaningful; ns/op is overridden with the authenticated path alone.
	var auth, base time.Duration
	n := 0
	for b.Loop() {
		t0 := time.Now()
		serve(b, "/v1/agencies/000.00.00.H41", tok)
		t1 := time.Now()
		serve(b, "/healthz", "")
		base += time.Since(t1)
		auth += t1.Sub(t0)
		n++
	}
	authNs := float64(auth.Nanoseconds()) / float64(n)
	baseNs := float64(base.Nanoseconds()) / float64(n)
	b.ReportMetric(authNs, "ns/op")
	b.ReportMetric(baseNs, "baseline-ns/op")
	b.ReportMetric(authNs/baseNs, "x-baseline")
}
