package devca_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"docgate/certs"
	"docgate/certs/devca"
	"docgate/gateway"
)

// newCA creates a CA whose CRL and OCSP URLs point at an httptest server
// serving its own handler.
func newCA(t *testing.T) (*devca.CA, *httptest.Server) {
	t.Helper()
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	ca, err := devca.Init(filepath.Join(t.TempDir(), "pki"), devca.Options{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	h = ca.Handler()
	return ca, srv
}

func mustIssue(t *testing.T, ca *devca.CA, req devca.IssueRequest) *devca.Issued {
	t.Helper()
	is, err := ca.Issue(req)
	if err != nil {
		t.Fatal(err)
	}
	return is
}

func writeCert(t *testing.T, dir, name string, cs ...*x509.Certificate) string {
	t.Helper()
	var b []byte
	for _, c := range cs {
		b = append(b, devca.EncodeCert(c)...)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInitLayout(t *testing.T) {
	ca, _ := newCA(t)
	st, err := os.Stat(ca.Dir())
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("CA directory mode %v, %v", st.Mode().Perm(), err)
	}
	for name, mode := range map[string]os.FileMode{
		devca.RootKeyFile: 0o600, devca.TSAKeyFile: 0o600, devca.SealKeyFile: 0o600,
		devca.RootCertFile: 0o644, devca.TSACertFile: 0o644, devca.SealCertFile: 0o644,
	} {
		st, err := os.Stat(filepath.Join(ca.Dir(), name))
		if err != nil || st.Mode().Perm() != mode {
			t.Fatalf("%s: mode %v, %v; want %v", name, st.Mode().Perm(), err, mode)
		}
	}
	root := ca.Root()
	if !root.IsCA || root.NotAfter.Sub(root.NotBefore) < 9*365*24*time.Hour {
		t.Fatalf("root: CA %v, validity %s", root.IsCA, root.NotAfter.Sub(root.NotBefore))
	}
	tsa, _, err := ca.TSA()
	if err != nil {
		t.Fatal(err)
	}
	// RFC 3161 2.3: exactly one extended key usage, timeStamping, critical.
	var ekuCritical bool
	for _, e := range tsa.Extensions {
		if e.Id.String() == "2.5.29.37" {
			ekuCritical = e.Critical
		}
	}
	if !ekuCritical || len(tsa.ExtKeyUsage) != 1 || tsa.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping {
		t.Fatalf("TSA EKU %v critical %v", tsa.ExtKeyUsage, ekuCritical)
	}
	seal, sealKey, err := ca.Seal()
	if err != nil {
		t.Fatal(err)
	}
	if seal.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment {
		t.Fatalf("seal key usage %v", seal.KeyUsage)
	}
	if !sealKey.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(seal.PublicKey) {
		t.Fatal("seal key does not match its certificate")
	}
	ts := certs.NewTrustStore()
	ts.AddAnchor(root)
	if _, err := ts.Verify(context.Background(), tsa, nil, time.Now(), certs.VerifyOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err != nil {
		t.Fatalf("TSA chain: %v", err)
	}

	// Refuses to overwrite, replaces with Force, and Open reads it back.
	if _, err := devca.Init(ca.Dir(), devca.Options{}); gateway.ErrorCode(err) != gateway.ECONFLICT {
		t.Fatalf("second init: %v", err)
	}
	again, err := devca.Init(ca.Dir(), devca.Options{Force: true, KeyType: "ec"})
	if err != nil || again.Root().Equal(root) {
		t.Fatalf("forced init: %v (same root: %v)", err, again != nil && again.Root().Equal(root))
	}
	opened, err := devca.Open(ca.Dir())
	if err != nil || !opened.Root().Equal(again.Root()) || opened.BaseURL() != devca.DefaultBaseURL {
		t.Fatalf("open: %v", err)
	}
	if _, err := devca.Open(t.TempDir()); gateway.ErrorCode(err) != gateway.ENOTFOUND {
		t.Fatalf("open of an empty dir: %v", err)
	}
}

func TestIssueVerifyRevoke(t *testing.T) {
	ca, srv := newCA(t)
	ctx := context.Background()
	dir := t.TempDir()
	agency := mustIssue(t, ca, devca.IssueRequest{AgencyCode: "000.00.00.H41", OrgName: "UBND tỉnh Thừa Thiên Huế"})
	person := mustIssue(t, ca, devca.IssueRequest{Kind: devca.KindPerson, AgencyCode: "000.00.00.H41", OrgName: "UBND tỉnh Thừa Thiên Huế", Person: "Nguyễn Văn A"})

	if got := certs.AgencyCode(agency.Cert); got != "000.00.00.H41" {
		t.Fatalf("agency code %q", got)
	}
	if person.Cert.Subject.CommonName != "Nguyễn Văn A" || certs.AgencyCode(person.Cert) != "000.00.00.H41" {
		t.Fatalf("person subject %s", certs.SubjectString(person.Cert))
	}
	if agency.Cert.SerialNumber.Cmp(person.Cert.SerialNumber) == 0 {
		t.Fatal("two certificates share a serial")
	}

	ts := certs.NewTrustStore()
	ts.AddAnchor(ca.Root())
	res, err := ts.Verify(ctx, agency.Cert, nil, time.Now(), certs.VerifyOptions{})
	if err != nil || len(res.Subjects) != 2 {
		t.Fatalf("chain: %v %v", res, err)
	}
	rootFile := writeCert(t, dir, "root.crt", ca.Root())
	agencyFile := writeCert(t, dir, "agency.crt", agency.Cert)
	personFile := writeCert(t, dir, "person.crt", person.Cert)
	if _, err := exec.LookPath("openssl"); err == nil {
		out, err := exec.Command("openssl", "verify", "-CAfile", rootFile, agencyFile, personFile).CombinedOutput()
		if err != nil || strings.Count(string(out), ": OK") != 2 {
			t.Fatalf("openssl verify: %v\n%s", err, out)
		}
	} else {
		t.Log("openssl not installed: interop check skipped")
	}

	checker := certs.NewRevocationChecker(certs.RevocationConfig{Client: srv.Client()})
	r, err := checker.Check(ctx, agency.Cert, ca.Root(), time.Now(), certs.RevocationData{})
	if err != nil || r.Status != certs.StatusGood {
		t.Fatalf("before revocation: %+v %v", r, err)
	}

	entry, err := ca.Revoke(agency.Cert, ocsp.KeyCompromise)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Revoke(agency.Cert, ocsp.KeyCompromise); gateway.ErrorCode(err) != gateway.ECONFLICT {
		t.Fatalf("second revoke: %v", err)
	}

	// A new checker: the old one rightly caches "good" until nextUpdate.
	checker = certs.NewRevocationChecker(certs.RevocationConfig{Client: srv.Client()})
	r, err = checker.Check(ctx, agency.Cert, ca.Root(), time.Now(), certs.RevocationData{})
	if err != nil || r.Status != certs.StatusRevoked || r.ReasonText != "keyCompromise" || !r.RevokedAt.Equal(entry.RevokedAt) {
		t.Fatalf("after revocation (OCSP): %+v %v", r, err)
	}
	r, err = checker.Check(ctx, person.Cert, ca.Root(), time.Now(), certs.RevocationData{})
	if err != nil || r.Status != certs.StatusGood {
		t.Fatalf("the person's certificate: %+v %v", r, err)
	}

	// The CRL says so too, to our parser and to openssl.
	resp, err := http.Get(srv.URL + "/pki/crl")
	if err != nil {
		t.Fatal(err)
	}
	crlDER, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "application/pkix-crl" {
		t.Fatalf("CRL content type %q", resp.Header.Get("Content-Type"))
	}
	r, err = certs.NewRevocationChecker(certs.RevocationConfig{Offline: true}).
		Check(ctx, agency.Cert, ca.Root(), time.Now(), certs.RevocationData{CRLs: [][]byte{crlDER}})
	if err != nil || r.Status != certs.StatusRevoked || !strings.HasPrefix(r.Source, "embedded CRL") {
		t.Fatalf("after revocation (CRL): %+v %v", r, err)
	}
	if _, err := exec.LookPath("openssl"); err == nil {
		crlFile := filepath.Join(dir, "ca.crl")
		os.WriteFile(crlFile, crlDER, 0o644)
		out, err := exec.Command("openssl", "crl", "-inform", "DER", "-in", crlFile, "-text", "-noout").CombinedOutput()
		serial := strings.ToUpper(agency.Cert.SerialNumber.Text(16))
		if err != nil || !strings.Contains(strings.ToUpper(string(out)), serial) || !strings.Contains(string(out), "Key Compromise") ||
			strings.Contains(strings.ToUpper(string(out)), strings.ToUpper(person.Cert.SerialNumber.Text(16))) {
			t.Fatalf("openssl crl: %v\n%s", err, out)
		}
		// openssl's own OCSP client against our responder (one certificate
		// per request: the responder answers single requests, as RFC 5019
		// clients send them).
		for file, want := range map[string]string{agencyFile: ": revoked", personFile: ": good"} {
			out, err = exec.Command("openssl", "ocsp", "-no_nonce", "-issuer", rootFile, "-cert", file,
				"-url", srv.URL+"/pki/ocsp", "-CAfile", rootFile).CombinedOutput()
			if err != nil || !strings.Contains(string(out), file+want) || !strings.Contains(string(out), "Response verify OK") {
				t.Fatalf("openssl ocsp: %v\n%s", err, out)
			}
		}
		// And with openssl verify -crl_check.
		pemCRL := filepath.Join(dir, "ca.crl.pem")
		if out, err := exec.Command("openssl", "crl", "-inform", "DER", "-in", crlFile, "-out", pemCRL).CombinedOutput(); err != nil {
			t.Fatalf("openssl crl convert: %v\n%s", err, out)
		}
		out, _ = exec.Command("openssl", "verify", "-crl_check", "-CAfile", rootFile, "-CRLfile", pemCRL, agencyFile).CombinedOutput()
		if !strings.Contains(string(out), "revoked") {
			t.Fatalf("openssl verify -crl_check did not see the revocation:\n%s", out)
		}
	}

	// A certificate from another CA cannot be revoked here.
	other, _ := newCA(t)
	stranger := mustIssue(t, other, devca.IssueRequest{AgencyCode: "000.00.00.H14", OrgName: "Other"})
	if _, err := ca.Revoke(stranger.Cert, 0); gateway.ErrorCode(err) != gateway.ENOTFOUND {
		t.Fatalf("revoke of a stranger: %v", err)
	}
}

func TestValidityAtSigningTime(t *testing.T) {
	ca, _ := newCA(t)
	now := time.Now()
	old := mustIssue(t, ca, devca.IssueRequest{AgencyCode: "000.00.00.H41", OrgName: "UBND", NotBefore: now.AddDate(-2, 0, 0), Validity: 365 * 24 * time.Hour})
	future := mustIssue(t, ca, devca.IssueRequest{AgencyCode: "000.00.00.H41", OrgName: "UBND", NotBefore: now.AddDate(0, 1, 0), Validity: 24 * time.Hour})
	ts := certs.NewTrustStore()
	ts.AddAnchor(ca.Root())
	ctx := context.Background()
	// Root validity starts now, so "a year and a half ago" is before the
	// root too: the chain check must still name the leaf's own bound.
	res, err := ts.Verify(ctx, old.Cert, nil, now, certs.VerifyOptions{})
	if err == nil || res.SubIndication != certs.SubOutOfBoundsNoPOE {
		t.Fatalf("expired: %+v %v", res, err)
	}
	res, err = ts.Verify(ctx, future.Cert, nil, now, certs.VerifyOptions{})
	if err == nil || res.Indication != certs.IndicationFailed || res.SubIndication != certs.SubNotYetValid {
		t.Fatalf("not yet valid: %+v %v", res, err)
	}
	res, err = ts.Verify(ctx, future.Cert, nil, now.AddDate(0, 1, 0).Add(time.Hour), certs.VerifyOptions{})
	if err != nil {
		t.Fatalf("valid at signing: %+v %v", res, err)
	}
}

func TestIssueValidation(t *testing.T) {
	ca, _ := newCA(t)
	for _, req := range []devca.IssueRequest{
		{AgencyCode: "H41", OrgName: "UBND"},
		{AgencyCode: "000.00.00.H41"},
		{Kind: devca.KindPerson, AgencyCode: "000.00.00.H41", OrgName: "UBND"},
		{Kind: "bogus", AgencyCode: "000.00.00.H41", OrgName: "UBND"},
		{AgencyCode: "000.00.00.H41", OrgName: "UBND", KeyType: "dsa"},
	} {
		if _, err := ca.Issue(req); gateway.ErrorCode(err) != gateway.EINVALID {
			t.Errorf("%+v: err %v, want EINVALID", req, err)
		}
	}
	rsa := mustIssue(t, ca, devca.IssueRequest{AgencyCode: "000.00.00.H41", OrgName: "UBND", KeyType: "rsa"})
	if rsa.Cert.PublicKeyAlgorithm != x509.RSA {
		t.Fatalf("RSA request gave %v", rsa.Cert.PublicKeyAlgorithm)
	}
}

func TestHandler(t *testing.T) {
	ca, srv := newCA(t)
	leaf := mustIssue(t, ca, devca.IssueRequest{AgencyCode: "000.00.00.H41", OrgName: "UBND"})
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, body := get("/pki/ca.crt")
	if resp.StatusCode != 200 || !bytes.Equal(body, ca.Root().Raw) {
		t.Fatalf("ca.crt: %d", resp.StatusCode)
	}
	req, err := certs.NewOCSPRequest(leaf.Cert, ca.Root())
	if err != nil {
		t.Fatal(err)
	}
	resp, body = get("/pki/ocsp/" + base64.StdEncoding.EncodeToString(req))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/ocsp-response" {
		t.Fatalf("OCSP GET: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r, err := certs.ParseOCSPResponse(body, leaf.Cert, ca.Root())
	if err != nil || r.Status != ocsp.Good || r.NextUpdate.Before(time.Now()) {
		t.Fatalf("OCSP GET answer: %+v %v", r, err)
	}
	// NSS refuses a response produced before its thisUpdate (pdfsig then reports an unknown
	// certificate problem).
	if pr, err := ocsp.ParseResponse(body, ca.Root()); err != nil || pr.ThisUpdate.After(pr.ProducedAt) {
		t.Fatalf("OCSP thisUpdate %v after producedAt %v (%v)", pr.ThisUpdate, pr.ProducedAt, err)
	}
	// A request for another CA's certificate is unauthorized.
	other, _ := newCA(t)
	stranger := mustIssue(t, other, devca.IssueRequest{AgencyCode: "000.00.00.H41", OrgName: "UBND"})
	sreq, _ := certs.NewOCSPRequest(stranger.Cert, other.Root())
	presp, err := http.Post(srv.URL+"/pki/ocsp", "application/ocsp-request", bytes.NewReader(sreq))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(presp.Body)
	presp.Body.Close()
	if !bytes.Equal(body, ocsp.UnauthorizedErrorResponse) {
		t.Fatalf("stranger's request answered %x", body)
	}
	// Garbage is a malformed request, not a server error.
	presp, err = http.Post(srv.URL+"/pki/ocsp", "application/ocsp-request", strings.NewReader("junk"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(presp.Body)
	presp.Body.Close()
	if presp.StatusCode != 200 || !bytes.Equal(body, ocsp.MalformedRequestErrorResponse) {
		t.Fatalf("garbage: %d %x", presp.StatusCode, body)
	}
	if resp, _ := get("/pki/nothing"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown path: %d", resp.StatusCode)
	}
}

// FuzzOCSPRequest sends untrusted OCSP requests to the responder: it must
// answer every one with a parseable response and never fail.
func FuzzOCSPRequest(f *testing.F) {
	ca, err := devca.Init(filepath.Join(f.TempDir(), "pki"), devca.Options{})
	if err != nil {
		f.Fatal(err)
	}
	leaf, err := ca.Issue(devca.IssueRequest{AgencyCode: "000.00.00.H41", OrgName: "UBND"})
	if err != nil {
		f.Fatal(err)
	}
	req, _ := certs.NewOCSPRequest(leaf.Cert, ca.Root())
	f.Add(req)
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		der, err := ca.OCSPResponse(data)
		if err != nil {
			t.Fatalf("responder error: %v", err)
		}
		if _, err := ocsp.ParseResponse(der, nil); err != nil {
			var re ocsp.ResponseError
			if !errorsAs(err, &re) {
				t.Fatalf("unparseable answer: %v", err)
			}
		}
	})
}

// TestConcurrentIssuers opens the CA twice, as `serve --dev` and `docgate ca
// issue` would, and issues from both at once: no index update may be lost.
func TestConcurrentIssuers(t *testing.T) {
	ca, _ := newCA(t)
	other, err := devca.Open(ca.Dir())
	if err != nil {
		t.Fatal(err)
	}
	const each = 8
	errs := make(chan error, 2*each)
	for _, c := range []*devca.CA{ca, other} {
		for i := 0; i < each; i++ {
			go func() {
				_, err := c.Issue(devca.IssueRequest{AgencyCode: "000.00.00.H41", OrgName: "UBND"})
				errs <- err
			}()
		}
	}
	for i := 0; i < 2*each; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	entries, err := ca.Entries()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2+2*each { // TSA and seal, then ours
		t.Fatalf("index holds %d entries, want %d", len(entries), 2+2*each)
	}
}

// TestOCSPGetEncodings sends GET requests whose base64 holds "/" (and "+"),
// raw and escaped, as RFC 6960 appendix A clients do.
func TestOCSPGetEncodings(t *testing.T) {
	ca, srv := newCA(t)
	var req []byte
	var enc string
	for i := 0; i < 200 && !strings.Contains(enc, "/"); i++ {
		leaf := mustIssue(t, ca, devca.IssueRequest{AgencyCode: "000.00.00.H41", OrgName: "UBND"})
		req, _ = certs.NewOCSPRequest(leaf.Cert, ca.Root())
		enc = base64.StdEncoding.EncodeToString(req)
	}
	if !strings.Contains(enc, "/") {
		t.Skip("no request with '/' in its base64 found")
	}
	for _, path := range []string{enc, url.PathEscape(enc), url.QueryEscape(enc)} {
		resp, err := http.Get(srv.URL + "/pki/ocsp/" + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r, err := ocsp.ParseResponse(body, ca.Root())
		if err != nil || r.Status != ocsp.Good {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	resp, err := http.Post(srv.URL+"/pki/crl", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST /pki/crl: %d", resp.StatusCode)
	}
}

func TestInitRSA(t *testing.T) {
	if testing.Short() {
		t.Skip("RSA 3072 key generation takes seconds")
	}
	ca, err := devca.Init(filepath.Join(t.TempDir(), "pki"), devca.Options{KeyType: "rsa"})
	if err != nil {
		t.Fatal(err)
	}
	if ca.Root().PublicKeyAlgorithm != x509.RSA || ca.Root().PublicKey.(interface{ Size() int }).Size() != 384 {
		t.Fatalf("root key %v", ca.Root().PublicKeyAlgorithm)
	}
	leaf := mustIssue(t, ca, devca.IssueRequest{AgencyCode: "000.00.00.H41", OrgName: "UBND"})
	req, _ := certs.NewOCSPRequest(leaf.Cert, ca.Root())
	der, err := ca.OCSPResponse(req)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := certs.ParseOCSPResponse(der, leaf.Cert, ca.Root()); err != nil || r.Status != ocsp.Good {
		t.Fatalf("RSA-signed OCSP: %v", err)
	}
	crl, err := ca.CRL()
	if err != nil {
		t.Fatal(err)
	}
	l, err := certs.ParseCRL(crl)
	if err != nil || certs.CheckCRLSignature(l, ca.Root()) != nil {
		t.Fatalf("RSA-signed CRL: %v", err)
	}
}

func TestOpenOrInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "pki")
	first, created, err := devca.OpenOrInit(dir, devca.Options{BaseURL: "http://127.0.0.1:9999"})
	if err != nil || !created {
		t.Fatalf("first start: created %v, %v", created, err)
	}
	second, created, err := devca.OpenOrInit(dir, devca.Options{BaseURL: "http://ignored"})
	if err != nil || created || !second.Root().Equal(first.Root()) || second.BaseURL() != "http://127.0.0.1:9999" {
		t.Fatalf("second start: created %v, %v", created, err)
	}
}
