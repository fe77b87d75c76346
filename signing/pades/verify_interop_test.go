package pades

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"docgate/gateway"
	"docgate/signing/pdf"
)

// TestGeneratedAgreesWithPdfsig has poppler and qpdf judge the samples the
// attack tests generate, so that those tests do not rest on our reader
// alone: qpdf must find them well formed, and pdfsig's digest verdict must
// match our intact (pdfsig does no modification analysis: for a change after
// signing it only says "Not total document signed", where we say ILLEGAL).
func TestGeneratedAgreesWithPdfsig(t *testing.T) {
	pdfsigBin, err := exec.LookPath("pdfsig")
	if err != nil {
		t.Skip("pdfsig not installed: skipping the poppler cross-check")
	}
	qpdfBin, _ := exec.LookPath("qpdf")
	p := vNewPKI(t)
	signed := vSign(t, p, vBuildPDF(vDoc{}), vSignOpts{})
	flipped := append([]byte{}, signed...)
	i := bytes.Index(flipped, []byte("Official document"))
	flipped[i] = 'o'
	modified := vUpdate(t, signed, func(f *pdf.File, u *pdf.Update) {
		vMustSet(t, u, pdf.Ref{Num: 11}, pdf.NewStream(pdf.NewDict(), []byte("BT /F1 24 Tf 72 720 Td (Forged) Tj ET")))
	})
	cases := []struct {
		name       string
		data       []byte
		pdfsigSays string
		intact     bool
		mod        string
	}{
		{"signed", signed, "Signature is Valid.", true, gateway.ModificationNone},
		{"flipped", flipped, "Digest Mismatch.", false, gateway.ModificationNone},
		{"modified", modified, "Signature is Valid.", true, gateway.ModificationIllegal},
	}
	dir := t.TempDir()
	for _, tc := range cases {
		path := filepath.Join(dir, tc.name+".pdf")
		if err := os.WriteFile(path, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		if qpdfBin != "" && tc.name != "flipped" {
			if out, err := exec.Command(qpdfBin, "--check", path).CombinedOutput(); err != nil {
				t.Errorf("%s: qpdf --check: %v\n%s", tc.name, err, out)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		out, _ := exec.CommandContext(ctx, pdfsigBin, "-nocert", path).CombinedOutput()
		cancel()
		got := parsePdfsig(string(out))
		if got["Signature1"] != tc.pdfsigSays {
			t.Errorf("%s: pdfsig says %q, the sample expects %q\n%s", tc.name, got["Signature1"], tc.pdfsigSays, out)
		}
		rep := vMustVerify(t, tc.data, p.trust())
		if rep.Signatures[0].Intact != tc.intact || rep.Document.Modification != tc.mod {
			t.Errorf("%s: we say intact %v, modification %s", tc.name, rep.Signatures[0].Intact, rep.Document.Modification)
		}
		if tc.name == "modified" && !strings.Contains(string(out), "Not total document signed") {
			t.Errorf("modified: pdfsig does not even notice the appended revision:\n%s", out)
		}
	}
}
