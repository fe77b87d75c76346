package certs_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"docgate/certs"
)

func TestVerifyChain(t *testing.T) {
	root := mustRoot(t, "Root")
	inter := mustCert(t, "Intermediate", root, isCA(0), validity(t0.AddDate(-3, 0, 0), t0.AddDate(3, 0, 0)))
	leaf := mustCert(t, "Signer", inter)
	expiredLeaf := mustCert(t, "Old signer", inter, validity(t0.AddDate(-2, 0, 0), t0.AddDate(0, 0, -10)))
	futureLeaf := mustCert(t, "Future signer", inter, validity(t0.AddDate(0, 0, 10), t0.AddDate(1, 0, 0)))
	encOnly := mustCert(t, "Encryption only", inter, keyUsage(x509.KeyUsageKeyEncipherment))
	email := mustCert(t, "Email EKU", inter, extKeyUsage(x509.ExtKeyUsageEmailProtection))
	noKU := mustCert(t, "No key usage", inter, keyUsage(0))
	notCA := mustCert(t, "Not a CA", root, validity(t0.AddDate(-3, 0, 0), t0.AddDate(3, 0, 0)), keyUsage(x509.KeyUsageCertSign|x509.KeyUsageDigitalSignature))
	underNotCA := mustCert(t, "Under a non-CA", notCA)
	deep := mustCert(t, "Too deep CA", inter, isCA(-1))
	underDeep := mustCert(t, "Under too deep", deep)
	stranger := mustRoot(t, "Stranger root")
	strangerLeaf := mustCert(t, "Stranger signer", stranger)
	strangerExpired := mustCert(t, "Stranger old signer", stranger, validity(t0.AddDate(-2, 0, 0), t0.AddDate(0, 0, -10)))

	ts := certs.NewTrustStore()
	ts.AddAnchor(root.cert)
	ctx := context.Background()

	tests := []struct {
		name     string
		leaf     *testCert
		inter    []*x509.Certificate
		at       time.Time
		ind, sub string
		chainLen int
		note     bool
	}{
		{"good via handed-in intermediate", leaf, []*x509.Certificate{inter.cert}, t0, certs.IndicationPassed, "", 3, false},
		{"intermediate missing", leaf, nil, t0, certs.IndicationIndeterminate, certs.SubNoCertificateChainFound, 0, false},
		{"unknown root", strangerLeaf, nil, t0, certs.IndicationIndeterminate, certs.SubNoCertificateChainFound, 0, false},
		{"expired and untrusted: the missing chain is the finding", strangerExpired, nil, t0, certs.IndicationIndeterminate, certs.SubNoCertificateChainFound, 0, false},
		{"signed before the certificate was valid", futureLeaf, []*x509.Certificate{inter.cert}, t0, certs.IndicationFailed, certs.SubNotYetValid, 3, false},
		{"signed after the certificate expired", expiredLeaf, []*x509.Certificate{inter.cert}, t0, certs.IndicationIndeterminate, certs.SubOutOfBoundsNoPOE, 3, false},
		{"valid at signing, expired since", expiredLeaf, []*x509.Certificate{inter.cert}, t0.AddDate(0, -6, 0), certs.IndicationPassed, "", 3, true},
		{"key usage without signing", encOnly, []*x509.Certificate{inter.cert}, t0, certs.IndicationIndeterminate, certs.SubChainConstraintsFailure, 3, false},
		{"emailProtection EKU accepted", email, []*x509.Certificate{inter.cert}, t0, certs.IndicationPassed, "", 3, false},
		{"no key usage extension accepted", noKU, []*x509.Certificate{inter.cert}, t0, certs.IndicationPassed, "", 3, false},
		{"issuer is not a CA", underNotCA, []*x509.Certificate{notCA.cert}, t0, certs.IndicationIndeterminate, certs.SubChainConstraintsFailure, 0, false},
		{"path length exceeded", underDeep, []*x509.Certificate{inter.cert, deep.cert}, t0, certs.IndicationIndeterminate, certs.SubChainConstraintsFailure, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ts.Verify(ctx, tc.leaf.cert, tc.inter, tc.at, certs.VerifyOptions{Now: t0})
			if res == nil {
				t.Fatalf("nil result, err %v", err)
			}
			if res.Indication != tc.ind || res.SubIndication != tc.sub {
				t.Fatalf("got %s/%s (%s), want %s/%s", res.Indication, res.SubIndication, res.Reason, tc.ind, tc.sub)
			}
			if (err == nil) != res.Passed() {
				t.Fatalf("err %v but indication %s", err, res.Indication)
			}
			var ce *certs.ChainError
			if err != nil && !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *ChainError", err)
			}
			if len(res.Chain) != tc.chainLen || len(res.Subjects) != tc.chainLen {
				t.Fatalf("chain %v, want %d certificates", res.Subjects, tc.chainLen)
			}
			if tc.chainLen > 0 && (res.Chain[0] != tc.leaf.cert || !res.Chain[tc.chainLen-1].Equal(root.cert)) {
				t.Fatalf("chain %v does not run from the leaf to the root", res.Subjects)
			}
			if got := len(res.Notes) > 0; got != tc.note {
				t.Fatalf("notes %q, want notes: %v", res.Notes, tc.note)
			}
		})
	}
}

func TestVerifyChainTimestampEKU(t *testing.T) {
	root := mustRoot(t, "Root")
	tsa := mustCert(t, "TSA", root, extKeyUsage(x509.ExtKeyUsageTimeStamping))
	signer := mustCert(t, "Signer", root)
	ts := certs.NewTrustStore()
	ts.AddAnchor(root.cert)
	opts := certs.VerifyOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}, Now: t0}
	if _, err := ts.Verify(context.Background(), tsa.cert, nil, t0, opts); err != nil {
		t.Fatalf("TSA certificate: %v", err)
	}
	res, err := ts.Verify(context.Background(), signer.cert, nil, t0, opts)
	if err == nil || res.SubIndication != certs.SubChainConstraintsFailure {
		t.Fatalf("signer without timeStamping passed as a TSA: %v", err)
	}
}

func TestLoadTrustStoreDirectory(t *testing.T) {
	root := mustRoot(t, "Root")
	inter := mustCert(t, "Intermediate", root, isCA(0))
	leaf := mustCert(t, "Signer", inter)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "root.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.cert.Raw}))
	writeFile(t, filepath.Join(dir, "inter.der"), inter.cert.Raw)
	writeFile(t, filepath.Join(dir, "README.txt"), []byte("not a certificate"))
	ts, err := certs.LoadTrustStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts.Anchors()) != 1 || len(ts.Intermediates()) != 1 {
		t.Fatalf("anchors %d intermediates %d, want 1 and 1", len(ts.Anchors()), len(ts.Intermediates()))
	}
	// The intermediate comes from the store, not from the caller.
	res, err := ts.Verify(context.Background(), leaf.cert, nil, t0, certs.VerifyOptions{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Chain) != 3 {
		t.Fatalf("chain %v", res.Subjects)
	}
	// An intermediate alone is not trusted.
	ts2, err := certs.LoadTrustStore(filepath.Join(dir, "inter.der"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts2.Verify(context.Background(), leaf.cert, nil, t0, certs.VerifyOptions{}); err == nil {
		t.Fatal("chain to a non-anchor intermediate passed")
	}
	if _, err := certs.LoadTrustStore(filepath.Join(dir, "README.txt")); err == nil {
		t.Fatal("a text file loaded as a trust store")
	}
}

func TestLoadCertificates(t *testing.T) {
	root := mustRoot(t, "Root")
	leaf := mustCert(t, "Leaf", root)
	pemBundle := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.cert.Raw})) +
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("skipped")})) +
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.cert.Raw}))
	tests := []struct {
		name  string
		in    []byte
		count int
	}{
		{"PEM bundle with a key in between", []byte(pemBundle), 2},
		{"DER", leaf.cert.Raw, 1},
		{"concatenated DER", append(append([]byte{}, leaf.cert.Raw...), root.cert.Raw...), 2},
		{"empty", nil, 0},
		{"PEM without certificates", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}), 0},
		{"garbage", []byte("hello"), 0},
		{"bad PEM certificate", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x03, 1, 2, 3}}), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := certs.LoadCertificates(tc.in)
			if tc.count == 0 {
				if err == nil {
					t.Fatalf("got %d certificates, want an error", len(cs))
				}
				return
			}
			if err != nil || len(cs) != tc.count {
				t.Fatalf("got %d, %v; want %d", len(cs), err, tc.count)
			}
			if !cs[0].Equal(leaf.cert) {
				t.Fatal("first certificate is not the leaf")
			}
		})
	}
}

func FuzzLoadCertificates(f *testing.F) {
	root := mustRoot(f, "Root")
	f.Add(root.cert.Raw)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.cert.Raw}))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
	f.Add([]byte{0x30, 0x82, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := certs.LoadCertificates(data)
		if err == nil && len(cs) == 0 {
			t.Fatal("no error and no certificates")
		}
		for _, c := range cs {
			_ = certs.AgencyCode(c)
			_ = certs.SubjectString(c)
		}
	})
}

func TestAgencyCode(t *testing.T) {
	oidOrgID := asn1.ObjectIdentifier{2, 5, 4, 97}
	oidUID := asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
	tests := []struct {
		name string
		subj pkix.Name
		want string
	}{
		{"organizationIdentifier", pkix.Name{CommonName: "UBND", ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidOrgID, Value: "000.00.00.H41"}}}, "000.00.00.H41"},
		{"organizationIdentifier with ETSI prefix", pkix.Name{CommonName: "UBND", ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidOrgID, Value: "NTRVN-000.00.00.G22"}}}, "000.00.00.G22"},
		{"serialNumber", pkix.Name{CommonName: "UBND", SerialNumber: "000.01.32.H41"}, "000.01.32.H41"},
		{"UID with prefix", pkix.Name{CommonName: "UBND", ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidUID, Value: "MNS:000.00.00.H14"}}}, "000.00.00.H14"},
		{"OU", pkix.Name{CommonName: "UBND", OrganizationalUnit: []string{"Văn phòng", "000.00.00.H56"}}, "000.00.00.H56"},
		{"preferred placement wins", pkix.Name{CommonName: "000.00.00.H14", ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidOrgID, Value: "000.00.00.H41"}}}, "000.00.00.H41"},
		{"none", pkix.Name{CommonName: "Nguyễn Văn A", SerialNumber: "CMND:012345678"}, ""},
		{"almost a code", pkix.Name{CommonName: "000.00.00.h41"}, ""},
	}
	root := mustRoot(t, "Root")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := mustCert(t, "x", root, subject(tc.subj))
			if got := certs.AgencyCode(c.cert); got != tc.want {
				t.Fatalf("AgencyCode = %q, want %q (subject %s)", got, tc.want, certs.SubjectString(c.cert))
			}
		})
	}
	if certs.AgencyCode(nil) != "" {
		t.Fatal("nil certificate has a code")
	}
}

func TestSubjectStringNamesOrganizationIdentifier(t *testing.T) {
	root := mustRoot(t, "Root")
	c := mustCert(t, "x", root, subject(pkix.Name{CommonName: "Sở Tài chính, tỉnh X", Country: []string{"VN"},
		ExtraNames: []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{2, 5, 4, 97}, Value: "000.00.00.H41"}}}))
	got := certs.SubjectString(c.cert)
	for _, want := range []string{`organizationIdentifier=000.00.00.H41`, `CN=Sở Tài chính\, tỉnh X`, `C=VN`} {
		if !strings.Contains(got, want) {
			t.Fatalf("subject %q lacks %q", got, want)
		}
	}
}

func writeFile(tb testing.TB, path string, data []byte) {
	tb.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
}

// TestVerifyChainUntrusted covers chains that end at a root nobody trusts,
// the case where Verify looks for a signer that is not a CA after x509 has
// failed: the diagnosis must name such a signer at any height, and a
// certificate that only shares an issuer's name must not be blamed.
func TestVerifyChainUntrusted(t *testing.T) {
	root := mustRoot(t, "Root")
	inter := mustCert(t, "Intermediate", root, isCA(1))
	leaf := mustCert(t, "Signer", inter)
	// decoy has the intermediate's name but its own key, and is not a CA.
	decoy := mustCert(t, "Intermediate", root)
	notCA := mustCert(t, "Not a CA", root, keyUsage(x509.KeyUsageCertSign|x509.KeyUsageDigitalSignature))
	underNotCA := mustCert(t, "Under a non-CA", notCA)
	caUnderNotCA := mustCert(t, "CA under a non-CA", notCA, isCA(1))
	deepUnderNotCA := mustCert(t, "Two below a non-CA", caUnderNotCA)

	tests := []struct {
		name   string
		leaf   *testCert
		inter  []*x509.Certificate
		sub    string
		blamed string
	}{
		{"whole chain handed in", leaf, []*x509.Certificate{inter.cert, root.cert}, certs.SubNoCertificateChainFound, ""},
		{"leaf handed in with its chain", leaf, []*x509.Certificate{leaf.cert, inter.cert, root.cert}, certs.SubNoCertificateChainFound, ""},
		{"nothing handed in", leaf, nil, certs.SubNoCertificateChainFound, ""},
		{"a non-CA shares the issuer's name", leaf, []*x509.Certificate{decoy.cert, inter.cert, root.cert}, certs.SubNoCertificateChainFound, ""},
		{"only the non-CA with the issuer's name", leaf, []*x509.Certificate{decoy.cert}, certs.SubNoCertificateChainFound, ""},
		{"issuer is not a CA", underNotCA, []*x509.Certificate{notCA.cert, root.cert}, certs.SubChainConstraintsFailure, "Not a CA"},
		{"issuer's issuer is not a CA", deepUnderNotCA, []*x509.Certificate{caUnderNotCA.cert, notCA.cert, root.cert}, certs.SubChainConstraintsFailure, "Not a CA"},
	}
	for _, trusted := range []bool{false, true} {
		ts := certs.NewTrustStore()
		if trusted {
			// A stranger root changes nothing for these chains.
			ts.AddAnchor(mustRoot(t, "Stranger root").cert)
		}
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/anchor=%v", tc.name, trusted), func(t *testing.T) {
				res, err := ts.Verify(context.Background(), tc.leaf.cert, tc.inter, t0, certs.VerifyOptions{Now: t0})
				if err == nil || res == nil {
					t.Fatalf("verified: %v %v", res, err)
				}
				if res.Indication != certs.IndicationIndeterminate || res.SubIndication != tc.sub {
					t.Fatalf("got %s/%s (%s), want %s/%s", res.Indication, res.SubIndication, res.Reason, certs.IndicationIndeterminate, tc.sub)
				}
				if blamed := strings.Contains(res.Reason, "is not a certificate authority"); blamed != (tc.blamed != "") ||
					(blamed && !strings.Contains(res.Reason, "CN="+tc.blamed)) {
					t.Fatalf("reason %q, want blamed %q", res.Reason, tc.blamed)
				}
			})
		}
	}
}

// TestVerifyChainNoAnchors checks the shortcut Verify takes when nothing is
// trusted against the full chain building it skips: a store whose only
// anchor is a stranger root reaches no chain either, through x509, so every
// case must come out the same bar the reason's wording.
func TestVerifyChainNoAnchors(t *testing.T) {
	root := mustRoot(t, "Root")
	inter := mustCert(t, "Intermediate", root, isCA(1))
	leaf := mustCert(t, "Signer", inter)
	expired := mustCert(t, "Old signer", inter, validity(t0.AddDate(-2, 0, 0), t0.AddDate(0, 0, -10)))
	future := mustCert(t, "Future signer", inter, validity(t0.AddDate(0, 0, 10), t0.AddDate(1, 0, 0)))
	// Valid for no time at all: there is no moment to look for its chain at.
	instant := mustCert(t, "Instant signer", inter, validity(t0, t0))
	critical := mustCert(t, "Critical extension", inter, func(c *x509.Certificate) {
		c.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, Critical: true, Value: []byte{5, 0}}}
	})
	notCA := mustCert(t, "Not a CA", root, keyUsage(x509.KeyUsageCertSign|x509.KeyUsageDigitalSignature))
	underNotCA := mustCert(t, "Under a non-CA", notCA)
	caUnderNotCA := mustCert(t, "CA under a non-CA", notCA, isCA(1))
	deepUnderNotCA := mustCert(t, "Two below a non-CA", caUnderNotCA)
	decoy := mustCert(t, "Intermediate", root)
	expiredInter := mustCert(t, "Intermediate", root, isCA(1), validity(t0.AddDate(-3, 0, 0), t0.AddDate(0, 0, -1)))
	broken := *inter.cert
	broken.Signature = append([]byte(nil), inter.cert.Signature...)
	broken.Signature[len(broken.Signature)-1] ^= 1
	chain := []*x509.Certificate{inter.cert, root.cert}

	tests := []struct {
		name  string
		leaf  *x509.Certificate
		inter []*x509.Certificate
		at    time.Time
	}{
		{"whole chain", leaf.cert, chain, t0},
		{"nothing handed in", leaf.cert, nil, t0},
		{"root itself", root.cert, chain, t0},
		{"intermediate signature broken", leaf.cert, []*x509.Certificate{&broken, root.cert}, t0},
		{"intermediate expired", leaf.cert, []*x509.Certificate{expiredInter.cert, root.cert}, t0},
		{"signed after the leaf expired", expired.cert, chain, t0},
		{"signed before the leaf was valid", future.cert, chain, t0},
		{"leaf valid for no time, signed after", instant.cert, chain, t0.Add(time.Hour)},
		{"leaf valid for no time, signed before", instant.cert, chain, t0.Add(-time.Hour)},
		{"unhandled critical extension", critical.cert, chain, t0},
		{"issuer is not a CA", underNotCA.cert, []*x509.Certificate{notCA.cert, root.cert}, t0},
		{"issuer's issuer is not a CA", deepUnderNotCA.cert, []*x509.Certificate{caUnderNotCA.cert, notCA.cert, root.cert}, t0},
		{"issuer is not a CA and expired signing", underNotCA.cert, []*x509.Certificate{notCA.cert}, t0.AddDate(2, 0, 0)},
		{"a non-CA shares the issuer's name", leaf.cert, []*x509.Certificate{decoy.cert, inter.cert, root.cert}, t0},
	}
	none := certs.NewTrustStore()
	stranger := certs.NewTrustStore()
	stranger.AddAnchor(mustRoot(t, "Stranger root").cert)
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, gotErr := none.Verify(ctx, tc.leaf, tc.inter, tc.at, certs.VerifyOptions{Now: t0})
			want, wantErr := stranger.Verify(ctx, tc.leaf, tc.inter, tc.at, certs.VerifyOptions{Now: t0})
			if got == nil || want == nil || gotErr == nil || wantErr == nil {
				t.Fatalf("got %v %v, want %v %v", got, gotErr, want, wantErr)
			}
			if got.Indication != want.Indication || got.SubIndication != want.SubIndication ||
				fmt.Sprint(got.Subjects) != fmt.Sprint(want.Subjects) || fmt.Sprint(got.Notes) != fmt.Sprint(want.Notes) {
				t.Fatalf("no anchors: %s/%s %v %q (%s)\nstranger:   %s/%s %v %q (%s)",
					got.Indication, got.SubIndication, got.Subjects, got.Notes, got.Reason,
					want.Indication, want.SubIndication, want.Subjects, want.Notes, want.Reason)
			}
			if got.SubIndication == certs.SubNoCertificateChainFound {
				if !strings.HasPrefix(got.Reason, "no trust anchor is configured") {
					t.Fatalf("reason %q does not say that nothing is trusted", got.Reason)
				}
			} else if got.Reason != want.Reason {
				t.Fatalf("reason %q, want %q", got.Reason, want.Reason)
			}
		})
	}
}

// TestVerifyChainNoAnchorsChecksNoSignature shows what the shortcut saves:
// with no anchor, not one certificate signature is checked on the way to the
// answer, while a store with an anchor checks them.
func TestVerifyChainNoAnchorsChecksNoSignature(t *testing.T) {
	root := mustRoot(t, "Root")
	inter := mustCert(t, "Intermediate", root, isCA(1))
	leaf := mustCert(t, "Signer", inter)
	var checks int
	chain := []*x509.Certificate{countSignatureChecks(t, inter.cert, &checks), countSignatureChecks(t, root.cert, &checks)}

	anchored := certs.NewTrustStore()
	anchored.AddAnchor(mustRoot(t, "Stranger root").cert)
	if res, _ := anchored.Verify(context.Background(), leaf.cert, chain, t0, certs.VerifyOptions{Now: t0}); res.SubIndication != certs.SubNoCertificateChainFound || checks == 0 {
		t.Fatalf("with an anchor: %s, %d signature checks; the probe does not count", res.SubIndication, checks)
	}
	checks = 0
	res, _ := certs.NewTrustStore().Verify(context.Background(), leaf.cert, chain, t0, certs.VerifyOptions{Now: t0})
	if res.SubIndication != certs.SubNoCertificateChainFound || checks != 0 {
		t.Fatalf("no anchors: %s, %d signature checks, want none", res.SubIndication, checks)
	}
}

// TestVerifyChainNoAnchorsIgnoresSystemRoots guards the empty roots pool: to
// x509 a nil pool means the system's roots, under which a system root
// handed in as the signer would be a chain of one.
func TestVerifyChainNoAnchorsIgnoresSystemRoots(t *testing.T) {
	cs, err := certs.LoadCertificateFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		t.Skipf("no system roots to try: %v", err)
	}
	now := time.Now()
	for _, c := range cs {
		if now.Before(c.NotBefore) || now.After(c.NotAfter) || len(c.UnhandledCriticalExtensions) > 0 {
			continue
		}
		res, err := certs.NewTrustStore().Verify(context.Background(), c, nil, now, certs.VerifyOptions{Now: now})
		if err == nil || res.SubIndication != certs.SubNoCertificateChainFound || len(res.Chain) != 0 {
			t.Fatalf("system root %s: %s/%s %v", certs.SubjectString(c), res.Indication, res.SubIndication, res.Subjects)
		}
		return
	}
	t.Skip("no system root valid now")
}

// countSignatureChecks returns a copy of c whose P-256 key counts the
// signatures verified with it: under a curve of another name ecdsa verifies
// through the curve's own methods, one ScalarBaseMult per signature.
func countSignatureChecks(tb testing.TB, c *x509.Certificate, n *int) *x509.Certificate {
	tb.Helper()
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		tb.Fatalf("%s: not a P-256 key", certs.SubjectString(c))
	}
	params := *elliptic.P256().Params()
	cp := *c
	cp.PublicKey = &ecdsa.PublicKey{Curve: countingCurve{elliptic.P256(), &params, n}, X: pub.X, Y: pub.Y}
	return &cp
}

type countingCurve struct {
	elliptic.Curve
	params *elliptic.CurveParams
	n      *int
}

func (c countingCurve) Params() *elliptic.CurveParams { return c.params }

func (c countingCurve) ScalarBaseMult(k []byte) (*big.Int, *big.Int) {
	*c.n++
	return c.Curve.ScalarBaseMult(k)
}
