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
	"io"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"docgate/certs"
	"docgate/certs/devca"
	"docgate/gateway"
	"docgate/gateway/auditlog"
	"docgate/gateway/bundle"
	"docgate/gateway/bundle/bundletest"
	"docgate/signing/pades"
)

func opts(w *bundletest.World) bundle.Options {
	return bundle.Options{Roots: w.Roots, LogKey: w.LogKey, PDF: w.PDF}
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
	w := bundletest.New(t)
	id := w.Flow(t, "Về việc thử nghiệm")
	other := w.Flow(t, "Văn bản khác")
	auditor := gateway.NewContextWithPrincipal(context.Background(), &gateway.Principal{Role: gateway.RoleAuditor})
	data := w.Export(t, auditor, id)

	order, files, m := unzip(t, data)
	if m.Format != bundle.Format || m.DocumentID != id {
		t.Fatalf("manifest: %+v", m)
	}
	doc := pathOf(t, m, bundle.KindDocument)
	if doc != "document/công văn 12.pdf" || !bytes.Equal(files[doc], w.SignedPDF) {
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

	res := verify(t, data, opts(w))
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
	o := opts(w)
	o.LogKey = ""
	if res := verify(t, data, o); !res.OK() || !res.KeyFromBundle || len(res.Warnings) != 2 || !strings.Contains(res.Warnings[0], "bundle's own key") {
		t.Fatalf("key from the bundle: ok=%v warnings %q", res.OK(), res.Warnings)
	}

	// The recipient may export it, an outsider may not learn it exists.
	if _, err := w.Exporter.Collect(bundletest.As(bundletest.Recipient), id); err != nil {
		t.Fatalf("recipient: %v", err)
	}
	if _, err := w.Exporter.Collect(bundletest.As(bundletest.Outsider), id); gateway.ErrorCode(err) != gateway.ENOTFOUND {
		t.Fatalf("outsider: %v", err)
	}

	// A recalled document: the sender's bundle carries the Recall receipt
	// and verifies; a recipient may no longer read the parts, and is told
	// so before any byte of a zip.
	recalled := w.Submit(t, "Thu hồi")
	if _, err := w.Exchange.Recall(bundletest.As(bundletest.Sender), recalled, "gửi nhầm"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Exporter.Collect(bundletest.As(bundletest.Recipient), recalled); gateway.ErrorCode(err) != gateway.ECONFLICT {
		t.Fatalf("recipient of a recalled document: %v", err)
	}
	if res := verify(t, w.Export(t, bundletest.As(bundletest.Sender), recalled), opts(w)); !res.OK() || len(res.Receipts) != 3 ||
		res.Receipts[2].Verified.Record.Event != gateway.EventRecall {
		t.Fatalf("recalled document's bundle: %d receipts, failures %q", len(res.Receipts), res.Failures)
	}

	otherData := w.Export(t, auditor, other)
	_, otherFiles, otherM := unzip(t, otherData)

	forger, _, err := note.GenerateKey(rand.Reader, bundletest.Origin)
	if err != nil {
		t.Fatal(err)
	}
	forgerSigner, _ := auditlog.NewSigner(forger)
	_, wrongKey, _ := note.GenerateKey(rand.Reader, bundletest.Origin)
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
		{"wrong --key", data, func(o *bundle.Options) { o.LogKey = wrongKey }, []string{"the checkpoint does not verify with the log key " + bundletest.Origin}},
		{"attachment renumbered and replaced", rewrite(t, data, func(m *bundle.Manifest, f map[string][]byte) {
			// The manifest is unsigned: numbering the attachment 1 must not
			// leave the evidence's attachment 0 unchecked.
			for i := range m.Files {
				if m.Files[i].Kind == bundle.KindAttachment {
					one := 1
					m.Files[i].Index = &one
					f[m.Files[i].Path] = []byte("not what was sent")
				}
			}
		}), nil, []string{"receipt 1 (SubmissionAcceptance): its evidence lists attachment 0 (phụ lục 1.txt), which the bundle does not hold under that number"}},
		{"file not in the manifest", rewrite(t, data, func(m *bundle.Manifest, f map[string][]byte) {
			f["document/other.pdf"] = []byte("%PDF-")
		}), nil, []string{"document/other.pdf is in the bundle but not in the manifest"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := opts(w)
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
