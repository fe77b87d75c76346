package bundle_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
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

const (
	sender    = "000.00.00.H41"
	recipient = "000.00.01.H41"
	outsider  = "000.00.02.H41"
	origin    = "test.docgate/log"
)

// world is a gateway's use cases over real stores, a real CA, TSA, log and
// PDF verifier: the bundle is built from what a real exchange produced.
type world struct {
	svc    *exchange.Service
	exp    *bundle.Exporter
	ca     *devca.CA
	roots  *x509.CertPool
	pdfv   *pades.Verifier
	logKey string
	signed []byte // a PDF signed by the sender
}

func as(code string) context.Context {
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

func newWorld(t testing.TB) *world {
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
	for _, a := range []gateway.Agency{{Code: sender, Name: "UBND tỉnh"}, {Code: recipient, Name: "Sở Nội vụ"}, {Code: outsider, Name: "Sở Tài chính"}} {
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
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
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
	agency, err := ca.Issue(devca.IssueRequest{AgencyCode: sender, OrgName: "UBND tỉnh"})
	if err != nil {
		t.Fatal(err)
	}
	unsigned := onePage("Cong van so 12")
	var out bytes.Buffer
	if _, err := pades.Sign(ctx, bytes.NewReader(unsigned), int64(len(unsigned)), &out,
		pades.SignOptions{Signer: agency.Key, Chain: []*x509.Certificate{agency.Cert, ca.Root()}}); err != nil {
		t.Fatal(err)
	}
	return &world{svc: svc, ca: ca, roots: roots, pdfv: pdfv, logKey: vkey, signed: out.Bytes(),
		exp: &bundle.Exporter{Exchange: svc, Log: log, LogKey: vkey}}
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

// flow sends the signed PDF with one attachment, and the recipient
// acknowledges and accepts it: four receipts.
func (w *world) flow(t testing.TB, subject string) string {
	t.Helper()
	env := gateway.Envelope{From: sender, To: []string{recipient}, Subject: subject, Number: "12"}
	atts := uploads{{Name: "../../phụ lục 1.txt", ContentType: "text/plain", Body: strings.NewReader("phụ lục của " + subject)}}
	sub, err := w.svc.Submit(as(sender), env, &exchange.Upload{Name: `C:\Văn bản\công văn 12.pdf`, ContentType: "application/pdf", Body: bytes.NewReader(w.signed)}, &atts)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	id := sub.Document.ID
	if _, err := w.svc.Acknowledge(as(recipient), id); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.ReportStatus(as(recipient), id, gateway.StatusAccepted, ""); err != nil {
		t.Fatal(err)
	}
	return id
}

func (w *world) export(t testing.TB, ctx context.Context, id string) []byte {
	t.Helper()
	c, err := w.exp.Collect(ctx, id)
	if err != nil {
		t.Fatalf("collect %s: %v", id, err)
	}
	var buf bytes.Buffer
	if err := c.Write(ctx, &buf); err != nil {
		t.Fatalf("write bundle: %v", err)
	}
	return buf.Bytes()
}

func (w *world) opts() bundle.Options {
	return bundle.Options{Roots: w.roots, LogKey: w.logKey, PDF: w.pdfv}
}

func verify(t *testing.T, data []byte, opts bundle.Options) *bundle.Result {
	t.Helper()
	res, err := bundle.Verify(context.Background(), bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return res
}

// unzip returns a bundle's files in order and its manifest.
func unzip(t *testing.T, data []byte) ([]string, map[string][]byte, *bundle.Manifest) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, f.Name)
		files[f.Name] = b
	}
	var m bundle.Manifest
	if err := json.Unmarshal(files[bundle.ManifestPath], &m); err != nil {
		t.Fatal(err)
	}
	return order, files, &m
}

// rewrite edits a bundle the way a forger would: edit changes files (nil
// removes one) and the manifest; the manifest's hashes are then made to
// match the files, so that only the signed contents can give it away.
func rewrite(t *testing.T, data []byte, edit func(m *bundle.Manifest, files map[string][]byte)) []byte {
	t.Helper()
	order, files, m := unzip(t, data)
	edit(m, files)
	for name := range files {
		if !slices.Contains(order, name) {
			order = append(order, name)
		}
	}
	for i, f := range m.Files {
		if b, ok := files[f.Path]; ok && b != nil {
			s := sha256.Sum256(b)
			m.Files[i].SHA256, m.Files[i].Size = hex.EncodeToString(s[:]), int64(len(b))
		}
	}
	mb, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	files[bundle.ManifestPath] = mb
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range order {
		if files[name] == nil {
			continue
		}
		fw, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(files[name])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func receiptFiles(m *bundle.Manifest) []bundle.File {
	var out []bundle.File
	for _, f := range m.Files {
		if f.Kind == bundle.KindReceipt {
			out = append(out, f)
		}
	}
	return out
}

func pathOf(t *testing.T, m *bundle.Manifest, kind string) string {
	t.Helper()
	for _, f := range m.Files {
		if f.Kind == kind {
			return f.Path
		}
	}
	t.Fatalf("no %s in the manifest", kind)
	return ""
}

func wantFailure(t *testing.T, res *bundle.Result, want ...string) {
	t.Helper()
	if res.OK() {
		t.Fatalf("verified OK, want a failure naming %q", want)
	}
	all := strings.Join(res.Failures, "\n")
	t.Logf("failures:\n%s", all)
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Fatalf("failures lack %q:\n%s", w, all)
		}
	}
}

func TestBundleEndToEnd(t *testing.T) {
	w := newWorld(t)
	id := w.flow(t, "Về việc thử nghiệm")
	other := w.flow(t, "Văn bản khác")
	auditor := gateway.NewContextWithPrincipal(context.Background(), &gateway.Principal{Role: gateway.RoleAuditor})
	data := w.export(t, auditor, id)

	order, files, m := unzip(t, data)
	if m.Format != bundle.Format || m.DocumentID != id {
		t.Fatalf("manifest: %+v", m)
	}
	doc := pathOf(t, m, bundle.KindDocument)
	if doc != "document/công văn 12.pdf" || !bytes.Equal(files[doc], w.signed) {
		t.Fatalf("document at %q (%d bytes), want the signed PDF under its own name", doc, len(files[doc]))
	}
	if a := pathOf(t, m, bundle.KindAttachment); a != "attachments/01/phụ lục 1.txt" {
		t.Fatalf("attachment at %q", a)
	}
	rs := receiptFiles(m)
	var events []string
	for _, r := range rs {
		events = append(events, r.Event)
		if r.Proof == "" || files[r.Proof] == nil {
			t.Fatalf("receipt %s has no proof in the bundle", r.Path)
		}
	}
	if strings.Join(events, " ") != "SubmissionAcceptance ContentConsignment ContentHandover ConsignmentAcceptance" {
		t.Fatalf("receipts: %v", events)
	}
	if len(files) != len(m.Files)+1 || len(order) != len(files) {
		t.Fatalf("%d files in the zip, the manifest lists %d", len(files), len(m.Files))
	}
	for _, k := range []string{bundle.KindCheckpoint, bundle.KindLogKey, bundle.KindCertificate, bundle.KindReport} {
		pathOf(t, m, k)
	}

	res := verify(t, data, w.opts())
	if !res.OK() || res.KeyFromBundle {
		t.Fatalf("a fresh bundle does not verify: %q (warnings %q)", res.Failures, res.Warnings)
	}
	// The test PDF is B-B: offline, its revocation status is unknown, and
	// that must be said rather than passed over.
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "could not be checked offline") {
		t.Fatalf("warnings: %q", res.Warnings)
	}
	if len(res.Receipts) != 4 || !res.Receipts[3].Included || res.Report == nil || len(res.Report.Signatures) != 1 || !res.Report.Signatures[0].Intact {
		t.Fatalf("result: %+v", res)
	}

	// Without a pinned key it still verifies, and says loudly what that
	// is worth.
	o := w.opts()
	o.LogKey = ""
	if res := verify(t, data, o); !res.OK() || !res.KeyFromBundle || len(res.Warnings) != 2 || !strings.Contains(res.Warnings[0], "bundle's own key") {
		t.Fatalf("key from the bundle: ok=%v warnings %q", res.OK(), res.Warnings)
	}

	// The recipient may export it, an outsider may not learn it exists.
	if _, err := w.exp.Collect(as(recipient), id); err != nil {
		t.Fatalf("recipient: %v", err)
	}
	if _, err := w.exp.Collect(as(outsider), id); gateway.ErrorCode(err) != gateway.ENOTFOUND {
		t.Fatalf("outsider: %v", err)
	}

	otherData := w.export(t, auditor, other)
	_, otherFiles, otherM := unzip(t, otherData)

	forger, _, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	forgerSigner, _ := auditlog.NewSigner(forger)
	_, wrongKey, _ := note.GenerateKey(rand.Reader, origin)
	otherCA, err := devca.Init(t.TempDir(), devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	otherRoots := x509.NewCertPool()
	otherRoots.AddCert(otherCA.Root())

	cases := []struct {
		name string
		data []byte
		opts func(*bundle.Options)
		want []string
	}{
		{"changed PDF byte, manifest kept", rewrite(t, data, func(m *bundle.Manifest, f map[string][]byte) {
			// One byte of the page's text, inside the signed range.
			b := bytes.Clone(f[doc])
			i := bytes.Index(b, []byte("so 12"))
			b[i+3] = '7'
			f[doc] = b
		}), nil, []string{"receipt 1 (SubmissionAcceptance): its evidence's PDF digest", "the PDF's signatures are INVALID"}},
		{"changed PDF byte, manifest not", func() []byte {
			// The forger changes the PDF but leaves the manifest: the
			// manifest check alone names it.
			_, fs, mm := unzip(t, data)
			b := bytes.Clone(fs[doc])
			b[len(b)/2] ^= 1
			return zipWith(t, data, doc, b, mm)
		}(), nil, []string{doc + " (document) does not match its SHA-256 in the manifest"}},
		{"removed receipt", rewrite(t, data, func(m *bundle.Manifest, f map[string][]byte) {
			r := receiptFiles(m)[1]
			f[r.Path], f[r.Proof] = nil, nil
			m.Files = without(m.Files, r.Path, r.Proof)
		}), nil, []string{"receipt 2 (ContentHandover): follows evidence " + rs[1].EvidenceID + ", which is not in the bundle: a receipt was removed"}},
		{"receipt swapped from another document", rewrite(t, data, func(m *bundle.Manifest, f map[string][]byte) {
			theirs := receiptFiles(otherM)[2]
			ours := receiptFiles(m)[2]
			f[ours.Path] = otherFiles[theirs.Path]
			for i := range m.Files {
				if m.Files[i].Path == ours.Path {
					m.Files[i].EvidenceID = theirs.EvidenceID
				}
			}
		}), nil, []string{"receipt 3 (ContentHandover): is evidence about document " + other, "receipt 3 (ContentHandover): not included in checkpoint"}},
		{"forged checkpoint", rewrite(t, data, func(m *bundle.Manifest, f map[string][]byte) {
			sc, err := auditlog.ParseCheckpoint(strings.SplitN(string(f[bundle.CheckpointPath]), "\n\n", 2)[0] + "\n")
			if err != nil {
				t.Fatal(err)
			}
			sc.Size++
			forged, err := auditlog.SignCheckpoint(sc, forgerSigner)
			if err != nil {
				t.Fatal(err)
			}
			f[bundle.CheckpointPath] = forged
		}), nil, []string{"the checkpoint does not verify with the log key", "its proof leads to another checkpoint"}},
		{"proof for another index", rewrite(t, data, func(m *bundle.Manifest, f map[string][]byte) {
			r := receiptFiles(m)
			f[r[2].Proof], f[r[3].Proof] = f[r[3].Proof], f[r[2].Proof]
			for i := range m.Files {
				m.Files[i].LogIndex = nil
			}
		}), nil, []string{"receipt 3 (ContentHandover): not included in checkpoint", "receipt 4 (ConsignmentAcceptance): not included in checkpoint"}},
		{"wrong --trust root", data, func(o *bundle.Options) {
			o.Roots = otherRoots
			o.PDF = &pades.Verifier{Trust: func() *certs.TrustStore { s := certs.NewTrustStore(); s.AddAnchor(otherCA.Root()); return s }()}
		}, []string{"receipt 1 (", "is not trusted", "the PDF's signatures are INDETERMINATE"}},
		{"wrong --key", data, func(o *bundle.Options) { o.LogKey = wrongKey }, []string{"the checkpoint does not verify with the log key " + origin}},
		{"file not in the manifest", rewrite(t, data, func(m *bundle.Manifest, f map[string][]byte) {
			f["document/other.pdf"] = []byte("%PDF-")
		}), nil, []string{"document/other.pdf is in the bundle but not in the manifest"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := w.opts()
			if c.opts != nil {
				c.opts(&o)
			}
			wantFailure(t, verify(t, c.data, o), c.want...)
		})
	}
}

func without(fs []bundle.File, paths ...string) []bundle.File {
	var out []bundle.File
	for _, f := range fs {
		drop := false
		for _, p := range paths {
			drop = drop || f.Path == p
		}
		if !drop {
			out = append(out, f)
		}
	}
	return out
}

// zipWith rewrites one file and keeps the manifest as given.
func zipWith(t *testing.T, data []byte, path string, content []byte, m *bundle.Manifest) []byte {
	t.Helper()
	order, files, _ := unzip(t, data)
	files[path] = content
	mb, _ := json.Marshal(m)
	files[bundle.ManifestPath] = mb
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range order {
		fw, _ := zw.Create(name)
		fw.Write(files[name])
	}
	zw.Close()
	return buf.Bytes()
}
