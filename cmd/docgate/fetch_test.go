package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"docgate/gateway"
	"docgate/gateway/edxml"
)

// fakeEdXMLServer answers a document's metadata, recording the PDF and the
// annex as submitted, and serves pkg as its edXML export.
func fakeEdXMLServer(t *testing.T, pkg []byte) map[string]string {
	t.Helper()
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	doc := gateway.Document{ID: "d1",
		PDF:         gateway.Part{Name: "a.pdf", SHA256: sum("%PDF as submitted")},
		Attachments: []gateway.Part{{Name: "annex.txt", SHA256: sum("annex")}}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/documents/d1":
			json.NewEncoder(w).Encode(doc)
		case "/v1/documents/d1/edxml":
			w.Write(pkg)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return map[string]string{"DOCGATE_SERVER": srv.URL, "DOCGATE_TOKEN": "t"}
}

func edxmlPackage(t *testing.T, files ...string) []byte {
	t.Helper()
	pkg := &edxml.Package{Header: edxml.MessageHeader{
		From: edxml.Organization{OrganID: "000.00.00.H41"}, To: []edxml.Organization{{OrganID: "000.00.01.H41"}},
		Code: edxml.Code{Number: "1", Notation: "UBND"}, Subject: "s", DocumentID: "d1"}}
	var bodies []io.Reader
	for i, f := range files {
		pkg.AddAttachment(edxml.AttachmentInfo{ContentID: "part" + string(rune('0'+i)), Name: "f", ContentType: "application/octet-stream"})
		bodies = append(bodies, strings.NewReader(f))
	}
	var buf bytes.Buffer
	if err := edxml.Encode(&buf, pkg, bodies); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// An edXML export is kept only when it parses and carries exactly the files
// of the document, with the digests recorded at submission.
func TestFetchEdXMLChecksTheFiles(t *testing.T) {
	cases := []struct {
		name string
		pkg  []byte
		want string // "" = kept
	}{
		{"as submitted", edxmlPackage(t, "%PDF as submitted", "annex"), ""},
		{"changed PDF", edxmlPackage(t, "%PDF changed", "annex"), "is not a.pdf as submitted"},
		{"changed annex", edxmlPackage(t, "%PDF as submitted", "annex!"), "is not annex.txt as submitted"},
		{"annex missing", edxmlPackage(t, "%PDF as submitted"), "holds 1 files, the document 2"},
		{"one file too many", edxmlPackage(t, "%PDF as submitted", "annex", "extra"), "more files than the document's 2"},
		{"not edXML", []byte("<html>gateway maintenance</html>"), "nothing was written"},
		{"cut off", edxmlPackage(t, "%PDF as submitted", "annex")[:300], "nothing was written"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := fakeEdXMLServer(t, c.pkg)
			out := filepath.Join(t.TempDir(), "d1.edxml")
			if c.want == "" {
				mustRun(t, env, "fetch", "d1", "--edxml", "-o", out)
				if b, err := os.ReadFile(out); err != nil || !bytes.Equal(b, c.pkg) {
					t.Fatalf("the package kept differs from the one served (%v)", err)
				}
				return
			}
			wantExit(t, env, exitFailed, c.want, "fetch", "d1", "--edxml", "-o", out)
			if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 0 {
				t.Fatalf("a refused package left %v", entries)
			}
		})
	}
}

// A hostile or broken gateway cannot make docgate receipts write outside
// --out-dir: the file names keep only safe characters of what it says.
func TestReceiptsFileNamesStayInOutDir(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"receipts":[{"receipt":{"id":"../../../escaped","event":"../x"},"cms":"AAEC"}]}`))
	}))
	defer srv.Close()
	root := t.TempDir()
	dir := filepath.Join(root, "out")
	out := mustRun(t, map[string]string{"DOCGATE_SERVER": srv.URL, "DOCGATE_TOKEN": "t"}, "receipts", "d1", "--out-dir", dir)
	name := strings.TrimSpace(out)
	if filepath.Dir(name) != dir {
		t.Fatalf("receipt written to %s, outside %s", name, dir)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 1 {
		t.Fatalf("files beside --out-dir: %v", entries)
	}
}

// A bare --due date is that day in Vietnam, as the gateway reads bare dates
// (its search, its edXML): midnight UTC+07:00, not midnight UTC.
func TestParseDueBareDateIsVietnam(t *testing.T) {
	got, err := parseDue("2026-12-01")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("parseDue(2026-12-01) = %v, want %v", got, want)
	}
	if got, err := parseDue("2026-12-01T09:30:00+07:00"); err != nil || !got.Equal(time.Date(2026, 12, 1, 2, 30, 0, 0, time.UTC)) {
		t.Fatalf("RFC 3339: %v, %v", got, err)
	}
}
