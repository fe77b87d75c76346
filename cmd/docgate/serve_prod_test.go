package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeProduction runs serve on PostgreSQL and S3, as in production,
// when ./scripts/test (or the developer) provides them.
func TestServeProduction(t *testing.T) {
	pe := productionEnv(t, "serve")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	dir := t.TempDir()
	g := startGatewayArgs(t, filepath.Join(dir, "data"),
		append(pe.serveArgs(), "--token-key-file", mustTokenKeyFile(t, dir))...)

	env := map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": g.admin}
	code, out, errs := runDocgate(ctx, env, "agency", "add", "--code", "000.00.00.H41", "--name", "Nghệ An")
	if code != 0 || !tokenLine.MatchString(lastLine(out)) {
		t.Fatalf("agency add: %d %s %s", code, out, errs)
	}
	res, err := http.Get(g.url + "/readyz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", res, err)
	}
	res.Body.Close()
	g.stop(t)
	// Production logs are JSON, one object a line, and never hold secrets.
	for _, l := range strings.Split(strings.TrimSpace(g.stderr.String()), "\n") {
		if !json.Valid([]byte(l)) {
			t.Fatalf("log line is not JSON: %q", l)
		}
	}
	for _, want := range []string{`"msg":"database: PostgreSQL"`, `"msg":"blob store: S3"`} {
		if !strings.Contains(g.stderr.String(), want) {
			t.Errorf("serve did not log %s", want)
		}
	}
	if strings.Contains(g.stderr.String(), pe.secretKey) || strings.Contains(g.stderr.String(), g.admin) {
		t.Fatal("the log holds a secret")
	}
}
