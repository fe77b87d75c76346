package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// TestServeProduction runs serve on PostgreSQL and S3, as in production,
// when ./scripts/test (or the developer) provides them.
func TestServeProduction(t *testing.T) {
	dbURL := os.Getenv("DOCGATE_TEST_DATABASE_URL")
	endpoint := os.Getenv("DOCGATE_TEST_S3_ENDPOINT")
	if dbURL == "" || endpoint == "" {
		t.Skip("DOCGATE_TEST_DATABASE_URL and DOCGATE_TEST_S3_* are not set; ./scripts/test sets them")
	}
	access, secret := os.Getenv("DOCGATE_TEST_S3_ACCESS_KEY"), os.Getenv("DOCGATE_TEST_S3_SECRET_KEY")
	var b [6]byte
	rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])

	// A schema of its own, so that this test never meets another's tables.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	schema := "serve_" + suffix
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	})
	sep := "?"
	if strings.Contains(dbURL, "?") {
		sep = "&"
	}
	bucket := "docgate-serve-" + suffix
	mc, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4(access, secret, "")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mc.RemoveBucket(context.Background(), bucket) })

	dir := t.TempDir()
	keyFile := filepath.Join(dir, "token.key")
	key := make([]byte, 32)
	rand.Read(key)
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(key)), 0o600); err != nil {
		t.Fatal(err)
	}
	g := startGatewayArgs(t, filepath.Join(dir, "data"),
		"--database-url", dbURL+sep+"search_path="+schema,
		"--s3-endpoint", endpoint, "--s3-bucket", bucket, "--s3-access-key", access, "--s3-secret-key", secret,
		"--token-key-file", keyFile)

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
	if strings.Contains(g.stderr.String(), secret) || strings.Contains(g.stderr.String(), g.admin) {
		t.Fatal("the log holds a secret")
	}
}
