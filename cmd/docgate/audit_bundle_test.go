package main

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"docgate/gateway/auditlog"
)

// TestAuditBundle runs the auditor's path through Main against a dev
// gateway: a signed PDF sent, acknowledged and accepted, its bundle
// exported by the sender and verified offline with the dev root and the
// pinned log key; then what verify says of a tampered copy, a wrong key,
// a missing key, a wrong root, and input that is no bundle.
func TestAuditBundle(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	g := startGateway(t, dir)
	pki := filepath.Join(dir, "pki")
	root, logPub := filepath.Join(pki, "root.crt"), filepath.Join(pki, logPubFile)
	work := t.TempDir()
	admin := map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": g.admin}
	const sender, recipient, outsider = "000.00.00.H41", "000.00.01.H41", "000.00.02.H41"
	senderCert := filepath.Join(work, "sender")
	mustRun(t, nil, "ca", "issue", "--dir", pki, "--code", sender, "--name", "UBND tỉnh", "--out", senderCert)
	senderTok := lastLine(mustRun(t, admin, "agency", "add", "--code", sender, "--name", "UBND tỉnh", "--cert", senderCert+".crt"))
	recipTok := lastLine(mustRun(t, admin, "agency", "add", "--code", recipient, "--name", "Sở Nội vụ"))
	otherTok := lastLine(mustRun(t, admin, "agency", "add", "--code", outsider, "--name", "Sở Tài chính"))
	as := func(tok string) map[string]string {
		return map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": tok}
	}

	pdf := filepath.Join(work, "công văn.pdf")
	signPDF(t, onePagePDF("Cong van so 7"), senderCert, pdf)
	id := lastLine(mustRun(t, as(senderTok), "send", "--to", recipient, "--subject", "Thử", pdf))
	mustRun(t, as(recipTok), "ack", id)
	mustRun(t, as(recipTok), "status", id, "--set", "accepted")

	zipFile := filepath.Join(work, "bundle.zip")
	if out := mustRun(t, as(senderTok), "audit", "export", id, "-o", zipFile); !strings.Contains(out, id) {
		t.Fatalf("export: %s", out)
	}
	wantExit(t, as(otherTok), exitFailed, "HTTP 404", "audit", "export", id, "-o", filepath.Join(work, "nope.zip"))
	if _, err := os.Stat(filepath.Join(work, "nope.zip")); !os.IsNotExist(err) {
		t.Fatal("a refused export left a file")
	}

	code, out, errs := runDocgate(t.Context(), nil, "audit", "verify", "--trust", root, "--key", logPub, zipFile)
	if code != exitOK || !strings.Contains(out, "bundle VERIFIED") || !strings.Contains(out, "receipt 4:  ConsignmentAcceptance") ||
		strings.Contains(errs, "bundle's own key") {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errs)
	}
	t.Logf("verify:\n%s%s", out, errs)

	// The verify page takes the bundle too, checked with the gateway's own
	// log key (so without the bundle's-own-key warning).
	zb, _ := os.ReadFile(zipFile)
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "bundle.zip")
	fw.Write(zb)
	mw.Close()
	page := string(httpPost(t, g.url+"/verify?lang=en", mw.FormDataContentType(), form.Bytes()))
	if !strings.Contains(page, `data-verdict="BUNDLE_VALID"`) || strings.Contains(page, "taken from the bundle itself") {
		t.Fatalf("the verify page on a bundle:\n%.2000s", page)
	}

	// A clerk signed in on the web gets the same bundle from the document's
	// page; it verifies offline like the CLI's, and an outsider gets none.
	webGet := func(path, tok string) (int, []byte) {
		req, err := http.NewRequest("GET", g.url+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.AddCookie(&http.Cookie{Name: "docgate_token", Value: tok})
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, body := webGet("/documents/"+id, senderTok); code != http.StatusOK || !strings.Contains(string(body), `href="/documents/`+id+`/bundle"`) {
		t.Fatalf("document page: %d, no bundle link:\n%.1500s", code, body)
	}
	code, webZip := webGet("/documents/"+id+"/bundle", recipTok)
	if code != http.StatusOK {
		t.Fatalf("web bundle: %d %.500s", code, webZip)
	}
	webZipFile := filepath.Join(work, "web-bundle.zip")
	if err := os.WriteFile(webZipFile, webZip, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runDocgate(t.Context(), nil, "audit", "verify", "--trust", root, "--key", logPub, webZipFile); code != exitOK || !strings.Contains(out, "bundle VERIFIED") {
		t.Fatalf("verify the web page's bundle: exit %d\n%s%s", code, out, errs)
	}
	if code, body := webGet("/documents/"+id+"/bundle", otherTok); code != http.StatusNotFound || bytes.HasPrefix(body, []byte("PK")) {
		t.Fatalf("an outsider's bundle download: %d", code)
	}

	// Without --key: it verifies, and says what that is worth.
	code, out, errs = runDocgate(t.Context(), nil, "audit", "verify", "--trust", root, zipFile)
	if code != exitOK || !strings.Contains(errs, "WARNING: the log key was taken from the bundle itself") {
		t.Fatalf("verify without --key: exit %d\n%s%s", code, out, errs)
	}

	_, otherKey, err := auditlog.GenerateKey(rand.Reader, "elsewhere.example/log")
	if err != nil {
		t.Fatal(err)
	}
	wantExit(t, nil, exitFailed, "FAILED: the checkpoint does not verify with the log key elsewhere.example/log",
		"audit", "verify", "--trust", root, "--key", otherKey, zipFile)

	// --json, for scripts: the same verdict, the same exit codes.
	for _, c := range []struct {
		key  string
		code int
	}{{logPub, exitOK}, {otherKey, exitFailed}} {
		code, out, errs := runDocgate(t.Context(), nil, "audit", "verify", "--json", "--trust", root, "--key", c.key, zipFile)
		var got struct {
			OK       bool     `json:"ok"`
			Failures []string `json:"failures"`
			Receipts []struct {
				Event    string `json:"event"`
				Included bool   `json:"included"`
			} `json:"receipts"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil || code != c.code || got.OK != (c.code == exitOK) ||
			len(got.Receipts) != 4 || got.Receipts[2].Event != "ContentHandover" || got.Receipts[2].Included != got.OK || (len(got.Failures) == 0) == (c.code != exitOK) {
			t.Fatalf("verify --json with key %s: exit %d, %v\n%s%s", c.key, code, err, out, errs)
		}
	}

	// A root of another CA: nothing chains.
	otherCA := filepath.Join(work, "otherca")
	mustRun(t, nil, "ca", "init", "--dir", otherCA)
	wantExit(t, nil, exitFailed, "FAILED: receipt 1 (SubmissionAcceptance): evidence:",
		"audit", "verify", "--trust", filepath.Join(otherCA, "root.crt"), "--key", logPub, zipFile)

	// One byte of the PDF changed, the manifest left alone.
	tampered := filepath.Join(work, "tampered.zip")
	os.WriteFile(tampered, rezip(t, zipFile, func(name string, b []byte) []byte {
		if strings.HasPrefix(name, "document/") {
			i := bytes.Index(b, []byte("so 7"))
			b[i+3] = '9'
		}
		return b
	}), 0o644)
	wantExit(t, nil, exitFailed, "does not match its SHA-256 in the manifest", "audit", "verify", "--trust", root, "--key", logPub, tampered)

	wantExit(t, nil, exitUsage, "not a readable evidence bundle", "audit", "verify", "--trust", root, "--key", logPub, pdf)
	wantExit(t, nil, exitUsage, "--trust", "audit", "verify", "--key", logPub, zipFile)
	wantExit(t, nil, exitUsage, "--key", "audit", "verify", "--trust", root, "--key", "not-a-key", zipFile)
}

// rezip copies a zip, passing each file through edit.
func rezip(t *testing.T, path string, edit func(name string, b []byte) []byte) []byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(edit(f.Name, b))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
