package tsp

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"docgate/signing/cms"
)

var fixedNow = time.Date(2026, 11, 24, 8, 0, 0, 123456789, time.UTC)

func post(tb testing.TB, url, ct string, body []byte) (*http.Response, []byte) {
	tb.Helper()
	resp, err := http.Post(url, ct, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, b
}

// TestOpenSSLQueryToAuthority posts requests made by openssl to our authority and has openssl
// verify the replies against the request.
func TestOpenSSLQueryToAuthority(t *testing.T) {
	tt := mustTSA(t)
	srv := httptest.NewServer(tt.authority(time.Now()))
	defer srv.Close()
	dir := t.TempDir()
	writeFile(t, dir, "data", []byte("document to date"))
	writeFile(t, dir, "root.pem", certPEM(tt.root))
	writeFile(t, dir, "tsa.pem", certPEM(tt.cert))
	for _, tc := range []struct {
		name, hash string
		cert       bool
		extra      []string
	}{
		{"sha256-cert", "-sha256", true, nil},
		{"sha512-nocert", "-sha512", false, nil},
		{"sha384-policy-nononce", "-sha384", true, []string{"-no_nonce", "-tspolicy", testPolicy.String()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"ts", "-query", tc.hash, "-data", "data", "-out", tc.name + ".tsq"}
			if tc.cert {
				args = append(args, "-cert")
			}
			args = append(args, tc.extra...)
			runOpenSSL(t, dir, args...)
			q, err := os.ReadFile(filepath.Join(dir, tc.name+".tsq"))
			if err != nil {
				t.Fatal(err)
			}
			resp, body := post(t, srv.URL, "application/timestamp-query", q)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/timestamp-reply" {
				t.Fatalf("HTTP %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			writeFile(t, dir, tc.name+".tsr", body)
			out := runOpenSSL(t, dir, "ts", "-verify", "-in", tc.name+".tsr", "-queryfile", tc.name+".tsq",
				"-CAfile", "root.pem", "-untrusted", "tsa.pem")
			if !strings.Contains(string(out), "Verification: OK") {
				t.Fatalf("openssl: %s", out)
			}
			r, err := ParseResponse(body)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := ParseToken(r.Token)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(tok.SignedData.Certificates) > 0; got != tc.cert {
				t.Fatalf("certificates included = %v, certReq = %v", got, tc.cert)
			}
		})
	}
}

func TestClientAgainstAuthority(t *testing.T) {
	tt := mustTSA(t)
	srv := httptest.NewServer(tt.authority(fixedNow))
	defer srv.Close()
	c := &Client{URL: srv.URL, HTTP: srv.Client()}
	digest := sum(crypto.SHA256, []byte("signature value"))
	tok1, err := c.Timestamp(context.Background(), digest, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	v, err := VerifyToken(tok1, digest, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if want := fixedNow.Truncate(time.Millisecond); !v.GenTime.Equal(want) {
		t.Errorf("genTime = %v, want %v (milliseconds kept)", v.GenTime, want)
	}
	if v.Info.Accuracy != 1500*time.Millisecond {
		t.Errorf("accuracy = %v", v.Info.Accuracy)
	}
	if !v.Certificate.Equal(tt.cert) || len(v.Certificates) != 2 {
		t.Errorf("certificates: signer %v, %d in all", v.Certificate.Subject, len(v.Certificates))
	}
	if v.Info.TSAName == "" || !strings.Contains(v.Info.TSAName, "docgate test TSA") || !v.Info.Policy.Equal(testPolicy) || v.Info.Nonce == nil {
		t.Errorf("tstinfo: %+v", v.Info)
	}
	tok2, err := c.Timestamp(context.Background(), digest, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := ParseToken(tok2)
	if p2.Info.SerialNumber.Cmp(v.Info.SerialNumber) == 0 {
		t.Fatalf("two tokens with serial %v", v.Info.SerialNumber)
	}
	// The in-process call gives the same kind of token.
	tok3, err := tt.authority(fixedNow).Timestamp(context.Background(), sum(crypto.SHA384, []byte("r")), crypto.SHA384)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyToken(tok3, sum(crypto.SHA384, []byte("r")), crypto.SHA384); err != nil {
		t.Fatal(err)
	}
	// Wrong digest: the imprint check fails with the kind a validator maps to HASH_FAILURE.
	_, err = VerifyToken(tok1, sum(crypto.SHA256, []byte("other")), crypto.SHA256)
	if cms.KindOf(err) != cms.KindDigestMismatch {
		t.Fatalf("wrong digest: %v", err)
	}
	// Tampered TSTInfo: the CMS digest no longer matches.
	bad := bytes.Clone(tok1)
	i := bytes.Index(bad, digest)
	bad[i] ^= 1
	if _, err := VerifyToken(bad, digest, crypto.SHA256); cms.KindOf(err) != cms.KindDigestMismatch {
		t.Fatalf("tampered token: %v", err)
	}
}

func TestTSACertificateChecks(t *testing.T) {
	tt := mustTSA(t)
	digest := sum(crypto.SHA256, []byte("x"))
	weak := issueTSACert(t, tt.root, tt.rootKey, tt.key, false)
	a := tt.authority(fixedNow)
	a.Certificate = weak
	tok, err := a.Timestamp(context.Background(), digest, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyToken(tok, digest, crypto.SHA256); !errors.Is(err, ErrNotTSACertificate) {
		t.Fatalf("non-critical EKU: %v", err)
	}
}

func TestAuthorityRejects(t *testing.T) {
	tt := mustTSA(t)
	a := tt.authority(fixedNow)
	srv := httptest.NewServer(a)
	defer srv.Close()
	good, _ := (&Request{Hash: crypto.SHA256, HashedMessage: make([]byte, 32), CertReq: true}).Marshal()

	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	if r, _ := post(t, srv.URL, "application/json", good); r.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("wrong content type: %d", r.StatusCode)
	}
	if r, _ := post(t, srv.URL, "application/timestamp-query", make([]byte, maxRequestSize+1)); r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized: %d", r.StatusCode)
	}
	sha1Req, _ := (&Request{Hash: crypto.SHA1, HashedMessage: make([]byte, 20)}).Marshal()
	shortReq, _ := (&Request{Hash: crypto.SHA256, HashedMessage: make([]byte, 20)}).Marshal()
	policyReq, _ := (&Request{Hash: crypto.SHA256, HashedMessage: make([]byte, 32), Policy: []int{1, 2, 3}}).Marshal()
	cases := []struct {
		name string
		body []byte
		bit  int
	}{
		{"malformed", []byte{0x30, 0x03, 0x02, 0x01}, FailBadDataFormat},
		{"sha1", sha1Req, FailBadAlg},
		{"short imprint", shortReq, FailBadDataFormat},
		{"policy", policyReq, FailUnacceptedPolicy},
	}
	for _, tc := range cases {
		r, body := post(t, srv.URL, "application/timestamp-query", tc.body)
		if r.StatusCode != 200 {
			t.Errorf("%s: HTTP %d", tc.name, r.StatusCode)
			continue
		}
		pr, err := ParseResponse(body)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		se := pr.statusError()
		if pr.Status != StatusRejection || len(se.FailInfo) != 1 || se.FailInfo[0] != tc.bit || pr.Token != nil {
			t.Errorf("%s: %v", tc.name, se)
		}
	}
	// A signer that fails yields a systemFailure rejection, not a 500, and the client reads it
	// as the authority being unavailable.
	broken := tt.authority(fixedNow)
	broken.Signer = failingSigner{tt.key}
	bsrv := httptest.NewServer(broken)
	defer bsrv.Close()
	r, body := post(t, bsrv.URL, "application/timestamp-query", good)
	if pr, err := ParseResponse(body); r.StatusCode != 200 || err != nil || pr.statusError().FailInfo[0] != FailSystemFailure {
		t.Fatalf("broken signer: HTTP %d %v", r.StatusCode, err)
	}
	c := &Client{URL: bsrv.URL}
	if _, err := c.Timestamp(context.Background(), make([]byte, 32), crypto.SHA256); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("client on systemFailure: %v", err)
	}
	// A client refused for a reason of its own gets a StatusError that is not "unavailable".
	c = &Client{URL: srv.URL, Policy: []int{1, 2, 3}}
	_, err = c.Timestamp(context.Background(), make([]byte, 32), crypto.SHA256)
	var se *StatusError
	if !errors.As(err, &se) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("refused policy: %v", err)
	}
}

type failingSigner struct{ crypto.Signer }

func (failingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("HSM offline")
}

func TestClientUnavailable(t *testing.T) {
	digest := make([]byte, 32)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	if _, err := (&Client{URL: down.URL}).Timestamp(context.Background(), digest, crypto.SHA256); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("closed server: %v", err)
	}
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	defer busy.Close()
	if _, err := (&Client{URL: busy.URL}).Timestamp(context.Background(), digest, crypto.SHA256); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("503: %v", err)
	}
	// A server replaying an old reply (wrong nonce) is caught.
	tt := mustTSA(t)
	old, err := tt.authority(fixedNow).Respond(context.Background(), mustRequest(t, digest))
	if err != nil {
		t.Fatal(err)
	}
	replay := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(old)
	}))
	defer replay.Close()
	if _, err := (&Client{URL: replay.URL}).Timestamp(context.Background(), digest, crypto.SHA256); err == nil || errors.Is(err, ErrUnavailable) {
		t.Fatalf("replayed reply: %v", err)
	}
}

func mustRequest(tb testing.TB, digest []byte) []byte {
	tb.Helper()
	b, err := (&Request{Hash: crypto.SHA256, HashedMessage: digest, CertReq: true, Nonce: bigOne()}).Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

const opensslTSAConfig = `
[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = .
serial = ./serial
crypto_device = builtin
signer_cert = ./tsa.pem
certs = ./root.pem
signer_key = ./tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1.1
other_policies = 1.3.6.1.4.1.99999.1.2
digests = sha256, sha384, sha512
accuracy = secs:1, millisecs:500, microsecs:100
clock_precision_digits = 3
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`

// TestOpenSSLReplyVerifiedByUs has openssl act as the authority and checks its token here.
func TestOpenSSLReplyVerifiedByUs(t *testing.T) {
	tt := mustTSA(t)
	dir := t.TempDir()
	writeFile(t, dir, "ts.cnf", []byte(opensslTSAConfig))
	writeFile(t, dir, "serial", []byte("0A\n")) // openssl increments it before use
	writeFile(t, dir, "tsa.pem", certPEM(tt.cert))
	writeFile(t, dir, "tsa.key", keyPEM(t, tt.key))
	writeFile(t, dir, "root.pem", certPEM(tt.root))
	data := []byte("content timestamped by openssl")
	digest := sum(crypto.SHA384, data)
	writeFile(t, dir, "q.tsq", mustMarshalReq(t, &Request{Hash: crypto.SHA384, HashedMessage: digest, CertReq: true, Nonce: bigOne()}))
	runOpenSSL(t, dir, "ts", "-reply", "-config", "ts.cnf", "-queryfile", "q.tsq", "-out", "r.tsr")
	body, err := os.ReadFile(filepath.Join(dir, "r.tsr"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseResponse(body)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusGranted {
		t.Fatalf("openssl refused: %v", r.statusError())
	}
	v, err := VerifyToken(r.Token, digest, crypto.SHA384)
	if err != nil {
		t.Fatal(err)
	}
	if v.Info.SerialNumber.Int64() != 11 || !v.Info.Ordering || v.Info.Accuracy != time.Second+500*time.Millisecond+100*time.Microsecond {
		t.Errorf("tstinfo: %+v", v.Info)
	}
	if d := time.Since(v.GenTime); d < -time.Minute || d > time.Minute {
		t.Errorf("genTime %v is not now", v.GenTime)
	}
	if !v.Certificate.Equal(tt.cert) {
		t.Errorf("signer certificate differs")
	}
	if _, err := VerifyToken(r.Token, sum(crypto.SHA384, []byte("other")), crypto.SHA384); cms.KindOf(err) != cms.KindDigestMismatch {
		t.Errorf("wrong digest accepted: %v", err)
	}
}

func mustMarshalReq(tb testing.TB, r *Request) []byte {
	tb.Helper()
	b, err := r.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestGeneralizedTime(t *testing.T) {
	for in, want := range map[string]time.Time{
		"20261124080000Z":       time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC),
		"20261124080000.5Z":     time.Date(2026, 11, 24, 8, 0, 0, 5e8, time.UTC),
		"20261124080000.120Z":   time.Date(2026, 11, 24, 8, 0, 0, 12e7, time.UTC),
		"20261124150000.1+0700": time.Date(2026, 11, 24, 8, 0, 0, 1e8, time.UTC),
	} {
		got, err := parseGeneralizedTime(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	for _, in := range []string{"", "2026112408Z", "20261124080000", "2026112408000aZ"} {
		if _, err := parseGeneralizedTime(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	if got := string(formatGeneralizedTime(time.Date(2026, 1, 2, 3, 4, 5, 120e6, time.UTC))[2:]); got != "20260102030405.12Z" {
		t.Errorf("format: %s", got)
	}
}
