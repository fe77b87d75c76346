package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"docgate/gateway"
	"docgate/gateway/httpapi"
	"docgate/gateway/registry"
	"docgate/storage/sqlite"
)

// env is one API server over a fresh SQLite store, with an admin token.
type env struct {
	h     http.Handler
	srv   *httptest.Server
	api   *httpapi.Server
	store *sqlite.Store
	reg   *registry.Service
	admin string
	logs  *bytes.Buffer
}

// mustEnv starts a server; mod may adjust it before its handler is built.
func mustEnv(tb testing.TB, mod func(*httpapi.Server)) *env {
	tb.Helper()
	return mustEnvStore(tb, nil, mod)
}

// mustEnvStore is mustEnv with the registry's store wrapped by wrap (nil:
// the SQLite store itself), for fault injection.
func mustEnvStore(tb testing.TB, wrap func(*sqlite.Store) registry.Store, mod func(*httpapi.Server)) *env {
	tb.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "docgate.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	key := make([]byte, 32)
	rand.Read(key)
	plain, err := registry.New(store, key)
	if err != nil {
		tb.Fatal(err)
	}
	admin, err := plain.Bootstrap(ctx, false)
	if err != nil {
		tb.Fatal(err)
	}
	reg := plain
	if wrap != nil {
		if reg, err = registry.New(wrap(store), key); err != nil {
			tb.Fatal(err)
		}
	}
	logs := &bytes.Buffer{}
	api := &httpapi.Server{Registry: reg, Store: store, Logger: slog.New(slog.NewJSONHandler(logs, nil))}
	if mod != nil {
		mod(api)
	}
	h := api.Handler()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return &env{h: h, srv: srv, api: api, store: store, reg: reg, admin: admin.Secret, logs: logs}
}

// response is what a test looks at.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) do(tb testing.TB, method, path, token, contentType string, body []byte) response {
	tb.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (e *env) json(tb testing.TB, method, path, token, body string) response {
	tb.Helper()
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	return e.do(tb, method, path, token, ct, []byte(body))
}

// mustDecode decodes a successful JSON body.
func mustDecode[T any](tb testing.TB, r response, status int) T {
	tb.Helper()
	var v T
	if r.status != status {
		tb.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if err := json.Unmarshal(r.body, &v); err != nil {
		tb.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

// mustProblem checks that r is a problem+json with the status and a detail
// containing want.
func mustProblem(tb testing.TB, r response, status int, want string) httpapi.Problem {
	tb.Helper()
	if r.status != status {
		tb.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		tb.Fatalf("content type %q, want application/problem+json", ct)
	}
	var p httpapi.Problem
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		tb.Fatalf("decode problem %s: %v", r.body, err)
	}
	if p.Status != status || p.Title == "" || p.Type == "" || p.RequestID == "" {
		tb.Fatalf("incomplete problem: %+v", p)
	}
	if p.RequestID != r.header.Get("X-Request-Id") {
		tb.Fatalf("problem requestId %q, header %q", p.RequestID, r.header.Get("X-Request-Id"))
	}
	if !strings.Contains(p.Detail, want) {
		tb.Fatalf("detail %q does not contain %q", p.Detail, want)
	}
	return p
}

// mustCreate registers an agency as admin and returns its token secret.
func (e *env) mustCreate(tb testing.TB, code, name, parent string) string {
	tb.Helper()
	body, _ := json.Marshal(map[string]string{"code": code, "name": name, "parent": parent})
	out := mustDecode[registry.CreatedAgency](tb, e.json(tb, "POST", "/v1/agencies", e.admin, string(body)), http.StatusCreated)
	return out.Token.Secret
}

func (e *env) count(tb testing.TB) int {
	tb.Helper()
	ctx := gateway.NewContextWithPrincipal(context.Background(), &gateway.Principal{Role: gateway.RoleAdmin})
	list, _, err := e.reg.Agencies(ctx, gateway.AgencyFilter{})
	if err != nil {
		tb.Fatal(err)
	}
	return len(list)
}
