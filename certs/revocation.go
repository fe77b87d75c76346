package certs

import (
	"context"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"
	"golang.org/x/sync/singleflight"
)

// Revocation statuses, as the validation report spells them.
const (
	StatusGood    = "good"
	StatusRevoked = "revoked"
	StatusUnknown = "unknown"
)

// Limits on fetched revocation data: a national CA's CRL can reach a few
// megabytes; an OCSP response is a few kilobytes.
const (
	maxCRLSize  = 32 << 20
	maxOCSPSize = 1 << 20
)

// RevocationData is revocation data found next to a signature (a PDF's DSS,
// a CMS's revocation info choices), as DER. It may hold data about other
// certificates too; what does not concern the certificate is ignored.
type RevocationData struct {
	CRLs          [][]byte
	OCSPResponses [][]byte
}

// RevocationResult is what is known about one certificate.
type RevocationResult struct {
	Status string // StatusGood, StatusRevoked or StatusUnknown
	// RevokedAt and Reason are set when Status is revoked; the verifier
	// compares RevokedAt with the signing time.
	RevokedAt  time.Time
	Reason     int    // RFC 5280 CRLReason code
	ReasonText string // its name, e.g. keyCompromise
	// Source says where the answer came from: "embedded OCSP response",
	// "cached CRL http://...", "OCSP http://...".
	Source     string
	ThisUpdate time.Time
	NextUpdate time.Time
	// SubIndication is SubTryLater when Status is unknown.
	SubIndication string
	// Detail explains an unknown status, or what was ignored on the way
	// (a stale response, a bad signature), in words an operator can act on.
	Detail string
	// OCSP or CRL is the DER that decided, so that a signer can embed it
	// for long-term validation (PAdES B-LT).
	OCSP []byte
	CRL  []byte
}

// RevokedAtOrBefore reports whether the certificate was revoked at or before
// t (the signing time): then the signature is TOTAL_FAILED/REVOKED.
func (r *RevocationResult) RevokedAtOrBefore(t time.Time) bool {
	return r.Status == StatusRevoked && !r.RevokedAt.After(t)
}

// RevocationConfig configures a RevocationChecker.
type RevocationConfig struct {
	// Client fetches CRLs and OCSP responses; nil means a new http.Client.
	Client *http.Client
	// Timeout bounds each fetch; zero means 10 seconds.
	Timeout time.Duration
	// Offline forbids fetching: only handed-in and cached data are used.
	Offline bool
	// Skew is the clock difference tolerated when judging freshness; zero
	// means 5 minutes.
	Skew time.Duration
	// MaxAge bounds the age of data that has no nextUpdate; zero means 24
	// hours.
	MaxAge time.Duration
	// RetryAfter is how long a URL that failed is not tried again, so that
	// a responder outage costs one timeout, not one per signature; zero
	// means 30 seconds.
	RetryAfter time.Duration
	// Now returns the current time; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// RevocationChecker answers whether a certificate is revoked, using in order
// the data handed in, its cache, and (unless offline) the certificate's OCSP
// responder and CRL distribution points. It is safe for concurrent use; its
// cache lives as long as it does.
type RevocationChecker struct {
	cfg RevocationConfig

	// flights makes concurrent checks of certificates from one CA share a
	// single fetch instead of each downloading the same CRL.
	flights singleflight.Group

	mu        sync.Mutex
	ocspCache map[string]cachedOCSP
	crlCache  map[string]cachedCRL
	failed    map[string]failure
}

type failure struct {
	at  time.Time
	err error
}

// maxCacheEntries bounds the OCSP cache; past it, expired entries are
// dropped on the next insertion.
const maxCacheEntries = 4096

type cachedOCSP struct {
	resp *ocsp.Response
	der  []byte
	src  string
}

type cachedCRL struct {
	crl *x509.RevocationList
	der []byte
}

// NewRevocationChecker returns a checker with cfg's defaults filled in.
func NewRevocationChecker(cfg RevocationConfig) *RevocationChecker {
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Skew <= 0 {
		cfg.Skew = 5 * time.Minute
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 24 * time.Hour
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &RevocationChecker{cfg: cfg, ocspCache: map[string]cachedOCSP{}, crlCache: map[string]cachedCRL{}, failed: map[string]failure{}}
}

// Check returns the revocation status of cert, issued by issuer, for a
// signature made at (the signing time). Handed-in data counts when it is
// current now or was issued after the signing time (so it covers it);
// fetched data must be current now. A revocation listed in any correctly
// signed data is reported whatever its age. The error is non-nil only for
// bad arguments or a cancelled context; "cannot tell" is a result with
// StatusUnknown and SubTryLater.
func (c *RevocationChecker) Check(ctx context.Context, cert, issuer *x509.Certificate, at time.Time, data RevocationData) (*RevocationResult, error) {
	if cert == nil || issuer == nil {
		return nil, errors.New("check revocation: certificate and issuer are required")
	}
	now := c.cfg.Now()
	if at.IsZero() {
		at = now
	}
	var problems []string
	note := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	// 1. Data handed in. A revocation anywhere in it wins over a "good"
	// elsewhere: a DSS may hold an older OCSP response next to a newer CRL.
	var good *RevocationResult
	for _, der := range data.OCSPResponses {
		resp, err := ParseOCSPResponse(der, cert, issuer)
		if err != nil {
			if !strings.Contains(err.Error(), "no response matching the supplied certificate") {
				note("embedded OCSP response ignored: %v", err)
			}
			continue
		}
		if r := c.fromOCSP(resp, der, "embedded OCSP response", at, now, true, note); r != nil {
			if r.Status == StatusRevoked {
				return r.withProblems(problems), nil
			}
			if good == nil {
				good = r
			}
		}
	}
	for _, der := range data.CRLs {
		crl, err := ParseCRL(der)
		if err != nil {
			note("embedded CRL ignored: %v", err)
			continue
		}
		if string(crl.RawIssuer) != string(issuer.RawSubject) {
			continue // about another issuer's certificates
		}
		if r := c.fromCRL(crl, der, issuer, cert, "embedded CRL", at, now, true, note); r != nil {
			if r.Status == StatusRevoked {
				return r.withProblems(problems), nil
			}
			if good == nil {
				good = r
			}
		}
	}
	if good != nil {
		return good.withProblems(problems), nil
	}

	// 2. The cache.
	key := ocspKey(cert, issuer)
	c.mu.Lock()
	co, okO := c.ocspCache[key]
	c.mu.Unlock()
	if okO && !now.After(co.resp.NextUpdate) {
		if r := c.fromOCSP(co.resp, co.der, "cached "+co.src, at, now, false, note); r != nil {
			return r.withProblems(problems), nil
		}
	}
	for _, u := range cert.CRLDistributionPoints {
		c.mu.Lock()
		cc, ok := c.crlCache[u]
		c.mu.Unlock()
		if ok && !now.After(cc.crl.NextUpdate) {
			if r := c.fromCRL(cc.crl, cc.der, issuer, cert, "cached CRL "+u, at, now, false, note); r != nil {
				return r.withProblems(problems), nil
			}
		}
	}

	// 3. The network.
	if c.cfg.Offline {
		note("offline: no usable embedded or cached revocation data for %q (serial %s)", SubjectString(cert), cert.SerialNumber.Text(16))
		return unknown(problems), nil
	}
	for _, u := range cert.OCSPServer {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		der, err := c.shared(ctx, "ocsp "+u+" "+key, func(ctx context.Context) ([]byte, error) { return c.fetchOCSP(ctx, u, cert, issuer) })
		if err != nil {
			note("OCSP %s: %v", u, err)
			continue
		}
		resp, err := ParseOCSPResponse(der, cert, issuer)
		if err != nil {
			note("OCSP %s: %v", u, err)
			continue
		}
		if !resp.NextUpdate.IsZero() && resp.Status != ocsp.Unknown {
			c.mu.Lock()
			if len(c.ocspCache) >= maxCacheEntries {
				for k, v := range c.ocspCache {
					if now.After(v.resp.NextUpdate) {
						delete(c.ocspCache, k)
					}
				}
			}
			c.ocspCache[key] = cachedOCSP{resp: resp, der: der, src: "OCSP " + u}
			c.mu.Unlock()
		}
		if r := c.fromOCSP(resp, der, "OCSP "+u, at, now, false, note); r != nil {
			return r.withProblems(problems), nil
		}
	}
	for _, u := range cert.CRLDistributionPoints {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		der, err := c.shared(ctx, "crl "+u, func(ctx context.Context) ([]byte, error) { return c.fetch(ctx, http.MethodGet, u, nil, maxCRLSize) })
		if err != nil {
			note("CRL %s: %v", u, err)
			continue
		}
		crl, err := ParseCRL(der)
		if err != nil {
			note("CRL %s: %v", u, err)
			continue
		}
		if err := CheckCRLSignature(crl, issuer); err != nil {
			note("CRL %s: %v", u, err)
			continue
		}
		if !crl.NextUpdate.IsZero() {
			c.mu.Lock()
			c.crlCache[u] = cachedCRL{crl: crl, der: der}
			c.mu.Unlock()
		}
		if r := c.fromCRL(crl, der, issuer, cert, "CRL "+u, at, now, false, note); r != nil {
			return r.withProblems(problems), nil
		}
	}
	if len(cert.OCSPServer) == 0 && len(cert.CRLDistributionPoints) == 0 {
		note("certificate %q names no OCSP responder and no CRL distribution point", SubjectString(cert))
	}
	return unknown(problems), nil
}

// CheckChain checks every certificate of chain (leaf first) but the anchor
// against its issuer. The results are in chain order; a chain of one (a
// certificate trusted directly) has nothing to check and gives none.
func (c *RevocationChecker) CheckChain(ctx context.Context, chain []*x509.Certificate, at time.Time, data RevocationData) ([]*RevocationResult, error) {
	var out []*RevocationResult
	for i := 0; i+1 < len(chain); i++ {
		r, err := c.Check(ctx, chain[i], chain[i+1], at, data)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// fromOCSP turns a verified response into a result, or returns nil (with a
// note) when the response cannot decide.
func (c *RevocationChecker) fromOCSP(resp *ocsp.Response, der []byte, src string, at, now time.Time, embedded bool, note func(string, ...any)) *RevocationResult {
	r := &RevocationResult{Source: src, ThisUpdate: resp.ThisUpdate, NextUpdate: resp.NextUpdate, OCSP: der}
	switch resp.Status {
	case ocsp.Revoked:
		r.Status, r.RevokedAt, r.Reason, r.ReasonText = StatusRevoked, resp.RevokedAt, resp.RevocationReason, reasonText(resp.RevocationReason)
		return r
	case ocsp.Good:
		if err := c.usable(src, resp.ThisUpdate, resp.NextUpdate, at, now, embedded); err != nil {
			note("%v", err)
			return nil
		}
		r.Status = StatusGood
		return r
	default:
		note("%s: the responder does not know the certificate", src)
		return nil
	}
}

func (c *RevocationChecker) fromCRL(crl *x509.RevocationList, der []byte, issuer, cert *x509.Certificate, src string, at, now time.Time, embedded bool, note func(string, ...any)) *RevocationResult {
	if embedded {
		if err := CheckCRLSignature(crl, issuer); err != nil {
			note("%s ignored: %v", src, err)
			return nil
		}
	}
	r := &RevocationResult{Source: src, ThisUpdate: crl.ThisUpdate, NextUpdate: crl.NextUpdate, CRL: der}
	if e := crlEntry(crl, cert); e != nil {
		r.Status, r.RevokedAt, r.Reason, r.ReasonText = StatusRevoked, e.RevocationTime, e.ReasonCode, reasonText(e.ReasonCode)
		return r
	}
	if err := c.usable(src, crl.ThisUpdate, crl.NextUpdate, at, now, embedded); err != nil {
		note("%v", err)
		return nil
	}
	r.Status = StatusGood
	return r
}

// usable decides whether "not revoked" data may be believed. Data current
// now always may. Handed-in data may also when it was issued after the
// signing time: it then proves the certificate was not revoked when the
// signature was made, however old it is today.
func (c *RevocationChecker) usable(src string, thisUpdate, nextUpdate, at, now time.Time, embedded bool) error {
	err := freshness(src, thisUpdate, nextUpdate, now, c.cfg.Skew, c.cfg.MaxAge)
	if err == nil || !embedded || thisUpdate.After(now.Add(c.cfg.Skew)) {
		// Data dated in the future proves nothing, however late the
		// signature claims to be.
		return err
	}
	if !thisUpdate.Before(at.Add(-c.cfg.Skew)) {
		return nil
	}
	return fmt.Errorf("%v; and it was issued %s before the signing time %s, so it cannot cover it either",
		err, at.Sub(thisUpdate).Round(time.Second), rfc(at))
}

func (r *RevocationResult) withProblems(p []string) *RevocationResult {
	if len(p) > 0 && r.Detail == "" {
		r.Detail = strings.Join(p, "; ")
	}
	return r
}

func unknown(problems []string) *RevocationResult {
	d := strings.Join(problems, "; ")
	if d == "" {
		d = "no revocation data available"
	}
	return &RevocationResult{Status: StatusUnknown, SubIndication: SubTryLater, Detail: d}
}

func ocspKey(cert, issuer *x509.Certificate) string {
	h := sha1.Sum(issuer.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(h[:]) + ":" + cert.SerialNumber.Text(16)
}

// shared runs fetch once for all concurrent callers with the same key, and
// does not run it again for RetryAfter after it failed. A caller whose
// context ends stops waiting; the fetch goes on for the others.
func (c *RevocationChecker) shared(ctx context.Context, key string, fetch func(context.Context) ([]byte, error)) ([]byte, error) {
	now := c.cfg.Now()
	c.mu.Lock()
	f, failed := c.failed[key]
	c.mu.Unlock()
	if failed && now.Sub(f.at) < c.cfg.RetryAfter {
		return nil, fmt.Errorf("not retried: failed %s ago (retry after %s): %w", now.Sub(f.at).Round(time.Second), c.cfg.RetryAfter, f.err)
	}
	ch := c.flights.DoChan(key, func() (any, error) {
		// Detached from the first caller's cancellation, bounded by the
		// fetch timeout.
		der, err := fetch(context.WithoutCancel(ctx))
		c.mu.Lock()
		if err != nil {
			c.failed[key] = failure{at: c.cfg.Now(), err: err}
		} else {
			delete(c.failed, key)
		}
		c.mu.Unlock()
		return der, err
	})
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.([]byte), nil
	}
}

func (c *RevocationChecker) fetchOCSP(ctx context.Context, u string, cert, issuer *x509.Certificate) ([]byte, error) {
	req, err := NewOCSPRequest(cert, issuer)
	if err != nil {
		return nil, err
	}
	return c.fetch(ctx, http.MethodPost, u, req, maxOCSPSize)
}

// fetch does one bounded HTTP exchange. Only http and https are followed:
// an ldap:// distribution point is skipped with a note by the caller.
func (c *RevocationChecker) fetch(ctx context.Context, method, rawURL string, body []byte, limit int64) ([]byte, error) {
	pu, err := url.Parse(rawURL)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") {
		return nil, fmt.Errorf("unsupported URL %q", rawURL)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(string(body))
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/ocsp-request")
		req.Header.Set("Accept", "application/ocsp-response")
	}
	start := time.Now()
	resp, err := c.cfg.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP status %s", resp.Status)
	}
	out, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(out)) > limit {
		return nil, fmt.Errorf("response larger than %d bytes", limit)
	}
	c.cfg.Logger.DebugContext(ctx, "revocation data fetched", "url", rawURL, "bytes", len(out), "duration", time.Since(start))
	return out, nil
}

// Indication maps the result to an ETSI indication for a signature made at
// signingTime. timeProven says the signing time is proven (a signature
// timestamp, or another proof of existence), not merely claimed by the
// signer: only then can a revocation be placed before or after it.
//
//   - good: TOTAL_PASSED
//   - unknown: INDETERMINATE/TRY_LATER
//   - revoked at or before a proven signing time: TOTAL_FAILED/REVOKED
//   - revoked after a proven signing time: TOTAL_PASSED (the signature
//     predates the revocation; the report should still say "revoked since")
//   - revoked, signing time only claimed: INDETERMINATE/REVOKED_NO_POE
func (r *RevocationResult) Indication(signingTime time.Time, timeProven bool) (indication, subIndication string) {
	switch r.Status {
	case StatusGood:
		return IndicationPassed, ""
	case StatusRevoked:
		switch {
		case !timeProven:
			return IndicationIndeterminate, SubRevokedNoPOE
		case !r.RevokedAt.After(signingTime):
			return IndicationFailed, SubRevoked
		default:
			return IndicationPassed, ""
		}
	}
	return IndicationIndeterminate, SubTryLater
}
