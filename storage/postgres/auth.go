package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"docgate/gateway"
)

// CreateToken stores a token; a zero CreatedAt is set to now. ECONFLICT (ID
// or hash), ENOTFOUND (agency), EINVALID (role, empty hash).
func (s *Store) CreateToken(ctx context.Context, t *gateway.Token) error {
	if err := validToken(t); err != nil {
		return err
	}
	created := dbTime(t.CreatedAt)
	if t.CreatedAt.IsZero() {
		created = now()
	}
	var revoked *time.Time
	if t.RevokedAt != nil {
		r := dbTime(*t.RevokedAt)
		revoked = &r
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO tokens (id, role, agency_code, name, hash, created_at, revoked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, string(t.Role), nullString(t.AgencyCode), t.Name, t.Hash, created, revoked)
	switch {
	case err == nil:
	case isUnique(err):
		return gateway.Errorf(gateway.ECONFLICT, "a token with ID %s or with the same secret exists already; issue a new one", t.ID)
	case isForeignKey(err):
		return gateway.Errorf(gateway.ENOTFOUND, "agency %s is not registered; register it before its tokens", t.AgencyCode)
	default:
		return fmt.Errorf("create token %s: %w", t.ID, translate(err))
	}
	t.CreatedAt = created
	return nil
}

// validToken checks what the schema would otherwise reject with a message no
// client could act on.
func validToken(t *gateway.Token) error {
	if t.ID == "" {
		return gateway.Errorf(gateway.EINVALID, "token ID is required")
	}
	if !t.Role.Valid() {
		return gateway.Errorf(gateway.EINVALID, "token role must be %q, %q or %q", gateway.RoleAdmin, gateway.RoleAgency, gateway.RoleAuditor)
	}
	if len(t.Hash) == 0 {
		return gateway.Errorf(gateway.EINVALID, "token hash is required")
	}
	return nil
}

const tokenColumns = `id, role, agency_code, name, hash, created_at, revoked_at`

func scanToken(row pgx.Row) (*gateway.Token, error) {
	var t gateway.Token
	var agency *string
	if err := row.Scan(&t.ID, &t.Role, &agency, &t.Name, &t.Hash, &t.CreatedAt, &t.RevokedAt); err != nil {
		return nil, err
	}
	if agency != nil {
		t.AgencyCode = *agency
	}
	t.CreatedAt = t.CreatedAt.UTC()
	if t.RevokedAt != nil {
		r := t.RevokedAt.UTC()
		t.RevokedAt = &r
	}
	return &t, nil
}

// TokenByHash returns the token with this hash, revoked or not. ENOTFOUND.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*gateway.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "no such token")
	} else if err != nil {
		return nil, fmt.Errorf("token by hash: %w", translate(err))
	}
	return t, nil
}

// Tokens lists the tokens of an agency ("" for tokens without one), oldest
// first.
func (s *Store) Tokens(ctx context.Context, agencyCode string) ([]*gateway.Token, error) {
	// Two statements rather than IS NOT DISTINCT FROM, which no index serves.
	q := `SELECT ` + tokenColumns + ` FROM tokens WHERE agency_code = $1 ORDER BY created_at, id`
	args := []any{agencyCode}
	if agencyCode == "" {
		q = `SELECT ` + tokenColumns + ` FROM tokens WHERE agency_code IS NULL ORDER BY created_at, id`
		args = nil
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("tokens of %q: %w", agencyCode, translate(err))
	}
	defer rows.Close()
	ts := []*gateway.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("tokens of %q: %w", agencyCode, err)
		}
		ts = append(ts, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tokens of %q: %w", agencyCode, translate(err))
	}
	return ts, nil
}

// RevokeToken marks a token revoked at the given time; a token revoked
// already keeps its first revocation time. ENOTFOUND.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1`, id, dbTime(at))
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, translate(err))
	}
	if tag.RowsAffected() == 0 {
		return gateway.Errorf(gateway.ENOTFOUND, "token %s does not exist", id)
	}
	return nil
}
