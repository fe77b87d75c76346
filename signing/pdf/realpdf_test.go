package pdf

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

func qpdfOK(b []byte, dir string) (bool, string) {
	qpdf, err := exec.LookPath("qpdf")
	if err != nil {
		return true, ""
	}
	p := filepath.Join(dir, "in.pdf")
	os.WriteFile(p, b, 0o600)
	out, err := exec.Command(qpdf, "--check", p).CombinedOutput()
	return err == nil, string(out)
}

// TestUpdateRealFiles appends a signature-like update to real PDFs of each cross-reference kind
// and checks the result with qpdf, pdfcpu and this reader. Only originals that qpdf itself finds
// clean are used, so that a failure is the writer's.
func TestUpdateRealFiles(t *testing.T) {
	const perKind = 4
	done := map[XRefKind]int{}
	for _, path := range corpusFiles(t) {
		orig, err := os.ReadFile(path)
		if err != nil || len(orig) > 8<<20 {
			continue
		}
		f, err := Open(bytes.NewReader(orig), int64(len(orig)), nil)
		if err != nil || f.Repaired() || f.Encrypted() {
			continue
		}
		kind := f.Revision().Kind
		if done[kind] >= perKind {
			continue
		}
		pages, err := f.Pages()
		if err != nil {
			continue
		}
		conf := model.NewDefaultConfiguration()
		conf.ValidationMode = model.ValidationRelaxed
		n0, err := api.PageCount(bytes.NewReader(orig), conf)
		if err != nil || n0 != len(pages) {
			t.Logf("%s: pdfcpu counts %d pages (%v), we count %d; not used", path, n0, err, len(pages))
			continue
		}
		if ok, _ := qpdfOK(orig, t.TempDir()); !ok {
			continue
		}
		done[kind]++
		t.Run(kind.String()+"/"+filepath.Base(path), func(t *testing.T) {
			out, contents, _, _ := signLikeUpdate(t, orig, f)
			g, err := Open(bytes.NewReader(out), int64(len(out)), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(g.Revisions()) != len(f.Revisions())+1 || g.Repaired() {
				t.Errorf("revisions %d after update of %d; repaired %v", len(g.Revisions()), len(f.Revisions()), g.Repaired())
			}
			if want := f.Revision().Kind; g.Revision().Kind != want && !(want == XRefHybrid && g.Revision().Kind == XRefTable) {
				t.Errorf("update written as %v to a %v file", g.Revision().Kind, want)
			}
			p2, err := g.Pages()
			if err != nil || len(p2) != len(pages) {
				t.Errorf("pages %d %v, want %d", len(p2), err, len(pages))
			}
			if !bytes.Equal(out[contents.Start:contents.Start+3], []byte("<00")) {
				t.Errorf("contents placeholder not where reported")
			}
			if ok, msg := qpdfOK(out, t.TempDir()); !ok {
				t.Errorf("qpdf --check fails after update:\n%s", msg)
			}
			pdfcpuPages(t, out, len(pages))
		})
	}
	if len(done) == 0 {
		t.Skip("no usable real PDFs")
	}
	t.Logf("files per kind: %v", done)
	for _, k := range []XRefKind{XRefTable, XRefStream} {
		if done[k] == 0 && !strings.Contains(os.Getenv("CI"), "skip") {
			t.Logf("no real file with %v cross-reference", k)
		}
	}
}

// TestUpdateEveryCorpusFile appends an update to every real file we can update and reopens the
// result with this reader: one more revision, nothing repaired that was not before, the new
// field found, every earlier revision's end unchanged.
func TestUpdateEveryCorpusFile(t *testing.T) {
	if testing.Short() {
		t.Skip("updates the whole corpus; skipped with -short")
	}
	updated := 0
	for _, path := range corpusFiles(t) {
		orig, err := os.ReadFile(path)
		if err != nil || len(orig) > 16<<20 {
			continue
		}
		f, err := Open(bytes.NewReader(orig), int64(len(orig)), nil)
		// A repaired file may come out of an update looking clean (the update's /Prev skips the
		// damage): that is why the signer refuses them, and why they are not compared here.
		if err != nil || f.Encrypted() || f.Repaired() {
			continue
		}
		if _, err := f.Catalog(); err != nil {
			continue
		}
		out, _, _, _ := signLikeUpdate(t, orig, f)
		g, err := Open(bytes.NewReader(out), int64(len(out)), nil)
		if err != nil {
			t.Errorf("%s: updated file unreadable: %v", path, err)
			continue
		}
		if len(g.Revisions()) != len(f.Revisions())+1 || g.Repaired() {
			t.Errorf("%s: %d revisions (repaired %v) after updating %d: %v", path,
				len(g.Revisions()), g.Repaired(), len(f.Revisions()), g.Warnings())
			continue
		}
		for i, r := range f.Revisions() {
			if g.Revisions()[i].End != r.End && !(i == len(f.Revisions())-1 && g.Revisions()[i].EOF == r.EOF) {
				t.Errorf("%s: revision %d ended at %d, now %d", path, i, r.End, g.Revisions()[i].End)
			}
		}
		fields, err := g.Fields()
		found := false
		for _, fd := range fields {
			found = found || fd.Name == "DocgateSig"
		}
		if err != nil || !found {
			t.Errorf("%s: new field not found (%v)", path, err)
		}
		updated++
	}
	t.Logf("updated and reread %d files", updated)
}
