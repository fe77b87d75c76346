package exchange_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"strings"
	"testing"

	"docgate/certs/devca"
	"docgate/gateway"
	"docgate/gateway/exchange"
	"docgate/signing/pades"
)

// plainPDF is an unsigned one-page PDF with tag in its content.
func plainPDF(tag string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
	}
	stream := "BT /F1 12 Tf 72 720 Td (" + tag + ") Tj ET"
	objs = append(objs, fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream))
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f\r\n", len(objs)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n\r\n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

func mustIssue(tb testing.TB, ca *devca.CA, person string) *devca.Issued {
	tb.Helper()
	req := devca.IssueRequest{AgencyCode: sender, OrgName: "Văn phòng UBND"}
	if person != "" {
		req.Kind, req.Person = devca.KindPerson, person
	}
	iss, err := ca.Issue(req)
	if err != nil {
		tb.Fatal(err)
	}
	return iss
}

func sealFunc(ca *devca.CA, iss *devca.Issued) exchange.SealFunc {
	return func(ctx context.Context, in io.ReaderAt, size int64, out io.Writer) error {
		_, err := pades.Sign(ctx, in, size, out, pades.SignOptions{Signer: iss.Key, Chain: []*x509.Certificate{iss.Cert, ca.Root()}})
		return err
	}
}

func mustSign(tb testing.TB, ca *devca.CA, pdf []byte, iss *devca.Issued) []byte {
	tb.Helper()
	var out bytes.Buffer
	if err := sealFunc(ca, iss)(context.Background(), bytes.NewReader(pdf), int64(len(pdf)), &out); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

func wantRefusal(t *testing.T, err error, what string, words ...string) {
	t.Helper()
	wantCode(t, err, gateway.EINVALID, what)
	for _, w := range words {
		if !strings.Contains(gateway.ErrorMessage(err), w) {
			t.Errorf("%s: %q does not say %q", what, gateway.ErrorMessage(err), w)
		}
	}
}

func TestRequireSeal(t *testing.T) {
	f := newBenchFixture(t)
	f.svc.Policy = exchange.Policy{RequireSignature: true, RequireAgencyCertificate: true, RequireSeal: true}
	person := mustIssue(t, f.ca, "Nguyễn Văn A")
	seal := mustIssue(t, f.ca, "")

	personOnly := mustSign(t, f.ca, plainPDF("person only"), person)
	_, err := f.trySubmit(envelope(recipB), personOnly)
	wantRefusal(t, err, "person only", "seal of "+sender+" is missing")

	both := mustSign(t, f.ca, mustSign(t, f.ca, plainPDF("person then seal"), person), seal)
	out := f.submit(t, envelope(recipB), both)
	if out.Document.PDF.SHA256 != sum(both) {
		t.Errorf("stored %s, submitted %s: the gateway changed a sealed PDF", out.Document.PDF.SHA256, sum(both))
	}

	wrong := mustSign(t, f.ca, mustSign(t, f.ca, plainPDF("seal then person"), seal), person)
	_, err = f.trySubmit(envelope(recipB), wrong)
	wantRefusal(t, err, "seal before person", "comes before the personal signature Signature2")

	// A seal alone is the organisation's document: accepted.
	f.submit(t, envelope(recipB), mustSign(t, f.ca, plainPDF("seal only"), seal))

	// Another agency's seal is not the sender's.
	other, err := f.ca.Issue(devca.IssueRequest{AgencyCode: recipC, OrgName: "Sở C"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.trySubmit(envelope(recipB), mustSign(t, f.ca, personOnly, other))
	wantRefusal(t, err, "foreign seal", "seal of "+sender+" is missing")

	// Without --require-seal the person's signature is enough.
	f.svc.Policy = exchange.DefaultPolicy
	f.submit(t, envelope(recipB), personOnly)
}

func TestGatewaySeal(t *testing.T) {
	f := newBenchFixture(t)
	f.svc.Policy = exchange.Policy{RequireSignature: true, RequireAgencyCertificate: true, RequireSeal: true}
	person := mustIssue(t, f.ca, "Nguyễn Văn A")
	seal := mustIssue(t, f.ca, "")
	f.svc.Seals = map[string]exchange.AgencySeal{sender: {CertificateSHA256: sum(seal.Cert.Raw), Seal: sealFunc(f.ca, seal)}}

	in := mustSign(t, f.ca, plainPDF("sealed by the gateway"), person)
	out := f.submit(t, envelope(recipB), in)
	rc, _, err := f.svc.Open(as(recipB), out.Document.ID, -1)
	if err != nil {
		t.Fatal(err)
	}
	stored := readAll(t, rc)
	if !bytes.HasPrefix(stored, in) || len(stored) <= len(in) {
		t.Fatalf("the stored PDF (%d bytes) is not the submitted one (%d bytes) plus an incremental update", len(stored), len(in))
	}
	if got := sum(stored); out.Document.PDF.SHA256 != got || out.Document.PDF.Size != int64(len(stored)) {
		t.Errorf("document says %s/%d, stored bytes are %s/%d", out.Document.PDF.SHA256, out.Document.PDF.Size, got, len(stored))
	}
	if rec := verifyReceipt(t, f, out.Receipt); rec.Document.Digest != sum(stored) {
		t.Errorf("receipt names %s, the stored PDF is %s", rec.Document.Digest, sum(stored))
	}
	// Verified afresh, both signatures pass: the person's first, the seal after.
	rep, err := f.svc.Verifier.VerifyPDF(context.Background(), bytes.NewReader(stored), int64(len(stored)), gateway.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Document.Verdict != gateway.VerdictValid || len(rep.Signatures) != 2 {
		t.Fatalf("sealed PDF: %s with %d signatures: %+v", rep.Document.Verdict, len(rep.Signatures), rep)
	}
	if s := rep.Signatures[1]; s.CertificateSHA256 != sum(seal.Cert.Raw) || !exchange.IsSeal(s) || exchange.IsSeal(rep.Signatures[0]) {
		t.Errorf("signatures in order: %s then %s", rep.Signatures[0].Signer, s.Signer)
	}
	if out.Document.Verification == nil || len(out.Document.Verification.Signatures) != 2 {
		t.Errorf("the stored report is not of the sealed PDF: %+v", out.Document.Verification)
	}

	// A retry under the same message id sends the PDF as the agency signed
	// it, the beginning of the sealed one stored: the original comes back.
	env := envelope(recipB)
	env.MessageID = "dms-sealed-1"
	first := f.submit(t, env, in)
	if again := f.submit(t, env, in); again.Created || again.Document.ID != first.Document.ID {
		t.Fatalf("retry of a sealed document: created=%v id %s, want %s", again.Created, again.Document.ID, first.Document.ID)
	}

	// Already sealed: left alone.
	both := mustSign(t, f.ca, in, seal)
	if out := f.submit(t, envelope(recipB), both); out.Document.PDF.SHA256 != sum(both) {
		t.Error("the gateway sealed a PDF that had the seal already")
	}
	// The gateway seals only what the agency signed.
	_, err = f.trySubmit(envelope(recipB), plainPDF("unsigned"))
	wantRefusal(t, err, "unsigned", "not signed")
	// Nor does it seal for an agency whose key it does not hold.
	f.svc.Seals = nil
	_, err = f.trySubmit(envelope(recipB), in)
	wantRefusal(t, err, "no key held", "seal of "+sender+" is missing")
}

func TestIsSeal(t *testing.T) {
	for _, c := range []struct {
		signer, org string
		want        bool
	}{
		{"CN=Văn phòng UBND,O=Văn phòng UBND,C=VN", "Văn phòng UBND", true},
		{"CN=Nguyễn Văn A,O=Văn phòng UBND,C=VN", "Văn phòng UBND", false},
		{`CN=Sở Tài chính\, tỉnh Huế,O=Sở Tài chính\, tỉnh Huế`, "Sở Tài chính, tỉnh Huế", true},
		{"CN=sở y tế+organizationIdentifier=000.00.00.H41,O=Sở Y tế", "Sở Y tế", true},
		{"O=Sở Y tế", "Sở Y tế", false},
		{"CN=Sở Y tế", "", false},
	} {
		if got := exchange.IsSeal(gateway.SignatureReport{Signer: c.signer, Organization: c.org}); got != c.want {
			t.Errorf("IsSeal(%s / %s) = %v, want %v", c.signer, c.org, got, c.want)
		}
	}
}
