package certs

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
)

// ParseCRL parses a CRL in DER or PEM ("X509 CRL"). The input is untrusted:
// the signature is checked separately by CheckCRL, which needs the issuer.
func ParseCRL(data []byte) (*x509.RevocationList, error) {
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN")) {
		block, _ := pem.Decode(bytes.TrimSpace(data))
		if block == nil || block.Type != "X509 CRL" {
			return nil, errors.New("parse CRL: PEM input without an X509 CRL block")
		}
		data = block.Bytes
	}
	crl, err := x509.ParseRevocationList(data)
	if err != nil {
		return nil, fmt.Errorf("parse CRL: %w", err)
	}
	return crl, nil
}

// CheckCRLSignature verifies that issuer signed crl (and is allowed to).
func CheckCRLSignature(crl *x509.RevocationList, issuer *x509.Certificate) error {
	if string(crl.RawIssuer) != string(issuer.RawSubject) {
		return fmt.Errorf("CRL issued by %q, not by %q", NameString(crl.Issuer), SubjectString(issuer))
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return fmt.Errorf("CRL from %q: signature does not verify: %w", NameString(crl.Issuer), err)
	}
	return nil
}

// crlEntry returns the entry for serial, or nil when the CRL does not list it.
func crlEntry(crl *x509.RevocationList, cert *x509.Certificate) *x509.RevocationListEntry {
	for i := range crl.RevokedCertificateEntries {
		e := &crl.RevokedCertificateEntries[i]
		if e.SerialNumber != nil && e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
			return e
		}
	}
	return nil
}

// freshness says whether data issued at thisUpdate and valid until
// nextUpdate (zero: no promise) may be used at now. The error names what is
// stale and by how much, because "response too old" alone sends operators
// hunting for a clock problem they cannot see.
func freshness(what string, thisUpdate, nextUpdate, now time.Time, skew, maxAge time.Duration) error {
	if thisUpdate.After(now.Add(skew)) {
		return fmt.Errorf("%s is not yet valid: thisUpdate %s is %s after now (%s), beyond the allowed clock skew of %s",
			what, rfc(thisUpdate), thisUpdate.Sub(now).Round(time.Second), rfc(now), skew)
	}
	if !nextUpdate.IsZero() {
		if now.After(nextUpdate.Add(skew)) {
			return fmt.Errorf("%s is stale: nextUpdate %s is %s before now (%s), beyond the allowed clock skew of %s",
				what, rfc(nextUpdate), now.Sub(nextUpdate).Round(time.Second), rfc(now), skew)
		}
		return nil
	}
	if maxAge > 0 && now.Sub(thisUpdate) > maxAge+skew {
		return fmt.Errorf("%s is stale: it has no nextUpdate and thisUpdate %s is %s old, more than the maximum age %s",
			what, rfc(thisUpdate), now.Sub(thisUpdate).Round(time.Second), maxAge)
	}
	return nil
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }
