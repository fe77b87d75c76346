package httpapi_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"docgate/gateway"
	"docgate/gateway/auditlog"
	"docgate/gateway/httpapi"
	"docgate/storage/sqlite"
)

// logEnv is an API server whose log is kept in its SQLite store.
type logEnv struct {
	*env
	log *auditlog.Log
	v   *auditlog.Verifier
	key string
}

func mustLogEnv(t testing.TB) *logEnv {
	t.Helper()
	skey, vkey, err := auditlog.GenerateKey(rand.Reader, "httpapi.test/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auditlog.NewLogVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	le := &logEnv{v: v, key: vkey}
	le.env = mustEnv(t, func(s *httpapi.Server) {
		s.Log = auditlog.NewLog(s.Store.(*sqlite.Store).AuditLog(), signer)
		s.LogKey = vkey
		le.log = s.Log
	})
	return le
}

func logRecord(i int, from string, to ...string) auditlog.LeafRecord {
	return auditlog.LeafRecord{
		DocumentID: fmt.Sprintf("doc-%d", i),
		From:       from,
		To:         to,
		Event:      gateway.EventSubmissionAcceptance,
		PDFSHA256:  sha256.Sum256(fmt.Appendf(nil, "pdf %d", i)),
		Time:       time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
		EvidenceID: fmt.Sprintf("ev-%d", i),
	}
}

func TestLogEndpoints(t *testing.T) {
	e := mustLogEnv(t)
	ctx := context.Background()
	h41 := e.mustCreate(t, "000.00.00.H41", "UBND tỉnh Nghệ An", "")
	g22 := e.mustCreate(t, "000.00.00.G22", "Bộ Nội vụ", "")
	if _, err := e.log.Append(ctx, logRecord(0, "000.00.00.H41", "000.00.00.G22"), logRecord(1, "000.00.00.G22", "000.00.00.H41")); err != nil {
		t.Fatal(err)
	}

	// The key is public; the checkpoint needs a token and verifies with it.
	r := e.do(t, "GET", "/v1/log/key", "", "", nil)
	if r.status != 200 || strings.TrimSpace(string(r.body)) != e.key {
		t.Fatalf("key: %d %q", r.status, r.body)
	}
	mustProblem(t, e.do(t, "GET", "/v1/log/checkpoint", "", "", nil), 401, "bearer token")
	r = e.do(t, "GET", "/v1/log/checkpoint", g22, "", nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("checkpoint: %d %s", r.status, r.body)
	}
	old, err := e.v.OpenCheckpoint(r.body)
	if err != nil {
		t.Fatalf("checkpoint does not verify: %v\n%s", err, r.body)
	}
	if old.Size != 2 {
		t.Fatalf("checkpoint size %d, want 2", old.Size)
	}

	for i := 2; i < 9; i++ {
		if _, err := e.log.Append(ctx, logRecord(i, "000.00.00.H41", "000.00.00.G22")); err != nil {
			t.Fatal(err)
		}
	}
	data1, _ := func() ([]byte, error) { r := logRecord(1, "000.00.00.G22", "000.00.00.H41"); return r.MarshalBinary() }()

	// Inclusion against a size the caller names, checked against the old
	// checkpoint; the record only for those it names.
	p := mustDecode[httpapi.InclusionProof](t, e.json(t, "GET", "/v1/log/proof/inclusion?leaf=1&size=2", h41, ""), 200)
	if _, err := e.v.VerifyInclusion(old.Note, data1, 1, p.Hashes); err != nil {
		t.Fatalf("inclusion of leaf 1 in 2: %v", err)
	}
	if string(p.LeafData) != string(data1) || p.Checkpoint != "" {
		t.Fatalf("named agency: leaf data %x, checkpoint %q", p.LeafData, p.Checkpoint)
	}
	other := e.mustCreate(t, "000.00.00.K01", "Sở khác", "")
	p = mustDecode[httpapi.InclusionProof](t, e.json(t, "GET", "/v1/log/proof/inclusion?leaf=1&size=2", other, ""), 200)
	if p.LeafData != nil {
		t.Fatal("an agency the record does not name got its data")
	}

	// Without a size: a self-contained proof against a fresh checkpoint.
	p = mustDecode[httpapi.InclusionProof](t, e.json(t, "GET", "/v1/log/proof/inclusion?leaf=1", e.admin, ""), 200)
	proof, err := auditlog.ParseProof([]byte(p.Proof))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := e.v.VerifyProof(proof, p.LeafData)
	if err != nil || sc.Size != 9 || p.TreeSize != 9 {
		t.Fatalf("self-contained proof: %v, size %d/%d", err, p.TreeSize, sc.Size)
	}

	// Consistency from the old checkpoint to now.
	c := mustDecode[httpapi.ConsistencyProof](t, e.json(t, "GET", "/v1/log/proof/consistency?from=2", g22, ""), 200)
	if c.To != 9 || c.Checkpoint == "" {
		t.Fatalf("consistency: %+v", c)
	}
	if _, err := e.v.VerifyConsistency(old.Note, []byte(c.Checkpoint), c.Hashes); err != nil {
		t.Fatalf("consistency 2 -> 9: %v", err)
	}
	c = mustDecode[httpapi.ConsistencyProof](t, e.json(t, "GET", "/v1/log/proof/consistency?from=2&to=5", g22, ""), 200)
	if c.To != 5 || c.Checkpoint != "" || len(c.Hashes) == 0 {
		t.Fatalf("consistency 2 -> 5: %+v", c)
	}

	for _, tc := range []struct{ path, want string }{
		{"/v1/log/proof/inclusion", "leaf (the leaf index) is required"},
		{"/v1/log/proof/inclusion?leaf=-1", "non-negative integer"},
		{"/v1/log/proof/inclusion?leaf=9", "not below"},
		{"/v1/log/proof/inclusion?leaf=3&size=3", "not below tree size"},
		{"/v1/log/proof/inclusion?leaf=1&size=10", "beyond the log"},
		{"/v1/log/proof/consistency?to=3", "from (the older tree size) is required"},
		{"/v1/log/proof/consistency?from=5&to=3", "never shrinks"},
		{"/v1/log/proof/consistency?from=1&to=99", "beyond the log"},
		{"/v1/log/proof/consistency?from=x", "non-negative integer"},
	} {
		mustProblem(t, e.json(t, "GET", tc.path, e.admin, ""), http.StatusBadRequest, tc.want)
	}
}

// TestLogAndPKINotConfigured: the routes exist on every gateway, and say
// plainly what is missing where nothing is configured.
func TestLogAndPKINotConfigured(t *testing.T) {
	e := mustEnv(t, nil)
	mustProblem(t, e.json(t, "GET", "/v1/log/checkpoint", e.admin, ""), 404, "no audit log")
	mustProblem(t, e.json(t, "GET", "/v1/log/key", "", ""), 404, "no audit log")
	mustProblem(t, e.json(t, "GET", "/pki/crl", "", ""), 404, "no certificate authority")
	mustProblem(t, e.do(t, "GET", "/pki/ocsp/MEMwQTA%2FMD0wOzAJBgUrDgMCGgUABBQ", "", "", nil), 404, "no certificate authority")
	mustProblem(t, e.do(t, "POST", "/tsa", "", "application/timestamp-query", []byte{0x30, 0}), 404, "no timestamp authority")
}

// FuzzLogProofQuery: whatever the query, the proof endpoints answer a proof
// or a 4xx that says what to fix, never a 5xx.
func FuzzLogProofQuery(f *testing.F) {
	e := mustLogEnv(f)
	if _, err := e.log.Append(context.Background(), logRecord(0, "000.00.00.H41", "000.00.00.G22"),
		logRecord(1, "000.00.00.H41", "000.00.00.G22"), logRecord(2, "000.00.00.H41", "000.00.00.G22")); err != nil {
		f.Fatal(err)
	}
	f.Add("leaf=1&size=3")
	f.Add("leaf=0")
	f.Add("from=1&to=3")
	f.Add("from=0")
	f.Add("leaf=18446744073709551615&size=9223372036854775808")
	f.Add("leaf=1&leaf=2&size=%zz")
	f.Fuzz(func(t *testing.T, query string) {
		for _, path := range []string{"/v1/log/proof/inclusion", "/v1/log/proof/consistency"} {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.URL.Path, req.URL.RawQuery = path, query
			req.Header.Set("Authorization", "Bearer "+e.admin)
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, req)
			if w.Code != http.StatusOK && (w.Code < 400 || w.Code >= 500) {
				t.Fatalf("%s?%s: %d %s", path, query, w.Code, w.Body)
			}
		}
	})
}

// TestPKIRoutesReachTheCA: the CA sees each request as sent, the base64 of a
// GET OCSP request with its '/' and '+' too, and no token is needed.
func TestPKIRoutesReachTheCA(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s", r.Method, r.URL.EscapedPath())
	})
	e := mustEnv(t, func(s *httpapi.Server) { s.PKI, s.TSA = echo, echo })
	for _, tc := range []struct{ method, path string }{
		{"GET", "/pki/crl"},
		{"GET", "/pki/ca.crt"},
		{"POST", "/pki/ocsp"},
		{"GET", "/pki/ocsp/MEMwQT//MD8+MD0wOzAJBgUr%2BDgMCGgUABBQ="},
		{"POST", "/tsa"},
	} {
		r := e.do(t, tc.method, tc.path, "", "", nil)
		if want := tc.method + " " + tc.path; r.status != 200 || string(r.body) != want {
			t.Errorf("%s %s: %d %q, want %q", tc.method, tc.path, r.status, r.body, want)
		}
	}
}
