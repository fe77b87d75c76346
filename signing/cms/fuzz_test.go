package cms

// Run a fuzzer with bounded minimisation, which otherwise stalls the worker for the whole run
// on these inputs:
//
//	go test -run='^$' -fuzz='^FuzzParse$' -fuzztime=60s -fuzzminimizetime=100x -parallel=1 .

import (
	"bytes"
	"crypto"
	"os"
	"path/filepath"
	"testing"
)

func fuzzSeeds(f *testing.F) {
	p := mustPKI(f)
	for _, name := range []string{"p256"} {
		s := p.signer(f, name)
		der := mustSign(f, SignOptions{Signer: s.key, Certificate: s.cert, Content: []byte("seed"), SigningCertificateV2: true})
		f.Add(der)
		f.Add(berify(f, der))
		det := mustSign(f, SignOptions{Signer: s.key, Certificate: s.cert, Digest: sum(crypto.SHA256, []byte("seed")), Detached: true,
			ExtraSignedAttributes: []Attribute{RevocationArchivalAttribute([][]byte{{0x30, 0}}, [][]byte{{0x30, 0}})}})
		f.Add(det)
		withTS, err := AddUnsignedAttribute(det, 0, TimestampAttribute(der))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(withTS)
	}
	// Samples kept in testdata (for example real PDF signatures) join the corpus when present.
	files, _ := filepath.Glob(filepath.Join("testdata", "*.p7s"))
	for _, fn := range files {
		if b, err := os.ReadFile(fn); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte{0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0, 0})
}

func FuzzParse(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, err := Parse(b)
		if err != nil {
			if KindOf(err) != KindFormat {
				t.Fatalf("Parse error of kind %v: %v", KindOf(err), err)
			}
			return
		}
		for i, si := range sd.Signers {
			o := VerifyOptions{Signer: i}
			if sd.Detached && si.Hash != 0 {
				o.Digest = make([]byte, si.Hash.Size())
			}
			_, _ = sd.Verify(o)
			_ = si.DigestAlgorithmName() + si.SignatureAlgorithmName()
		}
		if len(sd.Signers) > 0 {
			out, err := AddUnsignedAttribute(b, 0, TimestampAttribute([]byte{0x30, 0}))
			if err != nil {
				t.Fatalf("AddUnsignedAttribute on parsed input: %v", err)
			}
			if _, err := Parse(out); err != nil {
				t.Fatalf("re-parse after adding an attribute: %v", err)
			}
		}
	})
}

func FuzzBER(f *testing.F) {
	fuzzSeeds(f)
	f.Add([]byte{0x23, 0x80, 0x03, 0x02, 0x00, 0xaa, 0x03, 0x02, 0x04, 0xb0, 0, 0})
	f.Add([]byte{0x24, 0x80, 0x24, 0x80, 0x04, 0x01, 0x61, 0, 0, 0x04, 0x81, 0x01, 0x62, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		out, _, err := toDER(b)
		if err != nil {
			return
		}
		// The output is DER-length encoded, so normalising it again changes nothing.
		again, _, err := toDER(out)
		if err != nil {
			t.Fatalf("normalised output rejected: %v", err)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("normalisation is not idempotent:\n%x\n%x", out, again)
		}
		if len(out) > len(b)+len(b)/2+8 {
			t.Fatalf("output %d bytes from %d input bytes", len(out), len(b))
		}
	})
}
