package certs

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"
)

// Indications and sub-indications of ETSI TS 119 102-2, the vocabulary of the
// validation report. signing/pades copies them into gateway.SignatureReport.
const (
	IndicationPassed        = "TOTAL_PASSED"
	IndicationFailed        = "TOTAL_FAILED"
	IndicationIndeterminate = "INDETERMINATE"

	SubNoCertificateChainFound = "NO_CERTIFICATE_CHAIN_FOUND"
	SubNotYetValid             = "NOT_YET_VALID"
	SubOutOfBoundsNoPOE        = "OUT_OF_BOUNDS_NO_POE"
	SubOutOfBoundsNotRevoked   = "OUT_OF_BOUNDS_NOT_REVOKED"
	SubChainConstraintsFailure = "CHAIN_CONSTRAINTS_FAILURE"
	SubRevoked                 = "REVOKED"
	SubRevokedNoPOE            = "REVOKED_NO_POE"
	SubTryLater                = "TRY_LATER"
)

// TrustStore holds trust anchors (self-signed roots the operator chose to
// trust) and intermediates that help build chains. It is safe for concurrent
// use once loaded; the Add methods are for setup only.
type TrustStore struct {
	anchors       []*x509.Certificate
	intermediates []*x509.Certificate
	system        bool
}

// NewTrustStore returns an empty store: it trusts nothing until anchors are
// added.
func NewTrustStore() *TrustStore { return &TrustStore{} }

// LoadTrustStore reads PEM or DER certificate files, or directories of them
// (*.pem, *.crt, *.cer, *.der). Self-signed certificates become anchors; the
// others become intermediates, offered to chain building but not trusted on
// their own. Use AddAnchor to trust a non-root CA explicitly.
func LoadTrustStore(paths ...string) (*TrustStore, error) {
	ts := NewTrustStore()
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("trust store: %w", err)
		}
		files := []string{p}
		if st.IsDir() {
			if files, err = certificateFilesIn(p); err != nil {
				return nil, fmt.Errorf("trust store %s: %w", p, err)
			}
		}
		for _, f := range files {
			cs, err := LoadCertificateFile(f)
			if err != nil {
				return nil, fmt.Errorf("trust store: %w", err)
			}
			for _, c := range cs {
				if isSelfSigned(c) {
					ts.AddAnchor(c)
				} else {
					ts.AddIntermediate(c)
				}
			}
		}
	}
	return ts, nil
}

// AddAnchor trusts c as the end of a chain.
func (t *TrustStore) AddAnchor(c *x509.Certificate) { t.anchors = append(t.anchors, c) }

// AddIntermediate offers c to chain building without trusting it.
func (t *TrustStore) AddIntermediate(c *x509.Certificate) {
	t.intermediates = append(t.intermediates, c)
}

// UseSystemRoots makes the operating system's roots anchors as well. It is
// off by default: government signatures chain to national roots, and the
// web PKI should not be able to vouch for an agency's seal.
func (t *TrustStore) UseSystemRoots() { t.system = true }

// Anchors returns the configured anchors (not the system pool).
func (t *TrustStore) Anchors() []*x509.Certificate {
	return append([]*x509.Certificate(nil), t.anchors...)
}

// Intermediates returns the configured intermediates.
func (t *TrustStore) Intermediates() []*x509.Certificate {
	return append([]*x509.Certificate(nil), t.intermediates...)
}

// CertPool returns the anchors as a pool, e.g. as tls.Config.ClientCAs for
// agencies that authenticate with certificates. The system roots are not
// included: a TLS client must not authenticate as an agency with a web
// certificate.
func (t *TrustStore) CertPool() *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range t.anchors {
		p.AddCert(c)
	}
	return p
}

func isSelfSigned(c *x509.Certificate) bool {
	if string(c.RawIssuer) != string(c.RawSubject) {
		return false
	}
	return c.CheckSignatureFrom(c) == nil
}

// VerifyOptions says what the leaf certificate is for.
type VerifyOptions struct {
	// KeyUsage is the set of key usages of which the leaf needs at least one
	// when it has a key usage extension at all. Zero means a document
	// signer: digitalSignature or nonRepudiation (contentCommitment).
	KeyUsage x509.KeyUsage
	// ExtKeyUsage, when set, requires one of these extended key usages on the
	// leaf (a timestamp unit needs timeStamping). Empty accepts any or none:
	// PAdES signers carry emailProtection, documentSigning or nothing.
	ExtKeyUsage []x509.ExtKeyUsage
	// Now is the current time, used only to note that a certificate valid at
	// signing has expired since. Zero means time.Now().
	Now time.Time
}

// ChainResult is the outcome of chain validation at one point in time.
type ChainResult struct {
	Indication    string
	SubIndication string
	// Chain is leaf first, anchor last; empty when no chain was found.
	Chain []*x509.Certificate
	// Subjects are the chain's subjects as RFC 2253 strings, leaf first.
	Subjects []string
	// Notes are facts worth reporting that do not change the indication
	// ("expired since signing").
	Notes []string
	// Reason explains a failure in words an operator can act on.
	Reason string
}

// Passed reports whether the chain is TOTAL_PASSED.
func (r *ChainResult) Passed() bool { return r.Indication == IndicationPassed }

// ChainError is returned by Verify when the chain does not pass; Result holds
// the indication.
type ChainError struct{ Result *ChainResult }

func (e *ChainError) Error() string {
	return fmt.Sprintf("certificate chain %s/%s: %s", e.Result.Indication, e.Result.SubIndication, e.Result.Reason)
}

// Verify builds a chain from leaf through intermediates (those handed in,
// e.g. from a CMS or a DSS, and the store's own) to an anchor, valid at the
// time at (the signing time, not now). The result is never nil; the error is
// a *ChainError whenever the result is not TOTAL_PASSED, so that a caller who
// checks only the error cannot accept a bad chain.
func (t *TrustStore) Verify(ctx context.Context, leaf *x509.Certificate, intermediates []*x509.Certificate, at time.Time, opts VerifyOptions) (*ChainResult, error) {
	if leaf == nil {
		return nil, errors.New("verify chain: no certificate")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if at.IsZero() {
		at = time.Now()
	}
	res := &ChainResult{}
	fail := func(ind, sub, format string, args ...any) (*ChainResult, error) {
		res.Indication, res.SubIndication, res.Reason = ind, sub, fmt.Sprintf(format, args...)
		return res, &ChainError{Result: res}
	}
	pools, err := t.pools(intermediates)
	if err != nil {
		return nil, err
	}
	chain, verr := t.build(leaf, pools, at)
	if verr != nil {
		var cie x509.CertificateInvalidError
		if !errors.As(verr, &cie) || cie.Reason != x509.Expired {
			return classify(res, verr, t.issuerNotCA(leaf, intermediates))
		}
		// Some certificate is outside its validity at the signing time.
		// Find the chain at a time the leaf was valid so the report can
		// still name it, then say which bound was crossed.
		var altErr error
		for _, alt := range []time.Time{leaf.NotBefore.Add(time.Second), leaf.NotAfter.Add(-time.Second)} {
			if chain, altErr = t.build(leaf, pools, alt); altErr == nil {
				break
			}
		}
		check := chain
		if chain == nil {
			var cie2 x509.CertificateInvalidError
			if !errors.As(altErr, &cie2) || cie2.Reason != x509.Expired {
				// No chain at any time: that, not the dates, is the finding.
				return classify(res, altErr, t.issuerNotCA(leaf, intermediates))
			}
			// A chain whose certificates were never valid together: judge
			// the leaf's own dates.
			check = []*x509.Certificate{leaf}
		} else {
			res.setChain(chain)
		}
		for _, c := range check {
			if at.Before(c.NotBefore) {
				return fail(IndicationFailed, SubNotYetValid, "certificate %q is not valid until %s, after the signing time %s",
					SubjectString(c), c.NotBefore.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
			}
			if at.After(c.NotAfter) {
				return fail(IndicationIndeterminate, SubOutOfBoundsNoPOE, "certificate %q expired at %s, before the signing time %s",
					SubjectString(c), c.NotAfter.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
			}
		}
		return classify(res, verr, nil)
	}
	res.setChain(chain)
	want := opts.KeyUsage
	if want == 0 {
		want = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
	}
	if leaf.KeyUsage != 0 && leaf.KeyUsage&want == 0 {
		return fail(IndicationIndeterminate, SubChainConstraintsFailure, "certificate %q may not be used for signing: key usage %s lacks %s",
			SubjectString(leaf), keyUsageString(leaf.KeyUsage), keyUsageString(want))
	}
	if len(opts.ExtKeyUsage) > 0 && !hasAnyEKU(leaf, opts.ExtKeyUsage) {
		return fail(IndicationIndeterminate, SubChainConstraintsFailure, "certificate %q lacks the required extended key usage", SubjectString(leaf))
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	for _, c := range chain {
		if now.After(c.NotAfter) {
			res.Notes = append(res.Notes, fmt.Sprintf("certificate %q was valid at the signing time and expired since, at %s",
				SubjectString(c), c.NotAfter.UTC().Format(time.RFC3339)))
		}
	}
	res.Indication = IndicationPassed
	return res, nil
}

// classify maps a chain building error. notCA, when set, is a certificate
// that did sign the chain but may not issue certificates: x509 reports that
// as "unknown authority", yet the chain exists and breaks a constraint.
func classify(res *ChainResult, err error, notCA *x509.Certificate) (*ChainResult, error) {
	var ua x509.UnknownAuthorityError
	res.Indication = IndicationIndeterminate
	res.Reason = err.Error()
	switch {
	case notCA != nil:
		res.SubIndication = SubChainConstraintsFailure
		res.Reason = fmt.Sprintf("certificate %q signed the chain but is not a certificate authority", SubjectString(notCA))
	case errors.As(err, &ua):
		res.SubIndication = SubNoCertificateChainFound
	default:
		res.SubIndication = SubChainConstraintsFailure
	}
	return res, &ChainError{Result: res}
}

// issuerNotCA walks up from leaf by signature alone and returns the first
// signer that is not allowed to sign certificates, or nil.
//
// It runs after x509 has failed, which has already checked the signatures of
// every CA on the way (it never checks one made by a non-CA). So the walk by
// signature runs only when some certificate reachable by issuer name alone
// may not sign certificates: otherwise the answer is nil whatever the
// signatures say, and checking them again would double the cost of every
// chain that ends at an untrusted root.
func (t *TrustStore) issuerNotCA(leaf *x509.Certificate, extra []*x509.Certificate) *x509.Certificate {
	cands := append(append(append([]*x509.Certificate(nil), extra...), t.intermediates...), t.anchors...)
	if !nonCAByName(leaf, cands) {
		return nil
	}
	cur := leaf
	for depth := 0; depth < maxIssuerDepth; depth++ {
		var parent *x509.Certificate
		for _, c := range cands {
			if c == nil || c.Equal(cur) || string(c.RawSubject) != string(cur.RawIssuer) {
				continue
			}
			if c.CheckSignature(cur.SignatureAlgorithm, cur.RawTBSCertificate, cur.Signature) == nil {
				parent = c
				break
			}
		}
		if parent == nil {
			return nil
		}
		if notCA(parent) {
			return parent
		}
		if isSelfSigned(parent) {
			return nil
		}
		cur = parent
	}
	return nil
}

// maxIssuerDepth bounds the walks up from a leaf in issuerNotCA.
const maxIssuerDepth = 8

// notCA reports whether c may not sign certificates.
func notCA(c *x509.Certificate) bool {
	return !c.BasicConstraintsValid || !c.IsCA || (c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageCertSign == 0)
}

// nonCAByName reports whether a certificate that may not sign certificates
// is among the candidates reachable from leaf by issuer name within the
// depth issuerNotCA walks. It checks no signatures: every parent issuerNotCA
// can pick is one of these, so false means issuerNotCA returns nil.
func nonCAByName(leaf *x509.Certificate, cands []*x509.Certificate) bool {
	// The leaf is not marked seen: a cycle of names can lead back to it.
	seen := map[*x509.Certificate]bool{}
	level := []*x509.Certificate{leaf}
	for depth := 0; depth < maxIssuerDepth && len(level) > 0; depth++ {
		var next []*x509.Certificate
		for _, cur := range level {
			for _, c := range cands {
				if c == nil || seen[c] || c.Equal(cur) || string(c.RawSubject) != string(cur.RawIssuer) {
					continue
				}
				if notCA(c) {
					return true
				}
				seen[c] = true
				next = append(next, c)
			}
		}
		level = next
	}
	return false
}

type certPools struct{ roots, inter *x509.CertPool }

// trustsNothing reports whether no chain can pass: there is no anchor, and
// the system roots are not in use either.
func (t *TrustStore) trustsNothing() bool { return len(t.anchors) == 0 && !t.system }

func (t *TrustStore) pools(extra []*x509.Certificate) (certPools, error) {
	if t.trustsNothing() {
		// x509 would check the signature of every candidate issuer on its
		// way to a root that is not there, a third of the cost of verifying
		// a PDF when nothing is trusted. Given no intermediates it judges the
		// leaf alone (its dates and critical extensions, which Verify reads)
		// and then finds no chain, which is the answer in any case. Both
		// pools are empty, never nil: x509 reads nil roots as the system's.
		return certPools{x509.NewCertPool(), x509.NewCertPool()}, nil
	}
	roots := x509.NewCertPool()
	if t.system {
		sys, err := x509.SystemCertPool()
		if err != nil {
			return certPools{}, fmt.Errorf("load system roots: %w", err)
		}
		roots = sys
	}
	for _, c := range t.anchors {
		roots.AddCert(c)
	}
	inter := x509.NewCertPool()
	for _, c := range t.intermediates {
		inter.AddCert(c)
	}
	for _, c := range extra {
		if c != nil {
			inter.AddCert(c)
		}
	}
	return certPools{roots, inter}, nil
}

// build returns the first chain x509 finds, leaf first.
func (t *TrustStore) build(leaf *x509.Certificate, p certPools, at time.Time) ([]*x509.Certificate, error) {
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots:         p.roots,
		Intermediates: p.inter,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	var ua x509.UnknownAuthorityError
	if err != nil && t.trustsNothing() && errors.As(err, &ua) {
		// The operator can act on this, not on which issuer x509 gave up at.
		return nil, fmt.Errorf("no trust anchor is configured: %w", err)
	}
	if err != nil {
		return nil, err
	}
	return chains[0], nil
}

func (r *ChainResult) setChain(chain []*x509.Certificate) {
	r.Chain = chain
	r.Subjects = make([]string, len(chain))
	for i, c := range chain {
		r.Subjects[i] = SubjectString(c)
	}
}

func hasAnyEKU(c *x509.Certificate, want []x509.ExtKeyUsage) bool {
	for _, have := range c.ExtKeyUsage {
		for _, w := range want {
			if have == w || have == x509.ExtKeyUsageAny {
				return true
			}
		}
	}
	return false
}

func keyUsageString(ku x509.KeyUsage) string {
	names := []struct {
		bit  x509.KeyUsage
		name string
	}{
		{x509.KeyUsageDigitalSignature, "digitalSignature"},
		{x509.KeyUsageContentCommitment, "nonRepudiation"},
		{x509.KeyUsageKeyEncipherment, "keyEncipherment"},
		{x509.KeyUsageDataEncipherment, "dataEncipherment"},
		{x509.KeyUsageKeyAgreement, "keyAgreement"},
		{x509.KeyUsageCertSign, "keyCertSign"},
		{x509.KeyUsageCRLSign, "cRLSign"},
		{x509.KeyUsageEncipherOnly, "encipherOnly"},
		{x509.KeyUsageDecipherOnly, "decipherOnly"},
	}
	var out string
	for _, n := range names {
		if ku&n.bit != 0 {
			if out != "" {
				out += "|"
			}
			out += n.name
		}
	}
	if out == "" {
		return "none"
	}
	return out
}
