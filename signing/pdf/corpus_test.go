package pdf

import (
	"os"
	"path/filepath"
	"testing"
)

// corpusFiles lists real-world PDFs available on this machine: the shared DSS corpus, pdfcpu's
// test data and Debian's documentation. Tests read them in place and skip when none exist.
func corpusFiles(tb testing.TB) []string {
	tb.Helper()
	var files []string
	for _, pat := range []string{
		"../../../shared/corpus/dss/*.pdf",
		"../../../shared/corpus/dss/*/*.pdf",
		"../../../shared/corpus/dss/*/*/*.pdf",
		"/usr/share/doc/*/*.pdf",
	} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	if gm := goModCache(); gm != "" {
		m, _ := filepath.Glob(filepath.Join(gm, "github.com/pdfcpu/pdfcpu@v0.15.0/pkg/testdata/*.pdf"))
		files = append(files, m...)
	}
	if len(files) == 0 {
		tb.Skip("no real-world PDFs on this machine (../shared/corpus, /usr/share/doc, pdfcpu testdata)")
	}
	return files
}

func goModCache() string {
	if v := os.Getenv("GOMODCACHE"); v != "" {
		return v
	}
	if v := os.Getenv("GOPATH"); v != "" {
		return filepath.Join(v, "pkg", "mod")
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(h, "go", "pkg", "mod")
}

func openPath(tb testing.TB, path string) (*File, error) {
	tb.Helper()
	fh, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { fh.Close() })
	st, err := fh.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	return Open(fh, st.Size(), nil)
}

// TestCorpusWalk reads every object and stream of every revision of every real file: it must
// never panic, and files this package cannot read at all are logged for a person to look at.
func TestCorpusWalk(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the whole corpus; skipped with -short")
	}
	for _, path := range corpusFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := openPath(t, path)
			if err != nil {
				t.Logf("open: %v", err)
				return
			}
			if err := walkAll(f); err != nil {
				t.Logf("walk: %v", err)
			}
			t.Logf("revs=%d repaired=%v warnings=%v", len(f.Revisions()), f.Repaired(), f.Warnings())
		})
	}
}
