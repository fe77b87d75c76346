package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"docgate/gateway"
	"docgate/storage/postgres"
	"docgate/storage/storetest"
)

const urlEnv = "DOCGATE_TEST_DATABASE_URL"

// freshSchema creates an empty schema, dropped when t ends, and returns a pool
// config whose connections use it alone: test packages running in parallel
// against one database never see each other's tables.
func freshSchema(t testing.TB) (*pgxpool.Config, string) {
	t.Helper()
	url := os.Getenv(urlEnv)
	if url == "" {
		t.Skip(urlEnv + " is not set; set it to a PostgreSQL URL such as " +
			"postgres://postgres@127.0.0.1:5432/test?sslmode=disable to test the PostgreSQL store")
	}
	var b [8]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin(t, url, `CREATE SCHEMA `+schema)
	t.Cleanup(func() { admin(t, url, `DROP SCHEMA `+schema+` CASCADE`) })

	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatalf("%s: %v", urlEnv, err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	// Small pools: many test stores share one server's connection limit.
	cfg.MaxConns = 4
	return cfg, schema
}

func admin(t testing.TB, url, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to %s: %v", urlEnv, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func mustOpen(t testing.TB, cfg *pgxpool.Config) *postgres.Store {
	t.Helper()
	s, err := postgres.OpenConfig(context.Background(), cfg.Copy())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	if os.Getenv(urlEnv) == "" {
		t.Skip(urlEnv + " is not set; set it to a PostgreSQL URL to test the PostgreSQL store")
	}
	storetest.TestStore(t, func(t *testing.T) gateway.Store {
		cfg, _ := freshSchema(t)
		return mustOpen(t, cfg)
	})
}

func migrationFiles(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".sql") {
			n++
		}
	}
	return n
}

func countMigrations(t *testing.T, s *postgres.Store) int {
	t.Helper()
	var n int
	if err := s.Pool().QueryRow(context.Background(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestConcurrentStart opens the store from several goroutines at once on an
// empty schema, as replicas starting together do: every open must succeed
// and each migration must be applied exactly once (a second CREATE TABLE
// would fail the open; a second record would show in schema_migrations).
func TestConcurrentStart(t *testing.T) {
	cfg, _ := freshSchema(t)
	const replicas = 6
	stores := make([]*postgres.Store, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cfg.Copy()
			c.MaxConns = 2
			stores[i], errs[i] = postgres.OpenConfig(context.Background(), c)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		t.FailNow()
	}
	if got, want := countMigrations(t, stores[0]), migrationFiles(t); got != want {
		t.Fatalf("schema_migrations has %d rows, want %d (one per file)", got, want)
	}
	// Every replica sees the one schema.
	a := &gateway.Agency{Code: "000.00.00.H41", Name: "province"}
	if err := stores[1].CreateAgency(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if _, err := stores[replicas-1].Agency(context.Background(), a.Code); err != nil {
		t.Fatalf("another replica: %v", err)
	}
}

// TestReopen: a restart finds its data and applies no migration twice.
func TestReopen(t *testing.T) {
	cfg, _ := freshSchema(t)
	s := mustOpen(t, cfg)
	a := &gateway.Agency{Code: "000.00.00.H41", Name: "province"}
	if err := s.CreateAgency(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = mustOpen(t, cfg)
	if _, err := s.Agency(context.Background(), a.Code); err != nil {
		t.Fatalf("after reopening: %v", err)
	}
	if got, want := countMigrations(t, s), migrationFiles(t); got != want {
		t.Fatalf("schema_migrations has %d rows after two opens, want %d", got, want)
	}
}

// TestEditedMigration: a database built from other SQL than the embedded
// migrations must not be opened.
func TestEditedMigration(t *testing.T) {
	cfg, _ := freshSchema(t)
	s := mustOpen(t, cfg)
	if _, err := s.Pool().Exec(context.Background(), `UPDATE schema_migrations SET sha256 = 'edited' WHERE version = 1`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := postgres.OpenConfig(context.Background(), cfg.Copy())
	if err == nil {
		s2.Close()
		t.Fatal("opened a database whose first migration was edited")
	}
	if !strings.Contains(err.Error(), "changed after it was applied") {
		t.Fatalf("unexpected error: %v", err)
	}
}

// TestWithTx: a failing transaction leaves nothing behind.
func TestWithTx(t *testing.T) {
	cfg, _ := freshSchema(t)
	s := mustOpen(t, cfg)
	ctx := context.Background()
	err := s.WithTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO agencies (code, name, created_at, updated_at) VALUES ('000.00.00.H41', 'x', now(), now())`); err != nil {
			return err
		}
		return gateway.Errorf(gateway.ECONFLICT, "stop")
	})
	if gateway.ErrorCode(err) != gateway.ECONFLICT {
		t.Fatalf("WithTx returned %v, want the function's error", err)
	}
	if _, err := s.Agency(ctx, "000.00.00.H41"); gateway.ErrorCode(err) != gateway.ENOTFOUND {
		t.Fatalf("a rolled-back insert is visible: %v", err)
	}
}

// TestUnreachable needs no database: nothing listens on port 1.
func TestUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := postgres.Open(ctx, "postgres://docgate@127.0.0.1:1/docgate?sslmode=disable&connect_timeout=2")
	if gateway.ErrorCode(err) != gateway.EUNAVAILABLE {
		t.Fatalf("open an unreachable database: got %v, want EUNAVAILABLE", err)
	}
	_, err = postgres.Open(ctx, "postgres://docgate:secret@127.0.0.1:notaport/docgate")
	if gateway.ErrorCode(err) != gateway.EINVALID {
		t.Fatalf("open a malformed URL: got %v, want EINVALID", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Fatalf("the error repeats the password: %v", err)
	}
}

func BenchmarkStore(b *testing.B) {
	storetest.BenchmarkStore(b, func(b *testing.B) gateway.Store {
		cfg, _ := freshSchema(b)
		return mustOpen(b, cfg)
	})
}
