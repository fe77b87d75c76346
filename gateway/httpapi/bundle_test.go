package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"docgate/gateway/auditlog"
	"docgate/gateway/bundle"
	"docgate/storage/fsblob"
)

// TestBundleHTTP downloads a document's evidence bundle as each kind of
// caller and verifies it offline.
func TestBundleHTTP(t *testing.T) {
	d := mustDocEnv(t)
	pdf, annex := testPDF("bundle"), []byte("annex")
	env := map[string]any{"from": docSender, "to": []string{docRecip}, "subject": "Giấy mời"}
	out := mustDecode[submitted](t, d.submit(t, d.sender, envelopePart(t, env),
		mpPart{name: "document", filename: "giấy mời.pdf", contentType: "application/pdf", body: pdf},
		mpPart{name: "attachment", filename: "annex.txt", contentType: "text/plain", body: annex}), http.StatusCreated)
	path := "/v1/documents/" + out.ID + "/bundle"

	// No log yet: a bundle cannot prove anything, and says so.
	mustProblem(t, d.json(t, "GET", path, d.sender, ""), http.StatusNotImplemented, "audit log")

	skey, vkey, err := auditlog.GenerateKey(rand.Reader, "httpapi.test/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	d.api.Log = auditlog.NewLog(d.store.AuditLog(), signer)
	d.api.LogKey = vkey
	d.api.Exchange.Log = d.api.Log
	out = mustDecode[submitted](t, d.submit(t, d.sender, envelopePart(t, env),
		mpPart{name: "document", filename: "giấy mời.pdf", contentType: "application/pdf", body: pdf}), http.StatusCreated)
	path = "/v1/documents/" + out.ID + "/bundle"
	mustDecode[map[string]any](t, d.json(t, "POST", "/v1/documents/"+out.ID+"/ack", d.recip, ""), 200)

	for who, tok := range map[string]string{"sender": d.sender, "recipient": d.recip, "auditor": d.auditor} {
		r := d.json(t, "GET", path, tok, "")
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/zip" || !strings.Contains(r.header.Get("Content-Disposition"), out.ID) {
			t.Fatalf("%s: %d %v %s", who, r.status, r.header, r.body)
		}
		res, err := bundle.Verify(context.Background(), bytes.NewReader(r.body), int64(len(r.body)),
			bundle.Options{Roots: d.roots, LogKey: vkey, PDF: d.ver})
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		if !res.OK() || len(res.Receipts) != 3 {
			t.Fatalf("%s's bundle: %d receipts, failures %q", who, len(res.Receipts), res.Failures)
		}
	}
	mustProblem(t, d.json(t, "GET", path, d.other, ""), http.StatusNotFound, "no document")
	mustProblem(t, d.json(t, "GET", path, "", ""), http.StatusUnauthorized, "")
}

// TestBundleCutOnCorruption: a stored PDF whose bytes changed behind the
// gateway's back is found while the zip streams; the connection is cut, so
// the client never holds a zip that reads as complete.
func TestBundleCutOnCorruption(t *testing.T) {
	d := mustDocEnv(t)
	skey, vkey, err := auditlog.GenerateKey(rand.Reader, "httpapi.test/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	d.api.Log, d.api.LogKey = auditlog.NewLog(d.store.AuditLog(), signer), vkey
	d.api.Exchange.Log = d.api.Log
	pdf := testPDF("to be corrupted")
	env := map[string]any{"to": []string{docRecip}, "subject": "s"}
	out := mustDecode[submitted](t, d.submit(t, d.sender, envelopePart(t, env), mpPart{name: "document", body: pdf}), http.StatusCreated)
	path := d.blobs.(*fsblob.Store).Path(out.SHA256)
	os.Chmod(path, 0o600)
	if err := os.WriteFile(path, bytes.ToUpper(pdf), 0o600); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", d.srv.URL+"/v1/documents/"+out.ID+"/bundle", nil)
	req.Header.Set("Authorization", "Bearer "+d.sender)
	res, err := d.srv.Client().Do(req)
	if err != nil {
		return // cut before the headers
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode == http.StatusOK {
		if _, rerr := bundle.Read(bytes.NewReader(body), int64(len(body))); rerr == nil {
			t.Fatalf("a bundle of a corrupted document was served whole (%d bytes)", len(body))
		}
	}
}
