package pdf

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

const corpusDir = "../../../shared/corpus/dss"

// corpusLabels reads LABELS.tsv: path → expectation.
func corpusLabels(tb testing.TB) map[string]string {
	tb.Helper()
	fh, err := os.Open(filepath.Join(corpusDir, "LABELS.tsv"))
	if err != nil {
		tb.Skipf("corpus absent (%v): ../shared/corpus is not part of a fresh clone", err)
	}
	defer fh.Close()
	labels := map[string]string{}
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) >= 2 && cols[0] != "path" {
			labels[cols[0]] = cols[1]
		}
	}
	return labels
}

// TestSignedCorpusRevisions checks the reader against signatures other products made: in every
// file whose signatures DSS calls intact, each signature's /ByteRange must end exactly at the end
// of a revision we report (or at its %%EOF marker), and its gap must be exactly the /Contents
// string token whose span we report.
func TestSignedCorpusRevisions(t *testing.T) {
	labels := corpusLabels(t)
	checked := 0
	for path, label := range labels {
		if label != "intact" && label != "intact-none" {
			continue
		}
		t.Run(path, func(t *testing.T) {
			f, err := openPath(t, filepath.Join(corpusDir, path))
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			fields, err := f.Fields()
			if err != nil {
				t.Fatalf("fields: %v", err)
			}
			ends := map[int64]bool{}
			for _, r := range f.Revisions() {
				ends[r.End] = true
				ends[r.EOF] = true
			}
			signed := 0
			for _, fd := range fields {
				if fd.Type != "Sig" || fd.Value == nil {
					continue
				}
				sig, err := f.ResolveDict(fd.Value)
				if err != nil || sig == nil {
					t.Errorf("field %s: signature dictionary %v", fd.Name, err)
					continue
				}
				br, _ := sig.Get("ByteRange").(Array)
				c, ok := sig.Get("Contents").(String)
				if len(br) != 4 || !ok {
					t.Errorf("field %s: /ByteRange %v /Contents %T", fd.Name, br, sig.Get("Contents"))
					continue
				}
				var r [4]int64
				for i := range r {
					n, _ := br[i].(Integer)
					r[i] = int64(n)
				}
				if r[0] != 0 || r[1] != c.Start || r[2] != c.End {
					t.Errorf("field %s: /ByteRange %v, /Contents token at [%d,%d)", fd.Name, r, c.Start, c.End)
				}
				if !ends[r[2]+r[3]] {
					t.Errorf("field %s: signature ends at %d, not at a revision end %v", fd.Name, r[2]+r[3], revEnds(f))
				}
				signed++
			}
			if signed == 0 {
				t.Errorf("no signed field found among %d fields", len(fields))
			}
			checked++
		})
	}
	if checked == 0 {
		t.Skip("no intact signed files in the corpus")
	}
}

func revEnds(f *File) []int64 {
	var e []int64
	for _, r := range f.Revisions() {
		e = append(e, r.End)
	}
	return e
}

// TestCorpusPageCount compares our page count with pdfcpu's on every corpus file both can read.
func TestCorpusPageCount(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the whole corpus twice; skipped with -short")
	}
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	agreed := 0
	for _, path := range corpusFiles(t) {
		b, err := os.ReadFile(path)
		if err != nil || len(b) > 8<<20 {
			continue
		}
		theirs, err := api.PageCount(bytes.NewReader(b), conf)
		if err != nil {
			continue
		}
		f, err := Open(bytes.NewReader(b), int64(len(b)), nil)
		if err != nil {
			t.Errorf("%s: pdfcpu reads it, we do not: %v", path, err)
			continue
		}
		pages, err := f.Pages()
		if err != nil {
			if f.Encrypted() {
				continue
			}
			t.Errorf("%s: pdfcpu counts %d pages, we fail: %v", path, theirs, err)
			continue
		}
		if len(pages) != theirs {
			t.Errorf("%s: %d pages, pdfcpu counts %d", path, len(pages), theirs)
			continue
		}
		agreed++
	}
	t.Logf("page counts agree on %d files", agreed)
}
