package certs_test

import (
	"context"
	"crypto/x509"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"docgate/certs"
)

// BenchmarkVerifyChain measures chain building for a three-certificate
// chain, done once per signature in every verified PDF.
func BenchmarkVerifyChain(b *testing.B) {
	root := mustRoot(b, "Root")
	inter := mustCert(b, "Intermediate", root, isCA(0))
	leaf := mustCert(b, "Signer", inter)
	ts := certs.NewTrustStore()
	ts.AddAnchor(root.cert)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ts.Verify(ctx, leaf.cert, []*x509.Certificate{inter.cert}, t0, certs.VerifyOptions{Now: t0}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyChainUntrusted measures the same chain, handed in whole, when
// nothing is trusted: what `docgate verify` does without a trust store, where
// Verify judges the leaf alone, checks no signature, and looks for a signer
// that is not a CA by name.
func BenchmarkVerifyChainUntrusted(b *testing.B) {
	root := mustRoot(b, "Root")
	inter := mustCert(b, "Intermediate", root, isCA(0))
	leaf := mustCert(b, "Signer", inter)
	ts := certs.NewTrustStore()
	pool := []*x509.Certificate{leaf.cert, inter.cert, root.cert}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, _ := ts.Verify(ctx, leaf.cert, pool, t0, certs.VerifyOptions{Now: t0})
		if res.SubIndication != certs.SubNoCertificateChainFound {
			b.Fatal(res.SubIndication, res.Reason)
		}
	}
}

// BenchmarkCheckEmbeddedOCSP measures a revocation check answered by an
// embedded OCSP response (parse and signature check), the B-LT path.
func BenchmarkCheckEmbeddedOCSP(b *testing.B) {
	root := mustRoot(b, "Root")
	leaf := mustCert(b, "Signer", root)
	der := mustOCSP(b, root, root, leaf.cert, ocsp.Good, t0, t0.Add(time.Hour), time.Time{})
	c := certs.NewRevocationChecker(certs.RevocationConfig{Offline: true, Now: func() time.Time { return t0 }})
	data := certs.RevocationData{OCSPResponses: [][]byte{der}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r, err := c.Check(ctx, leaf.cert, root.cert, t0, data)
		if err != nil || r.Status != certs.StatusGood {
			b.Fatal(r, err)
		}
	}
}
