package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"docgate/gateway"
	"docgate/gateway/web"
)

// fakeVerifier stands in for signing/pades: it reads the upload through the
// ReaderAt it is given (so a test sees whether the bytes arrived whole) and
// answers from markers in the content, so each test chooses the verdict by
// what it uploads rather than by configuring the fake.
type fakeVerifier struct {
	mu    sync.Mutex
	calls []gateway.VerifyOptions
}

func (f *fakeVerifier) VerifyPDF(ctx context.Context, r io.ReaderAt, size int64, opts gateway.VerifyOptions) (*gateway.Report, error) {
	f.mu.Lock()
	f.calls = append(f.calls, opts)
	f.mu.Unlock()
	b, err := io.ReadAll(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, fmt.Errorf("fake: read: %w", err)
	}
	if int64(len(b)) != size {
		return nil, fmt.Errorf("fake: read %d bytes of %d", len(b), size)
	}
	// No SHA256 in the report, as signing/pades: the page shows the digest
	// it computed while spooling.
	doc := gateway.DocumentReport{Revisions: 2, Size: size,
		Modification: gateway.ModificationNone, Changes: []string{}, EmptyFields: []string{}}
	sig := gateway.SignatureReport{
		Field: "Signature1", Kind: "signature", Intact: true, Indication: gateway.IndicationPassed,
		Coverage: "ENTIRE_FILE", Modification: "NONE", Level: "B-T",
		Signer:       "CN=Nguyễn Văn An <script>alert(1)</script>",
		Organization: "UBND tỉnh Bắc Ninh", AgencyCode: "000.00.00.H41",
		SigningTime: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC), TimeSource: "timestamp",
		Chain: []string{"CN=Nguyễn Văn An", "CN=Dev Root CA"}, Revocation: "good", Revision: 1, Errors: []string{},
	}
	switch {
	case bytes.Contains(b, []byte("%NOTREADABLE")):
		return nil, gateway.Errorf(gateway.EINVALID, "no cross-reference table")
	case bytes.Contains(b, []byte("%BROKEN")):
		return nil, errors.New("open /var/lib/docgate/secret-path: permission denied")
	case bytes.Contains(b, []byte("%UNSIGNED")):
		doc.Verdict = gateway.VerdictUnsigned
		doc.EmptyFields = []string{"Chữ ký lãnh đạo"}
		return &gateway.Report{Document: doc, Signatures: []gateway.SignatureReport{}}, nil
	case bytes.Contains(b, []byte("%TAMPERED")):
		doc.Verdict = gateway.VerdictInvalid
		doc.Modification = gateway.ModificationIllegal
		doc.Changes = []string{"page 1: content stream replaced after signature 1"}
		sig.Intact = false
		sig.Indication = gateway.IndicationFailed
		sig.SubIndication = "HASH_FAILURE"
		sig.Modification = "OTHER"
	case bytes.Contains(b, []byte("%UNTRUSTED")):
		doc.Verdict = gateway.VerdictIndeterminate
		sig.Indication = gateway.IndicationIndeterminate
		sig.SubIndication = "NO_CERTIFICATE_CHAIN_FOUND"
		sig.TimeSource = "claimed"
	default:
		doc.Verdict = gateway.VerdictValid
	}
	return &gateway.Report{Document: doc, Signatures: []gateway.SignatureReport{sig}}, nil
}

type env struct {
	srv  *httptest.Server
	fake *fakeVerifier
	tmp  string
	logs *bytes.Buffer
}

func mustEnv(t *testing.T, maxUpload int64) *env {
	t.Helper()
	e := &env{fake: &fakeVerifier{}, tmp: t.TempDir(), logs: &bytes.Buffer{}}
	p := &web.Pages{
		Verifier: e.fake, MaxUpload: maxUpload, TempDir: e.tmp,
		Logger: slog.New(slog.NewTextHandler(e.logs, nil)),
	}
	e.srv = httptest.NewServer(p.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

type response struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, string(b)}
}

func (e *env) get(t *testing.T, path string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(t, req)
}

// upload posts a multipart form with the given file part (name "" sends a
// part without a file name, as a browser does when nothing was chosen).
func (e *env) upload(t *testing.T, field, name string, content []byte, header ...string) response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("note", "ignored")
	var w io.Writer
	var err error
	if name == "" {
		w, err = mw.CreateFormField(field)
	} else {
		w, err = mw.CreateFormFile(field, name)
	}
	if err != nil {
		t.Fatal(err)
	}
	w.Write(content)
	mw.Close()
	req, err := http.NewRequest("POST", e.srv.URL+"/verify", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(t, req)
}

// mustNoSpool checks that no upload is left behind in the temp directory.
func (e *env) mustNoSpool(t *testing.T) {
	t.Helper()
	left, err := os.ReadDir(e.tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("uploads left on disk: %v", left)
	}
}

func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	if strings.Contains(body, "⟦") {
		t.Errorf("page shows an untranslated key: %s", body[strings.Index(body, "⟦"):][:60])
	}
}

func TestLanguageChoice(t *testing.T) {
	e := mustEnv(t, 0)
	cases := []struct {
		name, path   string
		header       []string
		lang, phrase string
		setsCookie   bool
	}{
		{"default", "/", nil, "vi", "Kiểm tra chữ ký số trên văn bản", false},
		{"unsupported browser language", "/verify", []string{"Accept-Language", "fr-FR,de;q=0.8"}, "vi", "Kiểm tra chữ ký số", false},
		{"browser asks English", "/", []string{"Accept-Language", "en-GB,en;q=0.9"}, "en", "Check the digital signatures", false},
		{"quality decides", "/", []string{"Accept-Language", "en;q=0.4, vi-VN;q=0.9"}, "vi", "Kiểm tra chữ ký số", false},
		{"query wins over browser", "/?lang=en", []string{"Accept-Language", "vi"}, "en", "Check the digital signatures", true},
		{"cookie wins over browser", "/", []string{"Accept-Language", "vi", "Cookie", "docgate_lang=en"}, "en", "Check the digital signatures", false},
		{"query wins over cookie", "/verify?lang=vi", []string{"Cookie", "docgate_lang=en"}, "vi", "Kiểm tra chữ ký số", true},
		{"bad query ignored", "/?lang=xx", []string{"Accept-Language", "en"}, "en", "Check the digital signatures", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get(t, tc.path, tc.header...)
			if r.status != 200 {
				t.Fatalf("status %d", r.status)
			}
			mustContain(t, r.body, `<html lang="`+tc.lang+`">`, tc.phrase, `name="file"`, `action="/verify"`, `enctype="multipart/form-data"`)
			if got := r.header.Get("Content-Language"); got != tc.lang {
				t.Errorf("Content-Language %q, want %q", got, tc.lang)
			}
			cookie := r.header.Get("Set-Cookie")
			if tc.setsCookie != strings.Contains(cookie, "docgate_lang="+tc.lang) {
				t.Errorf("Set-Cookie %q (want a cookie: %v)", cookie, tc.setsCookie)
			}
			if tc.setsCookie && !strings.Contains(cookie, "HttpOnly") {
				t.Errorf("language cookie not HttpOnly: %q", cookie)
			}
		})
	}
}

func TestVerifyRendersReport(t *testing.T) {
	e := mustEnv(t, 0)
	cases := []struct {
		marker, lang, verdict string
		want                  []string
	}{
		{"", "vi", "VALID", []string{"HỢP LỆ", "UBND tỉnh Bắc Ninh", "000.00.00.H41", "23/11/2026 15:00:00", "giờ Việt Nam", "dấu thời gian", "Toàn bộ tệp", "Không có gì thay đổi sau chữ ký cuối cùng", "Còn hiệu lực"}},
		{"", "en", "VALID", []string{">VALID<", "Every signature is correct", "Vietnam time", "The whole file", "Nothing changed after the last signature"}},
		{"%TAMPERED", "vi", "INVALID", []string{"KHÔNG HỢP LỆ", "mã băm không khớp", "page 1: content stream replaced after signature 1", "KHÔNG cho phép"}},
		{"%TAMPERED", "en", "INVALID", []string{"NOT VALID", "the digest does not match", "page 1: content stream replaced", "do NOT allow"}},
		{"%UNTRUSTED", "en", "INDETERMINATE", []string{"CANNOT BE CONFIRMED", "No certificate chain to a trusted certification authority", "claimed by the signer"}},
		{"%UNSIGNED", "vi", "UNSIGNED", []string{"CHƯA KÝ", "Không có chữ ký nào", "Chữ ký lãnh đạo"}},
	}
	for _, tc := range cases {
		t.Run(tc.verdict+"/"+tc.lang, func(t *testing.T) {
			pdf := []byte("%PDF-1.7\n" + tc.marker + "\n1 0 obj <<>> endobj\n%%EOF\n")
			r := e.upload(t, "file", "công văn 7816.pdf", pdf, "Cookie", "docgate_lang="+tc.lang)
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			sum := sha256.Sum256(pdf)
			mustContain(t, r.body, append(tc.want,
				`data-verdict="`+tc.verdict+`"`, hex.EncodeToString(sum[:]), "công văn 7816.pdf")...)
			// The verdict comes before any signature detail.
			if v, s := strings.Index(r.body, `id="verdict"`), strings.Index(r.body, "<article"); s >= 0 && v > s {
				t.Error("the verdict is not first")
			}
			if strings.Contains(r.body, "<script>alert(1)") {
				t.Error("the signer's name was not escaped")
			}
		})
	}
	for _, opts := range e.fake.calls {
		if !opts.Offline {
			t.Error("a public page verified online")
		}
	}
	e.mustNoSpool(t)
}

func TestVerifyBadInput(t *testing.T) {
	e := mustEnv(t, 1000)
	big := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 1000)...)
	cases := []struct {
		name         string
		field, fname string
		content      []byte
		status       int
		want         string
	}{
		{"no file chosen", "file", "", nil, 400, "Chưa có tệp nào được chọn"},
		{"wrong field", "document", "a.pdf", []byte("%PDF-1.7"), 400, "Chưa có tệp nào được chọn"},
		{"empty file", "file", "rỗng.pdf", nil, 400, "Tệp “rỗng.pdf” rỗng (0 byte)"},
		{"not a pdf", "file", "ảnh.png", []byte("\x89PNG\r\n\x1a\n...."), 415, "không phải là PDF"},
		{"too large", "file", "lớn.pdf", big, 413, "Tệp quá lớn: tối đa 1000 B"},
		{"unreadable pdf", "file", "hỏng.pdf", []byte("%PDF-1.4\n%NOTREADABLE"), 422, "no cross-reference table"},
		{"name with markup", "file", "<b>x<i>.txt", []byte("hello"), 415, "&lt;b&gt;x&lt;i&gt;.txt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.upload(t, tc.field, tc.fname, tc.content)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			mustContain(t, r.body, tc.want, `id="verify-form"`, `role="alert"`)
		})
	}
	t.Run("not multipart", func(t *testing.T) {
		req, _ := http.NewRequest("POST", e.srv.URL+"/verify?lang=en", strings.NewReader("file=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r := e.do(t, req)
		if r.status != 400 {
			t.Fatalf("status %d", r.status)
		}
		mustContain(t, r.body, "The form that was sent is not valid", `id="verify-form"`)
	})
	// A body far over the limit is cut off by MaxBytesReader, not read to the end.
	t.Run("huge body", func(t *testing.T) {
		r := e.upload(t, "file", "huge.pdf", append([]byte("%PDF-1.7\n"), make([]byte, 200<<10)...), "Accept-Language", "en")
		if r.status != 413 {
			t.Fatalf("status %d", r.status)
		}
		mustContain(t, r.body, "The file is too large")
	})
	e.mustNoSpool(t)
}

// TestVerifierFailureIsSafe: a verifier's internal failure gives the form
// with a request ID, and the details only in the log.
func TestVerifierFailureIsSafe(t *testing.T) {
	e := mustEnv(t, 0)
	r := e.upload(t, "file", "a.pdf", []byte("%PDF-1.7\n%BROKEN"), "Accept-Language", "en")
	if r.status != 500 {
		t.Fatalf("status %d", r.status)
	}
	id := r.header.Get("X-Request-Id")
	if id == "" {
		t.Fatal("no request ID")
	}
	mustContain(t, r.body, "Quote request ID "+id, `id="verify-form"`)
	if strings.Contains(r.body, "secret-path") {
		t.Error("the page leaks the internal error")
	}
	if !strings.Contains(e.logs.String(), "secret-path") || !strings.Contains(e.logs.String(), id) {
		t.Errorf("the log lacks the error or the ID: %s", e.logs)
	}
	e.mustNoSpool(t)
}

func TestStaticNotFoundAndHeaders(t *testing.T) {
	e := mustEnv(t, 0)
	css := e.get(t, "/static/style.css")
	if css.status != 200 || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") || !strings.Contains(css.body, ".verdict") {
		t.Errorf("style.css: %d %q", css.status, css.header.Get("Content-Type"))
	}
	js := e.get(t, "/static/drop.js")
	if js.status != 200 || !strings.Contains(js.body, "dataTransfer") {
		t.Errorf("drop.js: %d", js.status)
	}
	nf := e.get(t, "/nothing-here", "Accept-Language", "en")
	if nf.status != 404 {
		t.Errorf("unknown page: %d", nf.status)
	}
	mustContain(t, nf.body, "Page not found", `href="/verify"`)
	if e.get(t, "/static/../web.go").status == 200 {
		t.Error("source served from /static")
	}
	home := e.get(t, "/")
	csp := home.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	// Nothing from another origin: the gateways have no internet.
	for _, body := range []string{home.body, css.body} {
		if strings.Contains(body, "http://") || strings.Contains(body, "https://") || strings.Contains(body, "//fonts.") {
			t.Error("a page or the stylesheet refers to another origin")
		}
	}
}
