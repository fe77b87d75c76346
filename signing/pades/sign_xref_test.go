package pades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"docgate/signing/pdf"
)

// TestSignXRefKinds signs one file of each cross-reference kind — a classic table, a
// cross-reference stream with object streams (written by qpdf), a PDF 2.0 file, and hybrid
// files from the corpus (already signed by other products) — and checks that the update keeps
// the file's kind and that pdfsig and qpdf accept the result.
func TestSignXRefKinds(t *testing.T) {
	p := mustPKI(t, "ec")
	dir := t.TempDir()
	classic := writeTemp(t, "classic.pdf", minimalPDF(0))
	v20 := bytes.Replace(minimalPDF(0), []byte("%PDF-1.7"), []byte("%PDF-2.0"), 1)
	files := map[string]string{"classic": classic, "pdf-2.0": writeTemp(t, "v20.pdf", v20)}
	if _, err := exec.LookPath("qpdf"); err == nil {
		xs := filepath.Join(dir, "xrefstream.pdf")
		run(t, "qpdf", "--object-streams=generate", classic, xs)
		files["xref-stream"] = xs
	}
	for _, name := range []string{"validation/Signature-P-FR_CS-5.pdf"} {
		if f := filepath.Join(signCorpusDir, name); fileExists(f) {
			files["hybrid "+filepath.Base(name)] = f
		}
	}
	want := map[string]pdf.XRefKind{"classic": pdf.XRefTable, "pdf-2.0": pdf.XRefTable, "xref-stream": pdf.XRefStream}
	for name, in := range files {
		t.Run(name, func(t *testing.T) {
			kin := lastKind(t, in)
			if w, ok := want[name]; ok && kin != w {
				t.Fatalf("input is %v, want %v", kin, w)
			}
			if _, ok := want[name]; !ok && kin != pdf.XRefHybrid {
				t.Fatalf("corpus file is %v, not hybrid", kin)
			}
			out, res, err := signFile(t, in, p.orgOpts())
			if err != nil {
				t.Fatal(err)
			}
			// A hybrid file's update is a classic table (readers without stream support still
			// find the new objects); a stream file's update is a stream.
			kout := lastKind(t, out)
			if (kin == pdf.XRefStream) != (kout == pdf.XRefStream) {
				t.Errorf("input %v, update %v", kin, kout)
			}
			checkSigned(t, p, in, out, res.Field)
		})
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func lastKind(t *testing.T, file string) pdf.XRefKind {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, err := pdf.Open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	revs := f.Revisions()
	return revs[len(revs)-1].Kind
}

// TestSignCancelled: a cancelled context stops the signer, with an error that says so.
func TestSignCancelled(t *testing.T) {
	p := mustPKI(t, "ec")
	data := minimalPDF(4 << 20)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Sign(ctx, bytes.NewReader(data), int64(len(data)), new(bytes.Buffer), p.opts())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

// FuzzSign feeds arbitrary bytes to the signer: it must sign or refuse, never panic, and
// whatever it signs must reopen as a PDF with one more revision. Run it with
// -fuzzminimizetime 0: minimising new inputs stalls the worker for minutes on a loaded machine
// (120,000 executions in 30 s without crash that way).
func FuzzSign(f *testing.F) {
	f.Add(minimalPDF(0))
	f.Add(formPDF())
	f.Add([]byte("%PDF-1.7\n1 0 obj << >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"))
	// A self-signed key made here, not mustPKI: fuzz workers should not start servers and NSS.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fuzz"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		f.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	// The private-key operation is stubbed: under the fuzzer's coverage instrumentation real
	// ECDSA takes seconds, and the target is the PDF handling, not the arithmetic.
	o := SignOptions{Signer: fuzzSigner{key.Public()}, Chain: []*x509.Certificate{cert}, UseEmptyField: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		res, err := Sign(context.Background(), bytes.NewReader(data), int64(len(data)), &out, o)
		if err != nil {
			return
		}
		if res.Size != int64(out.Len()) || !bytes.HasPrefix(out.Bytes(), data) {
			t.Fatalf("output of %d bytes does not extend the input", out.Len())
		}
		before, err := pdf.Open(bytes.NewReader(data), int64(len(data)), nil)
		if err != nil {
			t.Fatalf("signed an input that does not open: %v", err)
		}
		after, err := pdf.Open(bytes.NewReader(out.Bytes()), int64(out.Len()), nil)
		if err != nil {
			t.Fatalf("signed output does not reopen: %v", err)
		}
		if len(after.Revisions()) != len(before.Revisions())+1 {
			t.Fatalf("%d revisions before, %d after", len(before.Revisions()), len(after.Revisions()))
		}
	})
}

// fuzzSigner returns a fixed, well-formed but wrong ECDSA signature.
type fuzzSigner struct{ pub crypto.PublicKey }

func (s fuzzSigner) Public() crypto.PublicKey { return s.pub }

func (s fuzzSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}, nil
}
