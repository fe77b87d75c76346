package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"docgate/certs"
	"docgate/certs/keys"
	"docgate/gateway/edxml"
	"docgate/signing/pades"
)

// onePagePDF is a small classic-xref PDF with one page of text.
func onePagePDF(text string) []byte {
	var b bytes.Buffer
	var offs []int
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	obj := func(body string) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offs), body)
	}
	content := "BT /F1 24 Tf 72 720 Td (" + text + ") Tj ET"
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f\r\n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n\r\n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /ID [<0123456789ABCDEF0123456789ABCDEF> <0123456789ABCDEF0123456789ABCDEF>] >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}

// signPDF signs pdf with the certificate and key at prefix (.crt/.key), as
// `docgate sign` would, and writes it to out.
func signPDF(t *testing.T, pdf []byte, prefix, out string) {
	t.Helper()
	chain, err := certs.LoadCertificateFile(prefix + ".crt")
	if err != nil {
		t.Fatal(err)
	}
	kb, err := os.ReadFile(prefix + ".key")
	if err != nil {
		t.Fatal(err)
	}
	key, err := keys.ParsePrivateKey(kb)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := pades.Sign(context.Background(), bytes.NewReader(pdf), int64(len(pdf)), &buf, pades.SignOptions{Signer: key, Chain: chain, Reason: "Phát hành"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustRun(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	code, out, errs := runDocgate(context.Background(), env, args...)
	if code != exitOK {
		t.Fatalf("docgate %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

func wantExit(t *testing.T, env map[string]string, code int, want string, args ...string) {
	t.Helper()
	got, out, errs := runDocgate(context.Background(), env, args...)
	if got != code || !strings.Contains(out+errs, want) {
		t.Fatalf("docgate %s: exit %d (want %d), output lacks %q:\n%s%s", strings.Join(args, " "), got, code, want, out, errs)
	}
}

// TestExchangeEndToEnd runs the README's walkthrough through Main: a dev
// gateway, two agencies with certificates from its CA, a signed PDF sent,
// found in the inbox, fetched, acknowledged, given a status, and every
// receipt verified offline (and by openssl).
func TestExchangeEndToEnd(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	g := startGateway(t, dir)
	pki := filepath.Join(dir, "pki")
	root := filepath.Join(pki, "root.crt")
	work := t.TempDir()
	admin := map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": g.admin}

	const sender, recipient, outsider = "000.00.00.H41", "000.00.01.H41", "000.00.02.H41"
	senderCert := filepath.Join(work, "sender")
	mustRun(t, nil, "ca", "issue", "--dir", pki, "--code", sender, "--name", "UBND tỉnh", "--out", senderCert)
	senderTok := lastLine(mustRun(t, admin, "agency", "add", "--code", sender, "--name", "UBND tỉnh", "--cert", senderCert+".crt"))
	recipTok := lastLine(mustRun(t, admin, "agency", "add", "--code", recipient, "--name", "Sở Nội vụ"))
	otherTok := lastLine(mustRun(t, admin, "agency", "add", "--code", outsider, "--name", "Sở Tài chính"))
	as := func(tok string) map[string]string {
		return map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": tok}
	}

	unsigned := onePagePDF("Cong van so 12")
	pdf := filepath.Join(work, "signed.pdf")
	signPDF(t, unsigned, senderCert, pdf)
	annex := filepath.Join(work, "annex.txt")
	os.WriteFile(annex, []byte("phụ lục"), 0o644)

	// Refusals first: nothing of them may show up later.
	plain := filepath.Join(work, "plain.pdf")
	os.WriteFile(plain, unsigned, 0o644)
	wantExit(t, as(senderTok), exitFailed, "not signed", "send", "--to", recipient, "--subject", "x", plain)
	wantExit(t, as(senderTok), exitFailed, "is not a registered agency", "send", "--to", "000.09.09.H41", "--subject", "x", pdf)
	wantExit(t, as(recipTok), exitFailed, "not a certificate of "+recipient, "send", "--to", outsider, "--subject", "x", pdf)
	wantExit(t, as(senderTok), exitUsage, "--to is required", "send", "--subject", "x", pdf)
	// Tampered after signing: one byte of the signed page content changed.
	signedBytes, _ := os.ReadFile(pdf)
	at := bytes.Index(signedBytes, []byte("Cong van so 12"))
	tamperedBytes := append([]byte(nil), signedBytes...)
	tamperedBytes[at] = 'K'
	tamperedPDF := filepath.Join(work, "tampered.pdf")
	os.WriteFile(tamperedPDF, tamperedBytes, 0o644)
	wantExit(t, as(senderTok), exitFailed, "does not verify", "send", "--to", recipient, "--subject", "x", tamperedPDF)
	// Untrusted: a certificate of another CA, even registered to the sender.
	otherCA := filepath.Join(work, "other-ca")
	mustRun(t, nil, "ca", "init", "--dir", otherCA)
	strangerCert := filepath.Join(work, "stranger")
	mustRun(t, nil, "ca", "issue", "--dir", otherCA, "--code", sender, "--name", "UBND tỉnh", "--out", strangerCert)
	mustRun(t, admin, "agency", "cert", sender, "--cert", strangerCert+".crt")
	untrustedPDF := filepath.Join(work, "untrusted.pdf")
	signPDF(t, unsigned, strangerCert, untrustedPDF)
	wantExit(t, as(senderTok), exitFailed, "no valid signature of "+sender, "send", "--to", recipient, "--subject", "x", untrustedPDF)

	receiptFile := filepath.Join(work, "submission.p7s")
	out := mustRun(t, as(senderTok), "send", "--to", recipient, "--subject", "Về việc thử nghiệm", "--number", "12", "--message-id", "dms-1",
		"--attach", annex, "--receipt-out", receiptFile, pdf)
	id := lastLine(out)
	if !strings.HasPrefix(id, "doc_") {
		t.Fatalf("send's last line is %q", id)
	}
	// Resending with the same message id gives the same document.
	if again := lastLine(mustRun(t, as(senderTok), "send", "--to", recipient, "--subject", "Về việc thử nghiệm", "--message-id", "dms-1", pdf)); again != id {
		t.Fatalf("resend: %s, want %s", again, id)
	}
	// The same message id for another document is refused, not answered
	// with the first one as if the second had been sent.
	wantExit(t, as(senderTok), exitFailed, "was used for document "+id, "send", "--to", recipient, "--subject", "Một việc khác", "--message-id", "dms-1", pdf)
	if out := mustRun(t, nil, "receipt", "verify", "--trust", root, receiptFile); !strings.Contains(out, "SubmissionAcceptance") || !strings.Contains(out, id) {
		t.Fatalf("receipt verify: %s", out)
	}

	if out := mustRun(t, as(recipTok), "inbox"); !strings.Contains(out, id) || !strings.Contains(out, "Về việc thử nghiệm") {
		t.Fatalf("inbox: %s", out)
	}
	if out := mustRun(t, as(otherTok), "inbox", "--json"); strings.Contains(out, id) {
		t.Fatalf("an outsider's inbox shows the document: %s", out)
	}
	got := filepath.Join(work, "got.pdf")
	mustRun(t, as(recipTok), "fetch", id, "-o", got)
	sent, _ := os.ReadFile(pdf)
	if b, _ := os.ReadFile(got); !bytes.Equal(b, sent) {
		t.Fatal("the fetched PDF differs from the one sent")
	}
	gotAnnex := filepath.Join(work, "annex-got.txt")
	mustRun(t, as(recipTok), "fetch", id, "--attachment", "0", "-o", gotAnnex)
	if b, _ := os.ReadFile(gotAnnex); string(b) != "phụ lục" {
		t.Fatalf("attachment: %q", b)
	}
	wantExit(t, as(otherTok), exitFailed, "HTTP 404", "fetch", id, "-o", filepath.Join(work, "nope.pdf"))
	if _, err := os.Stat(filepath.Join(work, "nope.pdf")); !os.IsNotExist(err) {
		t.Fatal("a refused fetch left a file")
	}

	mustRun(t, as(recipTok), "ack", id)
	if out := mustRun(t, as(recipTok), "inbox"); strings.Contains(out, id) {
		t.Fatalf("acknowledged document still in the inbox: %s", out)
	}
	wantExit(t, as(recipTok), exitFailed, "needs a reason", "status", id, "--set", "rejected")
	mustRun(t, as(recipTok), "status", id, "--set", "accepted")
	wantExit(t, as(recipTok), exitFailed, "cannot follow", "status", id, "--set", "received")
	wantExit(t, as(senderTok), exitFailed, "cannot be recalled", "recall", id)

	// edXML exports: the package carries the PDF and the annex as sent, the
	// status message the accepted status (03).
	pkgFile := filepath.Join(work, "doc.edxml")
	mustRun(t, as(senderTok), "fetch", id, "--edxml", "-o", pkgFile)
	var parts [][]byte
	pf, err := os.Open(pkgFile)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := edxml.ParsePackage(pf, edxml.Options{Attachment: func(_ edxml.AttachmentInfo, r io.Reader) error {
		b, err := io.ReadAll(r)
		parts = append(parts, b)
		return err
	}})
	pf.Close()
	if err != nil {
		t.Fatalf("the exported package does not parse: %v", err)
	}
	if pkg.Header.Subject != "Về việc thử nghiệm" || len(parts) != 2 || !bytes.Equal(parts[0], sent) || string(parts[1]) != "phụ lục" {
		t.Fatalf("exported package: subject %q, %d files", pkg.Header.Subject, len(parts))
	}
	stFile := filepath.Join(work, "status.xml")
	mustRun(t, as(recipTok), "fetch", id, "--status-edxml", "-o", stFile)
	sf, err := os.Open(stFile)
	if err != nil {
		t.Fatal(err)
	}
	st, err := edxml.ParseStatus(sf, edxml.Options{})
	sf.Close()
	if err != nil || st.Code != "03" {
		t.Fatalf("exported status: %+v, %v", st, err)
	}
	wantExit(t, as(recipTok), exitFailed, "its own status", "fetch", id, "--status-edxml", "--recipient", outsider, "-o", filepath.Join(work, "st2.xml"))
	wantExit(t, as(recipTok), exitUsage, "give one", "fetch", id, "--edxml", "--attachment", "0", "-o", filepath.Join(work, "x"))
	wantExit(t, as(recipTok), exitUsage, "--recipient goes with --status-edxml", "fetch", id, "--recipient", "x", "-o", filepath.Join(work, "x"))

	var trail struct {
		Events []struct {
			Type     string `json:"type"`
			LogIndex *int64 `json:"logIndex"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, as(senderTok), "trail", id, "--json")), &trail); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range trail.Events {
		types = append(types, e.Type)
		if e.LogIndex == nil {
			t.Fatalf("event %s is not in the audit log", e.Type)
		}
	}
	if strings.Join(types, " ") != "SubmissionAcceptance ContentConsignment ContentHandover ConsignmentAcceptance" {
		t.Fatalf("trail: %v", types)
	}
	if out := mustRun(t, as(senderTok), "trail", id); !strings.Contains(out, "ContentHandover") {
		t.Fatalf("trail table: %s", out)
	}

	rdir := filepath.Join(work, "receipts")
	files := strings.Fields(mustRun(t, as(senderTok), "receipts", id, "--out-dir", rdir))
	if len(files) != 4 {
		t.Fatalf("receipts: %v", files)
	}
	for _, f := range files {
		mustRun(t, nil, "receipt", "verify", "--trust", root, f)
		if _, err := exec.LookPath("openssl"); err == nil {
			if b, err := exec.Command("openssl", "cms", "-verify", "-inform", "DER", "-in", f, "-CAfile", root, "-purpose", "any", "-out", os.DevNull).CombinedOutput(); err != nil {
				t.Fatalf("openssl cms -verify %s: %v\n%s", f, err, b)
			}
		}
	}
	b, _ := os.ReadFile(files[3])
	i := bytes.Index(b, []byte("ConsignmentAcceptance"))
	b[i] ^= 0x20
	tampered := filepath.Join(work, "tampered.p7s")
	os.WriteFile(tampered, b, 0o644)
	wantExit(t, nil, exitFailed, "NOT valid", "receipt", "verify", "--trust", root, tampered)
	wantExit(t, nil, exitUsage, "not a readable receipt", "receipt", "verify", "--trust", root, annex)
	wantExit(t, nil, exitUsage, "--trust", "receipt", "verify", files[0])
}
