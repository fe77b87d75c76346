package pades

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
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
