package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "modernc.org/sqlite"

	"docgate/gateway"
	"docgate/storage/sqlite"
	"docgate/storage/storetest"
)

func mustOpen(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.TestStore(t, func(t *testing.T) gateway.Store {
		s := mustOpen(t, filepath.Join(t.TempDir(), "docgate.db"))
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestReopen writes, closes, opens the file again and reads: the data, and the
// migrations applied the first time, survive a restart.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "docgate.db")
	s := mustOpen(t, path)
	a := &gateway.Agency{Code: "000.00.00.H41", Name: "UBND tỉnh Nghệ An", Webhook: "https://dms.example"}
	if err := s.CreateAgency(ctx, a); err != nil {
		t.Fatal(err)
	}
	tok := &gateway.Token{ID: "t1", Role: gateway.RoleAgency, AgencyCode: a.Code, Hash: []byte{1, 2, 3}}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	s = mustOpen(t, path)
	defer s.Close()
	got, err := s.Agency(ctx, a.Code)
	if err != nil {
		t.Fatalf("agency after reopening: %v", err)
	}
	if got.Name != a.Name || got.Webhook != a.Webhook || !got.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("after reopening: got %+v, want %+v", got, a)
	}
	if _, err := s.TokenByHash(ctx, tok.Hash); err != nil {
		t.Fatalf("token after reopening: %v", err)
	}
	if got, want := countMigrations(t, path), migrationFiles(t); got != want {
		t.Fatalf("schema_migrations has %d rows after two opens, want %d (one per file)", got, want)
	}
}

// migrationFiles counts the migrations this binary embeds, so that adding
// one does not break the test.
func migrationFiles(tb testing.TB) int {
	tb.Helper()
	names, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil {
		tb.Fatal(err)
	}
	return len(names)
}

func countMigrations(tb testing.TB, path string) int {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestTwoStoresOneFile stands in for two processes on one file (a server and
// a CLI command): each Store has its own connections, so only the file lock
// orders their writes, and busy_timeout with BEGIN IMMEDIATE must keep every
// write from failing with SQLITE_BUSY.
func TestTwoStoresOneFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "docgate.db")
	stores := []*sqlite.Store{mustOpen(t, path), mustOpen(t, path)}
	for _, s := range stores {
		defer s.Close()
	}
	const each = 30
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < each; j++ {
				a := &gateway.Agency{Code: fmt.Sprintf("000.%02d.%02d.H41", i, j), Name: "unit"}
				if err := s.CreateAgency(ctx, a); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("write beside another store: %v", err)
	}
	as, err := stores[1].Agencies(ctx, gateway.AgencyFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 2*each {
		t.Fatalf("got %d agencies, want %d", len(as), 2*each)
	}
}

// TestEditedMigration: a database whose recorded migration digest differs
// from the embedded file was built from other SQL; opening it must fail
// rather than run on a schema the code does not expect.
func TestEditedMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "docgate.db")
	mustOpen(t, path).Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE schema_migrations SET sha256 = 'edited' WHERE version = 1`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := sqlite.Open(context.Background(), path)
	if err == nil {
		s.Close()
		t.Fatal("opened a database whose first migration was edited")
	}
	if !strings.Contains(err.Error(), "changed after it was applied") {
		t.Fatalf("unexpected error: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	for _, path := range []string{"", "a?b.db", ":memory:", "file:x.db?mode=memory"} {
		if _, err := sqlite.Open(context.Background(), path); gateway.ErrorCode(err) != gateway.EINVALID {
			t.Errorf("open %q: got %v, want EINVALID", path, err)
		}
	}
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "docgate.db")
	if s, err := sqlite.Open(context.Background(), missing); err == nil {
		s.Close()
		t.Errorf("open in a missing directory succeeded")
	}
}

func TestPingAfterClose(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "docgate.db"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(context.Background()); gateway.ErrorCode(err) != gateway.EUNAVAILABLE {
		t.Fatalf("ping after close: got %v, want EUNAVAILABLE", err)
	}
}

// TestReadThenWriteTx runs transactions that read before they write, from
// two stores on one file. A deferred transaction would take the read lock
// first and then fail at once with SQLITE_BUSY when upgrading to write beside
// another reader (the busy handler cannot help with that deadlock); WithTx
// must begin with the write lock instead.
func TestReadThenWriteTx(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "docgate.db")
	stores := []*sqlite.Store{mustOpen(t, path), mustOpen(t, path)}
	for _, s := range stores {
		defer s.Close()
	}
	const workers, each = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := stores[w%2]
			for range each {
				err := s.WithTx(ctx, func(tx *sql.Tx) error {
					var n int
					if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM agencies`).Scan(&n); err != nil {
						return err
					}
					_, err := tx.ExecContext(ctx, `INSERT INTO agencies (code, name, created_at, updated_at)
						VALUES (?, 'unit', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')`,
						fmt.Sprintf("000.00.%02d.H41", n))
					return err
				})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("read-then-write transaction: %v", err)
	}
	// Each transaction saw the count its predecessors left, so the codes are
	// 0..n-1 with none taken twice: the transactions were serialised.
	as, err := stores[0].Agencies(ctx, gateway.AgencyFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != workers*each {
		t.Fatalf("got %d agencies, want %d", len(as), workers*each)
	}
}

func BenchmarkStore(b *testing.B) {
	storetest.BenchmarkStore(b, func(b *testing.B) gateway.Store {
		s := mustOpen(b, filepath.Join(b.TempDir(), "docgate.db"))
		b.Cleanup(func() { s.Close() })
		return s
	})
}
