package web_test

import (
	"context"
	"crypto/x509"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"docgate/certs/devca"
	"docgate/gateway/evidence"
	"docgate/gateway/web"
	"docgate/signing/tsp"
)

// mustReceipt seals a receipt with a fresh development CA and returns it
// with the CA's root.
func mustReceipt(t *testing.T, rec *evidence.Record) ([]byte, *x509.CertPool) {
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
	s := &evidence.Sealer{Signer: sealKey, Certificate: sealCert, Chain: []*x509.Certificate{ca.Root()}, TSA: tsa}
	der, pending, err := s.Seal(context.Background(), rec)
	if err != nil || pending {
		t.Fatalf("seal: pending %v, %v", pending, err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Root())
	return der, roots
}

func mustReceiptEnv(t *testing.T, roots *x509.CertPool) *env {
	t.Helper()
	e := &env{fake: &fakeVerifier{}, tmp: t.TempDir()}
	p := &web.Pages{Verifier: e.fake, ReceiptRoots: roots, TempDir: e.tmp, Logger: slog.New(slog.DiscardHandler)}
	e.srv = httptest.NewServer(p.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

func TestVerifyReceipt(t *testing.T) {
	at := time.Date(2026, 11, 23, 2, 30, 0, 0, time.UTC)
	digest := strings.Repeat("5e", 32)
	der, roots := mustReceipt(t, &evidence.Record{
		EvidenceID: evidence.NewID(), Event: "ContentHandover", EventTime: at, SubmissionTime: at.Add(-time.Hour),
		DocumentID: "doc_42", Sender: "000.00.00.H41", Recipients: []string{"000.00.01.H41", "000.00.02.H41"},
		Number: "7816/VPCP-TTĐT", Subject: "Về việc <b>triển khai</b> trục liên thông",
		Document: evidence.PartDigest{Name: "cv7816.pdf", ContentType: "application/pdf", DigestMethod: "SHA-256", Digest: digest},
	})
	_, otherRoots := mustReceipt(t, &evidence.Record{
		EvidenceID: evidence.NewID(), Event: "SubmissionAcceptance", EventTime: at, SubmissionTime: at,
		DocumentID: "doc_1", Sender: "000.00.00.H41", Recipients: []string{"000.00.01.H41"}, Subject: "x",
		Document: evidence.PartDigest{Name: "a.pdf", ContentType: "application/pdf", DigestMethod: "SHA-256", Digest: digest},
	})

	good := mustReceiptEnv(t, roots)
	r := good.upload(t, "file", "01-ContentHandover.p7s", der)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	mustContain(t, r.body, `data-verdict="RECEIPT_VALID"`, "BIÊN NHẬN HỢP LỆ", "Cơ quan nhận đã tải văn bản", digest,
		"000.00.01.H41, 000.00.02.H41", "7816/VPCP-TTĐT", "23/11/2026 09:30:00", "doc_42", "ContentHandover",
		"Về việc &lt;b&gt;triển khai&lt;/b&gt;")
	if strings.Contains(r.body, "Chưa có (biên nhận") {
		t.Error("a stamped receipt is shown without its timestamp")
	}
	r = good.upload(t, "file", "01.p7s", der, "Accept-Language", "en")
	mustContain(t, r.body, "VALID RECEIPT", "The recipient downloaded the document")

	// The same receipt against another gateway's root: an answer saying
	// why, not an error page.
	r = mustReceiptEnv(t, otherRoots).upload(t, "file", "01.p7s", der, "Accept-Language", "en")
	if r.status != 200 {
		t.Fatalf("untrusted: status %d", r.status)
	}
	mustContain(t, r.body, `data-verdict="RECEIPT_INVALID"`, "RECEIPT NOT VALID", "not trusted")

	// A flipped byte in the sealed record.
	bad := append([]byte(nil), der...)
	i := strings.Index(string(bad), "doc_42")
	bad[i] = 'D'
	r = good.upload(t, "file", "sửa.p7s", bad, "Accept-Language", "en")
	if r.status != 200 && r.status != 422 {
		t.Fatalf("tampered: status %d", r.status)
	}
	if strings.Contains(r.body, "RECEIPT_VALID") {
		t.Error("a tampered receipt reads valid")
	}

	// DER that is not a receipt, and a gateway without receipt roots.
	r = good.upload(t, "file", "rác.der", []byte{0x30, 0x82, 0x00, 0x03, 1, 2, 3})
	if r.status != 422 {
		t.Errorf("garbage DER: status %d", r.status)
	}
	mustContain(t, r.body, "cũng không phải là biên nhận", `id="verify-form"`)
	r = mustReceiptEnv(t, nil).upload(t, "file", "01.p7s", der, "Accept-Language", "en")
	if r.status != 422 {
		t.Errorf("no roots: status %d", r.status)
	}
	mustContain(t, r.body, "not set up to verify receipts")
	good.mustNoSpool(t)
}
