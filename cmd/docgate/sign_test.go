package main

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"docgate/certs/devca"
	"docgate/signing/tsp"
)

// signEnv is a development CA behind a live HTTP server (so that pdfsig's OCSP check gets an
// answer), an NSS database trusting its root, and a person's and an organisation's certificates
// issued through the CLI.
type signEnv struct {
	dir, root, nss string
	person, org    string // file prefixes: PREFIX.crt, PREFIX.key, PREFIX.p12 (password pw)
	ca             *devca.CA
}

func newSignEnv(t *testing.T) *signEnv {
	t.Helper()
	for _, tool := range []string{"pdfsig", "certutil"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: docgate sign is checked with poppler's pdfsig and an NSS database", tool)
		}
	}
	var h atomic.Pointer[http.Handler]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hh := h.Load(); hh != nil {
			(*hh).ServeHTTP(w, r)
			return
		}
		http.Error(w, "no CA yet", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	e := &signEnv{dir: filepath.Join(t.TempDir(), "pki")}
	if code, _, stderr := runCAMain(t, nil, "ca", "init", "--dir", e.dir, "--base-url", srv.URL); code != 0 {
		t.Fatalf("ca init: %s", stderr)
	}
	ca, err := devca.Open(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	e.ca = ca
	hh := ca.Handler()
	h.Store(&hh)
	e.root = filepath.Join(e.dir, devca.RootCertFile)
	out := t.TempDir()
	e.person, e.org = filepath.Join(out, "person"), filepath.Join(out, "org")
	if code, _, stderr := runCAMain(t, nil, "ca", "issue", "--dir", e.dir, "--code", "000.00.00.H41", "--name", "UBND tỉnh Nghệ An",
		"--person", "Trần Thị Bích", "--out", e.person, "--p12-password", "pw"); code != 0 {
		t.Fatalf("ca issue: %s", stderr)
	}
	if code, _, stderr := runCAMain(t, nil, "ca", "issue", "--dir", e.dir, "--code", "000.00.00.H41", "--name", "UBND tỉnh Nghệ An",
		"--out", e.org); code != 0 {
		t.Fatalf("ca issue: %s", stderr)
	}
	db := t.TempDir()
	signRun(t, "certutil", "-N", "--empty-password", "-d", "sql:"+db)
	signRun(t, "certutil", "-A", "-n", "root", "-t", "CT,C,C", "-i", e.root, "-d", "sql:"+db)
	e.nss = "sql:" + db
	return e
}

func signRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// pdfsigBlocks runs pdfsig and returns its report per signed field (pdfsig 22.12 exits 0 even
// on a digest mismatch, so only its words count).
func (e *signEnv) pdfsigBlocks(t *testing.T, file string) []string {
	t.Helper()
	out, _ := exec.Command("pdfsig", "-nssdir", e.nss, file).CombinedOutput()
	var blocks []string
	for _, b := range strings.Split(string(out), "Signature #")[1:] {
		if !strings.Contains(b, "not signed") {
			blocks = append(blocks, b)
		}
	}
	return blocks
}

// wantValid asserts that the last signature of file is valid, trusted and covers the file, and
// that there are n signatures, all valid.
func (e *signEnv) wantValid(t *testing.T, file string, n int) {
	t.Helper()
	blocks := e.pdfsigBlocks(t, file)
	if len(blocks) != n {
		t.Fatalf("pdfsig sees %d signatures in %s, want %d", len(blocks), filepath.Base(file), n)
	}
	for i, b := range blocks {
		if !strings.Contains(b, "Signature is Valid.") {
			t.Errorf("signature #%d not valid:\n%s", i+1, b)
		}
	}
	last := blocks[n-1]
	if !strings.Contains(last, "Certificate is Trusted.") || !strings.Contains(last, "- Total document signed") {
		t.Errorf("last signature not trusted or not covering the file:\n%s", last)
	}
	if _, err := exec.LookPath("qpdf"); err == nil {
		if out, err := exec.Command("qpdf", "--check", file).CombinedOutput(); err != nil {
			t.Errorf("qpdf --check: %v\n%s", err, out)
		}
	}
}

// signInputPDF writes a small one-page PDF.
func signInputPDF(t *testing.T, dir, name string) string {
	t.Helper()
	var b bytes.Buffer
	var offs []int
	b.WriteString("%PDF-1.7\n")
	for i, body := range []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
		"<< /Length 0 >>\nstream\n\nendstream",
	} {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, body)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f\r\n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n\r\n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, x)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// noLeftovers asserts that dir holds exactly the named files: no partial output, no temp file.
func noLeftovers(t *testing.T, dir string, want ...string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s holds %v, want %v", dir, got, want)
	}
}

func TestSignCommand(t *testing.T) {
	e := newSignEnv(t)
	work := t.TempDir()
	in := signInputPDF(t, work, "in.pdf")
	outDir := t.TempDir()

	// The person signs (PEM files), then the organisation seals with a visible seal (PKCS#12).
	personOut := filepath.Join(outDir, "person.pdf")
	code, stdout, stderr := runCAMain(t, nil, "sign", "--cert", e.person+".crt", "--key", e.person+".key",
		"--reason", "Ký duyệt", "--location", "Vinh", in, "-o", personOut)
	if code != 0 {
		t.Fatalf("sign: %d %s", code, stderr)
	}
	if !strings.Contains(stdout, "Signature1") || !strings.Contains(stdout, "B-B") {
		t.Errorf("stdout: %s", stdout)
	}
	e.wantValid(t, personOut, 1)

	seal := filepath.Join(work, "seal.png")
	os.WriteFile(seal, signSealPNG(t), 0o644)
	sealed := filepath.Join(outDir, "sealed.pdf")
	line := "UBND tỉnh Nghệ An — Sở Nội vụ"
	code, _, stderr = runCAMain(t, map[string]string{"DOCGATE_PASSWORD": "pw"}, "sign", "--p12", e.person+".p12",
		"--visible", "--page", "1", "--rect", "300,100,560,180", "--image", seal, "--text", line, "--text", "2026-11-24T09:00:00+07:00",
		personOut, "-o", sealed)
	if code != 0 {
		t.Fatalf("visible sign: %d %s", code, stderr)
	}
	// Same certificate twice confuses pdfsig 22.12 (see signing/pades), so only the new signature's
	// validity and the earlier one's digest are asked of it here.
	blocks := e.pdfsigBlocks(t, sealed)
	if len(blocks) != 2 || !strings.Contains(blocks[0], "Signature is Valid.") || !strings.Contains(blocks[1], "Signature is Valid.") ||
		!strings.Contains(blocks[1], "- Total document signed") {
		t.Errorf("pdfsig on the sealed file:\n%s", strings.Join(blocks, "\n"))
	}
	if _, err := exec.LookPath("pdftotext"); err == nil {
		txt := signRun(t, "pdftotext", "-raw", sealed, "-")
		if !strings.Contains(txt, line) {
			t.Errorf("pdftotext does not extract %q:\n%s", line, txt)
		}
	}

	// The organisation, with a timestamp from our own TSA over HTTP: B-T, still valid.
	tsaCert, tsaKey, err := e.ca.TSA()
	if err != nil {
		t.Fatal(err)
	}
	tsa := httptest.NewServer(&tsp.Authority{Signer: tsaKey, Certificate: tsaCert, Chain: []*x509.Certificate{e.ca.Root()},
		Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}})
	defer tsa.Close()
	stamped := filepath.Join(outDir, "stamped.pdf")
	code, stdout, stderr = runCAMain(t, nil, "sign", "--cert", e.org+".crt", "--key", e.org+".key", "--tsa", tsa.URL,
		"--hash", "sha384", personOut, "-o", stamped)
	if code != 0 || !strings.Contains(stdout, "B-T") {
		t.Fatalf("sign --tsa: %d %s %s", code, stdout, stderr)
	}
	e.wantValid(t, stamped, 2)
	noLeftovers(t, outDir, "person.pdf", "sealed.pdf", "stamped.pdf")

	// Our own verifier agrees: every signature valid, nothing changed beyond
	// what they allow. By default it fetches the CA's revocation data (the
	// chain reached the given anchor); with --offline nothing is fetched and
	// these B-B/B-T files, which embed none, cannot be shown unrevoked.
	for _, f := range []string{personOut, sealed, stamped} {
		code, stdout, stderr := runCAMain(t, nil, "verify", "--trust", e.root, "--json", f)
		if code != 0 || !strings.Contains(stdout, `"verdict":"VALID"`) {
			t.Errorf("docgate verify %s: exit %d\n%s%s", filepath.Base(f), code, stdout, stderr)
		}
	}
	code, stdout, stderr = runCAMain(t, nil, "verify", "--trust", e.root, "--offline", "--json", sealed)
	if code != exitFailed || !strings.Contains(stdout, `"verdict":"INDETERMINATE"`) || !strings.Contains(stdout, "TRY_LATER") {
		t.Errorf("docgate verify --offline: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestSignCommandRefusals(t *testing.T) {
	e := newSignEnv(t)
	work := t.TempDir()
	in := signInputPDF(t, work, "in.pdf")
	key := []string{"--cert", e.person + ".crt", "--key", e.person + ".key"}
	outDir := t.TempDir()
	out := filepath.Join(outDir, "out.pdf")

	garbage := filepath.Join(work, "garbage.pdf")
	os.WriteFile(garbage, []byte("%PDF-1.7\nnot really\n"), 0o644)
	certified := filepath.Join(work, "certified.pdf")
	if code, _, stderr := runCAMain(t, nil, append(append([]string{"sign"}, key...), "--certify", "1", in, "-o", certified)...); code != 0 {
		t.Fatalf("certify: %s", stderr)
	}
	cases := []struct {
		name, file string
		extra      []string
		code       int
		msg        string
	}{
		{"garbage", garbage, nil, exitUsage, "unreadable"},
		{"missing file", filepath.Join(work, "nope.pdf"), nil, exitUsage, "no such file"},
		{"certified P=1", certified, []string{"--cert", e.org + ".crt", "--key", e.org + ".key"}, exitFailed, "certified with no changes allowed"},
		{"no such field", in, []string{"--field", "Chữ ký"}, exitUsage, "no field named"},
		{"tsa down", in, []string{"--tsa", "http://127.0.0.1:1/"}, exitFailed, "unavailable"},
		{"wrong key", in, []string{"--cert", e.org + ".crt", "--key", e.person + ".key"}, exitUsage, "does not match"},
		{"bad rect", in, []string{"--visible", "--rect", "1,2,3"}, exitUsage, "--rect"},
		{"text without visible", in, []string{"--text", "x"}, exitUsage, "--visible"},
		{"no such page", in, []string{"--visible", "--page", "7"}, exitUsage, "page 7 does not exist"},
	}
	if _, err := exec.LookPath("qpdf"); err == nil {
		enc := filepath.Join(work, "enc.pdf")
		signRun(t, "qpdf", "--encrypt", "user", "owner", "256", "--", in, enc)
		cases = append(cases, struct {
			name, file string
			extra      []string
			code       int
			msg        string
		}{"encrypted", enc, nil, exitUsage, "encrypted"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"sign"}
			if len(c.extra) == 0 || c.extra[0] != "--cert" {
				args = append(args, key...)
			}
			args = append(append(args, c.extra...), c.file, "-o", out)
			code, _, stderr := runCAMain(t, nil, args...)
			if code != c.code || !strings.Contains(stderr, c.msg) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", code, c.code, stderr, c.msg)
			}
			noLeftovers(t, outDir)
		})
	}
}

// TestSignCommandOutDir signs several files in parallel; the unreadable one is reported and gets
// no output, the others are signed.
func TestSignCommandOutDir(t *testing.T) {
	e := newSignEnv(t)
	work := t.TempDir()
	var ins []string
	for _, n := range []string{"a.pdf", "b.pdf", "c.pdf"} {
		ins = append(ins, signInputPDF(t, work, n))
	}
	bad := filepath.Join(work, "bad.pdf")
	os.WriteFile(bad, []byte("garbage"), 0o644)
	outDir := t.TempDir()
	args := append([]string{"sign", "--cert", e.org + ".crt", "--key", e.org + ".key", "--out-dir", outDir}, append(ins, bad)...)
	code, stdout, stderr := runCAMain(t, nil, args...)
	if code != exitUsage || !strings.Contains(stderr, "bad.pdf") || !strings.Contains(stderr, "1 of 4 files not signed") {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	if strings.Count(stdout, "signed ") != 3 {
		t.Errorf("stdout: %s", stdout)
	}
	noLeftovers(t, outDir, "a.pdf", "b.pdf", "c.pdf")
	for _, n := range []string{"a.pdf", "b.pdf", "c.pdf"} {
		e.wantValid(t, filepath.Join(outDir, n), 1)
	}
	// Usage mistakes.
	for _, a := range [][]string{
		{"sign", "--cert", e.org + ".crt", "--key", e.org + ".key", ins[0], ins[1], "-o", filepath.Join(outDir, "x.pdf")},
		{"sign", "--cert", e.org + ".crt", "--key", e.org + ".key", ins[0]},
		{"sign", "--cert", e.org + ".crt", "--key", e.org + ".key", "--out-dir", work, ins[0]},
		{"sign", ins[0], "-o", filepath.Join(outDir, "x.pdf")},
	} {
		if code, _, _ := runCAMain(t, nil, a...); code != exitUsage {
			t.Errorf("%v: exit %d", a[len(a)-3:], code)
		}
	}
}

// TestSignCommandPKCS11 signs through SoftHSM2 with RSA PKCS#1 v1.5, RSA-PSS and ECDSA keys, the
// PIN from DOCGATE_PIN.
func TestSignCommandPKCS11(t *testing.T) {
	const module = "/usr/lib/softhsm/libsofthsm2.so"
	if _, err := exec.LookPath("softhsm2-util"); err != nil {
		t.Skip("softhsm2-util not installed: the PKCS#11 path needs SoftHSM2")
	}
	if _, err := os.Stat(module); err != nil {
		t.Skipf("%s missing", module)
	}
	e := newSignEnv(t)
	hsm := t.TempDir()
	tokens := filepath.Join(hsm, "tokens")
	os.Mkdir(tokens, 0o700)
	conf := filepath.Join(hsm, "softhsm2.conf")
	os.WriteFile(conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600)
	t.Setenv("SOFTHSM2_CONF", conf)
	signRun(t, "softhsm2-util", "--init-token", "--free", "--label", "t", "--pin", "1234", "--so-pin", "1234")

	rsaPrefix := filepath.Join(t.TempDir(), "rsa")
	if code, _, stderr := runCAMain(t, nil, "ca", "issue", "--dir", e.dir, "--code", "000.00.00.H41", "--name", "UBND tỉnh Nghệ An",
		"--key-type", "rsa", "--out", rsaPrefix); code != 0 {
		t.Fatalf("ca issue rsa: %s", stderr)
	}
	signRun(t, "softhsm2-util", "--import", rsaPrefix+".key", "--token", "t", "--label", "seal-rsa", "--id", "01", "--pin", "1234")
	signRun(t, "softhsm2-util", "--import", e.org+".key", "--token", "t", "--label", "seal-ec", "--id", "02", "--pin", "1234")

	work := t.TempDir()
	in := signInputPDF(t, work, "in.pdf")
	env := map[string]string{"DOCGATE_PIN": "1234"}
	for _, c := range []struct {
		name, label, cert string
		extra             []string
	}{
		{"rsa-pkcs1", "seal-rsa", rsaPrefix + ".crt", nil},
		{"rsa-pss", "seal-rsa", rsaPrefix + ".crt", []string{"--pss"}},
		{"ecdsa", "seal-ec", e.org + ".crt", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.pdf")
			args := append([]string{"sign", "--pkcs11-module", module, "--pkcs11-token", "t", "--pkcs11-label", c.label,
				"--cert", c.cert}, c.extra...)
			code, _, stderr := runCAMain(t, env, append(args, in, "-o", out)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			e.wantValid(t, out, 1)
		})
	}
	// A wrong PIN is the user's mistake, with nothing written.
	out := filepath.Join(t.TempDir(), "out.pdf")
	code, _, stderr := runCAMain(t, map[string]string{"DOCGATE_PIN": "0000"}, "sign", "--pkcs11-module", module, "--pkcs11-token", "t",
		"--pkcs11-label", "seal-ec", "--cert", e.org+".crt", in, "-o", out)
	if code == 0 {
		t.Errorf("wrong PIN accepted: %s", stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("output written with a wrong PIN")
	}
}

func signSealPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 120, 120))
	for y := 0; y < 120; y++ {
		for x := 0; x < 120; x++ {
			if dx, dy := x-60, y-60; dx*dx+dy*dy < 55*55 {
				img.SetNRGBA(x, y, color.NRGBA{R: 200, A: 255})
			}
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}
