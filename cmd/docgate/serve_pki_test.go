package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
	"golang.org/x/mod/sumdb/note"

	"docgate/certs"
	"docgate/certs/devca"
	"docgate/gateway/auditlog"
	"docgate/signing/tsp"
)

func httpGet(t *testing.T, url string) []byte {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	return b
}

func httpPost(t *testing.T, url, contentType string, body []byte) []byte {
	t.Helper()
	res, err := http.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %s", url, res.StatusCode, b)
	}
	return b
}

// TestServeDevPKI: serve --dev creates the development CA and the log key
// under <data>/pki, and serves the CA's root, CRL, OCSP and a timestamp
// authority without a token.
func TestServeDevPKI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	g := startGateway(t, dir)
	pki := filepath.Join(dir, "pki")

	root, err := x509.ParseCertificate(httpGet(t, g.url+"/pki/ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	onDisk, err := certs.LoadCertificateFile(filepath.Join(pki, devca.RootCertFile))
	if err != nil {
		t.Fatal(err)
	}
	if !root.Equal(onDisk[0]) {
		t.Fatal("/pki/ca.crt is not the root in <data>/pki")
	}

	crl, err := certs.ParseCRL(httpGet(t, g.url+"/pki/crl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(root); err != nil {
		t.Fatalf("CRL not signed by the root: %v", err)
	}

	// The CA's own TSA certificate: OCSP says good, and its OCSP URL
	// points at the address this server listens on.
	tsaCerts, err := certs.LoadCertificateFile(filepath.Join(pki, devca.TSACertFile))
	if err != nil {
		t.Fatal(err)
	}
	tsaCert := tsaCerts[0]
	if len(tsaCert.OCSPServer) == 0 || !strings.HasPrefix(tsaCert.OCSPServer[0], g.url+"/pki/ocsp") {
		t.Fatalf("OCSP URL %v does not point at %s", tsaCert.OCSPServer, g.url)
	}
	req, err := ocsp.CreateRequest(tsaCert, root, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := certs.ParseOCSPResponse(httpPost(t, g.url+"/pki/ocsp", "application/ocsp-request", req), tsaCert, root)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != ocsp.Good {
		t.Fatalf("OCSP status %d for the TSA certificate, want good", resp.Status)
	}
	// OCSP by GET (RFC 6960 A.1): the base64 request is in the path, '/'
	// and '+' included, and must reach the CA as sent.
	resp, err = certs.ParseOCSPResponse(httpGet(t, g.url+"/pki/ocsp/"+base64.StdEncoding.EncodeToString(req)), tsaCert, root)
	if err != nil || resp.Status != ocsp.Good {
		t.Fatalf("OCSP by GET: %v, status %v", err, resp)
	}

	// RFC 3161 through the client, verified and chained to the root.
	digest := sha256.Sum256([]byte("công văn số 123"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	token, err := (&tsp.Client{URL: g.url + "/tsa"}).Timestamp(ctx, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	v, err := tsp.VerifyToken(token, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root)
	if _, err := v.Certificate.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: v.GenTime,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err != nil {
		t.Fatalf("TSA certificate does not chain to the dev root: %v", err)
	}
	if d := time.Since(v.GenTime); d < -time.Minute || d > time.Minute {
		t.Fatalf("genTime %s is not now", v.GenTime)
	}
	other := sha256.Sum256([]byte("another document"))
	if _, err := tsp.VerifyToken(token, other[:], crypto.SHA256); err == nil {
		t.Fatal("the token verifies over another digest")
	}

	// The log key: private 0600, public beside it and served.
	if st, err := os.Stat(filepath.Join(pki, logKeyFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("log.key: %v %v", st, err)
	}
	pub, err := os.ReadFile(filepath.Join(pki, logPubFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := httpGet(t, g.url+"/v1/log/key"); string(got) != string(pub) || !strings.HasPrefix(string(pub), defaultLogOrigin+"+") {
		t.Fatalf("/v1/log/key %q, log.pub %q", got, pub)
	}

	if _, err := exec.LookPath("openssl"); err == nil {
		opensslVerify(t, g.url, root)
	} else {
		t.Log("openssl not found; skipping its ts -verify")
	}
}

// opensslVerify has OpenSSL make the request and verify the reply: another
// implementation's reading of our RFC 3161 answer.
func opensslVerify(t *testing.T, url string, root *x509.Certificate) {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data.txt")
	os.WriteFile(data, []byte("quyết định\n"), 0o644)
	rootPEM := filepath.Join(dir, "root.pem")
	os.WriteFile(rootPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw}), 0o644)
	tsq := filepath.Join(dir, "req.tsq")
	if out, err := exec.Command("openssl", "ts", "-query", "-data", data, "-sha256", "-cert", "-out", tsq).CombinedOutput(); err != nil {
		t.Fatalf("openssl ts -query: %v %s", err, out)
	}
	q, err := os.ReadFile(tsq)
	if err != nil {
		t.Fatal(err)
	}
	tsr := filepath.Join(dir, "resp.tsr")
	os.WriteFile(tsr, httpPost(t, url+"/tsa", "application/timestamp-query", q), 0o644)
	out, err := exec.Command("openssl", "ts", "-verify", "-in", tsr, "-queryfile", tsq, "-CAfile", rootPEM).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Verification: OK") {
		t.Fatalf("openssl ts -verify: %v %s", err, out)
	}
	// And it refuses the reply for other data.
	os.WriteFile(data, []byte("changed\n"), 0o644)
	out, err = exec.Command("openssl", "ts", "-verify", "-in", tsr, "-data", data, "-CAfile", rootPEM).CombinedOutput()
	if err == nil || strings.Contains(string(out), "Verification: OK") {
		t.Fatalf("openssl verified the reply over other data: %s", out)
	}
}

// FuzzLogVerifierKey: whatever a key file holds, deriving its public key
// fails cleanly or yields a key that verifies the file's signatures.
func FuzzLogVerifierKey(f *testing.F) {
	skey, _, err := auditlog.GenerateKey(rand.Reader, "fuzz.test/log")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(skey)
	f.Add("PRIVATE+KEY+a+00000000+AQ==")
	f.Add("PRIVATE+KEY+x+y+z+w")
	f.Fuzz(func(t *testing.T, s string) {
		vkey, err := logVerifierKey(s)
		if err != nil {
			return
		}
		signer, err := note.NewSigner(s)
		if err != nil {
			t.Fatalf("derived %q from a key note rejects: %v", vkey, err)
		}
		verifier, err := note.NewVerifier(vkey)
		if err != nil || verifier.Name() != signer.Name() {
			t.Fatalf("derived key %q: %v", vkey, err)
		}
	})
}

func TestParseOID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"1.3.6.1.4.1.99999.1.1", "1.3.6.1.4.1.99999.1.1"},
		{"2.25.7", "2.25.7"},
		{"1", ""},
		{"3.1", ""},
		{"1..2", ""},
		{"1.2.-3", ""},
		{"1.2.99999999999", ""},
	} {
		oid, err := parseOID(tc.in)
		if got := oid.String(); (err == nil) != (tc.want != "") || (err == nil && got != tc.want) {
			t.Errorf("parseOID(%q) = %s, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestLogVerifierKeyMatchesGenerated(t *testing.T) {
	skey, vkey, err := auditlog.GenerateKey(rand.Reader, "docgate.example.gov.vn/log")
	if err != nil {
		t.Fatal(err)
	}
	got, err := logVerifierKey(skey)
	if err != nil || got != vkey {
		t.Fatalf("derived %q, %v; want %q", got, err, vkey)
	}
	// A key whose hash was edited does not pass.
	parts := strings.SplitN(skey, "+", 5)
	parts[3] = "00000000"
	if _, err := logVerifierKey(strings.Join(parts, "+")); err == nil {
		t.Fatal("accepted a key with a wrong hash")
	}
}
