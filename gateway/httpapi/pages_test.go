package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"docgate/gateway/httpapi"
)

// TestPagesServeWhatTheAPIDoesNotClaim: the browser pages get every path
// outside /v1 that no API route matches, after the API's request ID and
// access log, while /v1 and the API's own routes are untouched.
func TestPagesServeWhatTheAPIDoesNotClaim(t *testing.T) {
	pages := chi.NewRouter()
	page := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// The request ID is already set: the pages quote it in error messages.
		w.Write([]byte("page " + r.Method + " " + r.URL.Path + " id=" + w.Header().Get("X-Request-Id")))
	}
	pages.Get("/", page)
	pages.Post("/verify", page)
	e := mustEnv(t, func(s *httpapi.Server) { s.Pages = pages })

	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/", "page GET /"},
		{"POST", "/verify", "page POST /verify"},
	} {
		r := e.do(t, tc.method, tc.path, "", "", nil)
		if r.status != 200 || !strings.HasPrefix(string(r.body), tc.want) || !strings.HasSuffix(string(r.body), "id="+r.header.Get("X-Request-Id")) {
			t.Errorf("%s %s: %d %q", tc.method, tc.path, r.status, r.body)
		}
	}
	mustProblem(t, e.json(t, "GET", "/v1/nothing", e.admin, ""), 404, "no route")
	mustProblem(t, e.json(t, "GET", "/v1", "", ""), 404, "no route")
	if r := e.json(t, "GET", "/healthz", "", ""); r.status != 200 || strings.Contains(string(r.body), "page") {
		t.Errorf("healthz: %d %s", r.status, r.body)
	}
	if !strings.Contains(e.logs.String(), "path=/verify") && !strings.Contains(e.logs.String(), `"path":"/verify"`) {
		t.Errorf("no access log line for a page: %s", e.logs)
	}
}
