package cms

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// testPKI is a root CA and signers with several key types, created once per test binary
// because RSA key generation is slow on a shared machine.
type testPKI struct {
	root    *x509.Certificate
	rootKey crypto.Signer
	mu      sync.Mutex
	signers map[string]testSigner
	serial  int64
}

// testKeys generates keys by name; signers are made on first use, so that a fuzz worker
// (where instrumented RSA key generation takes very long) only pays for the keys it uses.
var testKeys = map[string]func() (crypto.Signer, error){
	"rsa2048": func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) },
	"p256":    func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) },
	"p384":    func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P384(), rand.Reader) },
	"p521":    func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P521(), rand.Reader) },
}

type testSigner struct {
	cert *x509.Certificate
	key  crypto.Signer
}

var (
	pkiOnce sync.Once
	pki     *testPKI
	pkiErr  error
)

func mustPKI(tb testing.TB) *testPKI {
	tb.Helper()
	pkiOnce.Do(func() { pki, pkiErr = newTestPKI() })
	if pkiErr != nil {
		tb.Fatalf("test PKI: %v", pkiErr)
	}
	return pki
}

func newTestPKI() (*testPKI, error) {
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	rootTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "docgate test root", Organization: []string{"docgate"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	if err != nil {
		return nil, err
	}
	root, _ := x509.ParseCertificate(rootDER)
	p := &testPKI{root: root, rootKey: rootKey, signers: map[string]testSigner{}}
	return p, nil
}

func (p *testPKI) issue(k crypto.Signer, serial int64, cn string) (*x509.Certificate, error) {
	now := time.Now()
	spki, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		return nil, err
	}
	ski := sha1.Sum(spki)
	tmpl := &x509.Certificate{
		SubjectKeyId: ski[:],
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"docgate test"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.root, k.Public(), p.rootKey)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func (p *testPKI) signer(tb testing.TB, name string) testSigner {
	tb.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.signers[name]; ok {
		return s
	}
	gen, ok := testKeys[name]
	if !ok {
		tb.Fatalf("no test signer %q", name)
	}
	k, err := gen()
	if err != nil {
		tb.Fatal(err)
	}
	p.serial++
	c, err := p.issue(k, 100+p.serial, name)
	if err != nil {
		tb.Fatal(err)
	}
	s := testSigner{cert: c, key: k}
	p.signers[name] = s
	return s
}

// needOpenSSL returns the openssl binary or skips the test, saying why.
func needOpenSSL(tb testing.TB) string {
	tb.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		tb.Skip("openssl not installed: the independent cross-check cannot run")
	}
	return path
}

func runOpenSSL(tb testing.TB, args ...string) []byte {
	tb.Helper()
	cmd := exec.Command(needOpenSSL(tb), args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
	return out
}

func writeFile(tb testing.TB, dir, name string, data []byte) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func keyPEM(tb testing.TB, k crypto.Signer) []byte {
	tb.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func sum(h crypto.Hash, b []byte) []byte {
	hh := h.New()
	hh.Write(b)
	return hh.Sum(nil)
}
