package pdf

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"sort"
	"testing"
)

// TestXRefAgreesWithQPDF compares the newest view of every readable corpus file with qpdf's
// own cross-reference (qpdf --show-xref): every in-use object must be at the same offset, or in
// the same object stream at the same index. Files either reader had to repair are left out.
func TestXRefAgreesWithQPDF(t *testing.T) {
	if testing.Short() {
		t.Skip("runs qpdf on the corpus; skipped with -short")
	}
	qpdf, err := exec.LookPath("qpdf")
	if err != nil {
		t.Skip("qpdf not installed")
	}
	compared := 0
	for _, path := range corpusFiles(t) {
		f, err := openPath(t, path)
		if err != nil || f.Repaired() {
			continue
		}
		out, err := exec.Command(qpdf, "--show-xref", path).Output()
		if err != nil {
			continue // qpdf needs a password, or warns: not a clean comparison
		}
		theirs := map[uint32]string{}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			var num uint32
			var gen int
			var rest string
			if _, err := fmt.Sscanf(sc.Text(), "%d/%d:", &num, &gen); err != nil {
				continue
			}
			rest = sc.Text()[bytes.IndexByte([]byte(sc.Text()), ':')+2:]
			theirs[num] = fmt.Sprintf("%d %s", gen, rest)
		}
		ours := map[uint32]string{}
		for _, r := range f.revs {
			for n := range r.entries {
				e, _, ok := f.lookup(len(f.revs)-1, n)
				if !ok || n == 0 {
					continue
				}
				if e.kind == 1 {
					ours[n] = fmt.Sprintf("%d uncompressed; offset = %d", e.gen, e.off)
				} else {
					ours[n] = fmt.Sprintf("0 compressed; stream = %d, index = %d", e.off, e.idx)
				}
			}
		}
		var diffs []string
		for n, o := range ours {
			if theirs[n] != o {
				diffs = append(diffs, fmt.Sprintf("%d: ours %q, qpdf %q", n, o, theirs[n]))
			}
		}
		for n, o := range theirs {
			if _, ok := ours[n]; !ok {
				diffs = append(diffs, fmt.Sprintf("%d: only qpdf has %q", n, o))
			}
		}
		sort.Strings(diffs)
		if len(diffs) > 0 {
			t.Errorf("%s: %d differences, first %v", path, len(diffs), diffs[:min(3, len(diffs))])
		}
		compared++
	}
	t.Logf("cross-references agree with qpdf on %d files", compared)
}
