// Command testsummary turns the event stream of `go test -json` into what a
// person wants from a full run: the package result lines, the output of every
// failed test and build, and at the end the tests that were skipped (with the
// reason each gave) and the counts. scripts/test pipes go test through it, so
// that a run where the S3 or PostgreSQL tests silently skipped is visible.
//
// It only reads and reports; the exit status of the run is go test's. It must
// not hold more than the output of tests still running.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of `go test -json` (see `go doc test2json`).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // build-output and build-fail events
}

type key struct{ pkg, test string }

type summary struct {
	out     io.Writer
	pending map[key][]string // output of tests still running
	skipped []string         // "pkg TestX: reason"
	failed  []string
	passed  int
}

func main() {
	s := &summary{out: os.Stdout, pending: map[key][]string{}}
	if err := s.read(os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	s.report()
}

func (s *summary) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			// go test prints some errors (bad flags, setup failures) as
			// plain text even with -json.
			fmt.Fprintln(s.out, string(line))
			continue
		}
		s.handle(e)
	}
	return sc.Err()
}

func (s *summary) handle(e event) {
	switch {
	case e.Action == "build-output":
		fmt.Fprint(s.out, e.Output)
	case e.Test == "" && e.Action == "output":
		// Package-level output: the "ok"/"FAIL" lines, and what a test
		// binary prints outside any test (a panic in init, TestMain). The
		// bare "PASS" that -json adds before "ok" is noise.
		if e.Output != "PASS\n" {
			fmt.Fprint(s.out, e.Output)
		}
	case e.Test == "":
		// Package start/pass/fail/skip: the output lines already say it.
	case e.Action == "output":
		// -json turns on -v; its "=== RUN/PAUSE/CONT/NAME" markers only
		// clutter a failure's output.
		if strings.HasPrefix(e.Output, "=== ") {
			return
		}
		k := key{e.Package, e.Test}
		s.pending[k] = append(s.pending[k], e.Output)
	case e.Action == "pass":
		s.passed++
		delete(s.pending, key{e.Package, e.Test})
	case e.Action == "skip":
		k := key{e.Package, e.Test}
		s.skipped = append(s.skipped, fmt.Sprintf("%s %s: %s", e.Package, e.Test, skipReason(s.pending[k])))
		delete(s.pending, k)
	case e.Action == "fail":
		k := key{e.Package, e.Test}
		s.failed = append(s.failed, e.Package+" "+e.Test)
		fmt.Fprint(s.out, strings.Join(s.pending[k], ""))
		delete(s.pending, k)
	}
}

// skipReason picks the message a test passed to t.Skip out of its output:
// the last line that is not the "--- SKIP" marker itself.
func skipReason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "--- SKIP") || strings.HasPrefix(l, "=== ") {
			continue
		}
		// Drop the "file.go:12: " prefix the testing package adds.
		if i := strings.Index(l, ": "); i > 0 && strings.Contains(l[:i], ".go:") {
			l = l[i+2:]
		}
		return l
	}
	return "(no reason given)"
}

func (s *summary) report() {
	// Tests still pending never finished: the binary crashed or timed out.
	// Their output is the only clue, so show it.
	var stuck []key
	for k := range s.pending {
		stuck = append(stuck, k)
	}
	sort.Slice(stuck, func(i, j int) bool {
		return stuck[i].pkg+stuck[i].test < stuck[j].pkg+stuck[j].test
	})
	for _, k := range stuck {
		fmt.Fprintf(s.out, "--- %s %s did not finish; its output:\n%s", k.pkg, k.test, strings.Join(s.pending[k], ""))
	}

	fmt.Fprintln(s.out)
	if len(s.skipped) > 0 {
		sort.Strings(s.skipped)
		fmt.Fprintf(s.out, "skipped tests (%d):\n", len(s.skipped))
		for _, l := range s.skipped {
			fmt.Fprintln(s.out, "  "+l)
		}
	}
	if len(s.failed) > 0 {
		fmt.Fprintf(s.out, "failed tests (%d):\n", len(s.failed))
		for _, l := range s.failed {
			fmt.Fprintln(s.out, "  "+l)
		}
	}
	fmt.Fprintf(s.out, "tests: %d passed, %d failed, %d skipped\n", s.passed, len(s.failed)+len(stuck), len(s.skipped))
}
