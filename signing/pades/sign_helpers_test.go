package pades

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"docgate/certs/devca"
)

// signPKI is a development CA and one agency certificate issued by it, for signing in tests.
type signPKI struct {
	ca     *devca.CA
	dir    string
	leaf   *devca.Issued // the competent person
	org    *devca.Issued // the organisation's seal certificate
	nssDir string        // "sql:DIR" with the root trusted, or "" when certutil is absent
}

func mustPKI(tb testing.TB, keyType string) *signPKI {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "ca")
	// The CA's OCSP responder runs for the test, so that pdfsig's online revocation check gets
	// a real answer instead of a connection error.
	var handler atomic.Pointer[http.Handler]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := handler.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		http.Error(w, "not ready", http.StatusServiceUnavailable)
	}))
	tb.Cleanup(srv.Close)
	ca, err := devca.Init(dir, devca.Options{Name: "Sở Thông tin và Truyền thông", BaseURL: srv.URL, KeyType: keyType})
	if err != nil {
		tb.Fatalf("devca init: %v", err)
	}
	h := ca.Handler()
	handler.Store(&h)
	p := &signPKI{ca: ca, dir: dir}
	if _, err := exec.LookPath("certutil"); err == nil {
		db := tb.TempDir()
		run(tb, "certutil", "-N", "--empty-password", "-d", "sql:"+db)
		run(tb, "certutil", "-A", "-n", "root", "-t", "CT,C,C", "-i", filepath.Join(dir, devca.RootCertFile), "-d", "sql:"+db)
		p.nssDir = "sql:" + db
	}
	is, err := ca.Issue(devca.IssueRequest{Kind: devca.KindPerson, AgencyCode: "000.00.00.H41", OrgName: "UBND tỉnh Nghệ An",
		Person: "Nguyễn Văn Đức", KeyType: keyType})
	if err != nil {
		tb.Fatalf("issue: %v", err)
	}
	p.leaf = is
	if p.org, err = ca.Issue(devca.IssueRequest{Kind: devca.KindAgency, AgencyCode: "000.00.00.H41", OrgName: "UBND tỉnh Nghệ An", KeyType: keyType}); err != nil {
		tb.Fatalf("issue: %v", err)
	}
	return p
}

// orgOpts signs as the organisation. pdfsig 22.12 reports "Unknown issue with Certificate" for
// the second of two signatures made with the same certificate (NSS meets the same temporary
// certificate twice), so tests that sign twice sign as the person, then as the organisation —
// the order DOMAIN.md describes anyway.
func (p *signPKI) orgOpts() SignOptions {
	return SignOptions{Signer: p.org.Key, Chain: []*x509.Certificate{p.org.Cert, p.ca.Root()}}
}

func (p *signPKI) opts() SignOptions {
	return SignOptions{Signer: p.leaf.Key, Chain: []*x509.Certificate{p.leaf.Cert, p.ca.Root()},
		Time: func() time.Time { return time.Now() }}
}

// nss returns an NSS database trusting the CA's root. It is made in mustPKI's test, because a
// subtest's temporary directory disappears when the subtest ends.
func (p *signPKI) nss(tb testing.TB) string {
	tb.Helper()
	if p.nssDir == "" {
		tb.Skip("certutil not installed: pdfsig needs an NSS database trusting the test root")
	}
	return p.nssDir
}

func needTool(tb testing.TB, name string) {
	tb.Helper()
	if _, err := exec.LookPath(name); err != nil {
		tb.Skipf("%s not installed: this check needs it", name)
	}
}

func run(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// pdfsigReport is what poppler's pdfsig says about each signature, in file order.
type pdfsigReport struct {
	raw  string
	sigs []pdfsigSig
}

type pdfsigSig struct {
	field                 string
	valid, trusted, total bool
	block                 string
}

// pdfsig runs poppler's verifier. Its exit status means little (22.12 exits 0 on a digest
// mismatch), so the report is read from its output.
func pdfsig(tb testing.TB, nssDir, file string) pdfsigReport {
	tb.Helper()
	needTool(tb, "pdfsig")
	out, _ := exec.Command("pdfsig", "-nssdir", nssDir, file).CombinedOutput()
	r := pdfsigReport{raw: string(out)}
	blocks := strings.Split(string(out), "Signature #")
	for _, bl := range blocks[1:] {
		if strings.Contains(bl, "The signature form field is not signed") {
			continue // an empty field, listed among the signatures
		}
		field := ""
		if _, after, ok := strings.Cut(bl, "Signature Field Name: "); ok {
			field, _, _ = strings.Cut(after, "\n")
		}
		r.sigs = append(r.sigs, pdfsigSig{
			field:   field,
			valid:   strings.Contains(bl, "Signature Validation: Signature is Valid."),
			trusted: strings.Contains(bl, "Certificate Validation: Certificate is Trusted."),
			total:   strings.Contains(bl, "Total document signed") && !strings.Contains(bl, "Not total document signed"),
			block:   bl,
		})
	}
	return r
}

// checkSigned asserts what every signed output must satisfy: pdfsig sees one signature more than
// in the input, says of every earlier one what it said before (their digests still match), calls
// the new one valid, trusted and covering the whole file, and qpdf finds the structure no worse
// than in the input.
func checkSigned(tb testing.TB, p *signPKI, in, file, field string) pdfsigReport {
	tb.Helper()
	before := pdfsig(tb, p.nss(tb), in)
	r := pdfsig(tb, p.nss(tb), file)
	if len(r.sigs) != len(before.sigs)+1 {
		tb.Fatalf("pdfsig sees %d signatures, want %d:\n%s", len(r.sigs), len(before.sigs)+1, r.raw)
	}
	var last *pdfsigSig
	for i, s := range r.sigs {
		if s.field == field {
			last = &r.sigs[i]
			continue
		}
		for _, b := range before.sigs {
			if b.field == s.field && b.validation() != s.validation() {
				tb.Errorf("earlier signature in %q changed: %q before, %q after", s.field, b.validation(), s.validation())
			}
		}
	}
	if last == nil {
		tb.Fatalf("pdfsig shows no signature in field %q:\n%s", field, r.raw)
	}
	if !last.valid || !last.trusted || !last.total {
		tb.Errorf("new signature: valid %v, trusted %v, total document signed %v:\n%s", last.valid, last.trusted, last.total, last.block)
	}
	qpdfCheck(tb, in, file)
	pdfcpuCheck(tb, in, file)
	return r
}

// pdfcpuCheck validates the signed file with pdfcpu (relaxed mode), a reader independent of
// ours and of poppler's; the file must pass whenever its input passes.
func pdfcpuCheck(tb testing.TB, in, file string) {
	tb.Helper()
	validate := func(path string) error {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		conf := model.NewDefaultConfiguration()
		conf.ValidationMode = model.ValidationRelaxed
		return api.Validate(bytes.NewReader(b), conf)
	}
	if err := validate(file); err != nil {
		if ierr := validate(in); ierr == nil {
			tb.Errorf("pdfcpu rejects the signed file but accepts its input: %v", err)
		}
	}
}

// validation is pdfsig's "Signature Validation" line.
func (s pdfsigSig) validation() string {
	for _, l := range strings.Split(s.block, "\n") {
		if strings.Contains(l, "Signature Validation:") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// qpdfCheck runs qpdf --check on the signed file. qpdf exits 3 for problems it recovered from;
// those may belong to the input, so a warning is accepted only when the input draws as many.
func qpdfCheck(tb testing.TB, in, file string) {
	tb.Helper()
	if _, err := exec.LookPath("qpdf"); err != nil {
		tb.Log("qpdf not installed: structure not checked")
		return
	}
	out, err := exec.Command("qpdf", "--check", file).CombinedOutput()
	if err == nil {
		return
	}
	if in != "" {
		base, berr := exec.Command("qpdf", "--check", in).CombinedOutput()
		if berr != nil && strings.Count(string(out), "WARNING") <= strings.Count(string(base), "WARNING") &&
			!strings.Contains(string(out), "ERROR") {
			return
		}
	}
	tb.Errorf("qpdf --check %s: %v\n%s", filepath.Base(file), err, out)
}

// signFile signs in and writes the result next to it in a temp dir.
func signFile(tb testing.TB, in string, o SignOptions) (string, *SignResult, error) {
	tb.Helper()
	fh, err := os.Open(in)
	if err != nil {
		tb.Fatal(err)
	}
	defer fh.Close()
	st, _ := fh.Stat()
	var out bytes.Buffer
	res, err := Sign(context.Background(), fh, st.Size(), &out, o)
	if err != nil {
		return "", nil, err
	}
	if res.Size != int64(out.Len()) {
		tb.Fatalf("result size %d, wrote %d", res.Size, out.Len())
	}
	path := filepath.Join(tb.TempDir(), strings.TrimSuffix(filepath.Base(in), ".pdf")+"-signed.pdf")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path, res, nil
}

// buildPDF writes a classic-xref PDF of the given object bodies (object 1 is the catalog).
func buildPDF(objs ...string) []byte {
	var b bytes.Buffer
	var offs []int
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	for i, body := range objs {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, body)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f\r\n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n\r\n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}

// formPDF has a page and four fields: an empty signature field "Empty" whose /Lock, once it is
// signed, locks "Later"; a read-only signature field "RO"; a text field "Text1"; and the empty
// signature field "Later".
func formPDF() []byte {
	return buildPDF(
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 5 0 R 6 0 R 7 0 R] >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R 5 0 R 7 0 R] >>",
		"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Empty) /Rect [50 50 250 120] /P 3 0 R /F 4 "+
			"/Lock << /Type /SigFieldLock /Action /Include /Fields [(Later)] >> >>",
		"<< /Type /Annot /Subtype /Widget /FT /Sig /T (RO) /Ff 1 /Rect [300 50 500 120] /P 3 0 R /F 4 >>",
		"<< /FT /Tx /T (Text1) /V (hello) >>",
		"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Later) /Rect [300 150 500 220] /P 3 0 R /F 4 >>",
	)
}

// minimalPDF returns a one-page classic-xref PDF whose content stream is padded with comment
// lines to about pad bytes, so that benchmarks get files of a known size.
func minimalPDF(pad int) []byte {
	var content bytes.Buffer
	content.WriteString("BT /F1 24 Tf 72 720 Td (Hello, docgate) Tj ET\n")
	line := "% " + strings.Repeat("padding ", 12) + "\n"
	for content.Len() < pad {
		content.WriteString(line)
	}
	var b bytes.Buffer
	var offs []int
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	obj := func(body string) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offs), body)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
	offs = append(offs, b.Len())
	fmt.Fprintf(&b, "4 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n", content.Len(), content.Bytes())
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f\r\n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n\r\n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /ID [<0123456789ABCDEF0123456789ABCDEF> <0123456789ABCDEF0123456789ABCDEF>] >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}

func writeTemp(tb testing.TB, name string, data []byte) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}
