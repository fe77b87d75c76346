package evidence_test

import (
	"context"
	"crypto"
	"crypto/x509"
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
