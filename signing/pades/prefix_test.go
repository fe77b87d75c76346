package pades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"os"
	"testing"

	"docgate/gateway"
)

// TestHashPassFromPrefixes checks the digests computed from kept states
// against hashing each signature's ranges, and that the states are what the
// digests come from (a reader whose states lie gives other digests).
func TestHashPassFromPrefixes(t *testing.T) {
	data := make([]byte, 700<<10+13)
	rand.Read(data)
	n := int64(len(data))
	sigs := []*sigEntry{
		{ready: true, br: [4]int64{0, 300 << 10, 300<<10 + 100, 100 << 10}, digestAlg: crypto.SHA256},
		{ready: true, br: [4]int64{0, 256 << 10, 600 << 10, n - 600<<10}, digestAlg: crypto.SHA256}, // on a step boundary
		{ready: true, br: [4]int64{0, 5, 9, n - 9}, digestAlg: crypto.SHA1},
		{ready: true, br: [4]int64{0, 0, 10, 20}, digestAlg: crypto.SHA256},
		{ready: true, br: [4]int64{7, 100, 200, 30}, digestAlg: crypto.SHA256}, // not from the start
	}
	p := gateway.NewPrefixHasher()
	p.Write(data)
	vr := &verification{ctx: context.Background(), r: p.Reader(vBytes(data)), size: n}
	doc, err := vr.hashPass(sigs)
	if err != nil {
		t.Fatal(err)
	}
	if want := sha256.Sum256(data); !bytes.Equal(doc, want[:]) {
		t.Errorf("document digest %x, want %x", doc, want)
	}
	for _, s := range sigs {
		br := s.br
		h := s.digestAlg.New()
		h.Write(data[br[0] : br[0]+br[1]])
		h.Write(data[br[2] : br[2]+br[3]])
		got, err := vr.digestRanges(br, s.digestAlg)
		if err != nil || !bytes.Equal(got, h.Sum(nil)) {
			t.Errorf("ranges %v under %v: digest %x (%v), want %x", br, s.digestAlg, got, err, h.Sum(nil))
		}
	}

	liar := gateway.NewPrefixHasher()
	other := bytes.Clone(data)
	other[1000] ^= 1
	liar.Write(other)
	vr = &verification{ctx: context.Background(), r: liar.Reader(vBytes(data)), size: n}
	if _, err := vr.hashPass(sigs[:2]); err != nil {
		t.Fatal(err)
	}
	for _, s := range sigs[:2] {
		h := sha256.New()
		h.Write(data[s.br[0] : s.br[0]+s.br[1]])
		h.Write(data[s.br[2] : s.br[2]+s.br[3]])
		if bytes.Equal(vr.digests[digestKey{s.br, s.digestAlg}], h.Sum(nil)) {
			t.Errorf("ranges %v: the digest ignores the kept states", s.br)
		}
	}
}

// TestVerifyWithPrefixes checks that a whole verification through kept
// states reports what one reading the file does.
func TestVerifyWithPrefixes(t *testing.T) {
	b, err := os.ReadFile(testdataSigned)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := (&Verifier{}).VerifyPDF(context.Background(), vBytes(b), int64(len(b)), gateway.VerifyOptions{Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	p := gateway.NewPrefixHasher()
	p.Write(b)
	fast, err := (&Verifier{}).VerifyPDF(context.Background(), p.Reader(vBytes(b)), int64(len(b)), gateway.VerifyOptions{Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	if fast.Document.SHA256 != plain.Document.SHA256 || len(fast.Signatures) != len(plain.Signatures) || !fast.Signatures[0].Intact ||
		fast.Document.Verdict != plain.Document.Verdict {
		t.Fatalf("with prefixes: %+v\nreading the file: %+v", fast, plain)
	}
}
