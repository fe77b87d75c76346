package pades

import (
	"bufio"
	"context"
	"crypto/x509"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"

	"docgate/certs"
	"docgate/gateway"
)

const signCorpusDir = "../../../shared/corpus/dss"

// signCorpusRows reads the rows of LABELS.tsv that concern signing.
func signCorpusRows(tb testing.TB) map[string]string {
	tb.Helper()
	fh, err := os.Open(filepath.Join(signCorpusDir, "LABELS.tsv"))
	if err != nil {
		tb.Skipf("corpus absent (%v): ../shared/corpus is not part of a fresh clone", err)
	}
	defer fh.Close()
	rows := map[string]string{}
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 2 {
			continue
		}
		switch cols[1] {
		case "sign", "countersign", "sign-or-refuse", "sign-refused":
			rows[cols[0]] = cols[1]
		}
	}
	return rows
}

// TestSignCorpus signs every corpus file labelled for signing and holds each to its label: sign
// and countersign must produce a file pdfsig and qpdf accept with the earlier signatures
// unchanged; sign-or-refuse may refuse with a RefusalError; sign-refused must refuse.
func TestSignCorpus(t *testing.T) {
	rows := signCorpusRows(t)
	needTool(t, "pdfsig")
	p := mustPKI(t, "ec")
	tally := map[string][]string{}
	names := make([]string, 0, len(rows))
	for n := range rows {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		label := rows[name]
		t.Run(name, func(t *testing.T) {
			in := filepath.Join(signCorpusDir, name)
			o := p.opts()
			o.UseEmptyField = true
			o.Reason = "Ký duyệt văn bản"
			out, res, err := signFile(t, in, o)
			var ref *RefusalError
			switch {
			case err != nil && errors.As(err, &ref):
				tally["refused"] = append(tally["refused"], name+" ("+ref.Error()+")")
				if label == "sign" || label == "countersign" {
					t.Fatalf("%s row refused: %v", label, err)
				}
				return
			case err != nil:
				tally["failed"] = append(tally["failed"], name+" ("+err.Error()+")")
				t.Fatalf("sign: %v (not a refusal)", err)
			case label == "sign-refused":
				tally["failed"] = append(tally["failed"], name+" (signed a file that must be refused)")
				t.Fatalf("signed into %s, must refuse", res.Field)
			}
			checkSigned(t, p, in, out, res.Field)
			checkOwnVerifier(t, p, out, res.Field, label == "sign")
			if t.Failed() {
				tally["failed"] = append(tally["failed"], name)
			} else {
				tally["signed"] = append(tally["signed"], name+" → "+res.Field)
			}
		})
	}
	for _, k := range []string{"signed", "refused", "failed"} {
		t.Logf("%s: %d", k, len(tally[k]))
		for _, n := range tally[k] {
			t.Logf("  %s", n)
		}
	}
}

// TestSignRealWorld signs PDFs nobody here wrote: pdfcpu's test files and Debian's documentation.
// Encrypted or broken files may be refused; everything else must come out valid.
func TestSignRealWorld(t *testing.T) {
	needTool(t, "pdfsig")
	var files []string
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		m, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "github.com/pdfcpu/pdfcpu@v0.15.0/pkg/testdata/*.pdf"))
		files = append(files, m...)
	}
	deb, _ := filepath.Glob("/usr/share/doc/*/*.pdf")
	files = append(files, deb...)
	if len(files) == 0 {
		t.Skip("neither pdfcpu's test files nor Debian documentation PDFs are present")
	}
	p := mustPKI(t, "ec")
	var signed, refused, failed []string
	for _, in := range files {
		name := filepath.Base(in)
		t.Run(name, func(t *testing.T) {
			out, res, err := signFile(t, in, p.opts())
			var ref *RefusalError
			if errors.As(err, &ref) {
				if ref.Kind != RefuseEncrypted && ref.Kind != RefuseUnreadable && ref.Kind != RefuseCertified {
					t.Errorf("refused for an unexpected reason: %v", err)
				}
				refused = append(refused, name+": "+err.Error())
				return
			}
			if err != nil {
				failed = append(failed, name+": "+err.Error())
				t.Fatalf("sign: %v", err)
			}
			checkSigned(t, p, in, out, res.Field)
			checkOwnVerifier(t, p, out, res.Field, true)
			if t.Failed() {
				failed = append(failed, name)
			} else {
				signed = append(signed, name)
			}
		})
	}
	t.Logf("real-world files: %d signed, %d refused, %d failed", len(signed), len(refused), len(failed))
	for _, r := range refused {
		t.Logf("  refused %s", r)
	}
	for _, f := range failed {
		t.Logf("  failed %s", f)
	}
}

// TestSignOverPdfsigSignature: poppler signs first (pdfsig -add-signature with an NSS database
// holding the person's key), docgate signs on top; pdfsig must call both valid. Then the other
// way round: poppler adds its signature over ours.
func TestSignOverPdfsigSignature(t *testing.T) {
	needTool(t, "pdfsig")
	needTool(t, "pk12util")
	// poppler 22.12 signs with RSA keys only (with ECDSA it writes a broken signature).
	p := mustPKI(t, "rsa")
	p12, err := pkcs12.Modern.Encode(p.leaf.Key, p.leaf.Cert, []*x509.Certificate{p.ca.Root()}, "pw")
	if err != nil {
		t.Fatal(err)
	}
	p12File := writeTemp(t, "person.p12", p12)
	db := strings.TrimPrefix(p.nss(t), "sql:")
	run(t, "pk12util", "-i", p12File, "-W", "pw", "-d", "sql:"+db)
	nicks := run(t, "pdfsig", "-nssdir", "sql:"+db, "-list-nicks")
	nick := ""
	for _, l := range strings.Split(nicks, "\n") {
		if strings.Contains(l, "Nguyễn") {
			nick = strings.TrimSpace(l)
		}
	}
	if nick == "" {
		t.Fatalf("no nickname for the imported key:\n%s", nicks)
	}
	in := writeTemp(t, "min.pdf", minimalPDF(0))
	theirs := filepath.Join(t.TempDir(), "poppler.pdf")
	run(t, "pdfsig", "-nssdir", "sql:"+db, "-add-signature", "-nick", nick, "-reason", "poppler first", in, theirs)
	if r := pdfsig(t, p.nss(t), theirs); len(r.sigs) != 1 || !r.sigs[0].valid {
		t.Fatalf("poppler's own signature:\n%s", r.raw)
	}
	ours, res, err := signFile(t, theirs, p.orgOpts())
	if err != nil {
		t.Fatal(err)
	}
	r := checkSigned(t, p, theirs, ours, res.Field)
	if !r.sigs[0].valid {
		t.Errorf("poppler's signature no longer valid after ours:\n%s", r.sigs[0].block)
	}

	// Ours first, poppler's on top.
	first, _, err := signFile(t, in, p.orgOpts())
	if err != nil {
		t.Fatal(err)
	}
	both := filepath.Join(t.TempDir(), "both.pdf")
	run(t, "pdfsig", "-nssdir", "sql:"+db, "-add-signature", "-nick", nick, first, both)
	r = pdfsig(t, p.nss(t), both)
	if len(r.sigs) != 2 || !r.sigs[0].valid || !r.sigs[1].valid {
		t.Errorf("ours then poppler's:\n%s", r.raw)
	}
}

// checkOwnVerifier runs this package's verifier (online revocation against the test CA) on a
// signed file: the new signature must pass outright, every signature must stay intact, and the
// document must not be judged illegally modified. For a file with only our signature the
// verdict must be VALID, as `docgate verify --trust ROOT` would say.
func checkOwnVerifier(tb testing.TB, p *signPKI, file, field string, onlyOurs bool) {
	tb.Helper()
	trust := certs.NewTrustStore()
	trust.AddAnchor(p.ca.Root())
	v := &Verifier{Trust: trust, Revocation: certs.NewRevocationChecker(certs.RevocationConfig{})}
	fh, err := os.Open(file)
	if err != nil {
		tb.Fatal(err)
	}
	defer fh.Close()
	st, _ := fh.Stat()
	rep, err := v.VerifyPDF(context.Background(), fh, st.Size(), gateway.VerifyOptions{})
	if err != nil {
		tb.Fatalf("verifier: %v", err)
	}
	found := false
	for _, s := range rep.Signatures {
		if !s.Intact {
			tb.Errorf("verifier: signature %q not intact: %v", s.Field, s.Errors)
		}
		if s.Field == field {
			found = true
			if s.Indication != "TOTAL_PASSED" {
				tb.Errorf("verifier: our signature %s/%s: %v", s.Indication, s.SubIndication, s.Errors)
			}
		}
	}
	if !found {
		tb.Errorf("verifier reports no signature in %q", field)
	}
	if rep.Document.Modification == "ILLEGAL" {
		tb.Errorf("verifier: illegal modification: %v", rep.Document.Changes)
	}
	if onlyOurs && rep.Document.Verdict != gateway.VerdictValid {
		tb.Errorf("verifier: verdict %s, changes %v", rep.Document.Verdict, rep.Document.Changes)
	}
}
