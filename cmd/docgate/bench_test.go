package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// TestBench runs bench small against serve --dev in-process and checks
// that every document was submitted, fetched and acknowledged: the counts
// in the output and an empty inbox afterwards.
func TestBench(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	g := startGateway(t, dir)
	pki := filepath.Join(dir, "pki")
	work := t.TempDir()
	args, recipTok := benchArgs(t, g, pki, work)
	args = append(args, "--n", "5", "--size", "65536", "--concurrency", "2")
	var res benchResult
	out := mustRun(t, nil, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if res.N != 5 || res.Size < 60000 || res.Size > 70000 || len(res.Phases) != 3 {
		t.Fatalf("result: %s", out)
	}
	for i, name := range []string{"submit", "fetch+ack", "round-trip"} {
		p := res.Phases[i]
		if p.Phase != name || p.Docs != 5 || p.Errors != 0 || p.DocsPerS <= 0 || p.P50ms <= 0 || p.P99ms < p.P50ms {
			t.Errorf("phase %d: %+v", i, p)
		}
	}
	if rt, sub := res.Phases[2], res.Phases[0]; rt.P50ms <= sub.P50ms {
		t.Errorf("a round trip (%v ms) is no longer than its submit (%v ms)", rt.P50ms, sub.P50ms)
	}
	recipEnv := map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": strings.TrimSpace(readFile(t, recipTok))}
	var inbox struct{ Items []json.RawMessage }
	if err := json.Unmarshal([]byte(mustRun(t, recipEnv, "inbox", "--json")), &inbox); err != nil || len(inbox.Items) != 0 {
		t.Errorf("after the bench the inbox holds %d documents (%v); every one should be acknowledged", len(inbox.Items), err)
	}

	// The text form: one line per phase, key=value.
	text := mustRun(t, nil, args...)
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], "submit ") || !strings.Contains(lines[1], " docs=5 errors=0 ") {
		t.Fatalf("text output:\n%s", text)
	}

	// Fewer documents than the default --rounds: rounds only split the
	// baseline's comparison, so without --baseline that is fine.
	small := append(slices.Clone(args), "--n", "2")
	if text := mustRun(t, nil, small...); !strings.Contains(text, " docs=2 errors=0 ") {
		t.Fatalf("--n 2:\n%s", text)
	}

	wantExit(t, nil, exitUsage, "--baseline needs --s3-endpoint", append(args, "--baseline")...)
	wantExit(t, nil, exitUsage, "--cert and --key are required", args[:len(args)-10]...)
}

// benchArgs registers on g a sender, with a certificate the dev CA in pki
// issues, and a recipient, and returns the bench arguments that name them
// (without --n and the like) and the recipient's token file.
func benchArgs(t *testing.T, g *testGateway, pki, dir string) (args []string, recipTok string) {
	t.Helper()
	admin := map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": g.admin}
	const sender, recipient = "000.00.00.H41", "000.00.01.H41"
	cert := filepath.Join(dir, "sender")
	mustRun(t, nil, "ca", "issue", "--dir", pki, "--code", sender, "--name", "UBND tỉnh", "--out", cert)
	senderTok := filepath.Join(dir, "sender.token")
	recipTok = filepath.Join(dir, "recipient.token")
	os.WriteFile(senderTok, []byte(lastLine(mustRun(t, admin, "agency", "add", "--code", sender, "--name", "UBND tỉnh", "--cert", cert+".crt"))+"\n"), 0o600)
	os.WriteFile(recipTok, []byte(lastLine(mustRun(t, admin, "agency", "add", "--code", recipient, "--name", "Sở Nội vụ"))+"\n"), 0o600)
	return []string{"bench", "--server", g.url, "--token-file", senderTok, "--recipient-token-file", recipTok, "--to", recipient,
		"--cert", cert + ".crt", "--key", cert + ".key"}, recipTok
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBenchBaseline runs the bench against a production gateway
// (PostgreSQL + MinIO) with --baseline: the raw PUTs and the submissions
// go in alternating rounds over the same store, every document is counted
// once in each phase, and the raw objects are deleted afterwards.
func TestBenchBaseline(t *testing.T) {
	pe := productionEnv(t, "benchbase")
	dir := t.TempDir()
	pki := filepath.Join(dir, "pki")
	// The CA's revocation URLs point at the gateway, so its address comes first.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	mustRun(t, nil, "ca", "init", "--dir", pki, "--base-url", "http://"+addr)
	g := startGatewayArgs(t, filepath.Join(dir, "data"), append(pe.serveArgs(), "--addr", addr,
		"--token-key-file", mustTokenKeyFile(t, dir), "--pki-dir", pki)...)
	args, _ := benchArgs(t, g, pki, dir)
	args = append(args, "--n", "7", "--size", "65536", "--concurrency", "2",
		"--baseline", "--s3-endpoint", pe.endpoint, "--s3-bucket", pe.bucket, "--s3-access-key", pe.accessKey)
	env := map[string]string{"DOCGATE_S3_SECRET_KEY": pe.secretKey}
	var res benchResult
	out := mustRun(t, env, append(args, "--rounds", "3", "--json")...)
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(res.Phases) != 4 || res.SubmitOverPut <= 0 {
		t.Fatalf("result: %s", out)
	}
	for i, name := range []string{"submit", "fetch+ack", "round-trip", "put"} {
		p := res.Phases[i]
		if p.Phase != name || p.Docs != 7 || p.Errors != 0 || p.DocsPerS <= 0 || p.P99ms < p.P50ms {
			t.Errorf("phase %d: %+v", i, p)
		}
	}
	if got := res.Phases[0].DocsPerS / res.Phases[3].DocsPerS; got < res.SubmitOverPut*0.99 || got > res.SubmitOverPut*1.01 {
		t.Errorf("ratio %v, but submit/put is %v", res.SubmitOverPut, got)
	}
	mc, err := minio.New(pe.endpoint, &minio.Options{Creds: credentials.NewStaticV4(pe.accessKey, pe.secretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	for obj := range mc.ListObjects(t.Context(), pe.bucket, minio.ListObjectsOptions{Prefix: "docgate-bench-", Recursive: true}) {
		t.Errorf("raw object left after the bench: %s (%v)", obj.Key, obj.Err)
	}
	wantExit(t, env, exitUsage, "--rounds must be between 1 and --n", append(args, "--rounds", "8")...)
}
