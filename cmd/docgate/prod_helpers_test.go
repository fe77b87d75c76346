package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// prodEnv is what a test of serve in production mode runs on: a PostgreSQL
// schema and an S3 bucket of its own on the services ./scripts/test starts,
// so that it never meets another test's tables or objects.
type prodEnv struct {
	dbURL  string    // DOCGATE_TEST_DATABASE_URL with search_path set to schema
	schema string    // fresh, dropped in Cleanup
	conn   *pgx.Conn // outside the gateway, open until Cleanup

	endpoint, accessKey, secretKey string
	bucket                         string // fresh (serve creates it), removed in Cleanup; "" without S3
}

// productionEnv skips t unless DOCGATE_TEST_DATABASE_URL and DOCGATE_TEST_S3_*
// are set, and gives it a schema and a bucket of its own named after name (a
// lowercase word, valid in both).
func productionEnv(t *testing.T, name string) prodEnv {
	t.Helper()
	if os.Getenv("DOCGATE_TEST_DATABASE_URL") == "" || os.Getenv("DOCGATE_TEST_S3_ENDPOINT") == "" {
		t.Skip("DOCGATE_TEST_DATABASE_URL and DOCGATE_TEST_S3_* are not set; ./scripts/test sets them")
	}
	return newProdEnv(t, name)
}

// productionDatabase is productionEnv for a test that needs only PostgreSQL:
// it skips t unless DOCGATE_TEST_DATABASE_URL is set, and adds a bucket only
// when DOCGATE_TEST_S3_* are set too.
func productionDatabase(t *testing.T, name string) prodEnv {
	t.Helper()
	if os.Getenv("DOCGATE_TEST_DATABASE_URL") == "" {
		t.Skip("DOCGATE_TEST_DATABASE_URL is not set; ./scripts/test sets it")
	}
	return newProdEnv(t, name)
}

func newProdEnv(t *testing.T, name string) prodEnv {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	dbURL := os.Getenv("DOCGATE_TEST_DATABASE_URL")
	e := prodEnv{schema: name + "_" + suffix}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+e.schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP SCHEMA "+e.schema+" CASCADE") })
	e.conn = conn
	sep := "?"
	if strings.Contains(dbURL, "?") {
		sep = "&"
	}
	e.dbURL = dbURL + sep + "search_path=" + e.schema

	e.endpoint = os.Getenv("DOCGATE_TEST_S3_ENDPOINT")
	if e.endpoint == "" {
		return e
	}
	e.accessKey, e.secretKey = os.Getenv("DOCGATE_TEST_S3_ACCESS_KEY"), os.Getenv("DOCGATE_TEST_S3_SECRET_KEY")
	e.bucket = "docgate-" + name + "-" + suffix
	mc, err := minio.New(e.endpoint, &minio.Options{Creds: credentials.NewStaticV4(e.accessKey, e.secretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		mc.RemoveBucketWithOptions(context.Background(), e.bucket, minio.RemoveBucketOptions{ForceDelete: true})
	})
	return e
}

// serveArgs are the serve flags that put the gateway on e's schema and, when
// e has one, its bucket.
func (e prodEnv) serveArgs() []string {
	args := []string{"--database-url", e.dbURL}
	if e.bucket != "" {
		args = append(args, "--s3-endpoint", e.endpoint, "--s3-bucket", e.bucket,
			"--s3-access-key", e.accessKey, "--s3-secret-key", e.secretKey)
	}
	return args
}

// mustTokenKeyFile writes a random token key, hex-encoded as serve reads it,
// to dir/token.key and returns its path: replicas that share it accept one
// another's tokens.
func mustTokenKeyFile(tb testing.TB, dir string) string {
	tb.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	path := filepath.Join(dir, "token.key")
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}
