package bundle_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"docgate/gateway/bundle"
	"docgate/gateway/bundle/bundletest"
)

// mkzip writes entries in order; a manifest naming them (with wrong hashes,
// which Read does not judge) is added unless one is among them.
func mkzip(t testing.TB, entries ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	hasManifest := false
	var files []bundle.File
	for _, e := range entries {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: e[0], Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(e[1]))
		if e[0] == bundle.ManifestPath {
			hasManifest = true
		} else {
			files = append(files, bundle.File{Path: e[0], Kind: bundle.KindReceipt})
		}
	}
	if !hasManifest {
		mb, _ := json.Marshal(bundle.Manifest{Format: bundle.Format, DocumentID: "doc_1", Files: files})
		fw, _ := zw.Create(bundle.ManifestPath)
		fw.Write(mb)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadRefusesHostileBundles(t *testing.T) {
	bomb := strings.Repeat("\x00", 2<<20) // 2 MiB of zeros deflate to a few KB
	many := make([][2]string, 0, 4100)
	for i := range 4100 {
		many = append(many, [2]string{"receipts/" + strconv.Itoa(i) + ".p7m", ""})
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"not a zip", []byte("PK\x03\x04 not really"), "not a readable evidence bundle"},
		{"no manifest", func() []byte {
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			zw.Create("receipts/01.p7m")
			zw.Close()
			return buf.Bytes()
		}(), "no manifest.json"},
		{"manifest of another format", mkzip(t, [2]string{bundle.ManifestPath, `{"format":"zip@v0","files":[]}`}), "not \"docgate-evidence-bundle@v1\""},
		{"parent directory name", mkzip(t, [2]string{"../evil.p7m", "x"}), "has a '..' or empty element"},
		{"absolute name", mkzip(t, [2]string{"/etc/passwd", "x"}), "absolute"},
		{"backslash name", mkzip(t, [2]string{`receipts\..\..\evil`, "x"}), "backslash"},
		{"unclean name", mkzip(t, [2]string{"receipts//a.p7m", "x"}), "not a clean path"},
		{"duplicate name", mkzip(t, [2]string{"receipts/a.p7m", "x"}, [2]string{"receipts/a.p7m", "y"}), "twice"},
		{"zip bomb in a small file", mkzip(t, [2]string{"receipts/a.p7m", bomb}), "at most"},
		{"too many files", mkzip(t, many...), "at most 4096"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := bundle.Read(bytes.NewReader(c.data), int64(len(c.data)))
			if !errors.Is(err, bundle.ErrUnreadable) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want ErrUnreadable naming %q", err, c.want)
			}
		})
	}
}

// TestManifestTextCannotForgeOutput checks that the manifest's free text,
// which failure messages quote, cannot add lines or escape sequences.
func TestManifestTextCannotForgeOutput(t *testing.T) {
	m := bundle.Manifest{Format: bundle.Format, DocumentID: "doc\x1b[2J", Files: []bundle.File{
		{Path: "receipts/01.p7m", Kind: bundle.KindReceipt, Event: "X\nFAILED: nothing, all is well\u202e"}}}
	mb, _ := json.Marshal(m)
	data := mkzip(t, [2]string{bundle.ManifestPath, string(mb)}, [2]string{"receipts/01.p7m", "not a receipt"})
	res, err := bundle.Verify(context.Background(), bytes.NewReader(data), int64(len(data)), bundle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(res.Failures, res.Manifest.DocumentID) {
		if strings.ContainsAny(f, "\n\x1b\u202e") {
			t.Fatalf("unsafe text in %q", f)
		}
	}
	if !strings.Contains(strings.Join(res.Failures, "|"), "receipt 1 (X?FAILED: nothing, all is well?)") {
		t.Fatalf("failures: %q", res.Failures)
	}
}

// TestReadCutsOffLyingSizes checks that a file whose header understates its
// size is cut off at the bound, not read to its end.
func TestReadCutsOffLyingSizes(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	// CreateRaw lets the header claim 10 bytes for 2 MiB of deflated zeros.
	raw := deflate(t, bytes.Repeat([]byte{0}, 2<<20))
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "receipts/a.p7m", Method: zip.Deflate, CompressedSize64: uint64(len(raw)), UncompressedSize64: 10})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(raw)
	mb, _ := json.Marshal(bundle.Manifest{Format: bundle.Format, Files: []bundle.File{{Path: "receipts/a.p7m", Kind: bundle.KindReceipt}}})
	mw, _ := zw.Create(bundle.ManifestPath)
	mw.Write(mb)
	zw.Close()
	_, err = bundle.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if !errors.Is(err, bundle.ErrUnreadable) {
		t.Fatalf("got %v, want the lying file refused", err)
	}
}

func deflate(t testing.TB, b []byte) []byte {
	t.Helper()
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	fw, _ := zw.CreateHeader(&zip.FileHeader{Name: "x", Method: zip.Deflate})
	fw.Write(b)
	zw.Close()
	zr, err := zip.NewReader(bytes.NewReader(zb.Bytes()), int64(zb.Len()))
	if err != nil {
		t.Fatal(err)
	}
	off, _ := zr.File[0].DataOffset()
	return zb.Bytes()[off : off+int64(zr.File[0].CompressedSize64)]
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		`C:\Văn bản\công văn.pdf`:         "công văn.pdf",
		"../../etc/passwd":                "passwd",
		"..":                              "fallback",
		"  .hidden.pdf ":                  "hidden.pdf",
		"a\x00b\nc<d>.pdf":                "a_b_c_d_.pdf",
		"":                                "fallback",
		strings.Repeat("ắ", 100) + ".pdf": strings.Repeat("ắ", 38) + ".pdf",
	} {
		if got := bundle.SafeName(in, "fallback"); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzReadBundle feeds arbitrary bytes to the reader: it must answer, with
// a bundle or ErrUnreadable, never panic, and never accept a file name that
// could escape the directory it is unpacked into.
func FuzzReadBundle(f *testing.F) {
	f.Add(mkzip(f, [2]string{"receipts/01-SubmissionAcceptance.p7m", "x"}, [2]string{"log/checkpoint", "o\n1\nAAAA\n"}))
	f.Add(mkzip(f, [2]string{bundle.ManifestPath, `{"format":"docgate-evidence-bundle@v1","files":[{"path":"a","kind":"document"}]}`}))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	// A real bundle, so that mutations start from every kind of file.
	w := bundletest.New(f)
	f.Add(w.Export(f, bundletest.As(bundletest.Sender), w.Flow(f, "fuzz")))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := bundle.Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if !errors.Is(err, bundle.ErrUnreadable) {
				t.Fatalf("error outside ErrUnreadable: %v", err)
			}
			return
		}
		for p := range b.Sums {
			if strings.HasPrefix(p, "/") || strings.Contains(p, "..") || strings.Contains(p, `\`) {
				t.Fatalf("accepted the name %q", p)
			}
		}
		// What reads, verifies to an answer: with no roots and no key,
		// never OK.
		res, err := bundle.Verify(context.Background(), bytes.NewReader(data), int64(len(data)), bundle.Options{})
		if err != nil {
			t.Fatalf("Read accepted what Verify refuses: %v", err)
		}
		if res.OK() {
			t.Fatal("a bundle verified with no roots")
		}
	})
}
