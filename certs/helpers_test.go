package certs_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// testCert is a certificate with its key, made for one test.
type testCert struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// t0 is the fixed "now" of these tests, so that validity windows are exact.
var t0 = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

type certOpt func(*x509.Certificate)

func validity(from, to time.Time) certOpt {
	return func(c *x509.Certificate) { c.NotBefore, c.NotAfter = from, to }
}

func keyUsage(ku x509.KeyUsage) certOpt { return func(c *x509.Certificate) { c.KeyUsage = ku } }

func extKeyUsage(eku ...x509.ExtKeyUsage) certOpt {
	return func(c *x509.Certificate) { c.ExtKeyUsage = eku }
}

func isCA(maxPath int) certOpt {
	return func(c *x509.Certificate) {
		c.IsCA, c.BasicConstraintsValid, c.MaxPathLen, c.MaxPathLenZero = true, true, maxPath, maxPath == 0
		c.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	}
}

func urls(ocspURL, crlURL string) certOpt {
	return func(c *x509.Certificate) {
		if ocspURL != "" {
			c.OCSPServer = []string{ocspURL}
		}
		if crlURL != "" {
			c.CRLDistributionPoints = []string{crlURL}
		}
	}
}

func subject(n pkix.Name) certOpt { return func(c *x509.Certificate) { c.Subject = n } }

var serialCounter = func() func() *big.Int {
	return func() *big.Int {
		n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 100))
		return n.Add(n, big.NewInt(1))
	}
}()

// mustCert issues a certificate named cn, signed by parent (self-signed when
// parent is nil). Defaults: valid t0-1y .. t0+1y, a document signer.
func mustCert(tb testing.TB, cn string, parent *testCert, opts ...certOpt) *testCert {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serialCounter(),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"Test"}},
		NotBefore:    t0.AddDate(-1, 0, 0),
		NotAfter:     t0.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	for _, o := range opts {
		o(tmpl)
	}
	signerCert, signerKey := tmpl, crypto.Signer(key)
	if parent != nil {
		signerCert, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, key.Public(), signerKey)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return &testCert{cert: c, key: key}
}

func mustRoot(tb testing.TB, cn string) *testCert {
	tb.Helper()
	return mustCert(tb, cn, nil, isCA(2), validity(t0.AddDate(-5, 0, 0), t0.AddDate(5, 0, 0)))
}

// mustOCSP signs a response about cert by signer (the issuer or a delegated
// responder, whose certificate is then embedded).
func mustOCSP(tb testing.TB, issuer, signer *testCert, cert *x509.Certificate, status int, thisUpdate, nextUpdate, revokedAt time.Time) []byte {
	tb.Helper()
	tmpl := ocsp.Response{
		Status: status, SerialNumber: cert.SerialNumber,
		ThisUpdate: thisUpdate, NextUpdate: nextUpdate,
		RevokedAt: revokedAt, RevocationReason: ocsp.KeyCompromise,
	}
	if signer != issuer {
		tmpl.Certificate = signer.cert
	}
	der, err := ocsp.CreateResponse(issuer.cert, signer.cert, tmpl, signer.key)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

// mustCRL signs a CRL by issuer listing revoked (serial → revocation time).
func mustCRL(tb testing.TB, issuer *testCert, thisUpdate, nextUpdate time.Time, revoked map[*x509.Certificate]time.Time) []byte {
	tb.Helper()
	tmpl := &x509.RevocationList{Number: big.NewInt(thisUpdate.Unix()), ThisUpdate: thisUpdate, NextUpdate: nextUpdate}
	for c, at := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: c.SerialNumber, RevocationTime: at, ReasonCode: ocsp.Superseded})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, issuer.cert, issuer.key)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}
