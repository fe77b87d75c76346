package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"docgate/gateway"
)

// CreateToken stores a token; a zero CreatedAt is set to now. ECONFLICT (ID
// or hash), ENOTFOUND (agency), EINVALID (role, empty hash).
func (s *Store) CreateToken(ctx context.Context, t *gateway.Token) error {
	if err := validToken(t); err != nil {
		return err
	}
	created := t.CreatedAt.UTC().Truncate(time.Microsecond)
	if t.CreatedAt.IsZero() {
		created = now()
	}
	var revoked any
	if t.RevokedAt != nil {
		revoked = formatTime(*t.RevokedAt)
	}
	_, err := s.write.ExecContext(ctx, `INSERT INTO tokens (id, role, agency_code, name, hash, created_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.ID, string(t.Role), nullString(t.AgencyCode), t.Name, t.Hash, formatTime(created), revoked)
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

func scanToken(row rowScanner) (*gateway.Token, error) {
	var t gateway.Token
	var agency, revoked sql.NullString
	var created string
	if err := row.Scan(&t.ID, &t.Role, &agency, &t.Name, &t.Hash, &created, &revoked); err != nil {
		return nil, err
	}
	t.AgencyCode = agency.String
	var err error
	if t.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if revoked.Valid {
		at, err := parseTime(revoked.String)
		if err != nil {
			return nil, err
		}
		t.RevokedAt = &at
	}
	return &t, nil
}

// TokenByHash returns the token with this hash, revoked or not. ENOTFOUND.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*gateway.Token, error) {
	t, err := scanToken(s.read.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "no such token")
	} else if err != nil {
		return nil, fmt.Errorf("token by hash: %w", translate(err))
	}
	return t, nil
}

// Tokens lists the tokens of an agency ("" for tokens without one), oldest
// first.
func (s *Store) Tokens(ctx context.Context, agencyCode string) ([]*gateway.Token, error) {
	q := `SELECT ` + tokenColumns + ` FROM tokens WHERE agency_code = ? ORDER BY created_at, id`
	args := []any{agencyCode}
	if agencyCode == "" {
		q = `SELECT ` + tokenColumns + ` FROM tokens WHERE agency_code IS NULL ORDER BY created_at, id`
		args = nil
	}
	rows, err := s.read.QueryContext(ctx, q, args...)
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
	res, err := s.write.ExecContext(ctx, `UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`,
		formatTime(at), id)
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, translate(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	if n == 0 {
		return gateway.Errorf(gateway.ENOTFOUND, "token %s does not exist", id)
	}
	return nil
}
