// Package sqlite implements gateway.Store on an SQLite file, for single-node
// deployments and `docgate serve --dev`. It uses modernc.org/sqlite, a pure-Go
// build of SQLite, so the binary needs no cgo.
//
// Writes go through one connection and begin with BEGIN IMMEDIATE, so writers
// in this process queue in Go instead of failing with SQLITE_BUSY, and a
// second process on the same file waits for the lock (busy_timeout) rather
// than deadlocking. Reads use a separate pool that WAL mode lets run beside
// the writer.
//
// Driver errors become gateway error codes here and nowhere else. This package
// must not import other adapters, read configuration, or log: it gets a path
// and returns errors.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"docgate/gateway"

	"docgate/storage/internal/migrations"
)

// Store is the SQLite metadata store.
type Store struct {
	// write has exactly one connection: SQLite allows one writer at a time,
	// and queueing for it in database/sql respects ctx, where SQLITE_BUSY
	// would not.
	write *sql.DB
	read  *sql.DB
}

var _ gateway.Store = (*Store)(nil)

// busyTimeout is how long a write waits for another process holding the file's
// write lock before it fails with EUNAVAILABLE.
const busyTimeout = 10 * time.Second

// Open opens (creating when missing) the database file at path and applies
// pending migrations. The directory must exist.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, gateway.Errorf(gateway.EINVALID, "sqlite: a database file path is required")
	}
	if strings.Contains(path, ":memory:") || strings.HasPrefix(path, "file:") {
		// The writer and the readers are separate connections: an in-memory
		// database would be a different, empty one on each.
		return nil, gateway.Errorf(gateway.EINVALID, "sqlite: %q is not a file path; give the path of a database file", path)
	}
	if strings.ContainsAny(path, "?#") {
		return nil, gateway.Errorf(gateway.EINVALID, "sqlite: database path %q must not contain '?' or '#'", path)
	}
	pragmas := url.Values{}
	for _, p := range []string{
		"busy_timeout(" + strconv.FormatInt(busyTimeout.Milliseconds(), 10) + ")",
		"foreign_keys(1)",
		"journal_mode(WAL)",
		// In WAL mode NORMAL loses at most the last transactions on power
		// loss, never consistency; FULL would fsync every commit.
		"synchronous(NORMAL)",
	} {
		pragmas.Add("_pragma", p)
	}
	writeDSN := url.Values{"_pragma": pragmas["_pragma"], "_txlock": {"immediate"}}
	write, err := sql.Open("sqlite", path+"?"+writeDSN.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxIdleTime(0)
	write.SetConnMaxLifetime(0)
	if err := migrate(ctx, write); err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}

	readDSN := url.Values{}
	readDSN["_pragma"] = append([]string{"query_only(1)"}, pragmas["_pragma"]...)
	read, err := sql.Open("sqlite", path+"?"+readDSN.Encode())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	read.SetMaxOpenConns(max(4, runtime.NumCPU()))
	if err := read.PingContext(ctx); err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, translate(err))
	}
	return &Store{write: write, read: read}, nil
}

// Close closes both connection pools.
func (s *Store) Close() error {
	return errors.Join(s.read.Close(), s.write.Close())
}

// Ping checks that the file can still be read. EUNAVAILABLE.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.read.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping sqlite: %w", unavailable(err))
	}
	return nil
}

// WithTx runs fn in a write transaction (BEGIN IMMEDIATE), committing when fn
// returns nil. It is the one way this package's methods write more than one
// statement; fn must do all its work through tx, since the writer connection
// is held until it returns.
func (s *Store) WithTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", translate(err))
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return translate(err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", translate(err))
	}
	return nil
}

// DB returns the read pool, for later parts of this store (documents, the audit
// log) that live in this package.
func (s *Store) DB() *sql.DB { return s.read }

//go:embed migrations/*.sql
var migrationFiles embed.FS

// loadMigrations returns the embedded migrations in version order.
func loadMigrations() ([]migrations.Migration, error) {
	return migrations.Load(migrationFiles, "migrations")
}

// migrate applies pending migrations in one write transaction. BEGIN
// IMMEDIATE takes the file's write lock first, so two processes starting on
// the same file apply each migration once.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", translate(err))
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY NOT NULL,
		name       TEXT NOT NULL,
		sha256     TEXT NOT NULL,
		applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", translate(err))
	}
	applied := map[int]string{}
	rows, err := tx.QueryContext(ctx, `SELECT version, sha256 FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("migrate: %w", translate(err))
	}
	for rows.Next() {
		var v int
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			rows.Close()
			return fmt.Errorf("migrate: %w", err)
		}
		applied[v] = sum
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range ms {
		if sum, ok := applied[m.Version]; ok {
			// A merged migration is never edited: a different digest means
			// this database was built from other SQL than this binary holds.
			if sum != m.Sum {
				return fmt.Errorf("migration %s was changed after it was applied to this database", m.Name)
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, sha256, applied_at)
			VALUES (?, ?, ?, ?)`, m.Version, m.Name, m.Sum, formatTime(time.Now())); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", translate(err))
	}
	return nil
}

// timeLayout is fixed-width so that stored times sort as text in time order;
// microseconds match the PostgreSQL store's precision.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

// now is the current time as the store keeps it.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

func isUnique(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func isForeignKey(err error) bool { return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY }

func isCheck(err error) bool { return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_CHECK }

// translate gives the driver errors every method shares their gateway codes:
// a lock held past busy_timeout is EUNAVAILABLE (retrying later may succeed).
// Constraint violations are left to the caller, which knows what they mean.
func translate(err error) error {
	// The low byte of an extended result code is its primary code.
	switch sqliteCode(err) & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return unavailable(err)
	}
	return err
}

// unavailable keeps the driver error in the chain for the logs while callers
// see EUNAVAILABLE.
func unavailable(err error) error {
	return fmt.Errorf("%w: %w", gateway.Errorf(gateway.EUNAVAILABLE, "the database is busy or unreachable; retry later"), err)
}
