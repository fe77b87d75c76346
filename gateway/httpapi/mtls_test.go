package httpapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// testCA issues client certificates for the mTLS tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func mustCA(tb testing.TB) *testCA {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test client CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key}
}

func (ca *testCA) issue(tb testing.TB, cn string) tls.Certificate {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		tb.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestClientCertificateAuth(t *testing.T) {
	e := mustEnv(t, nil)
	ca := mustCA(t)
	tlsSrv := httptest.NewUnstartedServer(e.h)
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	tlsSrv.TLS = &tls.Config{ClientCAs: pool, ClientAuth: tls.VerifyClientCertIfGiven}
	tlsSrv.StartTLS()
	defer tlsSrv.Close()

	e.mustCreate(t, "000.00.00.H41", "Nghệ An", "")
	registered := ca.issue(t, "Nghệ An DMS")
	mustDecode[map[string]any](t, e.do(t, "POST", "/v1/agencies/000.00.00.H41/certificates", e.admin, "application/pkix-cert",
		registered.Certificate[0]), 201)

	get := func(cert *tls.Certificate, path, token string) response {
		t.Helper()
		c := tlsSrv.Client()
		tr := c.Transport.(*http.Transport).Clone()
		if cert != nil {
			tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
		}
		c = &http.Client{Transport: tr}
		req, _ := http.NewRequest("GET", tlsSrv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return response{status: res.StatusCode, header: res.Header, body: b}
	}

	// The registered certificate acts as its agency: it reads, and it is
	// not an admin.
	mustDecode[map[string]any](t, get(&registered, "/v1/agencies/000.00.00.H41", ""), 200)
	mustProblem(t, get(&registered, "/v1/agencies/000.00.00.H41/tokens", ""), 403, "caller is agency")
	// A token wins over the certificate.
	mustDecode[map[string]any](t, get(&registered, "/v1/agencies/000.00.00.H41/tokens", e.admin), 200)
	// A certificate of the right CA that no agency registered.
	stranger := ca.issue(t, "stranger")
	mustProblem(t, get(&stranger, "/v1/agencies", ""), 401, "not registered")
	mustProblem(t, get(nil, "/v1/agencies", ""), 401, "client certificate")
	// Suspension applies to certificates as to tokens.
	mustDecode[map[string]any](t, e.json(t, "PATCH", "/v1/agencies/000.00.00.H41", e.admin, `{"status":"suspended"}`), 200)
	mustProblem(t, get(&registered, "/v1/agencies", ""), 403, "suspended")
	if !strings.Contains(e.logs.String(), `"agency":"000.00.00.H41"`) {
		t.Error("the access log does not name the certificate's agency")
	}
	// A certificate taken off its agency (a lost key) signs nobody in.
	mustDecode[map[string]any](t, e.json(t, "PATCH", "/v1/agencies/000.00.00.H41", e.admin, `{"status":"active"}`), 200)
	mustDecode[map[string]any](t, get(&registered, "/v1/agencies/000.00.00.H41", ""), 200)
	sum := sha256.Sum256(registered.Certificate[0])
	if r := e.json(t, "DELETE", "/v1/agencies/000.00.00.H41/certificates/"+hex.EncodeToString(sum[:]), e.admin, ""); r.status != 204 {
		t.Fatalf("remove: %d %s", r.status, r.body)
	}
	mustProblem(t, get(&registered, "/v1/agencies", ""), 401, "not registered")
}
