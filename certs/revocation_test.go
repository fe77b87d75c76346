package certs_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"docgate/certs"
)

// responder is an httptest OCSP responder and CRL server whose answers a
// test sets, counting requests so caching can be checked.
type responder struct {
	srv       *httptest.Server
	ocspDER   atomic.Value // []byte
	crlDER    atomic.Value // []byte
	ocspHits  atomic.Int32
	crlHits   atomic.Int32
	ocspFails atomic.Bool
}

func newResponder(t *testing.T) *responder {
	r := &responder{}
	r.ocspDER.Store([]byte(nil))
	r.crlDER.Store([]byte(nil))
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ocsp", func(w http.ResponseWriter, req *http.Request) {
		r.ocspHits.Add(1)
		body, _ := io.ReadAll(req.Body)
		if _, err := ocsp.ParseRequest(body); err != nil || req.Header.Get("Content-Type") != "application/ocsp-request" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if r.ocspFails.Load() || r.ocspDER.Load().([]byte) == nil {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Write(r.ocspDER.Load().([]byte))
	})
	mux.HandleFunc("GET /crl", func(w http.ResponseWriter, req *http.Request) {
		r.crlHits.Add(1)
		if r.crlDER.Load().([]byte) == nil {
			http.NotFound(w, req)
			return
		}
		w.Write(r.crlDER.Load().([]byte))
	})
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

func checker(r *responder, now time.Time, offline bool) *certs.RevocationChecker {
	var client *http.Client
	if r != nil {
		client = r.srv.Client()
	}
	return certs.NewRevocationChecker(certs.RevocationConfig{
		Client: client, Timeout: 2 * time.Second, Offline: offline,
		Now: func() time.Time { return now },
	})
}

func TestRevocationFetched(t *testing.T) {
	ctx := context.Background()
	r := newResponder(t)
	root := mustRoot(t, "Root")
	leaf := mustCert(t, "Signer", root, urls(r.srv.URL+"/ocsp", r.srv.URL+"/crl"))
	revokedAt := t0.Add(-2 * time.Hour).Truncate(time.Second)

	t.Run("OCSP good, then cached until nextUpdate", func(t *testing.T) {
		r.ocspDER.Store(mustOCSP(t, root, root, leaf.cert, ocsp.Good, t0.Add(-time.Minute), t0.Add(time.Hour), time.Time{}))
		c := checker(r, t0, false)
		res, err := c.Check(ctx, leaf.cert, root.cert, t0.Add(-time.Hour), certs.RevocationData{})
		if err != nil || res.Status != certs.StatusGood || !strings.HasPrefix(res.Source, "OCSP ") || len(res.OCSP) == 0 {
			t.Fatalf("got %+v, %v", res, err)
		}
		hits := r.ocspHits.Load()
		res, _ = c.Check(ctx, leaf.cert, root.cert, t0.Add(-time.Hour), certs.RevocationData{})
		if res.Status != certs.StatusGood || !strings.HasPrefix(res.Source, "cached OCSP") || r.ocspHits.Load() != hits {
			t.Fatalf("second check not served from the cache: %+v, hits %d → %d", res, hits, r.ocspHits.Load())
		}
	})
	t.Run("OCSP revoked with time and reason", func(t *testing.T) {
		r.ocspDER.Store(mustOCSP(t, root, root, leaf.cert, ocsp.Revoked, t0.Add(-time.Minute), t0.Add(time.Hour), revokedAt))
		res, err := checker(r, t0, false).Check(ctx, leaf.cert, root.cert, t0.Add(-3*time.Hour), certs.RevocationData{})
		if err != nil || res.Status != certs.StatusRevoked || !res.RevokedAt.Equal(revokedAt) || res.ReasonText != "keyCompromise" {
			t.Fatalf("got %+v, %v", res, err)
		}
		if res.RevokedAtOrBefore(t0.Add(-3*time.Hour)) || !res.RevokedAtOrBefore(t0) {
			t.Fatal("RevokedAtOrBefore compares wrongly")
		}
	})
	t.Run("OCSP down, CRL says revoked", func(t *testing.T) {
		r.ocspFails.Store(true)
		defer r.ocspFails.Store(false)
		r.crlDER.Store(mustCRL(t, root, t0.Add(-time.Hour), t0.Add(time.Hour), map[*x509.Certificate]time.Time{leaf.cert: revokedAt}))
		res, err := checker(r, t0, false).Check(ctx, leaf.cert, root.cert, t0, certs.RevocationData{})
		if err != nil || res.Status != certs.StatusRevoked || !res.RevokedAt.Equal(revokedAt) || res.ReasonText != "superseded" || len(res.CRL) == 0 {
			t.Fatalf("got %+v, %v", res, err)
		}
		if !strings.Contains(res.Detail, "503") {
			t.Fatalf("detail %q does not mention the OCSP failure", res.Detail)
		}
	})
	t.Run("stale OCSP: the message says by how much", func(t *testing.T) {
		r.ocspDER.Store(mustOCSP(t, root, root, leaf.cert, ocsp.Good, t0.Add(-5*time.Hour), t0.Add(-3*time.Hour), time.Time{}))
		r.crlDER.Store([]byte(nil))
		res, err := checker(r, t0, false).Check(ctx, leaf.cert, root.cert, t0, certs.RevocationData{})
		if err != nil || res.Status != certs.StatusUnknown || res.SubIndication != certs.SubTryLater {
			t.Fatalf("got %+v, %v", res, err)
		}
		for _, want := range []string{"stale", "nextUpdate 2026-11-23T05:00:00Z", "3h0m0s before now", "clock skew of 5m0s"} {
			if !strings.Contains(res.Detail, want) {
				t.Fatalf("detail %q lacks %q", res.Detail, want)
			}
		}
	})
	t.Run("CRL signed by an impostor with the issuer's name", func(t *testing.T) {
		r.ocspFails.Store(true)
		defer r.ocspFails.Store(false)
		impostor := mustRoot(t, "Root") // same subject, different key
		r.crlDER.Store(mustCRL(t, impostor, t0.Add(-time.Hour), t0.Add(time.Hour), nil))
		res, _ := checker(r, t0, false).Check(ctx, leaf.cert, root.cert, t0, certs.RevocationData{})
		if res.Status != certs.StatusUnknown || !strings.Contains(res.Detail, "signature") {
			t.Fatalf("got %+v", res)
		}
	})
	t.Run("offline without data", func(t *testing.T) {
		hits := r.ocspHits.Load() + r.crlHits.Load()
		res, err := checker(r, t0, true).Check(ctx, leaf.cert, root.cert, t0, certs.RevocationData{})
		if err != nil || res.Status != certs.StatusUnknown || res.SubIndication != certs.SubTryLater || !strings.Contains(res.Detail, "offline") {
			t.Fatalf("got %+v, %v", res, err)
		}
		if r.ocspHits.Load()+r.crlHits.Load() != hits {
			t.Fatal("offline checker fetched")
		}
	})
}

func TestRevocationEmbedded(t *testing.T) {
	ctx := context.Background()
	root := mustRoot(t, "Root")
	leaf := mustCert(t, "Signer", root) // no URLs: only embedded data can answer
	other := mustCert(t, "Other", root)
	signing := t0.AddDate(0, -1, 0)

	tests := []struct {
		name   string
		data   certs.RevocationData
		status string
		detail string
	}{
		{"OCSP issued after signing, long expired now", certs.RevocationData{OCSPResponses: [][]byte{
			mustOCSP(t, root, root, leaf.cert, ocsp.Good, signing.Add(time.Hour), signing.Add(2*time.Hour), time.Time{})}}, certs.StatusGood, ""},
		{"OCSP issued before signing and expired", certs.RevocationData{OCSPResponses: [][]byte{
			mustOCSP(t, root, root, leaf.cert, ocsp.Good, signing.Add(-48*time.Hour), signing.Add(-24*time.Hour), time.Time{})}}, certs.StatusUnknown, "48h0m0s before the signing time"},
		{"OCSP about another certificate only", certs.RevocationData{OCSPResponses: [][]byte{
			mustOCSP(t, root, root, other.cert, ocsp.Good, signing.Add(time.Hour), signing.Add(2*time.Hour), time.Time{})}}, certs.StatusUnknown, "no usable embedded or cached"},
		{"CRL issued after signing", certs.RevocationData{CRLs: [][]byte{
			mustCRL(t, root, signing.Add(time.Hour), signing.Add(25*time.Hour), map[*x509.Certificate]time.Time{other.cert: signing})}}, certs.StatusGood, ""},
		{"CRL lists it", certs.RevocationData{CRLs: [][]byte{
			mustCRL(t, root, t0.Add(-time.Hour), t0.Add(time.Hour), map[*x509.Certificate]time.Time{leaf.cert: signing.Add(time.Hour)})}}, certs.StatusRevoked, ""},
		{"OCSP dated in the future", certs.RevocationData{OCSPResponses: [][]byte{
			mustOCSP(t, root, root, leaf.cert, ocsp.Good, t0.Add(24*time.Hour), t0.Add(48*time.Hour), time.Time{})}}, certs.StatusUnknown, "24h0m0s after now"},
		{"good OCSP next to a CRL that lists it", certs.RevocationData{
			OCSPResponses: [][]byte{mustOCSP(t, root, root, leaf.cert, ocsp.Good, signing.Add(time.Hour), signing.Add(2*time.Hour), time.Time{})},
			CRLs:          [][]byte{mustCRL(t, root, t0.Add(-time.Hour), t0.Add(time.Hour), map[*x509.Certificate]time.Time{leaf.cert: signing.Add(3 * time.Hour)})}},
			certs.StatusRevoked, ""},
		{"garbage is ignored with a note", certs.RevocationData{CRLs: [][]byte{[]byte("junk")}, OCSPResponses: [][]byte{{0x30, 0x00}}}, certs.StatusUnknown, "ignored"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := certs.NewRevocationChecker(certs.RevocationConfig{Offline: true, Now: func() time.Time { return t0 }}).
				Check(ctx, leaf.cert, root.cert, signing, tc.data)
			if err != nil || res.Status != tc.status {
				t.Fatalf("got %+v, %v; want %s", res, err, tc.status)
			}
			if !strings.Contains(res.Detail, tc.detail) {
				t.Fatalf("detail %q lacks %q", res.Detail, tc.detail)
			}
		})
	}
}

func TestOCSPDelegatedResponder(t *testing.T) {
	root := mustRoot(t, "Root")
	leaf := mustCert(t, "Signer", root)
	delegated := mustCert(t, "OCSP responder", root, extKeyUsage(x509.ExtKeyUsageOCSPSigning))
	notDelegated := mustCert(t, "Some signer", root)
	stranger := mustRoot(t, "Stranger")
	strangerResponder := mustCert(t, "Stranger responder", stranger, extKeyUsage(x509.ExtKeyUsageOCSPSigning))

	tests := []struct {
		name string
		der  []byte
		ok   bool
	}{
		{"issuer", mustOCSP(t, root, root, leaf.cert, ocsp.Good, t0, t0.Add(time.Hour), time.Time{}), true},
		{"delegated with id-kp-OCSPSigning", mustOCSP(t, root, delegated, leaf.cert, ocsp.Good, t0, t0.Add(time.Hour), time.Time{}), true},
		{"delegated without id-kp-OCSPSigning", mustOCSP(t, root, notDelegated, leaf.cert, ocsp.Good, t0, t0.Add(time.Hour), time.Time{}), false},
		{"responder of another CA", mustOCSP(t, root, strangerResponder, leaf.cert, ocsp.Good, t0, t0.Add(time.Hour), time.Time{}), false},
		{"signed by another CA", mustOCSP(t, stranger, stranger, leaf.cert, ocsp.Good, t0, t0.Add(time.Hour), time.Time{}), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := certs.ParseOCSPResponse(tc.der, leaf.cert, root.cert)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func TestCRLSignatureAndIssuer(t *testing.T) {
	root := mustRoot(t, "Root")
	impostor := mustRoot(t, "Root")
	other := mustRoot(t, "Other")
	crl, err := certs.ParseCRL(mustCRL(t, impostor, t0, t0.Add(time.Hour), nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := certs.CheckCRLSignature(crl, root.cert); err == nil {
		t.Fatal("CRL signed with another key accepted")
	}
	if err := certs.CheckCRLSignature(crl, impostor.cert); err != nil {
		t.Fatalf("CRL rejected by its real issuer: %v", err)
	}
	if err := certs.CheckCRLSignature(crl, other.cert); err == nil || !strings.Contains(err.Error(), "issued by") {
		t.Fatalf("CRL of another issuer: %v", err)
	}
}

func TestReasonCode(t *testing.T) {
	for _, name := range []string{"keyCompromise", "KEYCOMPROMISE", "superseded", "cessationOfOperation"} {
		code, err := certs.ReasonCode(name)
		if err != nil || !strings.EqualFold(certs.ReasonText(code), name) {
			t.Fatalf("%s → %d, %v", name, code, err)
		}
	}
	if _, err := certs.ReasonCode("bored"); err == nil {
		t.Fatal("unknown reason accepted")
	}
}

// FuzzRevocationData feeds untrusted bytes as embedded OCSP responses and
// CRLs through the checker: no panic, and never "good" from bytes that the
// issuer did not sign.
func FuzzRevocationData(f *testing.F) {
	root := mustRoot(f, "Root")
	leaf := mustCert(f, "Signer", root)
	good := mustOCSP(f, root, root, leaf.cert, ocsp.Good, t0, t0.Add(time.Hour), time.Time{})
	crl := mustCRL(f, root, t0, t0.Add(time.Hour), nil)
	f.Add(good, true)
	f.Add(crl, false)
	f.Add([]byte{0x30, 0x03, 0x0a, 0x01, 0x00}, true)
	f.Add([]byte("-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n"), false)
	c := certs.NewRevocationChecker(certs.RevocationConfig{Offline: true, Now: func() time.Time { return t0 }})
	f.Fuzz(func(t *testing.T, data []byte, asOCSP bool) {
		var rd certs.RevocationData
		if asOCSP {
			rd.OCSPResponses = [][]byte{data}
		} else {
			rd.CRLs = [][]byte{data}
		}
		res, err := c.Check(context.Background(), leaf.cert, root.cert, t0, rd)
		if err != nil || res == nil {
			t.Fatalf("Check: %v", err)
		}
		if res.Status == certs.StatusGood {
			// Only a correctly signed response may say good; check it
			// independently of the code under test.
			signed := false
			if asOCSP {
				if r, err := ocsp.ParseResponse(data, root.cert); err == nil && r.SerialNumber.Cmp(leaf.cert.SerialNumber) == 0 {
					signed = true
				}
			} else if l, err := x509.ParseRevocationList(bytes.TrimSpace(data)); err == nil && l.CheckSignatureFrom(root.cert) == nil {
				signed = true
			} else if l, err := certs.ParseCRL(data); err == nil && l.CheckSignatureFrom(root.cert) == nil {
				signed = true
			}
			if !signed {
				t.Fatalf("unsigned data said good: %+v", res)
			}
		}
	})
}

func TestRevocationIndication(t *testing.T) {
	signing := t0
	tests := []struct {
		res      certs.RevocationResult
		proven   bool
		ind, sub string
	}{
		{certs.RevocationResult{Status: certs.StatusGood}, false, certs.IndicationPassed, ""},
		{certs.RevocationResult{Status: certs.StatusUnknown}, true, certs.IndicationIndeterminate, certs.SubTryLater},
		{certs.RevocationResult{Status: certs.StatusRevoked, RevokedAt: signing.Add(-time.Second)}, true, certs.IndicationFailed, certs.SubRevoked},
		{certs.RevocationResult{Status: certs.StatusRevoked, RevokedAt: signing}, true, certs.IndicationFailed, certs.SubRevoked},
		{certs.RevocationResult{Status: certs.StatusRevoked, RevokedAt: signing.Add(time.Hour)}, true, certs.IndicationPassed, ""},
		{certs.RevocationResult{Status: certs.StatusRevoked, RevokedAt: signing.Add(time.Hour)}, false, certs.IndicationIndeterminate, certs.SubRevokedNoPOE},
	}
	for i, tc := range tests {
		ind, sub := tc.res.Indication(signing, tc.proven)
		if ind != tc.ind || sub != tc.sub {
			t.Errorf("case %d: %s/%s, want %s/%s", i, ind, sub, tc.ind, tc.sub)
		}
	}
}

// TestRevocationFetchSharing checks that concurrent checks share one CRL
// download, and that a failed responder is not asked again at once.
func TestRevocationFetchSharing(t *testing.T) {
	ctx := context.Background()
	r := newResponder(t)
	root := mustRoot(t, "Root")
	var crl []byte
	var hits atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		hits.Add(1)
		time.Sleep(300 * time.Millisecond) // long enough for every checker to be waiting
		w.Write(crl)
	}))
	defer slow.Close()
	leaf := mustCert(t, "Signer", root, urls("", slow.URL+"/crl"))
	crl = mustCRL(t, root, t0.Add(-time.Hour), t0.Add(time.Hour), map[*x509.Certificate]time.Time{leaf.cert: t0.Add(-time.Minute)})
	c := checker(r, t0, false)
	const n = 16
	results := make(chan *certs.RevocationResult, n)
	for i := 0; i < n; i++ {
		go func() {
			res, err := c.Check(ctx, leaf.cert, root.cert, t0, certs.RevocationData{})
			if err != nil {
				t.Error(err)
			}
			results <- res
		}()
	}
	for i := 0; i < n; i++ {
		if res := <-results; res == nil || res.Status != certs.StatusRevoked {
			t.Fatalf("concurrent check: %+v", res)
		}
	}
	// Without sharing every checker would download it: n hits.
	if h := hits.Load(); h > 2 {
		t.Fatalf("%d concurrent checks made %d downloads", n, h)
	}

	// A responder that is down is asked once per RetryAfter.
	var now atomic.Int64
	now.Store(t0.UnixNano())
	down := mustCert(t, "Signer", root, urls(r.srv.URL+"/ocsp", ""))
	r.ocspFails.Store(true)
	defer r.ocspFails.Store(false)
	c = certs.NewRevocationChecker(certs.RevocationConfig{Client: r.srv.Client(), RetryAfter: time.Minute,
		Now: func() time.Time { return time.Unix(0, now.Load()) }})
	before := r.ocspHits.Load()
	for i, want := range []int32{1, 1, 2} {
		if i == 2 {
			now.Add(int64(61 * time.Second))
		}
		res, err := c.Check(ctx, down.cert, root.cert, t0, certs.RevocationData{})
		if err != nil || res.Status != certs.StatusUnknown {
			t.Fatalf("check %d: %+v %v", i, res, err)
		}
		if got := r.ocspHits.Load() - before; got != want {
			t.Fatalf("check %d: %d requests to the responder, want %d (detail %q)", i, got, want, res.Detail)
		}
		if i == 1 && !strings.Contains(res.Detail, "not retried") {
			t.Fatalf("detail %q does not say the responder was skipped", res.Detail)
		}
	}
}
