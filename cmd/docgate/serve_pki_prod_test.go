package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"docgate/certs/devca"
	"docgate/gateway/auditlog"
	"docgate/signing/tsp"
	"docgate/storage/postgres"
)

// TestServeProductionLogAndTSA runs serve on PostgreSQL and S3 with a
// production log key and TSA from files: the log lives in PostgreSQL, the
// public key is derived from the secret one, and no CA is served.
func TestServeProductionLogAndTSA(t *testing.T) {
	pe := productionEnv(t, "servelog")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	dir := t.TempDir()
	keyFile := mustTokenKeyFile(t, dir)
	skey, vkey, err := auditlog.GenerateKey(rand.Reader, "docgate.test.gov.vn/log")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "log.key"), []byte(skey+"\n"), 0o600)
	ca, err := devca.Init(filepath.Join(dir, "ca"), devca.Options{})
	if err != nil {
		t.Fatal(err)
	}

	g := startGatewayArgs(t, filepath.Join(dir, "data"), append(pe.serveArgs(),
		"--token-key-file", keyFile,
		"--log-key-file", filepath.Join(dir, "log.key"),
		"--tsa-cert", filepath.Join(ca.Dir(), devca.TSACertFile), "--tsa-key", filepath.Join(ca.Dir(), devca.TSAKeyFile),
		"--tsa-policy", "1.3.6.1.4.1.99999.7")...)

	if got := strings.TrimSpace(string(httpGet(t, g.url+"/v1/log/key"))); got != vkey {
		t.Fatalf("/v1/log/key %q, want the key derived from log.key %q", got, vkey)
	}
	res, err := http.Get(g.url + "/pki/crl")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("/pki/crl without a CA: %d", res.StatusCode)
	}

	// Leaves appended beside the gateway, as the exchange does, are in the
	// checkpoint it signs.
	store, err := postgres.Open(ctx, pe.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auditlog.NewLog(store.AuditLog(), signer).Append(ctx, auditRecord(0, "ev-"), auditRecord(1, "ev-")); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": g.admin}
	out, _ := mustAudit(t, env, exitOK, "audit", "checkpoint", "--key", vkey)
	if !strings.Contains(out, "size:   2") || !strings.Contains(out, "origin: docgate.test.gov.vn/log") {
		t.Fatalf("checkpoint: %s", out)
	}
	// The operator's recomputation on PostgreSQL, against the checkpoint
	// the gateway kept; then with a leaf rewritten behind its back.
	out, _ = mustAudit(t, nil, exitOK, "audit", "full", "--database-url", pe.dbURL, "--key", vkey)
	if !strings.Contains(out, "intact: the 2 stored leaves") {
		t.Fatalf("full: %s", out)
	}
	if _, err := pe.conn.Exec(ctx, "UPDATE "+pe.schema+".auditlog_leaves SET data = data || '\\x00'::bytea WHERE idx = 1"); err != nil {
		t.Fatal(err)
	}
	_, errs := mustAudit(t, nil, exitFailed, "audit", "full", "--database-url", pe.dbURL, "--key", vkey)
	if !strings.Contains(errs, "AUDIT FAILED: audit log leaf 1: stored data does not match its stored hash") {
		t.Fatalf("full after rewriting leaf 1: %s", errs)
	}

	digest := sha256.Sum256([]byte("văn bản"))
	token, err := (&tsp.Client{URL: g.url + "/tsa"}).Timestamp(ctx, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	v, err := tsp.VerifyToken(token, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if v.Info.Policy.String() != "1.3.6.1.4.1.99999.7" {
		t.Fatalf("token policy %s, want --tsa-policy's", v.Info.Policy)
	}
}
