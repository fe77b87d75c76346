package tsp

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"time"

	"docgate/signing/cms"
)

// Token is a parsed timestamp token: the CMS and the TSTInfo it signs.
type Token struct {
	Info       *TSTInfo
	SignedData *cms.SignedData
}

// ParseToken reads a DER (or BER) timestamp token without verifying it.
func ParseToken(der []byte) (*Token, error) {
	sd, err := cms.Parse(der)
	if err != nil {
		return nil, fmt.Errorf("tsp: token: %w", err)
	}
	if !sd.ContentType.Equal(cms.OIDTSTInfo) {
		return nil, fmt.Errorf("tsp: token: content type %v is not id-ct-TSTInfo", sd.ContentType)
	}
	if sd.Detached {
		return nil, errors.New("tsp: token: no encapsulated TSTInfo")
	}
	if len(sd.Signers) != 1 {
		return nil, fmt.Errorf("tsp: token: %d signers, want 1", len(sd.Signers))
	}
	info, err := ParseTSTInfo(sd.Content)
	if err != nil {
		return nil, err
	}
	return &Token{Info: info, SignedData: sd}, nil
}

// ErrNotTSACertificate means the token's signer certificate is not marked for timestamping
// (RFC 3161 §2.3: a critical extended key usage holding only id-kp-timeStamping).
var ErrNotTSACertificate = errors.New("tsp: signer certificate is not a timestamping certificate")

// Verified is what a valid token proves, and what the caller needs for its trust decision.
type Verified struct {
	GenTime      time.Time
	Info         *TSTInfo
	Certificate  *x509.Certificate   // the TSA's
	Certificates []*x509.Certificate // every certificate in the token, for chain building
}

var oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}

// VerifyToken checks that token is a timestamp over digest (computed with hash): the CMS
// signature verifies, it binds the signer certificate through ESS signing-certificate(-v2), the
// imprint matches, and the certificate is a TSA's. Mismatches are *cms.Error values
// (KindDigestMismatch for the imprint), so a validator classifies them like signature failures.
// The caller still has to check that it trusts the certificate at GenTime.
func VerifyToken(token, digest []byte, hash crypto.Hash) (*Verified, error) {
	t, err := ParseToken(token)
	if err != nil {
		return nil, err
	}
	return t.Verify(digest, hash)
}

// Verify is VerifyToken on a parsed token. extra are candidates for the TSA certificate when
// the token does not embed it (a request without certReq).
func (t *Token) Verify(digest []byte, hash crypto.Hash, extra ...*x509.Certificate) (*Verified, error) {
	sd := t.SignedData
	if sd.Signers[0].SigningCertificate == nil {
		return nil, &cms.Error{Kind: cms.KindFormat, Msg: "timestamp token without ESS signing-certificate attribute"}
	}
	cert, err := sd.Verify(cms.VerifyOptions{Certificates: extra})
	if err != nil {
		return nil, fmt.Errorf("tsp: token: %w", err)
	}
	if t.Info.Hash != hash || !bytes.Equal(t.Info.HashedMessage, digest) {
		return nil, fmt.Errorf("tsp: token: %w", &cms.Error{Kind: cms.KindDigestMismatch,
			Msg: fmt.Sprintf("timestamp imprint (%v) does not match the %v digest given", t.Info.HashAlgorithm, hash)})
	}
	if err := checkTSACertificate(cert); err != nil {
		return nil, err
	}
	return &Verified{GenTime: t.Info.GenTime, Info: t.Info, Certificate: cert, Certificates: slices.Clone(sd.Certificates)}, nil
}

// VerifyData verifies the token over data, hashed with the token's own imprint algorithm: the
// form a verifier needs for a signature timestamp (data = the signature value) or a document
// timestamp whose byte range it hashed itself. Judging whether that algorithm (Info.Hash) is
// still strong enough at GenTime is the caller's business.
func (t *Token) VerifyData(data []byte, extra ...*x509.Certificate) (*Verified, error) {
	if t.Info.Hash == 0 || !t.Info.Hash.Available() {
		return nil, &cms.Error{Kind: cms.KindUnsupported, Msg: fmt.Sprintf("timestamp imprint algorithm %v", t.Info.HashAlgorithm)}
	}
	hh := t.Info.Hash.New()
	hh.Write(data)
	return t.Verify(hh.Sum(nil), t.Info.Hash, extra...)
}

func checkTSACertificate(cert *x509.Certificate) error {
	for _, ext := range cert.Extensions {
		if !ext.Id.Equal(oidExtKeyUsage) {
			continue
		}
		if !ext.Critical {
			return fmt.Errorf("%w: extended key usage is not critical", ErrNotTSACertificate)
		}
		if len(cert.ExtKeyUsage) != 1 || cert.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping || len(cert.UnknownExtKeyUsage) != 0 {
			return fmt.Errorf("%w: extended key usage must be id-kp-timeStamping alone", ErrNotTSACertificate)
		}
		return nil
	}
	return fmt.Errorf("%w: no extended key usage", ErrNotTSACertificate)
}
