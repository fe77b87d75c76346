package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// issueTestCert makes a certificate (self-signed when parent is nil), writes
// it and its key as PEM files under dir, and returns them with the paths.
func issueTestCert(t *testing.T, dir, name string, tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	crt, kf := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	os.WriteFile(crt, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(kf, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	return cert, key, crt, kf
}

func TestServeTLSWithClientCertificates(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	ca, caKey, caFile, _ := issueTestCert(t, dir, "ca", &x509.Certificate{SerialNumber: big.NewInt(1),
		Subject: pkix.Name{CommonName: "test CA"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}, nil, nil)
	_, _, srvCrt, srvKey := issueTestCert(t, dir, "server", &x509.Certificate{SerialNumber: big.NewInt(2),
		Subject: pkix.Name{CommonName: "gateway"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, ca, caKey)
	_, _, cliCrt, cliKey := issueTestCert(t, dir, "client", &x509.Certificate{SerialNumber: big.NewInt(3),
		Subject: pkix.Name{CommonName: "Nghệ An DMS"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, ca, caKey)

	g := startGatewayArgs(t, filepath.Join(dir, "data"), "--dev", "--tls-cert", srvCrt, "--tls-key", srvKey, "--tls-client-ca", caFile)
	url := strings.Replace(g.url, "http://", "https://", 1)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	clientCert, err := tls.LoadX509KeyPair(cliCrt, cliKey)
	if err != nil {
		t.Fatal(err)
	}
	client := func(withCert bool) *http.Client {
		tc := &tls.Config{RootCAs: roots}
		if withCert {
			tc.Certificates = []tls.Certificate{clientCert}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
	}
	do := func(c *http.Client, method, path, token, ctype string, body io.Reader) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, url+path, body)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	admin := client(false)
	if code, body := do(admin, "POST", "/v1/agencies", g.admin, "application/json", strings.NewReader(`{"code":"000.00.00.H41","name":"Nghệ An"}`)); code != 201 {
		t.Fatalf("create over https: %d %s", code, body)
	}
	if code, body := do(client(true), "GET", "/v1/agencies", "", "", nil); code != 401 || !strings.Contains(body, "not registered") {
		t.Fatalf("unregistered client certificate: %d %s", code, body)
	}
	crt, _ := os.ReadFile(cliCrt)
	if code, body := do(admin, "POST", "/v1/agencies/000.00.00.H41/certificates", g.admin, "application/x-pem-file", strings.NewReader(string(crt))); code != 201 {
		t.Fatalf("register client certificate: %d %s", code, body)
	}
	if code, body := do(client(true), "GET", "/v1/agencies/000.00.00.H41", "", "", nil); code != 200 {
		t.Fatalf("registered client certificate: %d %s", code, body)
	}
	if code, _ := do(client(false), "GET", "/v1/agencies", "", "", nil); code != 401 {
		t.Fatalf("no credentials over https: %d", code)
	}
	if !strings.Contains(g.stderr.String(), "url=https://") {
		t.Errorf("serve does not log its https URL: %s", g.stderr)
	}
}
