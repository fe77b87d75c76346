package tsp

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"testing"

	"docgate/signing/cms"
)

// TestSignatureTimestamp runs the PAdES B-T flow: a detached CMS signature over a digest gets a
// timestamp over its signature value, both while signing and afterwards, and the token in the
// unsigned attributes verifies against that value.
func TestSignatureTimestamp(t *testing.T) {
	tt := mustTSA(t)
	a := tt.authority(fixedNow)
	digest := sum(crypto.SHA256, []byte("pdf byte range"))
	stamp := func(ctx context.Context, sig []byte) ([]byte, error) {
		return a.Timestamp(ctx, sum(crypto.SHA256, sig), crypto.SHA256)
	}
	// The TSA key stands in for a signer here; it keeps the test free of a second PKI.
	signer := cms.SignOptions{Signer: tt.key, Certificate: tt.cert, Digest: digest, Detached: true, SigningCertificateV2: true}

	during := signer
	during.Timestamp = stamp
	der1, err := cms.Sign(context.Background(), during)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := cms.Sign(context.Background(), signer)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := cms.Parse(plain)
	if err != nil {
		t.Fatal(err)
	}
	token, err := stamp(context.Background(), sd.Signers[0].Signature)
	if err != nil {
		t.Fatal(err)
	}
	der2, err := cms.AddUnsignedAttribute(plain, 0, cms.TimestampAttribute(token))
	if err != nil {
		t.Fatal(err)
	}
	for i, der := range [][]byte{der1, der2} {
		sd, err := cms.Parse(der)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sd.Verify(cms.VerifyOptions{Digest: digest}); err != nil {
			t.Fatalf("%d: signature: %v", i, err)
		}
		si := sd.Signers[0]
		if len(si.TimestampTokens) != 1 {
			t.Fatalf("%d: %d timestamp tokens", i, len(si.TimestampTokens))
		}
		v, err := VerifyToken(si.TimestampTokens[0], sum(crypto.SHA256, si.Signature), crypto.SHA256)
		if err != nil {
			t.Fatalf("%d: timestamp: %v", i, err)
		}
		if !v.GenTime.Equal(fixedNow.Truncate(1e6)) {
			t.Fatalf("%d: genTime %v", i, v.GenTime)
		}
		tok, err := ParseToken(si.TimestampTokens[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tok.VerifyData(si.Signature); err != nil {
			t.Fatalf("%d: VerifyData: %v", i, err)
		}
		if _, err := tok.VerifyData(append([]byte{0}, si.Signature...)); cms.KindOf(err) != cms.KindDigestMismatch {
			t.Fatalf("%d: VerifyData over other bytes: %v", i, err)
		}
	}
	if bytes.Equal(der1, der2) {
		t.Fatalf("two signatures with the same value: ECDSA is randomised, so the test is broken")
	}
	// A failing timestamp fails the signing, saying why.
	failing := signer
	failing.Timestamp = func(context.Context, []byte) ([]byte, error) { return nil, ErrUnavailable }
	if _, err := cms.Sign(context.Background(), failing); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
}
