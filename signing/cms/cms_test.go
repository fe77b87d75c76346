package cms

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

type signCase struct {
	name     string
	key      string
	hash     crypto.Hash
	pss      bool
	detached bool
}

var signCases = []signCase{
	{"rsa-sha256-detached", "rsa2048", crypto.SHA256, false, true},
	{"rsa-sha512-encap", "rsa2048", crypto.SHA512, false, false},
	{"rsapss-sha256-detached", "rsa2048", crypto.SHA256, true, true},
	{"rsapss-sha384-encap", "rsa2048", crypto.SHA384, true, false},
	{"p256-sha256-detached", "p256", crypto.SHA256, false, true},
	{"p384-sha384-encap", "p384", crypto.SHA384, false, false},
	{"p521-sha512-detached", "p521", crypto.SHA512, false, true},
}

func mustSign(tb testing.TB, o SignOptions) []byte {
	tb.Helper()
	der, err := Sign(context.Background(), o)
	if err != nil {
		tb.Fatalf("Sign: %v", err)
	}
	return der
}

func mustParse(tb testing.TB, der []byte) *SignedData {
	tb.Helper()
	sd, err := Parse(der)
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return sd
}

// TestSignVerify signs with each key type and hash, verifies with this package and with openssl.
func TestSignVerify(t *testing.T) {
	p := mustPKI(t)
	dir := t.TempDir()
	rootFile := writeFile(t, dir, "root.pem", certPEM(p.root))
	content := []byte("official document bytes\x00\x01\x02 that must not change")
	contentFile := writeFile(t, dir, "content.bin", content)
	for _, tc := range signCases {
		t.Run(tc.name, func(t *testing.T) {
			s := p.signer(t, tc.key)
			o := SignOptions{Signer: s.key, Certificate: s.cert, Hash: tc.hash, PSS: tc.pss,
				Detached: tc.detached, SigningCertificateV2: true}
			if tc.detached {
				o.Digest = sum(tc.hash, content)
			} else {
				o.Content = content
			}
			der := mustSign(t, o)
			sd := mustParse(t, der)
			if sd.Detached != tc.detached {
				t.Fatalf("Detached = %v", sd.Detached)
			}
			if !tc.detached && !bytes.Equal(sd.Content, content) {
				t.Fatalf("encapsulated content differs")
			}
			si := sd.Signers[0]
			if si.Hash != tc.hash {
				t.Errorf("hash = %v, want %v", si.Hash, tc.hash)
			}
			wantAlg := "ECDSA"
			if tc.key == "rsa2048" {
				wantAlg = "RSA"
				if tc.pss {
					wantAlg = "RSASSA-PSS"
				}
			}
			if got := si.SignatureAlgorithmName(); got != wantAlg {
				t.Errorf("signature algorithm = %s, want %s", got, wantAlg)
			}
			if si.SigningTime != nil {
				t.Errorf("signing time present though none was asked for")
			}
			if _, ok := si.Attribute(OIDAttrSigningTime); ok {
				t.Errorf("signing-time attribute present")
			}
			if si.SigningCertificate == nil || !si.SigningCertificate.V2 {
				t.Errorf("no signing-certificate-v2 attribute")
			}
			vo := VerifyOptions{}
			if tc.detached {
				vo.Digest = sum(si.Hash, content)
			}
			cert, err := sd.Verify(vo)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !cert.Equal(s.cert) {
				t.Fatalf("Verify returned another certificate")
			}

			sigFile := writeFile(t, dir, tc.name+".p7s", der)
			outFile := filepath.Join(dir, tc.name+".out")
			// -cades makes openssl also require and check our ESS signing-certificate-v2.
			args := []string{"cms", "-verify", "-inform", "DER", "-in", sigFile, "-binary",
				"-CAfile", rootFile, "-purpose", "any", "-cades", "-out", outFile}
			if tc.detached {
				args = append(args, "-content", contentFile)
			}
			runOpenSSL(t, args...)
			out, err := os.ReadFile(outFile)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, content) {
				t.Fatalf("openssl extracted other content")
			}
		})
	}
}

// TestOpenSSLSigned verifies CMS made by openssl, in DER and in streamed BER.
func TestOpenSSLSigned(t *testing.T) {
	p := mustPKI(t)
	dir := t.TempDir()
	content := []byte("content signed by openssl\n")
	contentFile := writeFile(t, dir, "content.bin", content)
	cases := []struct {
		name  string
		key   string
		extra []string
		alg   string
	}{
		{"rsa", "rsa2048", nil, "RSA"},
		{"rsa-sha512", "rsa2048", []string{"-md", "sha512"}, "RSA"},
		{"rsa-pss", "rsa2048", []string{"-keyopt", "rsa_padding_mode:pss"}, "RSASSA-PSS"},
		{"rsa-pss-saltmax", "rsa2048", []string{"-keyopt", "rsa_padding_mode:pss", "-keyopt", "rsa_pss_saltlen:max"}, "RSASSA-PSS"},
		{"ecdsa", "p256", nil, "ECDSA"},
		{"ecdsa-p384-cades", "p384", []string{"-md", "sha384", "-cades"}, "ECDSA"},
		{"rsa-noattr", "rsa2048", []string{"-noattr"}, "RSA"},
		{"ecdsa-keyid", "p256", []string{"-keyid"}, "ECDSA"},
	}
	for _, tc := range cases {
		for _, mode := range []string{"detached", "nodetach", "stream-nodetach"} {
			t.Run(tc.name+"-"+mode, func(t *testing.T) {
				if mode == "stream-nodetach" && tc.alg == "RSASSA-PSS" {
					t.Skip("openssl 3.0 cannot stream with PSS (illegal zero content)")
				}
				s := p.signer(t, tc.key)
				certFile := writeFile(t, dir, tc.key+".crt", certPEM(s.cert))
				keyFile := writeFile(t, dir, tc.key+".key", keyPEM(t, s.key))
				outFile := filepath.Join(dir, tc.name+mode+".p7s")
				args := []string{"cms", "-sign", "-binary", "-outform", "DER", "-in", contentFile,
					"-signer", certFile, "-inkey", keyFile, "-out", outFile}
				switch mode {
				case "nodetach":
					args = append(args, "-nodetach")
				case "stream-nodetach":
					// -stream makes openssl write indefinite-length BER with a chunked OCTET STRING.
					args = append(args, "-nodetach", "-stream")
				}
				runOpenSSL(t, append(args, tc.extra...)...)
				der, err := os.ReadFile(outFile)
				if err != nil {
					t.Fatal(err)
				}
				sd := mustParse(t, der)
				if mode == "stream-nodetach" && bytes.Equal(sd.Raw, der) {
					t.Fatalf("openssl -stream output was DER already; the BER path went untested")
				}
				si := sd.Signers[0]
				if got := si.SignatureAlgorithmName(); got != tc.alg {
					t.Errorf("signature algorithm = %s, want %s", got, tc.alg)
				}
				vo := VerifyOptions{}
				if mode == "detached" {
					vo.Digest = sum(si.Hash, content)
				} else if !bytes.Equal(sd.Content, content) {
					t.Fatalf("content = %q", sd.Content)
				}
				if _, err := sd.Verify(vo); err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if mode == "detached" {
					vo.Digest = sum(si.Hash, append([]byte("x"), content...))
					_, err := sd.Verify(vo)
					want := KindDigestMismatch
					if tc.name == "rsa-noattr" {
						want = KindSignatureInvalid // without attributes the signature is over the content
					}
					if KindOf(err) != want {
						t.Fatalf("tampered content: err = %v, want kind %v", err, want)
					}
				}
			})
		}
	}
}

func TestTampering(t *testing.T) {
	p := mustPKI(t)
	s := p.signer(t, "p256")
	content := []byte("receipt evidence")
	der := mustSign(t, SignOptions{Signer: s.key, Certificate: s.cert, Content: content, SigningCertificateV2: true})

	t.Run("content", func(t *testing.T) {
		bad := bytes.Replace(der, content, []byte("receipt evidencf"), 1)
		_, err := mustParse(t, bad).Verify(VerifyOptions{})
		if KindOf(err) != KindDigestMismatch {
			t.Fatalf("err = %v, want digest mismatch", err)
		}
	})
	t.Run("signature", func(t *testing.T) {
		sd := mustParse(t, der)
		sig := sd.Signers[0].Signature
		bad := bytes.Clone(der)
		i := bytes.Index(bad, sig)
		bad[i+len(sig)-3] ^= 0x01
		_, err := mustParse(t, bad).Verify(VerifyOptions{})
		if KindOf(err) != KindSignatureInvalid {
			t.Fatalf("err = %v, want signature invalid", err)
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("not an *Error")
		}
	})
	t.Run("signed attribute", func(t *testing.T) {
		sd := mustParse(t, der)
		bad := bytes.Clone(der)
		// Flip a byte of the ESS certificate hash: the attributes no longer match the signature.
		h := sd.Signers[0].SigningCertificate.Certs[0].CertHash
		i := bytes.Index(bad, h)
		bad[i] ^= 0xff
		_, err := mustParse(t, bad).Verify(VerifyOptions{})
		if k := KindOf(err); k != KindSignerNotFound && k != KindSignatureInvalid {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no certificate", func(t *testing.T) {
		d := mustSign(t, SignOptions{Signer: s.key, Certificate: s.cert, Content: content, OmitCertificates: true})
		_, err := mustParse(t, d).Verify(VerifyOptions{})
		if KindOf(err) != KindSignerNotFound {
			t.Fatalf("err = %v, want signer not found", err)
		}
	})
	t.Run("ess names another certificate", func(t *testing.T) {
		// Same key, issuer and serial, different certificate: only ESS tells them apart.
		other, err := p.issue(s.key, s.cert.SerialNumber.Int64(), "impostor")
		if err != nil {
			t.Fatal(err)
		}
		d := mustSign(t, SignOptions{Signer: s.key, Certificate: other, Content: content,
			ExtraSignedAttributes: []Attribute{SigningCertificateV2Attribute(s.cert, crypto.SHA256)}})
		_, err = mustParse(t, d).Verify(VerifyOptions{})
		if KindOf(err) != KindSignerNotFound {
			t.Fatalf("err = %v, want signer not found", err)
		}
	})
	t.Run("garbage", func(t *testing.T) {
		for _, b := range [][]byte{nil, {0x30}, {0x30, 0x03, 0x02, 0x01, 0x01}, der[:len(der)/2]} {
			if _, err := Parse(b); KindOf(err) != KindFormat {
				t.Fatalf("Parse(%x): err = %v, want format failure", b, err)
			}
		}
	})
	t.Run("trailing data", func(t *testing.T) {
		padded := append(bytes.Clone(der), make([]byte, 4096)...)
		if _, err := mustParse(t, padded).Verify(VerifyOptions{}); err != nil {
			t.Fatalf("zero padding: %v", err)
		}
		if sd := mustParse(t, padded); sd.Trailing != 0 {
			t.Fatalf("zero padding counted as %d trailing bytes", sd.Trailing)
		}
		padded[len(padded)-10] = 1
		sd := mustParse(t, padded)
		if want := 4096 - 9; sd.Trailing != want {
			t.Fatalf("trailing = %d, want %d (up to the last non-zero byte)", sd.Trailing, want)
		}
		if _, err := sd.Verify(VerifyOptions{}); err != nil {
			t.Fatalf("junk after the structure: %v", err)
		}
	})
	t.Run("detached without digest", func(t *testing.T) {
		d := mustSign(t, SignOptions{Signer: s.key, Certificate: s.cert, Digest: sum(crypto.SHA256, content), Detached: true})
		if _, err := mustParse(t, d).Verify(VerifyOptions{}); KindOf(err) != KindFormat {
			t.Fatalf("err = %v", err)
		}
		if _, err := mustParse(t, d).Verify(VerifyOptions{Content: content}); err != nil {
			t.Fatalf("content given: %v", err)
		}
	})
}

func TestSigningTimeAndAttributes(t *testing.T) {
	p := mustPKI(t)
	s := p.signer(t, "rsa2048")
	when := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(7),
		ThisUpdate: when, NextUpdate: when.Add(time.Hour)}, p.root, p.rootKey)
	if err != nil {
		t.Fatal(err)
	}
	ocsp := mustMarshal(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: mustMarshal(0)})
	der := mustSign(t, SignOptions{Signer: s.key, Certificate: s.cert, Content: []byte("x"),
		SigningTime: &when, Chain: []*x509.Certificate{p.root, s.cert}, SubjectKeyIdentifier: true,
		CRLs: [][]byte{crl}, OCSPResponses: [][]byte{ocsp},
		ExtraSignedAttributes: []Attribute{RevocationArchivalAttribute([][]byte{crl}, [][]byte{ocsp})}})
	sd := mustParse(t, der)
	si := sd.Signers[0]
	if si.SigningTime == nil || !si.SigningTime.Equal(when) {
		t.Fatalf("signing time = %v, want %v", si.SigningTime, when)
	}
	if si.SubjectKeyID == nil || si.Version != 3 || sd.Version != 5 {
		t.Fatalf("signer id / versions: ski=%x si.v=%d sd.v=%d", si.SubjectKeyID, si.Version, sd.Version)
	}
	if len(sd.Certificates) != 2 {
		t.Fatalf("%d certificates, want 2 (the signer's not repeated)", len(sd.Certificates))
	}
	if len(sd.CRLs) != 1 || !bytes.Equal(sd.CRLs[0], crl) || len(sd.OCSPResponses) != 1 || !bytes.Equal(sd.OCSPResponses[0], ocsp) {
		t.Fatalf("revocation info not returned as embedded")
	}
	if si.Revocation == nil || len(si.Revocation.CRLs) != 1 || !bytes.Equal(si.Revocation.OCSPResponses[0], ocsp) {
		t.Fatalf("adbe-revocationInfoArchival not decoded: %+v", si.Revocation)
	}
	if _, err := sd.Verify(VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
	// openssl agrees on a signer identified by subject key identifier.
	dir := t.TempDir()
	runOpenSSL(t, "cms", "-verify", "-inform", "DER", "-in", writeFile(t, dir, "s.p7s", der), "-binary",
		"-CAfile", writeFile(t, dir, "root.pem", certPEM(p.root)), "-purpose", "any", "-out", filepath.Join(dir, "out"))
}

func TestAddUnsignedAttribute(t *testing.T) {
	p := mustPKI(t)
	s := p.signer(t, "p256")
	content := []byte("pdf byte range")
	der := mustSign(t, SignOptions{Signer: s.key, Certificate: s.cert, Digest: sum(crypto.SHA256, content), Detached: true, SigningCertificateV2: true})
	sig := mustParse(t, der).Signers[0].Signature
	token := mustSign(t, SignOptions{Signer: s.key, Certificate: s.cert, Content: sum(crypto.SHA256, sig), ContentType: OIDTSTInfo})
	withTS, err := AddUnsignedAttribute(der, 0, TimestampAttribute(token))
	if err != nil {
		t.Fatal(err)
	}
	sd := mustParse(t, withTS)
	si := sd.Signers[0]
	if len(si.TimestampTokens) != 1 || !bytes.Equal(si.TimestampTokens[0], token) {
		t.Fatalf("timestamp token not found")
	}
	if !bytes.Equal(si.Signature, sig) {
		t.Fatalf("signature changed")
	}
	if _, err := sd.Verify(VerifyOptions{Digest: sum(crypto.SHA256, content)}); err != nil {
		t.Fatal(err)
	}
	// A second attribute joins the first in the same set.
	twice, err := AddUnsignedAttribute(withTS, 0, Attribute{Type: asn1.ObjectIdentifier{1, 2, 3}, Values: [][]byte{mustMarshal(5)}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(mustParse(t, twice).Signers[0].UnsignedAttributes); n != 2 {
		t.Fatalf("%d unsigned attributes, want 2", n)
	}
	dir := t.TempDir()
	runOpenSSL(t, "cms", "-verify", "-inform", "DER", "-in", writeFile(t, dir, "s.p7s", twice), "-binary",
		"-content", writeFile(t, dir, "c", content),
		"-CAfile", writeFile(t, dir, "root.pem", certPEM(p.root)), "-purpose", "any", "-out", filepath.Join(dir, "out"))
}

func TestPlainECDSA(t *testing.T) {
	p := mustPKI(t)
	s := p.signer(t, "p384")
	digest := sum(crypto.SHA384, []byte("signed attributes"))
	r, ss, err := ecdsa.Sign(rand.Reader, s.key.(*ecdsa.PrivateKey), digest)
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 96)
	r.FillBytes(sig[:48])
	ss.FillBytes(sig[48:])
	si := &SignerInfo{Hash: crypto.SHA384}
	si.SignatureAlgorithm = append(append(asn1.ObjectIdentifier{}, oidBSIPlainECDSAPrefix...), 4)
	si.Signature = sig
	if err := verifySignature(s.cert.PublicKey, si, digest); err != nil {
		t.Fatalf("plain-ECDSA: %v", err)
	}
	if si.SignatureAlgorithmName() != "PLAIN-ECDSA" {
		t.Fatalf("name = %s", si.SignatureAlgorithmName())
	}
	si.Signature[10] ^= 1
	if err := verifySignature(s.cert.PublicKey, si, digest); KindOf(err) != KindSignatureInvalid {
		t.Fatalf("tampered plain-ECDSA: %v", err)
	}
	// id-ecPublicKey as the signature algorithm, with a DER signature.
	der, _ := ecdsa.SignASN1(rand.Reader, s.key.(*ecdsa.PrivateKey), digest)
	si = &SignerInfo{Hash: crypto.SHA384, SignatureAlgorithm: oidECPublicKey, Signature: der}
	if err := verifySignature(s.cert.PublicKey, si, digest); err != nil {
		t.Fatalf("id-ecPublicKey: %v", err)
	}
}

// TestTestdataSamples parses the stored samples (also the fuzz seeds) and checks that their
// signatures hold: a regression net for the encodings openssl writes.
func TestTestdataSamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.p7s"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	for _, fn := range files {
		der, err := os.ReadFile(fn)
		if err != nil {
			t.Fatal(err)
		}
		sd, err := Parse(der)
		if err != nil {
			t.Fatalf("%s: %v", fn, err)
		}
		o := VerifyOptions{}
		if sd.Detached {
			o.Content = []byte("seed content")
		}
		if _, err := sd.Verify(o); err != nil {
			t.Errorf("%s: %v", fn, err)
		}
	}
}

// TestESSv1 checks the older signing-certificate attribute (SHA-1 ESSCertID), which signatures
// made before RFC 5035 carry, and a caller-supplied certificate for a signature without one.
func TestESSv1(t *testing.T) {
	p := mustPKI(t)
	s := p.signer(t, "p256")
	ess := func(c *x509.Certificate) Attribute {
		h := sum(crypto.SHA1, c.Raw)
		id := tlv(tagSequence, mustMarshal(h), essIssuerSerial(c))
		return Attribute{Type: OIDAttrSigningCert, Values: [][]byte{tlv(tagSequence, tlv(tagSequence, id))}}
	}
	der := mustSign(t, SignOptions{Signer: s.key, Certificate: s.cert, Content: []byte("v1"), OmitCertificates: true,
		ExtraSignedAttributes: []Attribute{ess(s.cert)}})
	sd := mustParse(t, der)
	sc := sd.Signers[0].SigningCertificate
	if sc == nil || sc.V2 || sc.Certs[0].Hash != crypto.SHA1 || sc.Certs[0].Serial.Cmp(s.cert.SerialNumber) != 0 {
		t.Fatalf("ESS v1 not decoded: %+v", sc)
	}
	if _, err := sd.Verify(VerifyOptions{}); KindOf(err) != KindSignerNotFound {
		t.Fatalf("no certificate anywhere: %v", err)
	}
	if _, err := sd.Verify(VerifyOptions{Certificates: []*x509.Certificate{p.root, s.cert}}); err != nil {
		t.Fatalf("certificate supplied by the caller: %v", err)
	}
	other, err := p.issue(s.key, s.cert.SerialNumber.Int64(), "same key, other certificate")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sd.Verify(VerifyOptions{Certificates: []*x509.Certificate{other}}); KindOf(err) != KindSignerNotFound {
		t.Fatalf("ESS v1 names another certificate: %v", err)
	}
	sig, err := SignatureValue(der, 0)
	if err != nil || !bytes.Equal(sig, sd.Signers[0].Signature) {
		t.Fatalf("SignatureValue: %v", err)
	}
}
