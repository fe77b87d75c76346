package gateway

import (
	"crypto/sha256"
	"encoding"
	"fmt"
	"hash"
	"io"
)

// SHA256Prefixer is an io.ReaderAt that hashed its own bytes as they were
// written, as a spooled upload is. SHA256Prefix returns a SHA-256 that has
// taken the first k bytes, for the largest k <= n it kept, and k. Handed one,
// a Verifier may hash only from k on: a signature's first signed range
// starts at the beginning of the file and the second is the short tail after
// its /Contents, so a signature costs a few KiB of hashing instead of the
// whole document, and the document's own digest comes with no reading.
type SHA256Prefixer interface {
	io.ReaderAt
	SHA256Prefix(n int64) (h hash.Hash, k int64)
}

// PrefixStep is how often a PrefixHasher keeps its state: a state is about
// a hundred bytes, so a 100 MiB document keeps some 170 KiB of them, and
// resuming costs at most this much hashing.
const PrefixStep = 64 << 10

// PrefixHasher is a SHA-256 writer that keeps its state every 64 KiB, for
// SHA256Prefixer. Write the file's bytes to it in order as they are stored.
type PrefixHasher struct {
	h      hash.Hash
	n      int64
	states [][]byte // states[i]: after (i+1)*PrefixStep bytes
}

// NewPrefixHasher returns an empty PrefixHasher.
func NewPrefixHasher() *PrefixHasher { return &PrefixHasher{h: sha256.New()} }

// Write hashes b, keeping the state at every step it crosses.
func (p *PrefixHasher) Write(b []byte) (int, error) {
	written := len(b)
	for len(b) > 0 {
		room := PrefixStep - p.n%PrefixStep
		chunk := b[:min(int64(len(b)), room)]
		p.h.Write(chunk)
		p.n += int64(len(chunk))
		b = b[len(chunk):]
		if p.n%PrefixStep == 0 {
			st, err := p.h.(encoding.BinaryMarshaler).MarshalBinary()
			if err != nil {
				return written - len(b), fmt.Errorf("keep the SHA-256 state: %w", err)
			}
			p.states = append(p.states, st)
		}
	}
	return written, nil
}

// Sum appends the SHA-256 of everything written to b.
func (p *PrefixHasher) Sum(b []byte) []byte { return p.h.Sum(b) }

// Size is how many bytes were written.
func (p *PrefixHasher) Size() int64 { return p.n }

// Reader binds the kept states to r, which must hold exactly the bytes
// written, no more and no fewer.
func (p *PrefixHasher) Reader(r io.ReaderAt) SHA256Prefixer { return &prefixReader{ReaderAt: r, p: p} }

type prefixReader struct {
	io.ReaderAt
	p *PrefixHasher
}

func (r *prefixReader) SHA256Prefix(n int64) (hash.Hash, int64) {
	p := r.p
	if n >= p.n {
		if c, err := p.h.(hash.Cloner).Clone(); err == nil {
			return c, p.n
		}
	}
	h := sha256.New()
	i := min(n, p.n) / PrefixStep
	if i == 0 || int(i) > len(p.states) {
		return h, 0
	}
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(p.states[i-1]); err != nil {
		return sha256.New(), 0
	}
	return h, i * PrefixStep
}
