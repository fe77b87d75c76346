package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strings"

	"docgate/gateway"
)

// AddCertificate registers a certificate (DER, or PEM whose first block is
// the leaf) to an agency (admin only): signatures made with it count as the agency's. EINVALID (not one
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

// parseCertificate reads an X.509 certificate, DER or PEM; of a PEM bundle
// the first (leaf) certificate.
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
		// A bundle (leaf first, then its chain, as CAs and `docgate ca
		// issue` hand them out) registers its leaf; anything but further
		// certificates after it is refused, so that a private key pasted by
		// mistake is not silently accepted.
		for len(bytes.TrimSpace(rest)) > 0 {
			var next *pem.Block
			next, rest = pem.Decode(rest)
			if next == nil || next.Type != "CERTIFICATE" {
				return nil, gateway.Errorf(gateway.EINVALID, "after the first certificate the PEM may hold only its chain (CERTIFICATE blocks)")
			}
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

// RemoveCertificate takes a certificate (hex SHA-256 of its DER) off an
// agency (admin only): it no longer signs the agency in over TLS, nor counts
// as the agency's in the signature policy by being registered (one whose
// subject carries the agency's code still does, until its CA revokes it).
// Documents accepted with it stay as they are. EINVALID (not a SHA-256),
// ENOTFOUND.
func (s *Service) RemoveCertificate(ctx context.Context, code, sha256Hex string) error {
	if _, err := require(ctx, gateway.RoleAdmin); err != nil {
		return err
	}
	if b, err := hex.DecodeString(sha256Hex); err != nil || len(b) != sha256.Size {
		return gateway.Errorf(gateway.EINVALID, "a certificate is named by the hex SHA-256 of its DER (64 hex digits), got %q", sha256Hex)
	}
	if _, err := s.agency(ctx, code); err != nil {
		return err
	}
	return s.store.RemoveAgencyCertificate(ctx, code, strings.ToLower(sha256Hex))
}
