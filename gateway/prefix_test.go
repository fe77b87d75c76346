package gateway

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"testing"
)

// TestPrefixHasherStates checks every kept state against hashing the prefix
// directly, whatever the sizes of the writes.
func TestPrefixHasherStates(t *testing.T) {
	data := make([]byte, 5*PrefixStep+777)
	rand.Read(data)
	p := NewPrefixHasher()
	for rest, w := data, 1; len(rest) > 0; w = w*3 + 1 {
		n := min(w, len(rest))
		p.Write(rest[:n])
		rest = rest[n:]
	}
	if want := sha256.Sum256(data); !bytes.Equal(p.Sum(nil), want[:]) || p.Size() != int64(len(data)) {
		t.Fatalf("sum %x size %d, want %x %d", p.Sum(nil), p.Size(), want, len(data))
	}
	r := p.Reader(bytes.NewReader(data))
	for _, n := range []int64{0, 1, PrefixStep - 1, PrefixStep, PrefixStep + 1, 3*PrefixStep + 5, int64(len(data)) - 1, int64(len(data)), int64(len(data)) + 9} {
		h, k := r.SHA256Prefix(n)
		want := n / PrefixStep * PrefixStep
		if n >= int64(len(data)) {
			want = int64(len(data))
		}
		if k != want {
			t.Fatalf("SHA256Prefix(%d) resumes at %d, want %d", n, k, want)
		}
		if want := sha256.Sum256(data[:k]); !bytes.Equal(h.Sum(nil), want[:]) {
			t.Fatalf("SHA256Prefix(%d): the state at %d is not the hash of the first %d bytes", n, k, k)
		}
	}
}
