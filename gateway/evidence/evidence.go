// Package evidence builds and checks docgate's receipts: signed evidence of
// one event in a document's life, in the vocabulary of ETSI EN 319 522
// (registered electronic delivery), so that an auditor who knows that
// standard recognises what each receipt proves.
//
// A receipt is a DER CMS SignedData (signing/cms) whose encapsulated content
// is a JSON Record, signed by the gateway's seal key and carrying an RFC 3161
// signature timestamp. Any CMS tool can check it: `openssl cms -verify
// -inform DER -CAfile ROOT -purpose any`. When the timestamp authority is
// down, a receipt is still signed and stored, marked pending, and stamped
// later: a receipt is never lost to an outage.
//
// The package does no storage and no trust configuration of its own: the
// caller hands in the key, the certificates and the roots.
package evidence

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"docgate/signing/cms"
	"docgate/signing/tsp"
)

// Version is the version of the evidence record format.
const Version = "1"

// DefaultPolicyID names the evidence policy when the operator sets none.
const DefaultPolicyID = "urn:docgate:evidence-policy:v1"

// PartDigest identifies one stored part of a document.
type PartDigest struct {
	Name         string `json:"name"`
	ContentType  string `json:"contentType"`
	DigestMethod string `json:"digestMethod"` // always "SHA-256"
	Digest       string `json:"digest"`       // lower-case hex
}

// Record is the evidence a receipt signs. Field names stay stable: auditors'
// scripts read them.
type Record struct {
	Version        string       `json:"version"`
	EvidenceID     string       `json:"evidenceId"`
	Event          string       `json:"event"` // ETSI event name, e.g. SubmissionAcceptance
	EventTime      time.Time    `json:"eventTime"`
	SubmissionTime time.Time    `json:"submissionTime"`
	DocumentID     string       `json:"documentId"`
	MessageID      string       `json:"messageId,omitempty"`
	Sender         string       `json:"sender"`
	Recipients     []string     `json:"recipients"`
	Number         string       `json:"number,omitempty"`
	Subject        string       `json:"subject"`
	Document       PartDigest   `json:"document"`
	Attachments    []PartDigest `json:"attachments"`
	Status         string       `json:"status,omitempty"`
	Reasons        []string     `json:"reasons,omitempty"` // required on negative evidence
	Issuer         string       `json:"issuer"`
	PolicyID       string       `json:"policyId"`
	Previous       string       `json:"previousEvidenceId,omitempty"`
}

// negative lists the events whose evidence must say why.
var negative = map[string]bool{
	"SubmissionRejection": true, "ContentConsignmentFailure": true, "ConsignmentRejection": true,
}

// Check reports what a record lacks; a receipt is never signed over an
// incomplete record.
func (r *Record) Check() error {
	switch {
	case r.EvidenceID == "":
		return errors.New("evidence: record without an evidence id")
	case r.Event == "":
		return errors.New("evidence: record without an event")
	case r.DocumentID == "":
		return errors.New("evidence: record without a document id")
	case r.EventTime.IsZero():
		return errors.New("evidence: record without an event time")
	case negative[r.Event] && len(r.Reasons) == 0:
		return fmt.Errorf("evidence: %s evidence needs a reason", r.Event)
	}
	return nil
}

// NewID returns a fresh evidence identifier.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	return "ev_" + hex.EncodeToString(b[:])
}

// Timestamper issues RFC 3161 tokens; *tsp.Authority and *tsp.Client are
// both one.
type Timestamper interface {
	Timestamp(ctx context.Context, digest []byte, hash crypto.Hash) ([]byte, error)
}

// Sealer signs evidence records with the gateway's seal.
type Sealer struct {
	Signer      crypto.Signer
	Certificate *x509.Certificate
	// Chain is embedded so that a verifier needs nothing but the root.
	Chain []*x509.Certificate
	// TSA stamps every signature; nil leaves every receipt pending.
	TSA      Timestamper
	Issuer   string // who issues the evidence, e.g. the seal's subject
	PolicyID string
}

// Seal signs rec (filling Version, Issuer and PolicyID) and returns the DER
// receipt. pending is true when the timestamp could not be added; the
// receipt is valid without it and Restamp adds it later.
func (s *Sealer) Seal(ctx context.Context, rec *Record) (der []byte, pending bool, err error) {
	rec.Version = Version
	if rec.Issuer == "" {
		rec.Issuer = s.Issuer
		if rec.Issuer == "" {
			rec.Issuer = s.Certificate.Subject.String()
		}
	}
	if rec.PolicyID == "" {
		rec.PolicyID = s.PolicyID
		if rec.PolicyID == "" {
			rec.PolicyID = DefaultPolicyID
		}
	}
	if rec.Attachments == nil {
		rec.Attachments = []PartDigest{}
	}
	if err := rec.Check(); err != nil {
		return nil, false, err
	}
	content, err := json.Marshal(rec)
	if err != nil {
		return nil, false, fmt.Errorf("evidence: encode record: %w", err)
	}
	at := rec.EventTime.UTC()
	der, err = cms.Sign(ctx, cms.SignOptions{
		Content: content, Signer: s.Signer, Certificate: s.Certificate, Chain: s.Chain,
		SigningTime: &at, SigningCertificateV2: true,
	})
	if err != nil {
		return nil, false, fmt.Errorf("evidence: sign %s: %w", rec.EvidenceID, err)
	}
	stamped, err := s.Restamp(ctx, der)
	if err != nil {
		// The receipt is kept without its timestamp rather than lost; the
		// caller marks it pending and a later Restamp completes it.
		return der, true, nil
	}
	return stamped, false, nil
}

// Restamp adds a signature timestamp to a receipt signed without one.
func (s *Sealer) Restamp(ctx context.Context, der []byte) ([]byte, error) {
	if s.TSA == nil {
		return nil, fmt.Errorf("%w: no timestamp authority configured", ErrNoTimestamp)
	}
	sig, err := cms.SignatureValue(der, 0)
	if err != nil {
		return nil, fmt.Errorf("evidence: restamp: %w", err)
	}
	sum := sha256.Sum256(sig)
	tok, err := s.TSA.Timestamp(ctx, sum[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoTimestamp, err)
	}
	out, err := cms.AddUnsignedAttribute(der, 0, cms.TimestampAttribute(tok))
	if err != nil {
		return nil, fmt.Errorf("evidence: add timestamp: %w", err)
	}
	return out, nil
}

// Verified is what a valid receipt proves.
type Verified struct {
	Record *Record
	Signer *x509.Certificate
	// TimestampTime is the time the TSA vouches for; zero when the receipt
	// has no timestamp (signed during a TSA outage, not restamped yet).
	TimestampTime time.Time
	TSA           *x509.Certificate
}

// ErrNoTimestamp is in the chain of Restamp's error when no timestamp could
// be had (no TSA, or it did not answer): a later try may succeed. Any other
// error is the receipt's own.
var ErrNoTimestamp = errors.New("evidence: no timestamp from the timestamp authority")

// ErrUnreadable is in the chain of Verify's error when der is not a receipt
// at all (exit 2 in the CLI), as opposed to a receipt that fails to verify.
var ErrUnreadable = errors.New("evidence: not a readable receipt")

// ReceiptSealPolicy is the certificate policy that makes a certificate a
// gateway seal, the one kind of certificate whose receipts Verify accepts
// without a pin: without it any certificate under the same root (an
// agency's, a person's) could sign a receipt that verifies. It is docgate's
// own UUID OID (X.667, arc 2.25). The development CA puts it in the seal
// certificate it makes; a seal from another CA is pinned instead
// (VerifyOptions.Seals, receipt verify --seal).
var ReceiptSealPolicy = mustOID("2.25.320569355860171615684496192835806089034")

func mustOID(s string) x509.OID {
	o, err := x509.ParseOID(s)
	if err != nil {
		panic(err)
	}
	return o
}

// VerifyOptions says whom Verify trusts.
type VerifyOptions struct {
	// Roots the seal and the timestamp authority must chain to.
	Roots *x509.CertPool
	// Seals are gateway seal certificates trusted as signers whether or not
	// they carry OIDReceiptSeal (a seal from a CA of the operator's).
	Seals []*x509.Certificate
}

// ErrNotASeal is in the chain of Verify's error when the receipt's signer
// chains to the roots but is no gateway seal.
var ErrNotASeal = errors.New("evidence: the signer is not a gateway seal")

// Verify checks a receipt against roots, accepting as its signer only a
// certificate that carries ReceiptSealPolicy; VerifyWith pins seals too.
func Verify(der []byte, roots *x509.CertPool) (*Verified, error) {
	return VerifyWith(der, VerifyOptions{Roots: roots})
}

// VerifyWith checks a receipt: the CMS parses with nothing after it, the
// signature verifies over the encapsulated record, the signer is a gateway
// seal (ReceiptSealPolicy, or one of opts.Seals) and chains to the roots, at
// the timestamp's time when there is one and now otherwise, the timestamp
// authority chains to them at its time, the timestamp covers this
// signature, and the record is complete.
func VerifyWith(der []byte, opts VerifyOptions) (*Verified, error) {
	roots := opts.Roots
	sd, err := cms.Parse(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	if sd.Trailing != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the receipt", ErrUnreadable, sd.Trailing)
	}
	if sd.Detached || len(sd.Content) == 0 {
		return nil, fmt.Errorf("%w: no encapsulated evidence record", ErrUnreadable)
	}
	if len(sd.Signers) != 1 {
		return nil, fmt.Errorf("evidence: %d signers, want 1", len(sd.Signers))
	}
	if !sd.ContentType.Equal(cms.OIDData) {
		return nil, fmt.Errorf("evidence: the signed content is of type %s, not data (an evidence record)", sd.ContentType)
	}
	var rec Record
	dec := json.NewDecoder(bytes.NewReader(sd.Content))
	if err := dec.Decode(&rec); err != nil {
		return nil, fmt.Errorf("%w: evidence record: %w", ErrUnreadable, err)
	}
	signer, err := sd.Verify(cms.VerifyOptions{})
	if err != nil {
		return nil, fmt.Errorf("evidence: signature: %w", err)
	}
	v := &Verified{Record: &rec, Signer: signer}
	for _, a := range sd.Signers[0].UnsignedAttributes {
		if !a.Type.Equal(cms.OIDAttrTimestampToken) || len(a.Values) == 0 {
			continue
		}
		tok, err := tsp.ParseToken(a.Values[0])
		if err != nil {
			return nil, fmt.Errorf("evidence: timestamp: %w", err)
		}
		tv, err := tok.VerifyData(sd.Signers[0].Signature)
		if err != nil {
			return nil, fmt.Errorf("evidence: timestamp does not cover this signature: %w", err)
		}
		if _, err := tv.Certificate.Verify(x509.VerifyOptions{Roots: roots, Intermediates: pool(tv.Certificates),
			CurrentTime: tv.GenTime, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err != nil {
			return nil, fmt.Errorf("evidence: the timestamp authority is not trusted: %w", err)
		}
		v.TimestampTime, v.TSA = tv.GenTime, tv.Certificate
		break
	}
	// Without a timestamp nothing vouches for when the receipt was signed:
	// the record's own time is the signer's word, so the chain is checked
	// as it stands now.
	at := v.TimestampTime
	if at.IsZero() {
		at = time.Now()
	}
	if _, err := signer.Verify(x509.VerifyOptions{Roots: roots, Intermediates: pool(sd.Certificates), CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, fmt.Errorf("evidence: the signer %q is not trusted: %w", signer.Subject.String(), err)
	}
	if !isSeal(signer, opts.Seals) {
		return nil, fmt.Errorf("%w: %q chains to the roots but is not marked as one (certificate policy %s) nor pinned (--seal)",
			ErrNotASeal, signer.Subject.String(), ReceiptSealPolicy)
	}
	if err := rec.Check(); err != nil {
		return nil, err
	}
	return v, nil
}

// isSeal reports whether c is a gateway seal: pinned, or marked with
// ReceiptSealPolicy.
func isSeal(c *x509.Certificate, pinned []*x509.Certificate) bool {
	for _, p := range pinned {
		if p.Equal(c) {
			return true
		}
	}
	for _, p := range c.Policies {
		if p.Equal(ReceiptSealPolicy) {
			return true
		}
	}
	return false
}

func pool(certs []*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}
