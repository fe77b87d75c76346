package registry

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"docgate/gateway"
)

// IssueAgencyToken issues another token for an agency (admin only), for
// example to rotate credentials. ENOTFOUND.
func (s *Service) IssueAgencyToken(ctx context.Context, code, name string) (*IssuedToken, error) {
	if _, err := require(ctx, gateway.RoleAdmin); err != nil {
		return nil, err
	}
	if err := validateTokenName(name); err != nil {
		return nil, err
	}
	if _, err := s.agency(ctx, code); err != nil {
		return nil, err
	}
	return s.issue(ctx, gateway.RoleAgency, code, name)
}

// IssueServiceToken issues an admin or auditor token (admin only).
func (s *Service) IssueServiceToken(ctx context.Context, role gateway.Role, name string) (*IssuedToken, error) {
	if _, err := require(ctx, gateway.RoleAdmin); err != nil {
		return nil, err
	}
	if role != gateway.RoleAdmin && role != gateway.RoleAuditor {
		return nil, gateway.Errorf(gateway.EINVALID, "role must be %q or %q (agency tokens are issued under /v1/agencies/{code}/tokens)",
			gateway.RoleAdmin, gateway.RoleAuditor)
	}
	if err := validateTokenName(name); err != nil {
		return nil, err
	}
	return s.issue(ctx, role, "", name)
}

// Bootstrap issues the first admin token: ECONFLICT when an unrevoked admin
// token exists already, unless force is set (an operator who lost every
// admin token). It bypasses the role check, so only the process that owns
// the store (docgate serve at start) may call it; no transport reaches it.
func (s *Service) Bootstrap(ctx context.Context, force bool) (*IssuedToken, error) {
	if !force {
		ts, err := s.store.Tokens(ctx, "")
		if err != nil {
			return nil, fmt.Errorf("list admin tokens: %w", err)
		}
		for _, t := range ts {
			if t.Role == gateway.RoleAdmin && t.RevokedAt == nil {
				return nil, gateway.Errorf(gateway.ECONFLICT, "an admin token exists already (%s)", t.ID)
			}
		}
	}
	return s.issue(ctx, gateway.RoleAdmin, "", "bootstrap admin")
}

// Tokens lists an agency's tokens without their secrets (admin only).
func (s *Service) Tokens(ctx context.Context, code string) ([]*gateway.Token, error) {
	if _, err := require(ctx, gateway.RoleAdmin); err != nil {
		return nil, err
	}
	if _, err := s.agency(ctx, code); err != nil {
		return nil, err
	}
	ts, err := s.store.Tokens(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("list tokens of %s: %w", code, err)
	}
	return ts, nil
}

// RevokeToken revokes a token (admin only); the next request with it gets
// 401. ENOTFOUND.
func (s *Service) RevokeToken(ctx context.Context, id string) error {
	p, err := require(ctx, gateway.RoleAdmin)
	if err != nil {
		return err
	}
	if id == "" || len(id) > 100 {
		return gateway.Errorf(gateway.EINVALID, "token id is required")
	}
	// Revoking one's own token is allowed but would lock a lone operator
	// out; refusing it keeps at least the caller's access.
	if id == p.TokenID {
		return gateway.Errorf(gateway.ECONFLICT, "a token cannot revoke itself; use another admin token")
	}
	if err := s.store.RevokeToken(ctx, id, s.now().UTC()); gateway.ErrorCode(err) == gateway.ENOTFOUND {
		return gateway.Errorf(gateway.ENOTFOUND, "token %s does not exist", id)
	} else if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	return nil
}

// Authenticate turns a bearer secret into the principal it stands for:
// one keyed hash and one indexed lookup, plus the agency's status for agency
// tokens. EUNAUTHORIZED (malformed, unknown or revoked), EFORBIDDEN
// (the agency is suspended).
func (s *Service) Authenticate(ctx context.Context, secret string) (*gateway.Principal, error) {
	if len(secret) != tokenLen || !strings.HasPrefix(secret, TokenPrefix) {
		return nil, gateway.Errorf(gateway.EUNAUTHORIZED, "the bearer token is not a docgate token (dg_...)")
	}
	t, err := s.store.TokenByHash(ctx, s.hash(secret))
	if gateway.ErrorCode(err) == gateway.ENOTFOUND {
		return nil, gateway.Errorf(gateway.EUNAUTHORIZED, "unknown token")
	} else if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	if t.RevokedAt != nil {
		return nil, gateway.Errorf(gateway.EUNAUTHORIZED, "the token was revoked")
	}
	p := &gateway.Principal{Role: t.Role, AgencyCode: t.AgencyCode, TokenID: t.ID}
	if t.Role == gateway.RoleAgency {
		a, err := s.store.Agency(ctx, t.AgencyCode)
		if gateway.ErrorCode(err) == gateway.ENOTFOUND {
			return nil, gateway.Errorf(gateway.EUNAUTHORIZED, "the token's agency no longer exists")
		} else if err != nil {
			return nil, fmt.Errorf("look up agency %s: %w", t.AgencyCode, err)
		}
		if a.Status != gateway.AgencyActive {
			return nil, gateway.Errorf(gateway.EFORBIDDEN, "agency %s is %s", a.Code, a.Status)
		}
	}
	return p, nil
}

// issue creates and stores a token without any role check.
func (s *Service) issue(ctx context.Context, role gateway.Role, agency, name string) (*IssuedToken, error) {
	raw := make([]byte, secretBytes)
	if _, err := io.ReadFull(s.rand, raw); err != nil {
		return nil, fmt.Errorf("read random secret: %w", err)
	}
	idRaw := make([]byte, 9)
	if _, err := io.ReadFull(s.rand, idRaw); err != nil {
		return nil, fmt.Errorf("read random id: %w", err)
	}
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	t := gateway.Token{
		ID:         "tok_" + hex.EncodeToString(idRaw),
		Role:       role,
		AgencyCode: agency,
		Name:       name,
		Hash:       s.hash(secret),
		CreatedAt:  s.now().UTC(),
	}
	if err := s.store.CreateToken(ctx, &t); err != nil {
		return nil, fmt.Errorf("store token: %w", err)
	}
	return &IssuedToken{Token: t, Secret: secret}, nil
}

// hash is the stored form of a secret: HMAC-SHA-256 under the server key.
func (s *Service) hash(secret string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(secret))
	return m.Sum(nil)
}

// agency checks the code and that the agency exists, naming it otherwise.
func (s *Service) agency(ctx context.Context, code string) (*gateway.Agency, error) {
	if err := s.codeRule.Validate(code); err != nil {
		return nil, err
	}
	a, err := s.store.Agency(ctx, code)
	if gateway.ErrorCode(err) == gateway.ENOTFOUND {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "agency %s is not registered", code)
	} else if err != nil {
		return nil, fmt.Errorf("look up agency %s: %w", code, err)
	}
	return a, nil
}

func validateTokenName(name string) error {
	return gateway.CheckText("token name", name, 200)
}

// AuthenticateCertificate turns a TLS client certificate (DER), already
// verified against the client CAs by the TLS layer, into the principal of the
// agency it is registered to. EUNAUTHORIZED (not registered), EFORBIDDEN
// (the agency is suspended).
func (s *Service) AuthenticateCertificate(ctx context.Context, der []byte) (*gateway.Principal, error) {
	sum := sha256.Sum256(der)
	a, err := s.store.AgencyByCertificate(ctx, hex.EncodeToString(sum[:]))
	if gateway.ErrorCode(err) == gateway.ENOTFOUND {
		return nil, gateway.Errorf(gateway.EUNAUTHORIZED, "the client certificate is not registered to any agency")
	} else if err != nil {
		return nil, fmt.Errorf("look up client certificate: %w", err)
	}
	if a.Status != gateway.AgencyActive {
		return nil, gateway.Errorf(gateway.EFORBIDDEN, "agency %s is %s", a.Code, a.Status)
	}
	return &gateway.Principal{Role: gateway.RoleAgency, AgencyCode: a.Code}, nil
}
