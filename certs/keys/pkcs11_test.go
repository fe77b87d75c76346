//go:build cgo

package keys_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/pkcs11"

	"docgate/certs/keys"
)

const softhsmModule = "/usr/lib/softhsm/libsofthsm2.so"

// softHSM makes a SoftHSM2 token in a temporary directory, named "docgate"
// with user PIN 1234, and points SOFTHSM2_CONF at it for this test.
func softHSM(t testing.TB) (dir string) {
	t.Helper()
	util, err := exec.LookPath("softhsm2-util")
	if err != nil {
		t.Skip("softhsm2-util is not installed; install softhsm2 to run the PKCS#11 tests")
	}
	if _, err := os.Stat(softhsmModule); err != nil {
		t.Skipf("SoftHSM2 module %s is missing", softhsmModule)
	}
	dir = t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	write(t, dir, "softhsm2.conf", []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"))
	t.Setenv("SOFTHSM2_CONF", conf)
	run(t, util, "--init-token", "--free", "--label", "docgate", "--pin", "1234", "--so-pin", "123456")
	return dir
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// importKey puts key on the token with label and id (hex).
func importKey(t testing.TB, dir string, key crypto.Signer, label, id string) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p8 := write(t, dir, label+".p8", pemOf("PRIVATE KEY", der))
	run(t, "softhsm2-util", "--import", p8, "--token", "docgate", "--label", label, "--id", id, "--pin", "1234")
}

func TestPKCS11SoftHSM(t *testing.T) {
	dir := softHSM(t)
	ctx := context.Background()
	root := mustPair(t, mustEC(t), nil)
	rsaLeaf := mustPair(t, mustRSA(t), root)
	ecLeaf := mustPair(t, mustEC(t), root)
	importKey(t, dir, rsaLeaf.key, "seal-rsa", "01")
	importKey(t, dir, ecLeaf.key, "seal-ec", "02")
	rsaCert := write(t, dir, "rsa.crt", pemOf("CERTIFICATE", rsaLeaf.cert.Raw))
	rootFile := write(t, dir, "root.crt", pemOf("CERTIFICATE", root.cert.Raw))

	for _, tc := range []struct {
		name string
		spec keys.Spec
		leaf *pair
	}{
		{"RSA by label, certificate from a file", keys.Spec{PKCS11Label: "seal-rsa", CertFile: rsaCert, ChainFile: rootFile}, rsaLeaf},
		{"ECDSA by ID, public key from the token", keys.Spec{PKCS11ID: "02", CertFile: write(t, dir, "ec.crt", ecLeaf.cert.Raw)}, ecLeaf},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.spec.PKCS11Module, tc.spec.PKCS11Token, tc.spec.PIN = softhsmModule, "docgate", "1234"
			s, chain, closer, err := keys.Load(ctx, tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			defer closer.Close()
			if !chain[0].Equal(tc.leaf.cert) {
				t.Fatal("leaf is not the certificate of the token key")
			}
			checkSigns(t, s, tc.leaf.cert)

			// Concurrent signatures share the session pool.
			var wg sync.WaitGroup
			errs := make(chan error, 16)
			for i := 0; i < 16; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					d := sha256.Sum256([]byte{byte(i)})
					if _, err := s.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
						errs <- err
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("concurrent sign: %v", err)
			}
			if _, err := s.Sign(rand.Reader, make([]byte, 20), crypto.SHA256); err == nil {
				t.Fatal("signed a 20-byte digest as SHA-256")
			}
			closer.Close()
			d := sha256.Sum256(nil)
			if _, err := s.Sign(rand.Reader, d[:], crypto.SHA256); err == nil {
				t.Fatal("signed after Close")
			}
		})
	}

	t.Run("ECDSA public key read from the token", func(t *testing.T) {
		// No certificate file: the leaf is found in the chain file by the
		// public key read from the token, which proves the EC point parse.
		s, chain, closer, err := keys.Load(ctx, keys.Spec{PKCS11Module: softhsmModule, PKCS11Token: "docgate", PKCS11Label: "seal-ec", PIN: "1234",
			ChainFile: write(t, dir, "ecchain.crt", append(pemOf("CERTIFICATE", root.cert.Raw), pemOf("CERTIFICATE", ecLeaf.cert.Raw)...))})
		if err != nil {
			t.Fatal(err)
		}
		defer closer.Close()
		if !chain[0].Equal(ecLeaf.cert) || len(chain) != 2 {
			t.Fatalf("chain %d, leaf %v", len(chain), chain[0].Subject)
		}
		checkSigns(t, s, ecLeaf.cert)
	})

	t.Run("certificate stored on the token", func(t *testing.T) {
		storeCert(t, rsaLeaf.cert, "seal-rsa", []byte{1})
		s, chain, closer, err := keys.Load(ctx, keys.Spec{PKCS11Module: softhsmModule, PKCS11Token: "docgate", PKCS11Label: "seal-rsa", PIN: "1234"})
		if err != nil {
			t.Fatal(err)
		}
		defer closer.Close()
		if len(chain) != 1 || !chain[0].Equal(rsaLeaf.cert) {
			t.Fatalf("chain %d", len(chain))
		}
		checkSigns(t, s, rsaLeaf.cert)
	})

	for _, tc := range []struct {
		name, want string
		spec       keys.Spec
	}{
		{"unknown token", `token "nope" not found; tokens present: "docgate"`, keys.Spec{PKCS11Token: "nope", PKCS11Label: "seal-rsa", PIN: "1234"}},
		{"wrong PIN", "wrong PIN", keys.Spec{PKCS11Token: "docgate", PKCS11Label: "seal-rsa", PIN: "9999"}},
		{"unknown key", `no private key with label "nope"`, keys.Spec{PKCS11Token: "docgate", PKCS11Label: "nope", PIN: "1234"}},
		{"key of another certificate", "key does not match certificate", keys.Spec{PKCS11Token: "docgate", PKCS11Label: "seal-ec", PIN: "1234", CertFile: rsaCert}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.spec.PKCS11Module = softhsmModule
			_, _, closer, err := keys.Load(ctx, tc.spec)
			if err == nil {
				closer.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// storeCert writes cert onto the token as a CKO_CERTIFICATE object, as a
// CA's enrolment tool would.
func storeCert(t *testing.T, cert *x509.Certificate, label string, id []byte) {
	t.Helper()
	p := pkcs11.New(softhsmModule)
	if p == nil {
		t.Fatal("load SoftHSM")
	}
	defer p.Destroy()
	if err := p.Initialize(); err != nil {
		t.Fatal(err)
	}
	defer p.Finalize()
	slots, err := p.GetSlotList(true)
	if err != nil || len(slots) == 0 {
		t.Fatalf("slots %v: %v", slots, err)
	}
	sess, err := p.OpenSession(slots[0], pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer p.CloseSession(sess)
	if err := p.Login(sess, pkcs11.CKU_USER, "1234"); err != nil {
		t.Fatal(err)
	}
	_, err = p.CreateObject(sess, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE),
		pkcs11.NewAttribute(pkcs11.CKA_CERTIFICATE_TYPE, pkcs11.CKC_X_509),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_ID, id),
		pkcs11.NewAttribute(pkcs11.CKA_SUBJECT, cert.RawSubject),
		pkcs11.NewAttribute(pkcs11.CKA_VALUE, cert.Raw),
	})
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkPKCS11SignECDSA measures one ECDSA P-256 signature on SoftHSM2
// through the session pool (sequential and parallel).
func BenchmarkPKCS11SignECDSA(b *testing.B) {
	dir := softHSM(b)
	leaf := mustPair(b, mustEC(b), nil)
	importKey(b, dir, leaf.key, "bench", "09")
	s, _, closer, err := keys.Load(context.Background(), keys.Spec{PKCS11Module: softhsmModule, PKCS11Token: "docgate",
		PKCS11Label: "bench", PIN: "1234", CertFile: write(b, dir, "bench.crt", leaf.cert.Raw)})
	if err != nil {
		b.Fatal(err)
	}
	defer closer.Close()
	d := sha256.Sum256([]byte("x"))
	b.Run("sequential", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
