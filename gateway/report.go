package gateway

import (
	"context"
	"io"
	"time"
)

// Verdicts of a whole document (DESIGN.md, "The validation report").
const (
	VerdictValid         = "VALID"
	VerdictInvalid       = "INVALID"
	VerdictIndeterminate = "INDETERMINATE"
	VerdictUnsigned      = "UNSIGNED"
)

// Modification levels of a document since its signatures.
const (
	ModificationNone      = "NONE"      // nothing after the last signature
	ModificationPermitted = "PERMITTED" // only what the signatures allow
	ModificationIllegal   = "ILLEGAL"   // anything else
)

// Indications (ETSI TS 119 102-2) per signature.
const (
	IndicationPassed        = "TOTAL_PASSED"
	IndicationFailed        = "TOTAL_FAILED"
	IndicationIndeterminate = "INDETERMINATE"
)

// Report is the validation report of a PDF: one shape for `verify --json`,
// POST /v1/verify and a document's metadata, so scripts and auditors can rely
// on it. New fields may be added; existing ones keep their names.
type Report struct {
	Document   DocumentReport    `json:"document"`
	Signatures []SignatureReport `json:"signatures"`
}

// DocumentReport sums up the document.
type DocumentReport struct {
	Verdict      string   `json:"verdict"`
	Modification string   `json:"modification"`
	Revisions    int      `json:"revisions"`
	Changes      []string `json:"changes"`      // what changed after signing, in words a person can check
	EmptyFields  []string `json:"empty_fields"` // signature fields not signed yet
	SHA256       string   `json:"sha256,omitempty"`
	Size         int64    `json:"size,omitempty"`
	Repaired     bool     `json:"repaired,omitempty"` // the cross-reference table had to be rebuilt
	Errors       []string `json:"errors,omitempty"`
}

// SignatureReport is one signed field, oldest revision first.
type SignatureReport struct {
	Field             string    `json:"field"`
	Kind              string    `json:"kind"` // "signature" or "timestamp"
	SubFilter         string    `json:"subfilter,omitempty"`
	Intact            bool      `json:"intact"`
	Indication        string    `json:"indication"`
	SubIndication     string    `json:"subindication"`
	Coverage          string    `json:"coverage"`     // ENTIRE_FILE, ENTIRE_REVISION, CONTIGUOUS_BLOCK_FROM_START, UNCLEAR
	Modification      string    `json:"modification"` // NONE, LTA_UPDATES, FORM_FILLING, ANNOTATIONS, OTHER
	Level             string    `json:"level,omitempty"`
	Signer            string    `json:"signer,omitempty"`
	Organization      string    `json:"organization,omitempty"`
	AgencyCode        string    `json:"agency_code,omitempty"`
	SigningTime       time.Time `json:"signing_time,omitzero"`
	TimeSource        string    `json:"time_source,omitempty"` // "timestamp" or "claimed"
	Chain             []string  `json:"chain"`
	Revocation        string    `json:"revocation,omitempty"` // good, revoked, unknown
	Revision          int       `json:"revision"`             // 1-based revision the signature closes
	DigestAlg         string    `json:"digest_algorithm,omitempty"`
	CertificateSHA256 string    `json:"certificate_sha256,omitempty"`
	Errors            []string  `json:"errors"`
}

// VerifyOptions tunes a verification.
type VerifyOptions struct {
	// At is the validation time for "now"; zero means the current time.
	At time.Time
	// Offline forbids fetching revocation data.
	Offline bool
}

// Verifier checks the signatures of a PDF. Implemented by signing/pades.
type Verifier interface {
	// VerifyPDF reads the PDF through r (random access, never whole into
	// memory) and reports. EINVALID when the bytes are not a readable PDF;
	// a readable PDF with bad signatures is a report, not an error.
	VerifyPDF(ctx context.Context, r io.ReaderAt, size int64, opts VerifyOptions) (*Report, error)
}
