package devca

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"
)

// CRL returns a freshly signed CRL (DER) listing every revoked certificate.
func (ca *CA) CRL() ([]byte, error) {
	entries, err := ca.Entries()
	if err != nil {
		return nil, err
	}
	now := ca.now().UTC()
	tmpl := &x509.RevocationList{
		// A millisecond clock is monotonic enough for a development CA and
		// needs no counter in the state.
		Number:     big.NewInt(now.UnixMilli()),
		ThisUpdate: now.Add(-time.Minute),
		NextUpdate: now.Add(crlValidity),
	}
	for _, e := range entries {
		if e.RevokedAt.IsZero() {
			continue
		}
		serial, ok := new(big.Int).SetString(e.Serial, 16)
		if !ok {
			return nil, fmt.Errorf("CA index: bad serial %q", e.Serial)
		}
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{
			SerialNumber: serial, RevocationTime: e.RevokedAt, ReasonCode: e.Reason,
		})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.root, ca.rootKey)
	if err != nil {
		return nil, fmt.Errorf("sign CRL: %w", err)
	}
	return der, nil
}

// OCSPResponse answers a DER OCSP request (RFC 6960), signed by the root
// itself. A request about another issuer gets "unauthorized"; a serial this
// CA never issued gets "unknown".
func (ca *CA) OCSPResponse(reqDER []byte) ([]byte, error) {
	req, err := ocsp.ParseRequest(reqDER)
	if err != nil {
		return ocsp.MalformedRequestErrorResponse, nil
	}
	if !ca.issuedBy(req) {
		return ocsp.UnauthorizedErrorResponse, nil
	}
	entries, err := ca.Entries()
	if err != nil {
		return nil, err
	}
	// x/crypto/ocsp stamps producedAt truncated to the minute; NSS (pdfsig, Firefox) rejects a
	// response whose thisUpdate is later than its producedAt, so thisUpdate is truncated alike.
	now := ca.now().UTC().Truncate(time.Minute)
	tmpl := ocsp.Response{
		Status:       ocsp.Unknown,
		SerialNumber: req.SerialNumber,
		IssuerHash:   req.HashAlgorithm,
		ThisUpdate:   now,
		NextUpdate:   now.Add(ocspValidity),
	}
	s := req.SerialNumber.Text(16)
	for _, e := range entries {
		if e.Serial != s {
			continue
		}
		tmpl.Status = ocsp.Good
		if !e.RevokedAt.IsZero() {
			tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, e.RevokedAt, e.Reason
		}
	}
	der, err := ocsp.CreateResponse(ca.root, ca.root, tmpl, ca.rootKey)
	if err != nil {
		return nil, fmt.Errorf("sign OCSP response: %w", err)
	}
	return der, nil
}

// issuedBy reports whether the request's CertID names our root.
func (ca *CA) issuedBy(req *ocsp.Request) bool {
	if !req.HashAlgorithm.Available() {
		return false
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(ca.root.RawSubjectPublicKeyInfo, &spki); err != nil {
		return false
	}
	h := req.HashAlgorithm.New()
	h.Write(spki.PublicKey.RightAlign())
	keyHash := h.Sum(nil)
	h = req.HashAlgorithm.New()
	h.Write(ca.root.RawSubject)
	nameHash := h.Sum(nil)
	return bytes.Equal(keyHash, req.IssuerKeyHash) && bytes.Equal(nameHash, req.IssuerNameHash)
}

// maxOCSPRequest bounds a POSTed OCSP request; real ones are ~100 bytes.
const maxOCSPRequest = 64 << 10

// Handler serves the CA's public side: GET /pki/crl (DER CRL), POST
// /pki/ocsp and GET /pki/ocsp/{base64 request} (RFC 6960, appendix A), and
// GET /pki/ca.crt (the root, DER). `serve` mounts it at the root of its
// router. It dispatches by hand rather than through http.ServeMux, which
// would "clean" a base64 request containing "//" into a different one.
func (ca *CA) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		switch {
		case path == "/pki/crl":
			if !allow(w, r, http.MethodGet) {
				return
			}
			der, err := ca.CRL()
			if err != nil {
				ca.fail(w, r, err)
				return
			}
			w.Header().Set("Content-Type", "application/pkix-crl")
			w.Header().Set("Cache-Control", "no-cache")
			w.Write(der)
		case path == "/pki/ca.crt":
			if !allow(w, r, http.MethodGet) {
				return
			}
			w.Header().Set("Content-Type", "application/pkix-cert")
			w.Write(ca.root.Raw)
		case path == "/pki/ocsp":
			if !allow(w, r, http.MethodPost) {
				return
			}
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOCSPRequest))
			if err != nil {
				http.Error(w, "OCSP request too large or unreadable", http.StatusRequestEntityTooLarge)
				return
			}
			ca.answerOCSP(w, r, body)
		case strings.HasPrefix(path, "/pki/ocsp/"):
			if !allow(w, r, http.MethodGet) {
				return
			}
			enc := strings.TrimPrefix(r.URL.EscapedPath(), "/pki/ocsp/")
			// Clients differ in whether they URL-escape the base64.
			if u, err := url.PathUnescape(enc); err == nil {
				enc = u
			}
			der, err := base64.StdEncoding.DecodeString(enc)
			if err != nil {
				der, err = base64.RawURLEncoding.DecodeString(enc)
			}
			if err != nil {
				der = nil // answered as a malformed request
			}
			ca.answerOCSP(w, r, der)
		default:
			http.NotFound(w, r)
		}
	})
}

func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method || (method == http.MethodGet && r.Method == http.MethodHead) {
		return true
	}
	w.Header().Set("Allow", method)
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

func (ca *CA) answerOCSP(w http.ResponseWriter, r *http.Request, reqDER []byte) {
	der, err := ca.OCSPResponse(reqDER)
	if err != nil {
		ca.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/ocsp-response")
	w.Header().Set("Cache-Control", fmt.Sprintf("max-age=%d", int(ocspValidity/time.Second/2)))
	w.Write(der)
}

func (ca *CA) fail(w http.ResponseWriter, r *http.Request, err error) {
	ca.log.ErrorContext(r.Context(), "development CA request", "path", r.URL.Path, "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}
