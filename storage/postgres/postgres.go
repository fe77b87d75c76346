// Package postgres implements gateway.Store on PostgreSQL through a pgx v5
// connection pool: the production metadata store, shared by any number of
// gateway replicas.
//
// Open applies the embedded migrations under an advisory lock, so replicas may
// start together. Driver errors become gateway error codes here and nowhere
// else. This package must not import other adapters, read configuration, or
// log: it gets a database URL (or a pool config) and returns errors.
//
// Later parts of the store (documents, deliveries, the audit log) belong in
// this package too, beside the methods here, using WithTx for anything that
// writes more than one statement.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"docgate/gateway"
)

// Store is the PostgreSQL metadata store.
type Store struct {
	pool *pgxpool.Pool
}

var _ gateway.Store = (*Store)(nil)

// Open connects to databaseURL (a postgres:// URL or key=value string),
// checks the connection and applies pending migrations. EINVALID (malformed
// URL), EUNAVAILABLE (database unreachable).
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		// The parse error may quote the URL, password included.
		return nil, gateway.Errorf(gateway.EINVALID, "database URL is malformed; expected postgres://user:password@host:5432/dbname")
	}
	return OpenConfig(ctx, cfg)
}

// OpenConfig is Open with a pool configuration the caller has adjusted (pool
// size, RuntimeParams such as search_path).
func OpenConfig(ctx context.Context, cfg *pgxpool.Config) (*Store, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", translate(err))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres %s/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Database, translate(err))
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres %s/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	return &Store{pool: pool}, nil
}

// Close closes the pool, waiting for connections in use to be returned.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks that the database answers. EUNAVAILABLE.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", unavailable(err))
	}
	return nil
}

// Pool returns the connection pool, for later parts of this store.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// WithTx runs fn in a transaction, committing when fn returns nil and rolling
// back otherwise. It is the one transaction helper of this package; helpers
// that fn calls take the tx so that they compose.
func (s *Store) WithTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	if err := pgx.BeginFunc(ctx, s.pool, fn); err != nil {
		return translate(err)
	}
	return nil
}

// now is the current time as the store keeps it: PostgreSQL's timestamptz
// holds microseconds, and returning more than is stored would make a value
// differ from itself after a round trip.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// dbTime prepares a caller's time for storage. pgx truncates to microseconds
// itself; doing it here keeps the rule in one visible place.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// SQLSTATE codes this package acts on
// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
	pgCheckViolation      = "23514"
)

func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func isUnique(err error) bool     { return pgCode(err) == pgUniqueViolation }
func isForeignKey(err error) bool { return pgCode(err) == pgForeignKeyViolation }
func isCheck(err error) bool      { return pgCode(err) == pgCheckViolation }

// translate gives the driver errors every method shares their gateway codes:
// anything that says the database could not be reached or is shutting down is
// EUNAVAILABLE (retrying later may succeed). Constraint violations and no-rows
// are left to the caller, which knows what they mean.
func translate(err error) error {
	if err == nil || gateway.ErrorCode(err) != gateway.EINTERNAL {
		return err
	}
	if code := pgCode(err); code != "" {
		switch {
		case strings.HasPrefix(code, "08"), // connection exception
			strings.HasPrefix(code, "53"),                     // insufficient resources (too many connections, disk full)
			code == "57P01", code == "57P02", code == "57P03", // shutdown, crash shutdown, cannot connect now
			code == "40001", code == "40P01": // serialization failure, deadlock: the retry is the client's
			return unavailable(err)
		case code == "22021", code == "22P05": // invalid UTF-8 or a NUL byte in text, \u0000 in jsonb
			return fmt.Errorf("%w: %w", gateway.Errorf(gateway.EINVALID, "text may contain neither NUL bytes nor invalid UTF-8"), err)
		}
		return err
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr), pgconn.Timeout(err),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, context.DeadlineExceeded):
		return unavailable(err)
	}
	return err
}

// unavailable keeps the driver error in the chain for the logs while callers
// see EUNAVAILABLE.
func unavailable(err error) error {
	return fmt.Errorf("%w: %w", gateway.Errorf(gateway.EUNAVAILABLE, "the database is unreachable or overloaded; retry later"), err)
}
