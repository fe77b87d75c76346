package web_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"docgate/gateway/bundle/bundletest"
	"docgate/gateway/web"
)

// TestVerifyBundle uploads an evidence bundle from a real exchange flow to
// the verify form: valid with the gateway's roots and log key; the
// verifier's own failures shown when the key is another log's; a zip broken
// in place refused as unreadable.
func TestVerifyBundle(t *testing.T) {
	w := bundletest.New(t)
	zip := w.Export(t, bundletest.As(bundletest.Sender), w.Flow(t, "Về việc thử"))
	page := func(logKey string) *env {
		e := &env{fake: &fakeVerifier{}, tmp: t.TempDir()}
		p := &web.Pages{Verifier: w.PDF, ReceiptRoots: w.Roots, LogKey: logKey, TempDir: e.tmp, Logger: slog.New(slog.DiscardHandler)}
		e.srv = httptest.NewServer(p.Handler())
		t.Cleanup(e.srv.Close)
		return e
	}
	good := page(w.LogKey)
	r := good.upload(t, "file", "bundle.zip", zip, "Accept-Language", "en")
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	mustContain(t, r.body, `data-verdict="BUNDLE_VALID"`, "VALID EVIDENCE BUNDLE", "in the log at index 3", "test.docgate/log, 4 leaves")
	good.mustNoSpool(t)

	// A byte of the PDF changed in place: the zip's own checksum no
	// longer holds, and the page says the file is not a readable bundle.
	bad := bytes.Clone(zip)
	i := bytes.Index(bad, []byte("so 12"))
	if i < 0 {
		t.Fatal("the PDF is not stored in the zip as is")
	}
	bad[i+3] = '7'
	r = good.upload(t, "file", "bundle.zip", bad, "Accept-Language", "en")
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("tampered zip: status %d", r.status)
	}
	mustContain(t, r.body, "not a readable evidence bundle")

	// Another log's key: the checkpoint does not verify.
	r = page(bundletest.New(t).LogKey).upload(t, "file", "bundle.zip", zip, "Accept-Language", "en")
	mustContain(t, r.body, `data-verdict="BUNDLE_INVALID"`, "the checkpoint does not verify with the log key")

	// No key on the page: the bundle's own, and the page says so.
	r = page("").upload(t, "file", "bundle.zip", zip, "Accept-Language", "en")
	mustContain(t, r.body, `data-verdict="BUNDLE_VALID"`, "the log key was taken from the bundle itself")

	r = good.upload(t, "file", "x.zip", []byte("PK\x03\x04 and nothing else"), "Accept-Language", "en")
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("junk zip: %d", r.status)
	}
	mustContain(t, r.body, "not a readable evidence bundle")
}
