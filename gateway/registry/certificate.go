package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"

	"docgate/gateway"
)

// AddCertificate registers a certificate (PEM or DER) to an agency (admin
// only): signatures made with it count as the agency's. EINVALID (not one
// certificate), ENOTFOUND (agency), ECONFLICT (registered already).
func (s *Service) AddCertificate(ctx context.Context, code string, data []byte) (*gateway.AgencyCertificate, error) {
	if _, err := require(ctx, gateway.RoleAdmin); err != nil {
		return nil, err
	}
	if _, err := s.agency(ctx, code); err != nil {
		return nil, err
	}
	c, err := parseCertificate(data)
	if err != nil {
		return nil, err
	}
	c.AgencyCode = code
	if err := s.store.AddAgencyCertificate(ctx, c); gateway.ErrorCode(err) == gateway.ECONFLICT {
		return nil, gateway.Errorf(gateway.ECONFLICT, "certificate %s is registered already", c.SHA256)
	} else if err != nil {
		return nil, fmt.Errorf("register certificate of %s: %w", code, err)
	}
	return c, nil
}

// Certificates lists an agency's certificates (any authenticated caller:
// certificates are public). ENOTFOUND.
func (s *Service) Certificates(ctx context.Context, code string) ([]*gateway.AgencyCertificate, error) {
	if _, err := require(ctx, anyone...); err != nil {
		return nil, err
	}
	if _, err := s.agency(ctx, code); err != nil {
		return nil, err
	}
	cs, err := s.store.AgencyCertificates(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("list certificates of %s: %w", code, err)
	}
	return cs, nil
}

// parseCertificate reads exactly one X.509 certificate, PEM or DER.
func parseCertificate(data []byte) (*gateway.AgencyCertificate, error) {
	if len(data) == 0 {
		return nil, gateway.Errorf(gateway.EINVALID, "certificate is empty")
	}
	if len(data) > MaxCertificateSize {
		return nil, gateway.Errorf(gateway.ETOOLARGE, "certificate is larger than %d bytes", MaxCertificateSize)
	}
	der := data
	if trimmed := bytes.TrimSpace(data); bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		block, rest := pem.Decode(trimmed)
		if block == nil || block.Type != "CERTIFICATE" {
			return nil, gateway.Errorf(gateway.EINVALID, "PEM does not start with a CERTIFICATE block")
		}
		if len(bytes.TrimSpace(rest)) != 0 {
			return nil, gateway.Errorf(gateway.EINVALID, "give one certificate per request; the PEM holds more than one block")
		}
		der = block.Bytes
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, gateway.Errorf(gateway.EINVALID, "not an X.509 certificate (PEM or DER): %v", err)
	}
	sum := sha256.Sum256(cert.Raw)
	return &gateway.AgencyCertificate{
		SHA256:    hex.EncodeToString(sum[:]),
		Subject:   cert.Subject.String(),
		NotBefore: cert.NotBefore.UTC(),
		NotAfter:  cert.NotAfter.UTC(),
		DER:       cert.Raw,
	}, nil
}
