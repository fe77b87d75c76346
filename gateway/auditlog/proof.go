package auditlog

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"docgate/gateway"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// proofHeader is the first line of a c2sp.org/tlog-proof.
const proofHeader = "c2sp.org/tlog-proof@v1"

// maxPath is the longest inclusion path in a tree of fewer than 2^64 leaves.
const maxPath = 64

// Proof is a self-contained inclusion proof in the c2sp.org/tlog-proof
// shape: the leaf's index, its inclusion path and the signed checkpoint the
// path leads to. It proves nothing until Verifier.VerifyProof has checked it
// against the leaf data.
type Proof struct {
	// Extra is opaque, unauthenticated data carried along; docgate writes
	// none.
	Extra      []byte
	Index      uint64
	Path       [][]byte
	Checkpoint []byte // the signed note, verbatim
}

// MarshalText encodes the proof:
//
//	c2sp.org/tlog-proof@v1
//	[extra <base64>]
//	index <decimal>
//	<base64 hash>            (one line per path element, leaf's sibling first)
//	<empty line>
//	<signed checkpoint>
func (p *Proof) MarshalText() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(proofHeader + "\n")
	if len(p.Extra) > 0 {
		b.WriteString("extra " + base64.StdEncoding.EncodeToString(p.Extra) + "\n")
	}
	b.WriteString("index " + strconv.FormatUint(p.Index, 10) + "\n")
	for i, h := range p.Path {
		if len(h) != HashSize {
			return nil, fmt.Errorf("encode proof: path element %d has %d bytes", i, len(h))
		}
		b.WriteString(base64.StdEncoding.EncodeToString(h) + "\n")
	}
	b.WriteString("\n")
	b.Write(p.Checkpoint)
	return b.Bytes(), nil
}

// ParseProof decodes a c2sp.org/tlog-proof. It checks the form only; the
// checkpoint inside is opened by Verifier.VerifyProof. EINVALID.
func ParseProof(text []byte) (*Proof, error) {
	if len(text) > maxNoteSize {
		return nil, gateway.Errorf(gateway.EINVALID, "proof: longer than %d bytes", maxNoteSize)
	}
	// The header lines are never empty, so the first empty line ends them
	// and everything after it is the checkpoint.
	head, cp, ok := strings.Cut(string(text), "\n\n")
	if !ok {
		return nil, gateway.Errorf(gateway.EINVALID, "proof: no empty line before the checkpoint")
	}
	lines := strings.Split(head, "\n")
	if lines[0] != proofHeader {
		return nil, gateway.Errorf(gateway.EINVALID, "proof: first line is not %s", proofHeader)
	}
	lines = lines[1:]
	p := &Proof{Checkpoint: []byte(cp)}
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		extra, err := base64.StdEncoding.Strict().DecodeString(strings.TrimPrefix(lines[0], "extra "))
		if err != nil || len(extra) == 0 {
			return nil, gateway.Errorf(gateway.EINVALID, "proof: extra is not base64")
		}
		p.Extra = extra
		lines = lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		return nil, gateway.Errorf(gateway.EINVALID, "proof: no index line")
	}
	index, err := parseDecimal(strings.TrimPrefix(lines[0], "index "))
	if err != nil {
		return nil, gateway.Errorf(gateway.EINVALID, "proof: index: %s", gateway.ErrorMessage(err))
	}
	p.Index = index
	lines = lines[1:]
	if len(lines) > maxPath {
		return nil, gateway.Errorf(gateway.EINVALID, "proof: %d path hashes, at most %d", len(lines), maxPath)
	}
	for i, line := range lines {
		h, err := parseHash(line)
		if err != nil {
			return nil, gateway.Errorf(gateway.EINVALID, "proof: path hash %d: %s", i, gateway.ErrorMessage(err))
		}
		p.Path = append(p.Path, h)
	}
	return p, nil
}

// VerifyInclusion checks that leafData is leaf index of the tree a signed
// checkpoint commits to. The checkpoint's signature is checked first; the
// path is worthless without it. It returns the verified checkpoint.
// ErrVerification or EINVALID.
func (v *Verifier) VerifyInclusion(checkpoint, leafData []byte, index uint64, path [][]byte) (*SignedCheckpoint, error) {
	sc, err := v.OpenCheckpoint(checkpoint)
	if err != nil {
		return nil, err
	}
	if index >= sc.Size {
		return nil, fmt.Errorf("%w: leaf index %d is not below checkpoint size %d", ErrVerification, index, sc.Size)
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, index, sc.Size, LeafHash(leafData), path, sc.Root); err != nil {
		return nil, fmt.Errorf("%w: inclusion of leaf %d in tree of %d: %s", ErrVerification, index, sc.Size, err)
	}
	return sc, nil
}

// VerifyProof checks a self-contained proof for leafData: the checkpoint's
// signature first, then the inclusion path. ErrVerification or EINVALID.
func (v *Verifier) VerifyProof(p *Proof, leafData []byte) (*SignedCheckpoint, error) {
	return v.VerifyInclusion(p.Checkpoint, leafData, p.Index, p.Path)
}

// VerifyRecordProof is VerifyProof for a record, for example one rebuilt
// from a receipt's evidence: it checks the record, encodes it canonically and
// verifies that encoding. ErrVerification or EINVALID.
func (v *Verifier) VerifyRecordProof(p *Proof, r LeafRecord) (*SignedCheckpoint, error) {
	data, err := r.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return v.VerifyProof(p, data)
}

// VerifyConsistency checks that the log of the newer checkpoint extends the
// log of the older one: both signatures first, then the sizes (a log never
// shrinks), then the proof. An auditor keeps the last checkpoint it verified
// and calls this with each new one. It returns the newer checkpoint.
// ErrVerification or EINVALID.
func (v *Verifier) VerifyConsistency(older, newer []byte, path [][]byte) (*SignedCheckpoint, error) {
	old, err := v.OpenCheckpoint(older)
	if err != nil {
		return nil, fmt.Errorf("older checkpoint: %w", err)
	}
	cur, err := v.OpenCheckpoint(newer)
	if err != nil {
		return nil, fmt.Errorf("newer checkpoint: %w", err)
	}
	if cur.Size < old.Size {
		return nil, fmt.Errorf("%w: the log shrank from %d to %d leaves", ErrVerification, old.Size, cur.Size)
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, old.Size, cur.Size, path, old.Root, cur.Root); err != nil {
		return nil, fmt.Errorf("%w: consistency from %d to %d: %s", ErrVerification, old.Size, cur.Size, err)
	}
	return cur, nil
}
