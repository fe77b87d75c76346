package keys_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"docgate/certs/keys"
	"docgate/gateway"
)

type pair struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func mustPair(tb testing.TB, key crypto.Signer, parent *pair) *pair {
	tb.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "key test"},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: parent == nil, BasicConstraintsValid: true,
	}
	pc, pk := tmpl, key
	if parent != nil {
		pc, pk = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, pc, key.Public(), pk)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return &pair{c, key}
}

func mustEC(tb testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func mustRSA(tb testing.TB) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func write(tb testing.TB, dir, name string, data []byte) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// checkSigns signs with s and verifies with the certificate's public key.
func checkSigns(tb testing.TB, s crypto.Signer, cert *x509.Certificate) {
	tb.Helper()
	digest := sha256.Sum256([]byte("official document"))
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		sig, err := s.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil {
			tb.Fatal(err)
		}
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
			tb.Fatalf("PKCS#1 v1.5 signature does not verify: %v", err)
		}
		sig, err = s.Sign(rand.Reader, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256})
		if err != nil {
			tb.Fatal(err)
		}
		if err := rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}); err != nil {
			tb.Fatalf("PSS signature does not verify: %v", err)
		}
	case *ecdsa.PublicKey:
		sig, err := s.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil {
			tb.Fatal(err)
		}
		if !ecdsa.VerifyASN1(pub, digest[:], sig) {
			tb.Fatal("ECDSA signature does not verify")
		}
	default:
		tb.Fatalf("unexpected key %T", pub)
	}
}

func TestLoadFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	root := mustPair(t, mustEC(t), nil)
	ec := mustEC(t)
	rk := mustRSA(t)
	ecLeaf := mustPair(t, ec, root)
	rsaLeaf := mustPair(t, rk, root)
	pkcs8EC, _ := x509.MarshalPKCS8PrivateKey(ec)
	sec1, _ := x509.MarshalECPrivateKey(ec)
	pkcs8RSA, _ := x509.MarshalPKCS8PrivateKey(rk)

	ecCert := write(t, dir, "ec.crt", append(pemOf("CERTIFICATE", ecLeaf.cert.Raw), pemOf("CERTIFICATE", root.cert.Raw)...))
	rsaCert := write(t, dir, "rsa.crt", rsaLeaf.cert.Raw)
	rootFile := write(t, dir, "root.pem", pemOf("CERTIFICATE", root.cert.Raw))
	tests := []struct {
		name     string
		spec     keys.Spec
		leaf     *x509.Certificate
		chainLen int
	}{
		{"PKCS#8 EC PEM", keys.Spec{CertFile: ecCert, KeyFile: write(t, dir, "ec8.key", pemOf("PRIVATE KEY", pkcs8EC))}, ecLeaf.cert, 2},
		{"SEC1 EC PEM", keys.Spec{CertFile: ecCert, KeyFile: write(t, dir, "sec1.key", pemOf("EC PRIVATE KEY", sec1))}, ecLeaf.cert, 2},
		{"PKCS#1 RSA PEM", keys.Spec{CertFile: rsaCert, KeyFile: write(t, dir, "rsa1.key", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk))), ChainFile: rootFile}, rsaLeaf.cert, 2},
		{"PKCS#8 RSA DER", keys.Spec{CertFile: rsaCert, KeyFile: write(t, dir, "rsa8.der", pkcs8RSA)}, rsaLeaf.cert, 1},
		{"combined cert and key", keys.Spec{CertFile: write(t, dir, "both.pem", append(pemOf("CERTIFICATE", ecLeaf.cert.Raw), pemOf("PRIVATE KEY", pkcs8EC)...))}, ecLeaf.cert, 1},
		{"chain given root first", keys.Spec{CertFile: write(t, dir, "rev.crt", append(pemOf("CERTIFICATE", root.cert.Raw), pemOf("CERTIFICATE", ecLeaf.cert.Raw)...)), KeyFile: filepath.Join(dir, "ec8.key")}, ecLeaf.cert, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, chain, closer, err := keys.Load(ctx, tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			defer closer.Close()
			if len(chain) != tc.chainLen || !chain[0].Equal(tc.leaf) {
				t.Fatalf("chain of %d, leaf %v", len(chain), chain[0].Subject)
			}
			checkSigns(t, s, tc.leaf)
		})
	}

	bad := []struct {
		name, want string
		spec       keys.Spec
	}{
		{"key of another certificate", "key does not match certificate", keys.Spec{CertFile: rsaCert, KeyFile: filepath.Join(dir, "ec8.key")}},
		{"no source", "exactly one", keys.Spec{}},
		{"two sources", "exactly one", keys.Spec{KeyFile: "a", PKCS12File: "b"}},
		{"encrypted PKCS#8", "encrypted", keys.Spec{CertFile: ecCert, KeyFile: write(t, dir, "enc.key", pemOf("ENCRYPTED PRIVATE KEY", []byte{1}))}},
		{"not a key", "not a PKCS#8", keys.Spec{CertFile: ecCert, KeyFile: write(t, dir, "junk.key", []byte("junk"))}},
		{"key without certificate", "certificate is required", keys.Spec{KeyFile: filepath.Join(dir, "ec8.key")}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := keys.Load(ctx, tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) || gateway.ErrorCode(err) != gateway.EINVALID {
				t.Fatalf("err = %v, want EINVALID with %q", err, tc.want)
			}
		})
	}
}

func TestLoadPKCS12(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	root := mustPair(t, mustEC(t), nil)
	leaf := mustPair(t, mustRSA(t), root)
	p12, err := pkcs12.Modern.Encode(leaf.key, leaf.cert, []*x509.Certificate{root.cert}, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	path := write(t, dir, "seal.p12", p12)
	s, chain, closer, err := keys.Load(ctx, keys.Spec{PKCS12File: path, Password: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	if len(chain) != 2 || !chain[0].Equal(leaf.cert) || !chain[1].Equal(root.cert) {
		t.Fatalf("chain %d", len(chain))
	}
	checkSigns(t, s, leaf.cert)
	_, _, _, err = keys.Load(ctx, keys.Spec{PKCS12File: path, Password: "wrong"})
	if err == nil || !strings.Contains(err.Error(), "wrong password") {
		t.Fatalf("wrong password: %v", err)
	}
}

func FuzzParsePrivateKey(f *testing.F) {
	k := mustEC(f)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	f.Add(der)
	f.Add(pemOf("PRIVATE KEY", der))
	f.Add(pemOf("RSA PRIVATE KEY", []byte{0x30, 0}))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := keys.ParsePrivateKey(data)
		if err == nil && s == nil {
			t.Fatal("nil signer without error")
		}
		if err != nil && errors.Is(err, keys.ErrKeyMismatch) {
			t.Fatal("parse reported a mismatch")
		}
	})
}
