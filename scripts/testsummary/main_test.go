package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestSummary(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"start","Package":"docgate/a"}`,
		`{"Action":"run","Package":"docgate/a","Test":"TestOK"}`,
		`{"Action":"output","Package":"docgate/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}`,
		`{"Action":"pass","Package":"docgate/a","Test":"TestOK"}`,
		`{"Action":"run","Package":"docgate/a","Test":"TestS3"}`,
		`{"Action":"output","Package":"docgate/a","Test":"TestS3","Output":"    s3_test.go:30: no MinIO here\n"}`,
		`{"Action":"output","Package":"docgate/a","Test":"TestS3","Output":"--- SKIP: TestS3 (0.00s)\n"}`,
		`{"Action":"skip","Package":"docgate/a","Test":"TestS3"}`,
		`{"Action":"run","Package":"docgate/a","Test":"TestBad"}`,
		`{"Action":"output","Package":"docgate/a","Test":"TestBad","Output":"=== RUN   TestBad\n"}`,
		`{"Action":"output","Package":"docgate/a","Test":"TestBad","Output":"    a_test.go:9: got 2, want 3\n"}`,
		`{"Action":"fail","Package":"docgate/a","Test":"TestBad"}`,
		`{"Action":"run","Package":"docgate/a","Test":"TestHang"}`,
		`{"Action":"output","Package":"docgate/a","Test":"TestHang","Output":"still going\n"}`,
		`{"Action":"output","Package":"docgate/a","Output":"FAIL\tdocgate/a\t0.1s\n"}`,
		`{"ImportPath":"docgate/b","Action":"build-output","Output":"b.go:1: syntax error\n"}`,
		`not json: flag provided but not defined`,
	}, "\n")
	var out bytes.Buffer
	s := &summary{out: &out, pending: map[key][]string{}}
	if err := s.read(strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	s.report()
	got := out.String()
	for _, want := range []string{
		"a_test.go:9: got 2, want 3",        // a failed test's output is shown
		"FAIL\tdocgate/a\t0.1s",             // package lines pass through
		"b.go:1: syntax error",              // so do build errors
		"not json: flag provided",           // and plain text
		"docgate/a TestS3: no MinIO here",   // a skip is listed with its reason
		"docgate/a TestHang did not finish", // and a test that never ended
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "=== RUN") {
		t.Errorf("run markers or a passing test's output were shown:\n%s", got)
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if last := lines[len(lines)-1]; last != "tests: 1 passed, 2 failed, 1 skipped" {
		t.Errorf("last line %q", last)
	}
}
