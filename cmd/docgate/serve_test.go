package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for a server goroutine to write while
// the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runDocgate runs Main in-process with the given environment.
func runDocgate(ctx context.Context, env map[string]string, args ...string) (code int, stdout, stderr string) {
	var out, errb lockedBuffer
	e := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	code = Main(ctx, e, args)
	return code, out.String(), errb.String()
}

// gateway is a docgate serve running in the test's process.
type testGateway struct {
	url    string
	admin  string
	cancel context.CancelFunc
	done   chan int
	stdout *lockedBuffer
	stderr *lockedBuffer
}

// startGateway runs "docgate serve --dev" on a free port over dir and waits
// until it listens.
func startGateway(t *testing.T, dir string) *testGateway {
	t.Helper()
	return startGatewayArgs(t, dir, "--dev")
}

// startGatewayArgs runs "docgate serve" with args on a free port over dir.
func startGatewayArgs(t *testing.T, dir string, args ...string) *testGateway {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrFile := filepath.Join(t.TempDir(), "addr")
	g := &testGateway{cancel: cancel, done: make(chan int, 1), stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	e := &Env{Stdin: strings.NewReader(""), Stdout: g.stdout, Stderr: g.stderr, Getenv: func(string) string { return "" }}
	go func() {
		g.done <- Main(ctx, e, append([]string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--addr-file", addrFile,
			"--shutdown-timeout", "5s"}, args...))
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(addrFile)
		if err == nil && len(b) > 0 {
			g.url = "http://" + strings.TrimSpace(string(b))
			break
		}
		select {
		case code := <-g.done:
			t.Fatalf("serve exited with %d before listening: %s", code, g.stderr)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not listen within 20s: %s", g.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The admin token file is absent when the database had one already.
	if tok, err := os.ReadFile(filepath.Join(dir, "admin.token")); err == nil {
		g.admin = strings.TrimSpace(string(tok))
	} else if !os.IsNotExist(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.stop(t) })
	return g
}

// stop cancels serve and checks that it shuts down cleanly.
func (g *testGateway) stop(t *testing.T) {
	t.Helper()
	if g.cancel == nil {
		return
	}
	g.cancel()
	g.cancel = nil
	select {
	case code := <-g.done:
		if code != exitOK {
			t.Errorf("serve exited with %d: %s", code, g.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10s of cancellation")
	}
}

var tokenLine = regexp.MustCompile(`^dg_[A-Za-z0-9_-]{43}$`)

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestServeEndToEnd(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	g := startGateway(t, dir)
	if !strings.Contains(g.stdout.String(), g.admin) {
		t.Fatalf("first start did not print the admin token: %q", g.stdout)
	}
	if st, err := os.Stat(filepath.Join(dir, "admin.token")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("admin.token: %v %v", st.Mode(), err)
	}
	if st, err := os.Stat(filepath.Join(dir, "token.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token.key: %v %v", st.Mode(), err)
	}
	ctx := context.Background()
	admin := map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": g.admin}

	code, out, errs := runDocgate(ctx, admin, "agency", "add", "--code", "000.00.00.H41", "--name", "UBND tỉnh Nghệ An")
	if code != exitOK {
		t.Fatalf("agency add: %d %s", code, errs)
	}
	agencyTok := lastLine(out)
	if !tokenLine.MatchString(agencyTok) {
		t.Fatalf("last line of agency add is %q", agencyTok)
	}
	// Flags win over the environment: --token with the agency's token.
	code, _, errs = runDocgate(ctx, admin, "agency", "add", "--code", "000.01.00.H41", "--name", "Sở", "--token", agencyTok)
	if code != exitFailed || !strings.Contains(errs, "admin role") || !strings.Contains(errs, "HTTP 403") {
		t.Fatalf("agency add as agency: %d %q", code, errs)
	}
	if code, _, errs = runDocgate(ctx, admin, "agency", "add", "--code", "000.01.00.H41", "--name", "Sở Nội vụ", "--parent", "000.00.00.H41"); code != 0 {
		t.Fatalf("child: %s", errs)
	}
	code, _, errs = runDocgate(ctx, admin, "agency", "add", "--code", "000.00.00.H41", "--name", "again")
	if code != exitFailed || !strings.Contains(errs, "registered already") {
		t.Fatalf("duplicate: %d %q", code, errs)
	}
	code, _, errs = runDocgate(ctx, admin, "agency", "add", "--code", "000.02.00.H41", "--name", "x", "--parent", "000.00.00.G22")
	if code != exitFailed || !strings.Contains(errs, "000.00.00.G22") {
		t.Fatalf("unknown parent: %d %q", code, errs)
	}

	code, out, errs = runDocgate(ctx, admin, "agency", "list", "--json")
	if code != 0 {
		t.Fatalf("list: %s", errs)
	}
	var list []struct{ Code, Name, Parent, Status string }
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("list --json: %v: %s", err, out)
	}
	if len(list) != 2 || list[0].Code != "000.00.00.H41" || list[1].Parent != "000.00.00.H41" {
		t.Fatalf("list: %+v", list)
	}
	code, out, _ = runDocgate(ctx, map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": agencyTok}, "agency", "list")
	if code != 0 || !strings.Contains(out, "UBND tỉnh Nghệ An") || !strings.Contains(out, "Sở Nội vụ") {
		t.Fatalf("list as agency: %d %s", code, out)
	}

	// A certificate, through --cert on a second token and agency cert.
	certFile := writeTestCert(t)
	if code, out, errs = runDocgate(ctx, admin, "agency", "cert", "000.00.00.H41", "--cert", certFile); code != 0 || !strings.Contains(out, "CN=Văn thư") {
		t.Fatalf("cert: %d %s %s", code, out, errs)
	}
	code, out, _ = runDocgate(ctx, admin, "agency", "get", "000.00.00.H41")
	if code != 0 || !strings.Contains(out, "certificate:") || !strings.Contains(out, "UBND tỉnh Nghệ An") {
		t.Fatalf("get: %d %s", code, out)
	}
	// And taken off again, by the SHA-256 that get lists.
	certSum := regexp.MustCompile(`[0-9a-f]{64}`).FindString(out)
	if certSum == "" {
		t.Fatalf("agency get lists no certificate digest: %s", out)
	}
	if code, out, errs = runDocgate(ctx, admin, "agency", "cert-remove", "000.00.00.H41", "--sha256", certSum); code != 0 || !strings.Contains(out, "taken off") {
		t.Fatalf("cert-remove: %d %s %s", code, out, errs)
	}
	if code, _, errs = runDocgate(ctx, admin, "agency", "cert-remove", "000.00.00.H41", "--sha256", certSum); code != exitFailed || !strings.Contains(errs, "not registered") {
		t.Fatalf("cert-remove twice: %d %s", code, errs)
	}
	if code, _, errs = runDocgate(ctx, admin, "agency", "cert-remove", "000.00.00.H41"); code != exitUsage || !strings.Contains(errs, "--sha256 is required") {
		t.Fatalf("cert-remove without --sha256: %d %s", code, errs)
	}
	if code, out, _ = runDocgate(ctx, admin, "agency", "get", "000.00.00.H41"); code != 0 || strings.Contains(out, certSum) {
		t.Fatalf("get after cert-remove still lists it: %s", out)
	}

	// Suspension shuts the agency out; reactivation lets it back in.
	agencyEnv := map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": agencyTok}
	if code, _, errs = runDocgate(ctx, admin, "agency", "suspend", "000.00.00.H41"); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs = runDocgate(ctx, agencyEnv, "agency", "get", "000.00.00.H41"); code != exitFailed || !strings.Contains(errs, "suspended") {
		t.Fatalf("suspended agency: %d %q", code, errs)
	}
	if code, _, errs = runDocgate(ctx, admin, "agency", "reactivate", "000.00.00.H41"); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs = runDocgate(ctx, agencyEnv, "agency", "get", "000.00.00.H41"); code != 0 {
		t.Fatalf("reactivated: %q", errs)
	}

	// Another token, then revoke the first.
	code, out, errs = runDocgate(ctx, admin, "agency", "token", "000.00.00.H41", "--name", "dms")
	if code != 0 || !tokenLine.MatchString(lastLine(out)) {
		t.Fatalf("token: %d %q %s", code, out, errs)
	}
	second := lastLine(out)
	code, out, _ = runDocgate(ctx, admin, "agency", "tokens", "000.00.00.H41", "--json")
	var toks []struct{ ID, Name string }
	if code != 0 || json.Unmarshal([]byte(out), &toks) != nil || len(toks) != 2 || strings.Contains(out, agencyTok) {
		t.Fatalf("tokens: %d %s", code, out)
	}
	if code, _, errs = runDocgate(ctx, admin, "agency", "revoke-token", toks[0].ID); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs = runDocgate(ctx, agencyEnv, "agency", "list"); code != exitFailed || !strings.Contains(errs, "revoked") {
		t.Fatalf("revoked token: %d %q", code, errs)
	}
	if code, _, _ = runDocgate(ctx, map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": second}, "agency", "list"); code != 0 {
		t.Fatal("the second token stopped working")
	}

	// Restart over the same data: nothing lost, no new admin token.
	g.stop(t)
	if !strings.Contains(g.stderr.String(), "stopped") {
		t.Errorf("no clean-shutdown log line: %s", g.stderr)
	}
	g2 := startGateway(t, dir)
	if g2.admin != g.admin || strings.Contains(g2.stdout.String(), "dg_") {
		t.Fatalf("restart issued or printed an admin token: %q", g2.stdout)
	}
	if !strings.Contains(g2.stderr.String(), "admin token is in") {
		t.Errorf("restart does not say where the admin token is: %s", g2.stderr)
	}
	code, out, _ = runDocgate(ctx, map[string]string{"DOCGATE_SERVER": g2.url, "DOCGATE_TOKEN": second}, "agency", "list")
	if code != 0 || !strings.Contains(out, "000.01.00.H41") {
		t.Fatalf("after restart: %d %s", code, out)
	}
	g2.stop(t)

	// Without the file the database's admin token is kept, and no new one is
	// issued unless asked for.
	os.Rename(filepath.Join(dir, "admin.token"), filepath.Join(dir, "admin.token.old"))
	g3 := startGatewayArgs(t, dir, "--dev")
	if !strings.Contains(g3.stderr.String(), "not issuing another") || strings.Contains(g3.stdout.String(), "dg_") {
		t.Fatalf("no file, existing admin: %q %q", g3.stdout, g3.stderr)
	}
	g3.stop(t)
	g4 := startGatewayArgs(t, dir, "--dev", "--new-admin-token")
	if g4.admin == g.admin || !strings.Contains(g4.stdout.String(), g4.admin) {
		t.Fatalf("--new-admin-token: %q", g4.stdout)
	}
	res, err := http.Get(g4.url + "/readyz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("readyz after restart: %v %v", res, err)
	}
	res.Body.Close()
}

func writeTestCert(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Văn thư"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "agency.crt")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestClientUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	code, _, errs := runDocgate(context.Background(), map[string]string{"DOCGATE_TOKEN": "dg_x"},
		"agency", "list", "--server", "http://"+addr)
	if code != exitUsage || !strings.Contains(errs, "is the gateway running at http://"+addr) {
		t.Fatalf("%d %q", code, errs)
	}
	code, _, errs = runDocgate(context.Background(), map[string]string{}, "agency", "list")
	if code != exitUsage || !strings.Contains(errs, "DOCGATE_TOKEN") {
		t.Fatalf("no token: %d %q", code, errs)
	}
}

func TestAgencyUsage(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"agency"}, exitUsage, "Usage: docgate agency"},
		{[]string{"agency", "-h"}, exitOK, "revoke-token"},
		{[]string{"agency", "add", "-h"}, exitOK, "--code CODE --name NAME"},
		{[]string{"agency", "get", "-h"}, exitOK, "agency get CODE"},
		{[]string{"agency", "cert", "-h"}, exitOK, "--cert CRT"},
		{[]string{"agency", "add", "--name", "x"}, exitUsage, "--code and --name are required"},
		{[]string{"agency", "get"}, exitUsage, "exactly one agency code"},
		{[]string{"agency", "frobnicate"}, exitUsage, "unknown command"},
		{[]string{"serve", "-h"}, exitOK, "--database-url"},
	}
	for _, tc := range cases {
		code, out, errs := runDocgate(context.Background(), map[string]string{}, tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.want) {
			t.Errorf("%v: %d, want %d with %q; got %q", tc.args, code, tc.code, tc.want, out+errs)
		}
	}
}

func TestServeConfig(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string // "" = valid
	}{
		{"dev", nil, []string{"--dev"}, ""},
		{"production needs stores", nil, nil, "--database-url"},
		{"s3 without credentials", nil, []string{"--database-url", "postgres://x", "--s3-endpoint", "minio:9000", "--s3-bucket", "docs"}, "--s3-access-key"},
		{"s3 credentials from env", map[string]string{"DOCGATE_S3_ACCESS_KEY": "k", "DOCGATE_S3_SECRET_KEY": "s"},
			[]string{"--database-url", "postgres://x", "--s3-endpoint", "minio:9000", "--s3-bucket", "docs", "--token-key-file", "k"}, ""},
		{"production needs token key", map[string]string{"DOCGATE_S3_ACCESS_KEY": "k", "DOCGATE_S3_SECRET_KEY": "s"},
			[]string{"--database-url", "postgres://x", "--s3-endpoint", "minio:9000", "--s3-bucket", "docs"}, "--token-key-file"},
		{"endpoint with scheme", nil, []string{"--dev", "--s3-endpoint", "http://minio:9000", "--s3-bucket", "b", "--s3-access-key", "k", "--s3-secret-key", "s"}, "without a scheme"},
		{"bucket without endpoint", nil, []string{"--dev", "--s3-bucket", "b"}, "--s3-endpoint"},
		{"bad max body", nil, []string{"--dev", "--max-body", "0"}, "--max-body"},
		{"stray argument", nil, []string{"--dev", "extra"}, "unexpected argument"},
		{"code pattern", nil, []string{"--dev", "--agency-code-pattern", `^[A-Z0-9.]{5,20}$`}, ""},
		{"bad code pattern", nil, []string{"--dev", "--agency-code-pattern", `^([$`}, "--agency-code-pattern"},
		{"tls key without cert", nil, []string{"--dev", "--tls-key", "k.pem"}, "go together"},
		{"client ca without tls", nil, []string{"--dev", "--tls-client-ca", "ca.pem"}, "needs --tls-cert"},
		{"unanchored code pattern", nil, []string{"--dev", "--agency-code-pattern", `[A-Z]+`}, "anchored"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var errb bytes.Buffer
			e := &Env{Stdout: io.Discard, Stderr: &errb, Getenv: func(k string) string { return tc.env[k] }}
			c, err := parseServeConfig(e, tc.args)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				if c.AdminTokenFile == "" || c.TokenKeyFile == "" {
					t.Fatalf("defaults not filled: %+v", c)
				}
				return
			}
			var ee *exitError
			if err == nil || !asExit(err, &ee) || ee.code != exitUsage || !strings.Contains(ee.msg+errb.String(), tc.want) {
				t.Fatalf("got %v, want a usage error mentioning %q", err, tc.want)
			}
		})
	}
	// An explicit flag wins over the environment.
	e := &Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string {
		return map[string]string{"DOCGATE_ADDR": "0.0.0.0:9999", "DOCGATE_DATA": "/srv/docgate"}[k]
	}}
	c, err := parseServeConfig(e, []string{"--dev", "--addr", "127.0.0.1:1234"})
	if err != nil || c.Addr != "127.0.0.1:1234" || c.Data != "/srv/docgate" || c.AdminTokenFile != "/srv/docgate/admin.token" {
		t.Fatalf("%+v %v", c, err)
	}
}

func asExit(err error, target **exitError) bool {
	e, ok := err.(*exitError)
	*target = e
	return ok
}

// TestServeDrainsInFlight cancels serve while a request is running and checks
// that the request still completes.
func TestServeDrainsInFlight(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	release := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "done")
	})}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serveHTTP(ctx, srv, ln, 5*time.Second, slog.New(slog.DiscardHandler)) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		res, err := http.Get("http://" + ln.Addr().String())
		if err != nil {
			got <- result{err: err}
			return
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		got <- result{string(b), err}
	}()
	<-started
	cancel()
	// New connections are refused once shutdown began, while the old one runs.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 100*time.Millisecond)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-served:
		t.Fatalf("serve returned (%v) before the in-flight request finished", err)
	default:
	}
	close(release)
	if r := <-got; r.err != nil || r.body != "done" {
		t.Fatalf("in-flight request: %q %v", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// TestServeShutdownIgnoresSilentConnections: a connection that never sent a
// byte of a request (a load balancer's spare, a client's surplus dial) does
// not hold a shutdown up: http.Server would wait until it is 5 s old, past
// a shorter --shutdown-timeout, and serve would report requests cut off.
func TestServeShutdownIgnoresSilentConnections(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	g := startGatewayArgs(t, dir, "--dev", "--shutdown-timeout", "2s")
	c, err := net.Dial("tcp", strings.TrimPrefix(g.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// One request on another connection, so the server surely accepted the
	// silent one before the shutdown.
	httpGet(t, g.url+"/healthz")
	time.Sleep(50 * time.Millisecond)
	g.stop(t) // fails unless serve exits 0
}
