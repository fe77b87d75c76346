package gateway

import (
	"context"
	"time"
)

// Role is what a principal may do.
type Role string

const (
	RoleAdmin   Role = "admin"   // operates the gateway: registry, credentials, trust
	RoleAgency  Role = "agency"  // an agency's DMS or clerk: acts only as that agency
	RoleAuditor Role = "auditor" // reads and verifies everything, changes nothing
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleAgency || r == RoleAuditor }

// Token is an API credential. Only a keyed hash of the secret is stored; the
// secret itself is shown once, when the token is issued.
type Token struct {
	ID         string     `json:"id"`
	Role       Role       `json:"role"`
	AgencyCode string     `json:"agency,omitempty"` // set when Role is RoleAgency
	Name       string     `json:"name,omitempty"`
	Hash       []byte     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// TokenStore keeps API tokens.
type TokenStore interface {
	// CreateToken stores a token (ID and Hash set by the caller). ECONFLICT
	// on a duplicate ID or hash, ENOTFOUND if the agency does not exist.
	CreateToken(ctx context.Context, t *Token) error
	// TokenByHash returns the token with this hash, revoked or not. ENOTFOUND.
	TokenByHash(ctx context.Context, hash []byte) (*Token, error)
	// Tokens lists the tokens of an agency ("" for tokens without one).
	Tokens(ctx context.Context, agencyCode string) ([]*Token, error)
	// RevokeToken marks a token revoked at the given time. ENOTFOUND; a
	// token revoked already keeps its first revocation time.
	RevokeToken(ctx context.Context, id string, at time.Time) error
}

// Principal is who is making a request, as established by authentication.
type Principal struct {
	Role       Role
	AgencyCode string // for RoleAgency
	TokenID    string // empty when authenticated by client certificate
}

type principalKey struct{}

// NewContextWithPrincipal returns a context carrying p.
func NewContextWithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFromContext returns the principal of the request, or nil.
func PrincipalFromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
