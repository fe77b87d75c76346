// Package bundletest builds evidence bundles from a real exchange flow for
// tests: real stores (SQLite, files), a development CA, timestamp authority,
// audit log and PDF verifier, and a PDF signed by the sending agency.
package bundletest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"docgate/certs"
	"docgate/certs/devca"
	"docgate/gateway"
	"docgate/gateway/auditlog"
	"docgate/gateway/bundle"
	"docgate/gateway/evidence"
	"docgate/gateway/exchange"
	"docgate/signing/pades"
	"docgate/signing/tsp"
	"docgate/storage/fsblob"
	"docgate/storage/sqlite"
)

// The agencies of a World, and its log's origin.
const (
	Sender    = "000.00.00.H41"
	Recipient = "000.00.01.H41"
	Outsider  = "000.00.02.H41"
	Origin    = "test.docgate/log"
)

// World is a gateway's use cases over real stores, a real CA, TSA, log and
// PDF verifier: the bundle is built from what a real exchange produced.
type World struct {
	Exchange  *exchange.Service
	Exporter  *bundle.Exporter
	CA        *devca.CA
	Roots     *x509.CertPool // the CA's root, as an auditor's --trust
	PDF       *pades.Verifier
	LogKey    string // the log's verifier key, as an auditor's --key
	SignedPDF []byte // a PDF signed by the Sender
}

// As is the context of an agency's request.
func As(code string) context.Context {
	return gateway.NewContextWithPrincipal(context.Background(), &gateway.Principal{Role: gateway.RoleAgency, AgencyCode: code})
}

// onePage writes a minimal one-page PDF with a classic xref table.
func onePage(text string) []byte {
	var b bytes.Buffer
	var offs []int
	b.WriteString("%PDF-1.7\n")
	add := func(s string) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offs), s)
	}
	stream := "BT /F1 18 Tf 72 720 Td (" + text + ") Tj ET"
	add("<< /Type /Catalog /Pages 2 0 R >>")
	add("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
	add(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream))
	add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f\r\n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n\r\n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /ID [<00112233445566778899AABBCCDDEEFF> <00112233445566778899AABBCCDDEEFF>] >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, x)
	return b.Bytes()
}

// New builds a World; everything lives in t's temporary directories.
func New(t testing.TB) *World {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "docgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	blobs, err := fsblob.New(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []gateway.Agency{{Code: Sender, Name: "UBND tỉnh"}, {Code: Recipient, Name: "Sở Nội vụ"}, {Code: Outsider, Name: "Sở Tài chính"}} {
		if err := store.CreateAgency(ctx, &a); err != nil {
			t.Fatal(err)
		}
	}
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
	trust := certs.NewTrustStore()
	trust.AddAnchor(ca.Root())
	roots := x509.NewCertPool()
	roots.AddCert(ca.Root())
	skey, vkey, err := note.GenerateKey(rand.Reader, Origin)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	log := auditlog.NewLog(auditlog.NewMemoryStorage(), signer)
	pdfv := &pades.Verifier{Trust: trust}
	svc := &exchange.Service{
		Store: store, Blobs: blobs, Verifier: pdfv, Log: log, TempDir: t.TempDir(),
		Policy: exchange.Policy{RequireSignature: true},
		Sealer: &evidence.Sealer{Signer: sealKey, Certificate: sealCert, Chain: []*x509.Certificate{ca.Root()},
			TSA: &tsp.Authority{Signer: tsaKey, Certificate: tsaCert, Chain: []*x509.Certificate{ca.Root()}, Policy: []int{1, 3, 6, 1, 4, 1, 99999, 1}}},
	}
	agency, err := ca.Issue(devca.IssueRequest{AgencyCode: Sender, OrgName: "UBND tỉnh"})
	if err != nil {
		t.Fatal(err)
	}
	unsigned := onePage("Cong van so 12")
	var out bytes.Buffer
	if _, err := pades.Sign(ctx, bytes.NewReader(unsigned), int64(len(unsigned)), &out,
		pades.SignOptions{Signer: agency.Key, Chain: []*x509.Certificate{agency.Cert, ca.Root()}}); err != nil {
		t.Fatal(err)
	}
	return &World{Exchange: svc, CA: ca, Roots: roots, PDF: pdfv, LogKey: vkey, SignedPDF: out.Bytes(),
		Exporter: &bundle.Exporter{Exchange: svc, Log: log, LogKey: vkey}}
}

type uploads []*exchange.Upload

func (u *uploads) Next() (*exchange.Upload, error) {
	if len(*u) == 0 {
		return nil, io.EOF
	}
	x := (*u)[0]
	*u = (*u)[1:]
	return x, nil
}

// Submit sends the signed PDF with one attachment to the Recipient and
// returns the document id: two receipts (submission, consignment).
func (w *World) Submit(t testing.TB, subject string) string {
	t.Helper()
	env := gateway.Envelope{From: Sender, To: []string{Recipient}, Subject: subject, Number: "12"}
	atts := uploads{{Name: "../../phụ lục 1.txt", ContentType: "text/plain", Body: strings.NewReader("phụ lục của " + subject)}}
	sub, err := w.Exchange.Submit(As(Sender), env, &exchange.Upload{Name: `C:\Văn bản\công văn 12.pdf`, ContentType: "application/pdf", Body: bytes.NewReader(w.SignedPDF)}, &atts)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return sub.Document.ID
}

// Flow sends the signed PDF with one attachment, and the Recipient
// acknowledges and accepts it: four receipts.
func (w *World) Flow(t testing.TB, subject string) string {
	t.Helper()
	id := w.Submit(t, subject)
	if _, err := w.Exchange.Acknowledge(As(Recipient), id); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Exchange.ReportStatus(As(Recipient), id, gateway.StatusAccepted, ""); err != nil {
		t.Fatal(err)
	}
	return id
}

// Export collects and writes the bundle of document id as ctx's caller.
func (w *World) Export(t testing.TB, ctx context.Context, id string) []byte {
	t.Helper()
	c, err := w.Exporter.Collect(ctx, id)
	if err != nil {
		t.Fatalf("collect %s: %v", id, err)
	}
	var buf bytes.Buffer
	if err := c.Write(ctx, &buf); err != nil {
		t.Fatalf("write bundle: %v", err)
	}
	return buf.Bytes()
}
