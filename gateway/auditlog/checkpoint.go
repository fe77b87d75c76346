package auditlog

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"docgate/gateway"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// ErrVerification marks every failed check of a signature, an origin or a
// proof: the data must not be trusted (the CLI exits 1). Malformed input is
// an EINVALID gateway error instead (the CLI exits 2).
var ErrVerification = errors.New("auditlog: verification failed")

// HashSize is the size of every hash in the log (SHA-256).
const HashSize = gateway.AuditLogHashSize

// maxNoteSize bounds checkpoints and proofs read from outside; real ones are
// a few hundred bytes plus about a hundred per cosignature.
const maxNoteSize = 64 << 10

// GenerateKey returns a new Ed25519 log key in the signed-note encodings: the
// private key (keep it secret; it is what NewLog needs) and the public
// verifier key (give it to auditors). The key name is the log's origin, for
// example "docgate.example.gov.vn/log".
func GenerateKey(rand io.Reader, origin string) (signerKey, verifierKey string, err error) {
	signerKey, verifierKey, err = note.GenerateKey(rand, origin)
	if err != nil {
		return "", "", gateway.Errorf(gateway.EINVALID, "generate log key %q: %s", origin, err)
	}
	return signerKey, verifierKey, nil
}

// NewSigner parses a private key made by GenerateKey. EINVALID.
func NewSigner(signerKey string) (note.Signer, error) {
	s, err := note.NewSigner(strings.TrimSpace(signerKey))
	if err != nil {
		// The key itself is a secret: never echo it.
		return nil, gateway.Errorf(gateway.EINVALID, "log signer key is malformed")
	}
	return s, nil
}

// NewVerifier parses a public verifier key made by GenerateKey (a log's or a
// witness's). EINVALID.
func NewVerifier(verifierKey string) (note.Verifier, error) {
	v, err := note.NewVerifier(strings.TrimSpace(verifierKey))
	if err != nil {
		return nil, gateway.Errorf(gateway.EINVALID, "verifier key %q: %s", verifierKey, err)
	}
	return v, nil
}

// Checkpoint is the body of a C2SP tlog-checkpoint: the log's origin, its
// size and the RFC 9162 root hash at that size.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
	// Extensions are the optional lines after the root. docgate writes
	// none; they are kept so that a parsed checkpoint formats back to the
	// same text.
	Extensions []string
}

// String formats the checkpoint body: origin, size, base64 root, one line
// each, each ending in a newline.
func (c Checkpoint) String() string {
	var b strings.Builder
	b.WriteString(c.Origin)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatUint(c.Size, 10))
	b.WriteByte('\n')
	b.WriteString(base64.StdEncoding.EncodeToString(c.Root))
	b.WriteByte('\n')
	for _, e := range c.Extensions {
		b.WriteString(e)
		b.WriteByte('\n')
	}
	return b.String()
}

// ParseCheckpoint parses a checkpoint body (the note text, without
// signatures). It checks the form only: use Verifier.OpenCheckpoint for
// anything received from outside. EINVALID.
func ParseCheckpoint(text string) (Checkpoint, error) {
	if !strings.HasSuffix(text, "\n") {
		return Checkpoint{}, gateway.Errorf(gateway.EINVALID, "checkpoint: text does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return Checkpoint{}, gateway.Errorf(gateway.EINVALID, "checkpoint: %d lines, want origin, size and root", len(lines))
	}
	if lines[0] == "" {
		return Checkpoint{}, gateway.Errorf(gateway.EINVALID, "checkpoint: empty origin")
	}
	size, err := parseDecimal(lines[1])
	if err != nil {
		return Checkpoint{}, gateway.Errorf(gateway.EINVALID, "checkpoint: size: %s", gateway.ErrorMessage(err))
	}
	root, err := parseHash(lines[2])
	if err != nil {
		return Checkpoint{}, gateway.Errorf(gateway.EINVALID, "checkpoint: root: %s", gateway.ErrorMessage(err))
	}
	c := Checkpoint{Origin: lines[0], Size: size, Root: root}
	for _, e := range lines[3:] {
		if e == "" {
			return Checkpoint{}, gateway.Errorf(gateway.EINVALID, "checkpoint: empty extension line")
		}
		c.Extensions = append(c.Extensions, e)
	}
	return c, nil
}

// parseDecimal accepts only the canonical form: ASCII digits, no sign and no
// leading zero, so that one number has one spelling.
func parseDecimal(s string) (uint64, error) {
	if s == "" || len(s) > 20 || (len(s) > 1 && s[0] == '0') {
		return 0, gateway.Errorf(gateway.EINVALID, "%q is not a canonical decimal", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, gateway.Errorf(gateway.EINVALID, "%q is not a canonical decimal", s)
		}
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, gateway.Errorf(gateway.EINVALID, "%q does not fit in 64 bits", s)
	}
	return v, nil
}

// parseHash decodes one standard-base64 SHA-256 hash, rejecting non-canonical
// padding bits so that one hash has one spelling.
func parseHash(s string) ([]byte, error) {
	h, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, gateway.Errorf(gateway.EINVALID, "%q is not base64", s)
	}
	if len(h) != HashSize {
		return nil, gateway.Errorf(gateway.EINVALID, "hash of %d bytes, want %d", len(h), HashSize)
	}
	return h, nil
}

// SignCheckpoint signs c with the log key. The key's name must be the
// origin: C2SP asks for it, and it is what lets a verifier tell one log's
// checkpoints from another's.
func SignCheckpoint(c Checkpoint, signer note.Signer) ([]byte, error) {
	if signer.Name() != c.Origin {
		return nil, fmt.Errorf("sign checkpoint: key %q does not match origin %q", signer.Name(), c.Origin)
	}
	msg, err := note.Sign(&note.Note{Text: c.String()}, signer)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	return msg, nil
}

// Cosign adds a witness's signature to a signed checkpoint, after checking
// the log's signature with v: a witness vouches only for what the log signed.
// A witness should also have checked consistency with the last checkpoint it
// cosigned before calling this.
func Cosign(signed []byte, v *Verifier, witness note.Signer) ([]byte, error) {
	sc, err := v.OpenCheckpoint(signed)
	if err != nil {
		return nil, err
	}
	msg, err := note.Sign(sc.note, witness)
	if err != nil {
		return nil, fmt.Errorf("cosign checkpoint: %w", err)
	}
	return msg, nil
}

// Verifier is an auditor's trust policy: the log's public key and the
// witnesses it recognises. It verifies checkpoints and proofs offline.
type Verifier struct {
	// Log is the log's verifier key; its name is the origin every checkpoint
	// must carry.
	Log note.Verifier
	// Witnesses are the keys whose cosignatures are checked and reported.
	Witnesses []note.Verifier
	// MinCosignatures is how many distinct witnesses must have cosigned;
	// 0 reports cosignatures without requiring any.
	MinCosignatures int
}

// NewLogVerifier is a Verifier for a log key in its text form, trusting no
// witness. EINVALID.
func NewLogVerifier(verifierKey string) (*Verifier, error) {
	v, err := NewVerifier(verifierKey)
	if err != nil {
		return nil, err
	}
	return &Verifier{Log: v}, nil
}

// SignedCheckpoint is a checkpoint whose log signature has been verified.
type SignedCheckpoint struct {
	Checkpoint
	// Note is the signed note as received.
	Note []byte
	// Cosigners are the names of the trusted witnesses whose signatures
	// verified.
	Cosigners []string
	// Unknown are the names on signatures by keys the Verifier does not
	// know: reported, never trusted.
	Unknown []string

	note *note.Note
}

// OpenCheckpoint verifies a signed checkpoint: first the log's signature (a
// checkpoint the log key did not sign is never parsed further), then the
// origin, then the trusted witnesses' cosignatures. ErrVerification for a
// missing or bad signature, a foreign origin or too few cosignatures;
// EINVALID for malformed text.
func (v *Verifier) OpenCheckpoint(signed []byte) (*SignedCheckpoint, error) {
	if v == nil || v.Log == nil {
		return nil, gateway.Errorf(gateway.EINVALID, "no log verifier key given")
	}
	if len(signed) > maxNoteSize {
		return nil, gateway.Errorf(gateway.EINVALID, "checkpoint: longer than %d bytes", maxNoteSize)
	}
	n, err := note.Open(signed, note.VerifierList(append([]note.Verifier{v.Log}, v.Witnesses...)...))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return nil, fmt.Errorf("%w: checkpoint is not signed by log key %s", ErrVerification, v.Log.Name())
		case errors.As(err, &invalid):
			return nil, fmt.Errorf("%w: checkpoint: %s", ErrVerification, invalid.Error())
		}
		return nil, gateway.Errorf(gateway.EINVALID, "checkpoint: %s", err)
	}
	sc := &SignedCheckpoint{Note: signed, note: n}
	logSigned := false
	for _, s := range n.Sigs {
		if s.Name == v.Log.Name() && s.Hash == v.Log.KeyHash() {
			logSigned = true
		} else {
			sc.Cosigners = append(sc.Cosigners, s.Name)
		}
	}
	if !logSigned {
		return nil, fmt.Errorf("%w: checkpoint is not signed by log key %s", ErrVerification, v.Log.Name())
	}
	for _, s := range n.UnverifiedSigs {
		sc.Unknown = append(sc.Unknown, s.Name)
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return nil, err
	}
	if c.Origin != v.Log.Name() {
		return nil, fmt.Errorf("%w: checkpoint origin %q is not log %q", ErrVerification, c.Origin, v.Log.Name())
	}
	if c.Size == 0 && !bytes.Equal(c.Root, rfc6962.DefaultHasher.EmptyRoot()) {
		// Proof verification accepts anything after an empty tree, so an
		// empty tree must have the one root it can have.
		return nil, fmt.Errorf("%w: checkpoint of an empty tree with a non-empty root", ErrVerification)
	}
	if len(sc.Cosigners) < v.MinCosignatures {
		return nil, fmt.Errorf("%w: checkpoint cosigned by %d trusted witnesses, want %d", ErrVerification, len(sc.Cosigners), v.MinCosignatures)
	}
	sc.Checkpoint = c
	return sc, nil
}
