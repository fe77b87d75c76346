package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"docgate/gateway"
)

// Listing bounds for Agencies: the default keeps an unbounded request cheap,
// the maximum keeps one response of a national registry within reason.
const (
	defaultAgencyLimit = 1000
	maxAgencyLimit     = 10000
)

// CreateAgency stores a new agency. ECONFLICT, ENOTFOUND (parent).
func (s *Store) CreateAgency(ctx context.Context, a *gateway.Agency) error {
	status := a.Status
	if status == "" {
		status = gateway.AgencyActive
	}
	if err := validStatus(status); err != nil {
		return err
	}
	at := now()
	_, err := s.pool.Exec(ctx, `INSERT INTO agencies (code, name, parent_code, webhook, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)`,
		a.Code, a.Name, nullString(a.ParentCode), a.Webhook, string(status), at)
	switch {
	case err == nil:
	case isUnique(err):
		return gateway.Errorf(gateway.ECONFLICT, "agency %s is registered already", a.Code)
	case isForeignKey(err):
		return gateway.Errorf(gateway.ENOTFOUND, "parent agency %s is not registered; register it first", a.ParentCode)
	default:
		return fmt.Errorf("create agency %s: %w", a.Code, translate(err))
	}
	a.Status, a.CreatedAt, a.UpdatedAt = status, at, at
	return nil
}

func validStatus(st gateway.AgencyStatus) error {
	if st != gateway.AgencyActive && st != gateway.AgencySuspended {
		return gateway.Errorf(gateway.EINVALID, "agency status must be %q or %q", gateway.AgencyActive, gateway.AgencySuspended)
	}
	return nil
}

const agencyColumns = `code, name, parent_code, webhook, status, created_at, updated_at`

func scanAgency(row pgx.Row) (*gateway.Agency, error) {
	var a gateway.Agency
	var parent *string
	if err := row.Scan(&a.Code, &a.Name, &parent, &a.Webhook, &a.Status, &a.CreatedAt, &a.UpdatedAt); err != nil {
		return nil, err
	}
	if parent != nil {
		a.ParentCode = *parent
	}
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return &a, nil
}

// Agency returns one agency. ENOTFOUND.
func (s *Store) Agency(ctx context.Context, code string) (*gateway.Agency, error) {
	a, err := scanAgency(s.pool.QueryRow(ctx, `SELECT `+agencyColumns+` FROM agencies WHERE code = $1`, code))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "agency %s is not registered", code)
	} else if err != nil {
		return nil, fmt.Errorf("agency %s: %w", code, translate(err))
	}
	return a, nil
}

// Agencies lists agencies ordered by code. EINVALID (limit out of range).
func (s *Store) Agencies(ctx context.Context, f gateway.AgencyFilter) ([]*gateway.Agency, error) {
	limit, err := agencyLimit(f.Limit)
	if err != nil {
		return nil, err
	}
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.ParentCode != "" {
		add("parent_code = $%d", f.ParentCode)
	}
	if f.Status != "" {
		add("status = $%d", string(f.Status))
	}
	if f.After != "" {
		add("code > $%d", f.After)
	}
	q := `SELECT ` + agencyColumns + ` FROM agencies`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, limit)
	q += fmt.Sprintf(` ORDER BY code LIMIT $%d`, len(args))

	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list agencies: %w", translate(err))
	}
	defer rows.Close()
	as := []*gateway.Agency{}
	for rows.Next() {
		a, err := scanAgency(rows)
		if err != nil {
			return nil, fmt.Errorf("list agencies: %w", err)
		}
		as = append(as, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list agencies: %w", translate(err))
	}
	return as, nil
}

func agencyLimit(n int) (int, error) {
	switch {
	case n == 0:
		return defaultAgencyLimit, nil
	case n < 0 || n > maxAgencyLimit:
		return 0, gateway.Errorf(gateway.EINVALID, "limit must be between 1 and %d (0 for the default of %d)",
			maxAgencyLimit, defaultAgencyLimit)
	}
	return n, nil
}

// UpdateAgency applies upd and returns the agency as stored. ENOTFOUND,
// EINVALID (unknown status). An empty update changes nothing, not even
// UpdatedAt.
func (s *Store) UpdateAgency(ctx context.Context, code string, upd gateway.AgencyUpdate) (*gateway.Agency, error) {
	if upd.Name == nil && upd.Webhook == nil && upd.Status == nil {
		return s.Agency(ctx, code)
	}
	var status *string
	if upd.Status != nil {
		if err := validStatus(*upd.Status); err != nil {
			return nil, err
		}
		st := string(*upd.Status)
		status = &st
	}
	a, err := scanAgency(s.pool.QueryRow(ctx, `UPDATE agencies SET
			name = coalesce($2, name),
			webhook = coalesce($3, webhook),
			status = coalesce($4, status),
			updated_at = $5
		WHERE code = $1
		RETURNING `+agencyColumns,
		code, upd.Name, upd.Webhook, status, now()))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, gateway.Errorf(gateway.ENOTFOUND, "agency %s is not registered", code)
	case isCheck(err):
		return nil, fmt.Errorf("%w: %w", gateway.Errorf(gateway.EINVALID, "agency %s: the update breaks a rule of the registry (status must be active or suspended)", code), err)
	case err != nil:
		return nil, fmt.Errorf("update agency %s: %w", code, translate(err))
	}
	return a, nil
}

// AddAgencyCertificate registers a certificate, setting c.ID and c.CreatedAt.
// An empty c.SHA256 is computed from c.DER. ENOTFOUND (agency), ECONFLICT,
// EINVALID (digest does not match the DER).
func (s *Store) AddAgencyCertificate(ctx context.Context, c *gateway.AgencyCertificate) error {
	sum, err := certDigest(c)
	if err != nil {
		return err
	}
	at := now()
	var id int64
	err = s.pool.QueryRow(ctx, `INSERT INTO agency_certificates
			(agency_code, sha256, subject, not_before, not_after, der, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		RETURNING id`,
		c.AgencyCode, sum, c.Subject, dbTime(c.NotBefore), dbTime(c.NotAfter), c.DER, at).Scan(&id)
	switch {
	case err == nil:
	case isUnique(err):
		return gateway.Errorf(gateway.ECONFLICT, "certificate %s is registered already", sum)
	case isForeignKey(err):
		return gateway.Errorf(gateway.ENOTFOUND, "agency %s is not registered; register it before its certificates", c.AgencyCode)
	default:
		return fmt.Errorf("add certificate of %s: %w", c.AgencyCode, translate(err))
	}
	c.ID, c.SHA256, c.CreatedAt = id, sum, at
	return nil
}

// certDigest returns the lower-case hex SHA-256 that identifies c, checking a
// given one against the DER so that a lookup by digest finds this certificate.
func certDigest(c *gateway.AgencyCertificate) (string, error) {
	if len(c.DER) == 0 {
		return "", gateway.Errorf(gateway.EINVALID, "certificate of %s: the DER bytes are required", c.AgencyCode)
	}
	sum := sha256.Sum256(c.DER)
	computed := hex.EncodeToString(sum[:])
	if c.SHA256 != "" && strings.ToLower(c.SHA256) != computed {
		return "", gateway.Errorf(gateway.EINVALID, "certificate of %s: sha256 %s does not match its DER (%s)",
			c.AgencyCode, c.SHA256, computed)
	}
	return computed, nil
}

// AgencyCertificates lists an agency's certificates, oldest first; none (not
// an error) for an unknown agency.
func (s *Store) AgencyCertificates(ctx context.Context, code string) ([]*gateway.AgencyCertificate, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, agency_code, sha256, subject, not_before, not_after, der, created_at
		FROM agency_certificates WHERE agency_code = $1 ORDER BY id`, code)
	if err != nil {
		return nil, fmt.Errorf("certificates of %s: %w", code, translate(err))
	}
	defer rows.Close()
	cs := []*gateway.AgencyCertificate{}
	for rows.Next() {
		var c gateway.AgencyCertificate
		if err := rows.Scan(&c.ID, &c.AgencyCode, &c.SHA256, &c.Subject, &c.NotBefore, &c.NotAfter, &c.DER, &c.CreatedAt); err != nil {
			return nil, fmt.Errorf("certificates of %s: %w", code, err)
		}
		c.NotBefore, c.NotAfter, c.CreatedAt = c.NotBefore.UTC(), c.NotAfter.UTC(), c.CreatedAt.UTC()
		cs = append(cs, &c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("certificates of %s: %w", code, translate(err))
	}
	return cs, nil
}

// AgencyByCertificate finds the agency a certificate is registered to.
// ENOTFOUND.
func (s *Store) AgencyByCertificate(ctx context.Context, sha256Hex string) (*gateway.Agency, error) {
	sum := strings.ToLower(sha256Hex)
	a, err := scanAgency(s.pool.QueryRow(ctx, `SELECT a.code, a.name, a.parent_code, a.webhook, a.status, a.created_at, a.updated_at
		FROM agency_certificates c JOIN agencies a ON a.code = c.agency_code
		WHERE c.sha256 = $1`, sum))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "certificate %s is not registered to any agency", sum)
	} else if err != nil {
		return nil, fmt.Errorf("agency by certificate %s: %w", sum, translate(err))
	}
	return a, nil
}

// nullString stores "" as NULL, for optional references.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// RemoveAgencyCertificate deletes a certificate's registration. ENOTFOUND.
func (s *Store) RemoveAgencyCertificate(ctx context.Context, code, sha256Hex string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM agency_certificates WHERE agency_code = $1 AND sha256 = $2`, code, strings.ToLower(sha256Hex))
	if err != nil {
		return fmt.Errorf("remove certificate %s of %s: %w", sha256Hex, code, translate(err))
	}
	if tag.RowsAffected() == 0 {
		return gateway.Errorf(gateway.ENOTFOUND, "certificate %s is not registered to agency %s", sha256Hex, code)
	}
	return nil
}
