package gateway

import (
	"context"
	"regexp"
	"strings"
	"time"
)

// AgencyStatus says whether an agency may send and receive.
type AgencyStatus string

const (
	AgencyActive    AgencyStatus = "active"
	AgencySuspended AgencyStatus = "suspended"
)

// Agency is a registered unit: a ministry, a province, a department or a
// smaller unit below one. Agencies form a tree through ParentCode.
type Agency struct {
	Code       string       `json:"code"`
	Name       string       `json:"name"`
	ParentCode string       `json:"parent,omitempty"`
	Webhook    string       `json:"webhook,omitempty"`
	Status     AgencyStatus `json:"status"`
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`
}

// agencyCodeShape is the identifier shape of QCVN 102:2016 (as amended):
// AAA.BB.CC.DDD, each level digits or an upper-case letter followed by
// digits (000.00.00.H41, 000.01.32.H41, G22.01.00.000 ...). The exact rules per
// level differ between regulations; AgencyCodeRule lets a deployment replace
// this one.
var agencyCodeShape = regexp.MustCompile(`^[0-9A-Z][0-9]{2}\.[0-9A-Z][0-9]\.[0-9A-Z][0-9]\.[0-9A-Z][0-9]{2}$`)

// AgencyCodeRule validates agency codes. The zero value applies the default
// hierarchical shape; Pattern replaces it when set.
type AgencyCodeRule struct {
	Pattern *regexp.Regexp
}

// Validate returns EINVALID with a message naming the expected shape.
func (r AgencyCodeRule) Validate(code string) error {
	re := r.Pattern
	if re == nil {
		re = agencyCodeShape
	}
	if code == "" {
		return Errorf(EINVALID, "agency code is required (shape AAA.BB.CC.DDD, e.g. 000.00.00.H41)")
	}
	if !re.MatchString(code) {
		return Errorf(EINVALID, "agency code %q does not have the shape AAA.BB.CC.DDD (e.g. 000.00.00.H41)", code)
	}
	return nil
}

// Validate checks an agency before it is stored: code shape, a name, and a
// parent that is not the agency itself. Whether the parent exists is the
// store's question (ENOTFOUND -> EINVALID at the use case).
func (a *Agency) Validate(rule AgencyCodeRule) error {
	if err := rule.Validate(a.Code); err != nil {
		return err
	}
	if strings.TrimSpace(a.Name) == "" {
		return Errorf(EINVALID, "agency name is required")
	}
	if err := CheckText("agency name", a.Name, 500); err != nil {
		return err
	}
	if a.ParentCode != "" {
		if err := rule.Validate(a.ParentCode); err != nil {
			return Errorf(EINVALID, "parent: %s", ErrorMessage(err))
		}
		if a.ParentCode == a.Code {
			return Errorf(EINVALID, "agency %s cannot be its own parent", a.Code)
		}
	}
	switch a.Status {
	case "", AgencyActive, AgencySuspended:
	default:
		return Errorf(EINVALID, "agency status must be %q or %q", AgencyActive, AgencySuspended)
	}
	return nil
}

// AgencyFilter selects agencies in a listing. Zero values select everything.
type AgencyFilter struct {
	ParentCode string
	Status     AgencyStatus
	After      string // keyset pagination: codes greater than this
	Limit      int    // 0 means the store's default (1000)
}

// AgencyCertificate is a certificate registered to an agency: signatures made
// with it count as the agency's, and TLS clients presenting it authenticate
// as the agency.
type AgencyCertificate struct {
	ID         int64     `json:"id"`
	AgencyCode string    `json:"agency"`
	SHA256     string    `json:"sha256"` // hex SHA-256 of the DER certificate
	Subject    string    `json:"subject"`
	NotBefore  time.Time `json:"not_before"`
	NotAfter   time.Time `json:"not_after"`
	DER        []byte    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
}

// AgencyStore keeps the agency registry.
type AgencyStore interface {
	// CreateAgency stores a new agency; CreatedAt/UpdatedAt are set by the
	// store. ECONFLICT if the code exists, ENOTFOUND if the parent does not.
	CreateAgency(ctx context.Context, a *Agency) error
	// Agency returns one agency. ENOTFOUND.
	Agency(ctx context.Context, code string) (*Agency, error)
	// Agencies lists agencies ordered by code.
	Agencies(ctx context.Context, f AgencyFilter) ([]*Agency, error)
	// UpdateAgency applies upd to the agency. ENOTFOUND.
	UpdateAgency(ctx context.Context, code string, upd AgencyUpdate) (*Agency, error)
	// AddAgencyCertificate registers a certificate. ENOTFOUND (agency),
	// ECONFLICT (the same certificate is registered already).
	AddAgencyCertificate(ctx context.Context, c *AgencyCertificate) error
	// AgencyCertificates lists an agency's certificates, oldest first.
	AgencyCertificates(ctx context.Context, code string) ([]*AgencyCertificate, error)
	// AgencyByCertificate finds the agency a certificate (hex SHA-256 of the
	// DER) is registered to. ENOTFOUND.
	AgencyByCertificate(ctx context.Context, sha256Hex string) (*Agency, error)
	// RemoveAgencyCertificate deletes the registration of a certificate (hex
	// SHA-256 of the DER) to an agency. ENOTFOUND when it is not registered
	// to code.
	RemoveAgencyCertificate(ctx context.Context, code, sha256Hex string) error
}

// AgencyUpdate changes some fields of an agency; nil fields stay as they are.
type AgencyUpdate struct {
	Name    *string
	Webhook *string
	Status  *AgencyStatus
}
