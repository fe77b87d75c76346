package pades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"testing"

	"docgate/gateway"
)

// TestHashPass checks the one-pass digests against hashing each signature's
// ranges on its own, across chunk boundaries and for every way a job starts.
func TestHashPass(t *testing.T) {
	data := make([]byte, 700<<10+13)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	n := int64(len(data))
	sigs := []*sigEntry{
		{ready: true, br: [4]int64{0, 300 << 10, 300<<10 + 100, 100 << 10}, digestAlg: crypto.SHA256},
		{ready: true, br: [4]int64{0, 300 << 10, 300<<10 + 100, 100 << 10}, digestAlg: crypto.SHA256}, // the same again
		{ready: true, br: [4]int64{0, 256 << 10, 600 << 10, n - 600<<10}, digestAlg: crypto.SHA256},   // cut on a chunk boundary
		{ready: true, br: [4]int64{0, 5, 9, n - 9}, digestAlg: crypto.SHA1},
		{ready: true, br: [4]int64{0, 0, 10, 20}, digestAlg: crypto.SHA256},
		{ready: true, br: [4]int64{0, 512<<10 + 1, n, 0}, digestAlg: crypto.SHA512},
		{ready: true, br: [4]int64{0, 10, 20, 30}},              // no digest known: skipped
		{br: [4]int64{0, 10, 20, 30}, digestAlg: crypto.SHA256}, // not ready: skipped
	}
	vr := &verification{ctx: context.Background(), r: vBytes(data), size: n}
	doc, err := vr.hashPass(sigs)
	if err != nil {
		t.Fatal(err)
	}
	if want := sha256.Sum256(data); !bytes.Equal(doc, want[:]) {
		t.Errorf("document digest %x, want %x", doc, want)
	}
	if len(vr.digests) != 5 {
		t.Errorf("%d digests computed, want 5", len(vr.digests))
	}
	for _, s := range sigs[:6] {
		br := s.br
		h := s.digestAlg.New()
		h.Write(data[br[0] : br[0]+br[1]])
		h.Write(data[br[2] : br[2]+br[3]])
		if got := vr.digests[digestKey{br, s.digestAlg}]; !bytes.Equal(got, h.Sum(nil)) {
			t.Errorf("ranges %v under %v: digest %x, want %x", br, s.digestAlg, got, h.Sum(nil))
		}
	}
}

// TestReportDocumentDigest checks that the report names the file it judged.
func TestReportDocumentDigest(t *testing.T) {
	b, err := os.ReadFile(testdataSigned)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := (&Verifier{}).VerifyPDF(context.Background(), vBytes(b), int64(len(b)), gateway.VerifyOptions{Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if got, want := rep.Document.SHA256, hex.EncodeToString(sum[:]); got != want || rep.Document.Size != int64(len(b)) {
		t.Errorf("document sha256 %s size %d, want %s %d", got, rep.Document.Size, want, len(b))
	}
	if len(rep.Signatures) != 1 || !rep.Signatures[0].Intact {
		t.Errorf("signature not intact: %+v", rep.Signatures)
	}
}
