package web_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"docgate/gateway"
	"docgate/gateway/web"
)

// readingVerifier reads every byte it is given and calls the file readable
// when it ends in %%EOF, so that fuzzed uploads reach both outcomes.
type readingVerifier struct{}

func (readingVerifier) VerifyPDF(_ context.Context, r io.ReaderAt, size int64, _ gateway.VerifyOptions) (*gateway.Report, error) {
	b, err := io.ReadAll(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, err
	}
	if !bytes.HasSuffix(bytes.TrimSpace(b), []byte("%%EOF")) {
		return nil, gateway.Errorf(gateway.EINVALID, "no %%%%EOF")
	}
	return &gateway.Report{Document: gateway.DocumentReport{Verdict: gateway.VerdictUnsigned}}, nil
}

// FuzzVerifyUpload posts arbitrary bytes and file names through the form:
// whatever arrives, the answer is a page (never a 5xx), nothing is left on
// disk, and no message key shows untranslated.
func FuzzVerifyUpload(f *testing.F) {
	f.Add([]byte("%PDF-1.7\n%%EOF"), "a.pdf", "vi")
	f.Add([]byte("%PDF-"), "", "en")
	f.Add([]byte{0x30, 0x82, 0x00, 0x01, 0x00}, "r.p7s", "en")
	f.Add([]byte{}, "../../etc/passwd", "xx")
	f.Add([]byte("\x00\x01"), "<script>.pdf", "vi;q=0")
	tmp := f.TempDir()
	p := &web.Pages{Verifier: readingVerifier{}, MaxUpload: 4096, TempDir: tmp}
	h := p.Handler()
	f.Fuzz(func(t *testing.T, content []byte, name, lang string) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Skip()
		}
		fw.Write(content)
		mw.Close()
		req := httptest.NewRequest("POST", "/verify", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Accept-Language", lang)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("status %d for %q (%d bytes)", w.Code, name, len(content))
		}
		if strings.Contains(w.Body.String(), "⟦") {
			t.Fatal("an untranslated key")
		}
		left, _ := filepath.Glob(filepath.Join(tmp, "*"))
		if len(left) != 0 {
			t.Fatalf("left on disk: %v", left)
		}
	})
}
