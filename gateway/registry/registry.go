// Package registry holds the use cases of the agency registry and of API
// credentials: registering agencies and their certificates, issuing, listing
// and revoking bearer tokens, and turning a presented token into a
// gateway.Principal.
//
// It decides who may do what (the roles of gateway.Principal) so that every
// transport gets the same rules. It must not know about HTTP, flags or files:
// the transport authenticates with Authenticate, puts the principal in the
// context and calls the use cases; cmd/docgate hands in the store and the key.
package registry

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"docgate/gateway"
)

// TokenPrefix starts every docgate API token, so that a leaked secret is easy
// to recognise (and to scan for) and a wrong credential fails before any
// lookup.
const TokenPrefix = "dg_"

// secretBytes is the entropy of a token: 32 random bytes, base64url without
// padding (43 characters).
const secretBytes = 32

var tokenLen = len(TokenPrefix) + (secretBytes*8+5)/6 // base64url without padding

// MinKeySize is the smallest HMAC key accepted for hashing tokens.
const MinKeySize = 32

// MaxCertificateSize bounds a registered certificate (PEM or DER).
const MaxCertificateSize = 64 << 10

// Store is what the registry needs of the metadata store.
type Store interface {
	gateway.AgencyStore
	gateway.TokenStore
}

// Service runs the registry use cases. Create it with New.
type Service struct {
	store    Store
	key      []byte
	codeRule gateway.AgencyCodeRule
	now      func() time.Time
	rand     io.Reader
}

// Option changes a Service's defaults.
type Option func(*Service)

// WithCodeRule replaces the default agency code shape.
func WithCodeRule(r gateway.AgencyCodeRule) Option { return func(s *Service) { s.codeRule = r } }

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// New returns a Service over store. key is the server secret that token
// hashes are keyed with: a stolen database alone does not let anyone check
// guesses against the hashes, and an HMAC (unlike bcrypt) costs one hash per
// request, which matters because every API call authenticates.
func New(store Store, key []byte, opts ...Option) (*Service, error) {
	if len(key) < MinKeySize {
		return nil, fmt.Errorf("token key is %d bytes; at least %d are needed", len(key), MinKeySize)
	}
	s := &Service{store: store, key: append([]byte(nil), key...), now: time.Now, rand: rand.Reader}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// CodeRule returns the agency code rule in force.
func (s *Service) CodeRule() gateway.AgencyCodeRule { return s.codeRule }

// IssuedToken is a token just issued: the stored record and, this one time,
// its secret.
type IssuedToken struct {
	gateway.Token
	Secret string `json:"token"`
}

// require returns the caller if it has one of roles: EUNAUTHORIZED without a
// principal, EFORBIDDEN with the wrong role.
func require(ctx context.Context, roles ...gateway.Role) (*gateway.Principal, error) {
	p := gateway.PrincipalFromContext(ctx)
	if p == nil {
		return nil, gateway.Errorf(gateway.EUNAUTHORIZED, "authentication required")
	}
	for _, r := range roles {
		if p.Role == r {
			return p, nil
		}
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return nil, gateway.Errorf(gateway.EFORBIDDEN, "this needs the %s role; the caller is %s", strings.Join(names, " or "), p.Role)
}

// anyone is every role: reading the registry needs only a valid credential.
var anyone = []gateway.Role{gateway.RoleAdmin, gateway.RoleAgency, gateway.RoleAuditor}

// NewAgency is a request to register an agency.
type NewAgency struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	Parent      string `json:"parent,omitempty"`
	Webhook     string `json:"webhook,omitempty"`
	Certificate string `json:"certificate,omitempty"` // PEM, optional
}

// CreatedAgency is a registered agency with its first token.
type CreatedAgency struct {
	Agency      *gateway.Agency            `json:"agency"`
	Token       *IssuedToken               `json:"token"`
	Certificate *gateway.AgencyCertificate `json:"certificate,omitempty"`
}

// CreateAgency registers an agency and issues its first token (admin only).
// EINVALID (shape, unknown parent, bad certificate), ECONFLICT (code taken).
func (s *Service) CreateAgency(ctx context.Context, req NewAgency) (*CreatedAgency, error) {
	if _, err := require(ctx, gateway.RoleAdmin); err != nil {
		return nil, err
	}
	a := &gateway.Agency{Code: req.Code, Name: strings.TrimSpace(req.Name), ParentCode: req.Parent,
		Webhook: req.Webhook, Status: gateway.AgencyActive}
	if err := a.Validate(s.codeRule); err != nil {
		return nil, err
	}
	if err := validateWebhook(a.Webhook); err != nil {
		return nil, err
	}
	// Parse the certificate before anything is written, so that a bad one
	// leaves no half-registered agency behind.
	var cert *gateway.AgencyCertificate
	if req.Certificate != "" {
		c, err := parseCertificate([]byte(req.Certificate))
		if err != nil {
			return nil, err
		}
		// A certificate registered to another agency would be refused
		// after the agency and its token were stored: ask first.
		if other, err := s.store.AgencyByCertificate(ctx, c.SHA256); err == nil {
			return nil, gateway.Errorf(gateway.ECONFLICT, "certificate %s is registered already, to agency %s", c.SHA256, other.Code)
		} else if gateway.ErrorCode(err) != gateway.ENOTFOUND {
			return nil, fmt.Errorf("look up certificate %s: %w", c.SHA256, err)
		}
		cert = c
	}
	if a.ParentCode != "" {
		if _, err := s.store.Agency(ctx, a.ParentCode); gateway.ErrorCode(err) == gateway.ENOTFOUND {
			return nil, gateway.Errorf(gateway.EINVALID, "parent agency %s is not registered", a.ParentCode)
		} else if err != nil {
			return nil, fmt.Errorf("look up parent %s: %w", a.ParentCode, err)
		}
	}
	if err := s.store.CreateAgency(ctx, a); err != nil {
		switch gateway.ErrorCode(err) {
		case gateway.ECONFLICT:
			return nil, gateway.Errorf(gateway.ECONFLICT, "agency %s is registered already", a.Code)
		case gateway.ENOTFOUND: // the parent vanished between the check and the insert
			return nil, gateway.Errorf(gateway.EINVALID, "parent agency %s is not registered", a.ParentCode)
		}
		return nil, fmt.Errorf("create agency %s: %w", a.Code, err)
	}
	out := &CreatedAgency{Agency: a}
	if cert != nil {
		// Before the token: should this fail (another registration took
		// the certificate meanwhile), no live credential nobody saw is left.
		cert.AgencyCode = a.Code
		if err := s.store.AddAgencyCertificate(ctx, cert); err != nil {
			return nil, fmt.Errorf("agency %s was registered, but not its certificate (register it with `docgate agency cert`, then issue a token): %w", a.Code, err)
		}
		out.Certificate = cert
	}
	tok, err := s.issue(ctx, gateway.RoleAgency, a.Code, "initial")
	if err != nil {
		return nil, fmt.Errorf("issue first token of %s: %w", a.Code, err)
	}
	out.Token = tok
	return out, nil
}

// validateWebhook accepts an absolute http(s) URL, or nothing.
func validateWebhook(v string) error {
	if v == "" {
		return nil
	}
	if len(v) > 2000 {
		return gateway.Errorf(gateway.EINVALID, "webhook is longer than 2000 bytes")
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return gateway.Errorf(gateway.EINVALID, "webhook must be an absolute http or https URL, got %q", v)
	}
	if u.User != nil {
		return gateway.Errorf(gateway.EINVALID, "webhook must not carry credentials in the URL")
	}
	return nil
}

// Agency returns one agency (any authenticated caller). ENOTFOUND.
func (s *Service) Agency(ctx context.Context, code string) (*gateway.Agency, error) {
	if _, err := require(ctx, anyone...); err != nil {
		return nil, err
	}
	if err := s.codeRule.Validate(code); err != nil {
		return nil, err
	}
	a, err := s.store.Agency(ctx, code)
	if gateway.ErrorCode(err) == gateway.ENOTFOUND {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "agency %s is not registered", code)
	}
	return a, err
}

// MaxPage is the largest page of agencies returned at once.
const MaxPage = 1000

// Agencies lists agencies ordered by code (any authenticated caller). next is
// the value to pass as f.After for the following page, "" on the last one.
func (s *Service) Agencies(ctx context.Context, f gateway.AgencyFilter) (list []*gateway.Agency, next string, err error) {
	if _, err := require(ctx, anyone...); err != nil {
		return nil, "", err
	}
	if f.Limit < 0 {
		return nil, "", gateway.Errorf(gateway.EINVALID, "limit must not be negative")
	}
	if f.Limit == 0 || f.Limit > MaxPage {
		f.Limit = MaxPage
	}
	switch f.Status {
	case "", gateway.AgencyActive, gateway.AgencySuspended:
	default:
		return nil, "", gateway.Errorf(gateway.EINVALID, "status must be %q or %q", gateway.AgencyActive, gateway.AgencySuspended)
	}
	if f.ParentCode != "" {
		if err := s.codeRule.Validate(f.ParentCode); err != nil {
			return nil, "", gateway.Errorf(gateway.EINVALID, "parent: %s", gateway.ErrorMessage(err))
		}
	}
	limit := f.Limit
	f.Limit++ // one more than asked tells whether another page follows
	list, err = s.store.Agencies(ctx, f)
	if err != nil {
		return nil, "", fmt.Errorf("list agencies: %w", err)
	}
	if len(list) > limit {
		list = list[:limit]
		next = list[limit-1].Code
	}
	return list, next, nil
}

// AgencyChange is a request to change an agency; nil fields stay.
type AgencyChange struct {
	Name    *string               `json:"name,omitempty"`
	Webhook *string               `json:"webhook,omitempty"`
	Status  *gateway.AgencyStatus `json:"status,omitempty"`
}

// UpdateAgency changes name, webhook or status (admin only). EINVALID,
// ENOTFOUND.
func (s *Service) UpdateAgency(ctx context.Context, code string, c AgencyChange) (*gateway.Agency, error) {
	if _, err := require(ctx, gateway.RoleAdmin); err != nil {
		return nil, err
	}
	if err := s.codeRule.Validate(code); err != nil {
		return nil, err
	}
	if c.Name == nil && c.Webhook == nil && c.Status == nil {
		return nil, gateway.Errorf(gateway.EINVALID, "nothing to change: give name, webhook or status")
	}
	if c.Name != nil {
		n := strings.TrimSpace(*c.Name)
		if n == "" {
			return nil, gateway.Errorf(gateway.EINVALID, "agency name must not be empty")
		}
		if len(n) > 500 {
			return nil, gateway.Errorf(gateway.EINVALID, "agency name is longer than 500 bytes")
		}
		c.Name = &n
	}
	if c.Webhook != nil {
		if err := validateWebhook(*c.Webhook); err != nil {
			return nil, err
		}
	}
	if c.Status != nil && *c.Status != gateway.AgencyActive && *c.Status != gateway.AgencySuspended {
		return nil, gateway.Errorf(gateway.EINVALID, "status must be %q or %q", gateway.AgencyActive, gateway.AgencySuspended)
	}
	a, err := s.store.UpdateAgency(ctx, code, gateway.AgencyUpdate{Name: c.Name, Webhook: c.Webhook, Status: c.Status})
	if gateway.ErrorCode(err) == gateway.ENOTFOUND {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "agency %s is not registered", code)
	} else if err != nil {
		return nil, fmt.Errorf("update agency %s: %w", code, err)
	}
	return a, nil
}

// RequireAdmin returns nil when the caller is an admin, EUNAUTHORIZED or
// EFORBIDDEN otherwise. Transports call it to refuse early (before reading a
// body); every admin use case checks again by itself.
func RequireAdmin(ctx context.Context) error {
	_, err := require(ctx, gateway.RoleAdmin)
	return err
}
