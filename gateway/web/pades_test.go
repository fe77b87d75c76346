package web_test

import (
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"docgate/certs"
	"docgate/gateway/web"
	"docgate/signing/pades"
)

// Real signed PDFs from signing/pades (TestVerifyTestdata keeps them): one
// signed by agency 000.00.00.H41, the same with its page content replaced
// after signing, and their root.
const (
	realSigned   = "../../signing/pades/testdata/verify-signed.pdf"
	realModified = "../../signing/pades/testdata/verify-modified.pdf"
	realRoot     = "../../signing/pades/testdata/verify-root.pem"
)

// mustRealEnv serves the pages with the real verifier, trusting the
// fixtures' root when trusted is true.
func mustRealEnv(t *testing.T, trusted bool) *env {
	t.Helper()
	trust := certs.NewTrustStore()
	if trusted {
		var err error
		if trust, err = certs.LoadTrustStore(realRoot); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{tmp: t.TempDir()}
	p := &web.Pages{Verifier: &pades.Verifier{Trust: trust}, TempDir: e.tmp, Logger: slog.New(slog.DiscardHandler)}
	e.srv = httptest.NewServer(p.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRealVerifier: the page agrees with signing/pades (and so with
// `docgate verify` and POST /v1/verify) on real signed documents.
func TestRealVerifier(t *testing.T) {
	trusted, untrusted := mustRealEnv(t, true), mustRealEnv(t, false)
	cases := []struct {
		name string
		e    *env
		file string
		want []string
	}{
		{"signed, trusted", trusted, realSigned, []string{`data-verdict="VALID"`, "HỢP LỆ", "000.00.00.H41", "Toàn bộ tệp", "Không có gì thay đổi sau chữ ký cuối cùng"}},
		{"changed after signing", trusted, realModified, []string{`data-verdict="INVALID"`, "KHÔNG HỢP LỆ", "KHÔNG cho phép", "content stream replaced", "văn bản đã bị sửa sau khi ký", "sig sig-bad"}},
		{"signed, root not trusted", untrusted, realSigned, []string{`data-verdict="INDETERMINATE"`, "CHƯA XÁC ĐỊNH ĐƯỢC", "Không tìm thấy chuỗi chứng thư"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.e.upload(t, "file", "văn bản.pdf", mustRead(t, tc.file))
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			mustContain(t, r.body, tc.want...)
		})
	}
	// A file with a PDF header and nothing readable after it is the form
	// again with the reader's words, not a 500.
	r := trusted.upload(t, "file", "hỏng.pdf", []byte("%PDF-1.7 hello world"), "Accept-Language", "en")
	if r.status != 422 || !strings.Contains(r.body, "cannot be read as a PDF") {
		t.Errorf("truncated: %d %s", r.status, r.body)
	}
	trusted.mustNoSpool(t)
}
