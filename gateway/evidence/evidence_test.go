package evidence_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"docgate/certs/devca"
	"docgate/gateway/evidence"
	"docgate/signing/cms"
	"docgate/signing/tsp"
)

type pki struct {
	ca     *devca.CA
	sealer *evidence.Sealer
	roots  *x509.CertPool
	tsa    *tsp.Authority
}

func mustPKI(t testing.TB) *pki {
	t.Helper()
	ca, err := devca.Init(t.TempDir(), devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tsaCert, tsaKey, err := ca.TSA()
	if err != nil {
		t.Fatal(err)
	}
	sealCert, sealKey, err := ca.Seal()
	if err != nil {
		t.Fatal(err)
	}
	tsa := &tsp.Authority{Signer: tsaKey, Certificate: tsaCert, Chain: []*x509.Certificate{ca.Root()}, Policy: []int{1, 3, 6, 1, 4, 1, 99999, 1}}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Root())
	return &pki{ca: ca, tsa: tsa, roots: roots,
		sealer: &evidence.Sealer{Signer: sealKey, Certificate: sealCert, Chain: []*x509.Certificate{ca.Root()}, TSA: tsa}}
}

func record() *evidence.Record {
	at := time.Now().UTC().Truncate(time.Millisecond)
	return &evidence.Record{
		EvidenceID: evidence.NewID(), Event: "SubmissionAcceptance", EventTime: at, SubmissionTime: at,
		DocumentID: "doc_1", Sender: "000.00.00.H41", Recipients: []string{"000.00.01.H41"}, Number: "7", Subject: "Công văn",
		Document: evidence.PartDigest{Name: "a.pdf", ContentType: "application/pdf", DigestMethod: "SHA-256", Digest: strings.Repeat("ab", 32)},
	}
}

func TestSealAndVerify(t *testing.T) {
	p := mustPKI(t)
	rec := record()
	der, pending, err := p.sealer.Seal(context.Background(), rec)
	if err != nil || pending {
		t.Fatalf("seal: pending=%v err=%v", pending, err)
	}
	v, err := evidence.Verify(der, p.roots)
	if err != nil {
		t.Fatal(err)
	}
	if v.Record.EvidenceID != rec.EvidenceID || v.Record.Subject != "Công văn" || v.Record.Version != evidence.Version ||
		v.Record.PolicyID != evidence.DefaultPolicyID || v.Record.Issuer == "" {
		t.Fatalf("record: %+v", v.Record)
	}
	if v.TimestampTime.IsZero() || v.TimestampTime.Sub(rec.EventTime).Abs() > time.Minute {
		t.Fatalf("timestamp time %v, event %v", v.TimestampTime, rec.EventTime)
	}
	opensslVerify(t, p, der, true)

	// Another root trusts nothing here.
	other := mustPKI(t)
	if _, err := evidence.Verify(der, other.roots); err == nil || errors.Is(err, evidence.ErrUnreadable) {
		t.Fatalf("verify under another root: %v, want a trust failure", err)
	}
	opensslVerify(t, other, der, false)

	// One flipped byte in the record breaks the signature.
	i := strings.Index(string(der), "Công văn")
	if i < 0 {
		t.Fatal("record not encapsulated")
	}
	bad := append([]byte(nil), der...)
	bad[i] ^= 1
	if _, err := evidence.Verify(bad, p.roots); err == nil {
		t.Fatal("a tampered receipt verified")
	}
	opensslVerify(t, p, bad, false)

	if _, err := evidence.Verify([]byte("not a receipt"), p.roots); !errors.Is(err, evidence.ErrUnreadable) {
		t.Fatalf("garbage: %v, want ErrUnreadable", err)
	}
}

type downTSA struct{}

func (downTSA) Timestamp(context.Context, []byte, crypto.Hash) ([]byte, error) {
	return nil, errors.New("connection refused")
}

func TestTSAOutageKeepsReceipt(t *testing.T) {
	p := mustPKI(t)
	working := p.sealer.TSA
	p.sealer.TSA = downTSA{}
	der, pending, err := p.sealer.Seal(context.Background(), record())
	if err != nil || !pending {
		t.Fatalf("seal with the TSA down: pending=%v err=%v, want a pending receipt", pending, err)
	}
	v, err := evidence.Verify(der, p.roots)
	if err != nil || !v.TimestampTime.IsZero() {
		t.Fatalf("pending receipt: %v, timestamp %v", err, v)
	}
	p.sealer.TSA = working
	stamped, err := p.sealer.Restamp(context.Background(), der)
	if err != nil {
		t.Fatal(err)
	}
	v, err = evidence.Verify(stamped, p.roots)
	if err != nil || v.TimestampTime.IsZero() {
		t.Fatalf("restamped: %v, %+v", err, v)
	}
	opensslVerify(t, p, stamped, true)
}

func TestNegativeEvidenceNeedsReason(t *testing.T) {
	p := mustPKI(t)
	rec := record()
	rec.Event = "ConsignmentRejection"
	if _, _, err := p.sealer.Seal(context.Background(), rec); err == nil {
		t.Fatal("a rejection without a reason was sealed")
	}
	rec.Reasons = []string{"wrong recipient"}
	if _, _, err := p.sealer.Seal(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
}

// opensslVerify has openssl, an independent CMS implementation, check the
// receipt against the root.
func opensslVerify(t *testing.T, p *pki, der []byte, want bool) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Log("openssl not installed; skipping the independent check")
		return
	}
	dir := t.TempDir()
	in, root := filepath.Join(dir, "r.p7s"), filepath.Join(dir, "root.pem")
	os.WriteFile(in, der, 0o600)
	os.WriteFile(root, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.ca.Root().Raw}), 0o600)
	out, err := exec.Command("openssl", "cms", "-verify", "-inform", "DER", "-in", in, "-CAfile", root, "-purpose", "any", "-out", filepath.Join(dir, "content")).CombinedOutput()
	if (err == nil) != want {
		t.Fatalf("openssl cms -verify: err=%v, want ok=%v\n%s", err, want, out)
	}
}

func FuzzVerify(f *testing.F) {
	p := mustPKI(f)
	der, _, err := p.sealer.Seal(context.Background(), record())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(der)
	f.Add([]byte{0x30, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := evidence.Verify(b, p.roots)
		if err == nil && v.Record == nil {
			t.Fatal("verified without a record")
		}
	})
}

// TestOnlyASealSignsReceipts: an agency's certificate from the gateway's own
// CA, with a genuine timestamp from the gateway's TSA, makes a receipt
// whose signature, chain and timestamp all check out; it is still no
// receipt, because its signer is no gateway seal. A seal from another CA
// (no seal policy) is trusted only when pinned.
func TestOnlyASealSignsReceipts(t *testing.T) {
	p := mustPKI(t)
	agency, err := p.ca.Issue(devca.IssueRequest{AgencyCode: "000.00.00.H41", OrgName: "UBND tỉnh"})
	if err != nil {
		t.Fatal(err)
	}
	forger := &evidence.Sealer{Signer: agency.Key, Certificate: agency.Cert, Chain: []*x509.Certificate{p.ca.Root()}, TSA: p.tsa,
		Issuer: p.sealer.Certificate.Subject.String()}
	rec := record()
	rec.Event = "ConsignmentAcceptance"
	forged, _, err := forger.Seal(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := evidence.Verify(forged, p.roots); !errors.Is(err, evidence.ErrNotASeal) {
		t.Fatalf("a receipt signed by an agency's certificate: %v, want ErrNotASeal", err)
	}
	// Pinned, the same certificate is the seal (as an operator's seal from
	// its own CA would be).
	if _, err := evidence.VerifyWith(forged, evidence.VerifyOptions{Roots: p.roots, Seals: []*x509.Certificate{agency.Cert}}); err != nil {
		t.Fatalf("a pinned seal: %v", err)
	}
	// The development CA's seal carries the policy.
	if _, err := evidence.Verify(mustSeal(t, p.sealer), p.roots); err != nil {
		t.Fatalf("the development seal: %v", err)
	}
}

func mustSeal(t *testing.T, s *evidence.Sealer) []byte {
	t.Helper()
	der, _, err := s.Seal(context.Background(), record())
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestUntimestampedReceiptCheckedNow: without a timestamp nothing vouches
// for the signing time, so the signer's chain is checked as it stands now,
// not at the time the signed record names.
func TestUntimestampedReceiptCheckedNow(t *testing.T) {
	p := mustPKI(t)
	old, err := p.ca.Issue(devca.IssueRequest{Kind: devca.KindSeal, OrgName: "docgate", NotBefore: time.Now().Add(-48 * time.Hour), Validity: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s := &evidence.Sealer{Signer: old.Key, Certificate: old.Cert, Chain: []*x509.Certificate{p.ca.Root()}, TSA: downTSA{}}
	rec := record()
	rec.EventTime = time.Now().Add(-36 * time.Hour).UTC().Truncate(time.Millisecond) // inside the expired seal's life
	rec.SubmissionTime = rec.EventTime
	der, pending, err := s.Seal(context.Background(), rec)
	if err != nil || !pending {
		t.Fatalf("seal: pending=%v %v", pending, err)
	}
	if _, err := evidence.Verify(der, p.roots); err == nil || !strings.Contains(err.Error(), "not trusted") {
		t.Fatalf("an untimestamped receipt by an expired seal, dated inside its life: %v, want not trusted", err)
	}
}

// TestReceiptContentIsData: a SignedData by the seal over an evidence record
// but declared as another content type (a timestamp token's TSTInfo, say)
// is no receipt.
func TestReceiptContentIsData(t *testing.T) {
	p := mustPKI(t)
	good := mustSeal(t, p.sealer)
	v, err := evidence.Verify(good, p.roots)
	if err != nil {
		t.Fatal(err)
	}
	content, err := json.Marshal(v.Record)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	der, err := cms.Sign(context.Background(), cms.SignOptions{Content: content, Signer: p.sealer.Signer, Certificate: p.sealer.Certificate,
		Chain: p.sealer.Chain, SigningTime: &at, SigningCertificateV2: true, ContentType: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := evidence.Verify(der, p.roots); err == nil || !strings.Contains(err.Error(), "not data") {
		t.Fatalf("a seal's SignedData of type TSTInfo: %v, want refused", err)
	}
}
