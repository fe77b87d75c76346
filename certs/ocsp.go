package certs

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ocsp"
)

// NewOCSPRequest returns a DER OCSP request for cert (SHA-1 CertID, which
// every responder understands; the hash is of public data, not a signature).
func NewOCSPRequest(cert, issuer *x509.Certificate) ([]byte, error) {
	der, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: crypto.SHA1})
	if err != nil {
		return nil, fmt.Errorf("build OCSP request: %w", err)
	}
	return der, nil
}

// ParseOCSPResponse parses an untrusted OCSP response about cert and checks
// that it is signed by issuer or by a responder issuer delegated to
// (id-kp-OCSPSigning, valid when the response was produced). It does not
// judge freshness: that depends on what the response is used for.
func ParseOCSPResponse(der []byte, cert, issuer *x509.Certificate) (*ocsp.Response, error) {
	if cert == nil || issuer == nil {
		return nil, errors.New("parse OCSP response: certificate and issuer are required")
	}
	resp, err := ocsp.ParseResponseForCert(der, cert, issuer)
	if err != nil {
		var re ocsp.ResponseError
		if errors.As(err, &re) {
			return nil, fmt.Errorf("OCSP responder answered %q: %w", re.Status.String(), err)
		}
		return nil, fmt.Errorf("parse OCSP response: %w", err)
	}
	if rc := resp.Certificate; rc != nil && !rc.Equal(issuer) {
		// x/crypto checked that issuer signed the responder certificate;
		// it did not check that the issuer meant it to answer OCSP.
		if !hasAnyEKU(rc, []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}) {
			return nil, fmt.Errorf("OCSP response signed by %q, which is not an OCSP responder (no id-kp-OCSPSigning)", SubjectString(rc))
		}
		if resp.ProducedAt.Before(rc.NotBefore) || resp.ProducedAt.After(rc.NotAfter) {
			return nil, fmt.Errorf("OCSP response produced at %s by %q outside the responder certificate's validity (%s to %s)",
				rfc(resp.ProducedAt), SubjectString(rc), rfc(rc.NotBefore), rfc(rc.NotAfter))
		}
	}
	return resp, nil
}

// reasonText names an RFC 5280 CRLReason code.
func reasonText(code int) string {
	switch code {
	case ocsp.Unspecified:
		return "unspecified"
	case ocsp.KeyCompromise:
		return "keyCompromise"
	case ocsp.CACompromise:
		return "cACompromise"
	case ocsp.AffiliationChanged:
		return "affiliationChanged"
	case ocsp.Superseded:
		return "superseded"
	case ocsp.CessationOfOperation:
		return "cessationOfOperation"
	case ocsp.CertificateHold:
		return "certificateHold"
	case ocsp.RemoveFromCRL:
		return "removeFromCRL"
	case ocsp.PrivilegeWithdrawn:
		return "privilegeWithdrawn"
	case ocsp.AACompromise:
		return "aACompromise"
	}
	return fmt.Sprintf("reason %d", code)
}

// ReasonCode parses an RFC 5280 CRLReason name (as reasonText prints it, case
// insensitive) into its code.
func ReasonCode(name string) (int, error) {
	for code := 0; code <= 10; code++ {
		if code == 7 {
			continue // not assigned
		}
		if strings.EqualFold(reasonText(code), name) {
			return code, nil
		}
	}
	return 0, fmt.Errorf("unknown revocation reason %q (try keyCompromise, superseded, cessationOfOperation, affiliationChanged, unspecified)", name)
}

// ReasonText names an RFC 5280 CRLReason code.
func ReasonText(code int) string { return reasonText(code) }
