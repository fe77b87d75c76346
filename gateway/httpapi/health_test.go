package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"docgate/gateway"
	"docgate/gateway/httpapi"
	"docgate/gateway/registry"
	"docgate/storage/sqlite"
)

// failingTokens is the SQLite store with a token lookup that fails.
type failingTokens struct {
	*sqlite.Store
	err func() error
}

func (f *failingTokens) TokenByHash(ctx context.Context, hash []byte) (*gateway.Token, error) {
	return nil, f.err()
}

// blobStore is a function-field fake; only Ping is used here.
type blobStore struct {
	gateway.BlobStore
	PingFn func(ctx context.Context) error
}

func (b *blobStore) Ping(ctx context.Context) error { return b.PingFn(ctx) }

func TestHealthAndReadiness(t *testing.T) {
	var blobErr error
	e := mustEnv(t, func(s *httpapi.Server) {
		s.Blobs = &blobStore{PingFn: func(context.Context) error { return blobErr }}
	})
	if r := e.json(t, "GET", "/healthz", "", ""); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
	if r := e.json(t, "GET", "/readyz", "", ""); r.status != 200 {
		t.Fatalf("readyz %d %s", r.status, r.body)
	}
	blobErr = gateway.Errorf(gateway.EUNAVAILABLE, "disk gone")
	r := e.json(t, "GET", "/readyz", "", "")
	mustProblem(t, r, 503, "blob store")
	if r.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	if strings.Contains(string(r.body), "disk gone") {
		t.Error("readiness leaks the dependency's error")
	}
	blobErr = nil
	e.store.Close()
	mustProblem(t, e.json(t, "GET", "/readyz", "", ""), 503, "database")
}

func TestMetricsByRoutePattern(t *testing.T) {
	e := mustEnv(t, nil)
	e.mustCreate(t, "000.00.00.H41", "x", "")
	e.json(t, "GET", "/v1/agencies/000.00.00.H41", e.admin, "")
	e.json(t, "GET", "/v1/agencies/000.00.00.H14", e.admin, "")
	r := e.json(t, "GET", "/metrics", "", "")
	if r.status != 200 {
		t.Fatalf("metrics %d", r.status)
	}
	body := string(r.body)
	for _, want := range []string{
		`docgate_http_requests_total{method="GET",route="/v1/agencies/{code}",status="200"} 1`,
		`docgate_http_requests_total{method="GET",route="/v1/agencies/{code}",status="404"} 1`,
		`docgate_http_request_duration_seconds_bucket{method="POST",route="/v1/agencies",status="201"`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "000.00.00.H41") {
		t.Error("metrics are labelled with paths, not route patterns")
	}
}

func TestRequestIDAndAccessLog(t *testing.T) {
	e := mustEnv(t, nil)
	req, _ := http.NewRequest("GET", e.srv.URL+"/v1/agencies/000.00.00.H99", nil)
	req.Header.Set("Authorization", "Bearer "+e.admin)
	req.Header.Set("X-Request-Id", "dms-42")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.Header.Get("X-Request-Id") != "dms-42" || !strings.Contains(string(b), `"requestId":"dms-42"`) {
		t.Fatalf("request id not kept: %s %s", res.Header.Get("X-Request-Id"), b)
	}
	// A hostile ID is replaced, not echoed.
	req.Header.Set("X-Request-Id", "a\u00e9 b")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if id := res.Header.Get("X-Request-Id"); id == "" || strings.Contains(id, " ") {
		t.Fatalf("id %q", id)
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == "request" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("%d access log lines for 2 requests", len(lines))
	}
	l := lines[0]
	if l["request_id"] != "dms-42" || l["route"] != "/v1/agencies/{code}" || l["status"] != float64(404) || l["role"] != "admin" || l["token_id"] == "" {
		t.Fatalf("access log %v", l)
	}
	if strings.Contains(e.logs.String(), e.admin) {
		t.Fatal("the log holds a token secret")
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	e := mustEnv(t, nil)
	mustProblem(t, e.json(t, "GET", "/v2/nothing", e.admin, ""), 404, "no route")
	mustProblem(t, e.json(t, "PUT", "/v1/agencies", e.admin, `{}`), 405, "not allowed")
}

// TestOpenAPICoversRoutes keeps the served document and the router in step:
// every route is described, and every described operation is routed.
func TestOpenAPICoversRoutes(t *testing.T) {
	e := mustEnv(t, nil)
	r := e.json(t, "GET", "/openapi.json", "", "")
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(mustDecode[json.RawMessage](t, r, 200), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	// Routes that are not the JSON API (pages for browsers, protocol
	// endpoints such as an RFC 3161 /tsa or a CRL/OCSP /pki mount) may be
	// exempted here by prefix, each with the reason.
	notAPI := []string{}
	routed := map[string]bool{}
	router, ok := (&httpapi.Server{Registry: e.reg}).Handler().(chi.Routes)
	if !ok {
		t.Fatal("the handler is not a chi router")
	}
	err := chi.Walk(router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		for _, p := range notAPI {
			if strings.HasPrefix(route, p) {
				return nil
			}
		}
		routed[method+" "+route] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(routed) < 10 {
		t.Fatalf("only %d routes walked", len(routed))
	}
	for r := range routed {
		if !documented[r] {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for d := range documented {
		if !routed[d] {
			t.Errorf("openapi.json describes %s, which is not routed", d)
		}
	}
}

// TestServerErrorsAreSafe checks the 5xx side of the status map: the client
// gets a fixed message (never the adapter's words), the log gets the error.
func TestServerErrorsAreSafe(t *testing.T) {
	var pingErr error
	cases := []struct {
		err    error
		status int
		detail string
	}{
		{gateway.Errorf(gateway.EUNAVAILABLE, "dial tcp 10.0.0.5:5432: refused"), 503, "retry later"},
		{errors.New("pq: relation tokens does not exist"), 500, "Internal error"},
		{gateway.Errorf(gateway.EINTEGRITY, "blob ab12 digest mismatch"), 500, "integrity check"},
		{gateway.Errorf(gateway.ENOTIMPL, "edXML export is not implemented yet"), 501, "edXML export"},
	}
	for _, tc := range cases {
		pingErr = tc.err
		// A store whose token lookup fails: every authenticated request hits it.
		srv := mustEnvStore(t, func(s *sqlite.Store) registry.Store {
			return &failingTokens{Store: s, err: func() error { return pingErr }}
		}, nil)
		r := srv.json(t, "GET", "/v1/agencies", "dg_"+strings.Repeat("B", 43), "")
		p := mustProblem(t, r, tc.status, tc.detail)
		if strings.Contains(p.Detail, "10.0.0.5") || strings.Contains(p.Detail, "relation") || strings.Contains(p.Detail, "ab12") {
			t.Errorf("%d leaks: %q", tc.status, p.Detail)
		}
		if tc.status == 503 && r.header.Get("Retry-After") == "" {
			t.Error("503 without Retry-After")
		}
		if tc.status != 501 && !strings.Contains(srv.logs.String(), gateway.ErrorMessage(tc.err)) && !strings.Contains(srv.logs.String(), tc.err.Error()) {
			t.Errorf("the log lacks the error: %s", srv.logs)
		}
	}
}
