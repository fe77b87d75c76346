package cms

import (
	"bytes"
	"testing"

	"github.com/smallstep/pkcs7"
)

// TestSmallstepCrossCheck checks interoperability with a second independent implementation in
// both directions (RSA PKCS #1 v1.5 with attributes, which it supports).
func TestSmallstepCrossCheck(t *testing.T) {
	p := mustPKI(t)
	s := p.signer(t, "rsa2048")
	content := []byte("cross-checked content")

	ours := mustSign(t, SignOptions{Signer: s.key, Certificate: s.cert, Content: content})
	p7, err := pkcs7.Parse(ours)
	if err != nil {
		t.Fatalf("smallstep parse: %v", err)
	}
	if err := p7.Verify(); err != nil {
		t.Fatalf("smallstep verify: %v", err)
	}
	if !bytes.Equal(p7.Content, content) {
		t.Fatalf("smallstep content differs")
	}

	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.AddSigner(s.cert, s.key, pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	theirs, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	parsed := mustParse(t, theirs)
	if _, err := parsed.Verify(VerifyOptions{}); err != nil {
		t.Fatalf("our verify of smallstep's signature: %v", err)
	}
	if parsed.Signers[0].SigningTime == nil {
		t.Fatalf("smallstep always writes signingTime; it was not decoded")
	}
}
