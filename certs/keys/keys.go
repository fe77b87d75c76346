// Package keys loads a signing key and its certificate chain from where
// agencies keep them: PEM or DER files (PKCS#1, PKCS#8, SEC1), PKCS#12
// bundles, or a PKCS#11 token (an HSM or a USB token) for seal keys that
// must never leave hardware. Whatever the source, the result is a
// crypto.Signer and the chain, leaf first.
//
// It does not read flags or environment variables (cmd/docgate passes the
// PIN and paths in a Spec), never logs secrets, and does not judge whether
// the chain is trusted: that is certs.TrustStore's job.
package keys

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"

	"software.sslmate.com/src/go-pkcs12"

	"docgate/certs"
	"docgate/gateway"
)

// Spec says where a key and its certificates are. Exactly one source of
// key: KeyFile (with CertFile), PKCS12File, or PKCS11Module.
type Spec struct {
	CertFile  string // leaf certificate, optionally followed by its chain (PEM or DER)
	KeyFile   string // private key (PEM or DER); may be CertFile itself
	ChainFile string // extra intermediates (PEM or DER)

	PKCS12File string
	Password   string // of the PKCS#12 file

	PKCS11Module string // path of the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so
	PKCS11Token  string // token label
	PKCS11Label  string // key label (CKA_LABEL)
	PKCS11ID     string // key ID (CKA_ID) in hex; label, ID or both
	PIN          string // user PIN of the token
}

// ErrKeyMismatch means the private key is not the certificate's: the user
// paired the wrong files.
var ErrKeyMismatch = errors.New("key does not match certificate")

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

// Load returns the signer, the chain (leaf first) and a Closer that releases
// hardware sessions (a no-op for files). EINVALID for a Spec that names no
// or several key sources, files that hold no key or certificate, or a key
// that does not match the certificate.
func Load(ctx context.Context, s Spec) (crypto.Signer, []*x509.Certificate, io.Closer, error) {
	sources := 0
	for _, v := range []string{s.KeyFile, s.PKCS12File, s.PKCS11Module} {
		if v != "" {
			sources++
		}
	}
	if sources == 0 && s.CertFile != "" {
		// A combined PEM with certificate and key.
		s.KeyFile = s.CertFile
		sources = 1
	}
	if sources != 1 {
		return nil, nil, nil, gateway.Errorf(gateway.EINVALID, "name exactly one key source: a key file, a PKCS#12 file or a PKCS#11 module")
	}
	var extra []*x509.Certificate
	if s.ChainFile != "" {
		cs, err := certs.LoadCertificateFile(s.ChainFile)
		if err != nil {
			return nil, nil, nil, gateway.Errorf(gateway.EINVALID, "chain: %v", err)
		}
		extra = cs
	}
	var fileCerts []*x509.Certificate
	if s.CertFile != "" {
		cs, err := certs.LoadCertificateFile(s.CertFile)
		if err != nil {
			return nil, nil, nil, gateway.Errorf(gateway.EINVALID, "certificate: %v", err)
		}
		fileCerts = cs
	}
	switch {
	case s.PKCS11Module != "":
		signer, tokenCert, closer, err := openPKCS11(ctx, s)
		if err != nil {
			return nil, nil, nil, err
		}
		all := fileCerts
		if len(all) == 0 && tokenCert != nil {
			all = []*x509.Certificate{tokenCert}
		}
		if len(all) == 0 && len(extra) == 0 {
			closer.Close()
			return nil, nil, nil, gateway.Errorf(gateway.EINVALID, "the token holds no certificate for the key; give one with --cert")
		}
		chain, err := orderChain(signer.Public(), append(all, extra...))
		if err != nil {
			closer.Close()
			return nil, nil, nil, err
		}
		return signer, chain, closer, nil
	case s.PKCS12File != "":
		data, err := os.ReadFile(s.PKCS12File)
		if err != nil {
			return nil, nil, nil, gateway.Errorf(gateway.EINVALID, "PKCS#12: %v", err)
		}
		key, cert, cas, err := pkcs12.DecodeChain(data, s.Password)
		if err != nil {
			if errors.Is(err, pkcs12.ErrIncorrectPassword) {
				return nil, nil, nil, gateway.Errorf(gateway.EINVALID, "PKCS#12 %s: wrong password", s.PKCS12File)
			}
			return nil, nil, nil, gateway.Errorf(gateway.EINVALID, "PKCS#12 %s: %v", s.PKCS12File, err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, nil, nil, gateway.Errorf(gateway.EINVALID, "PKCS#12 %s: the key (%T) cannot sign", s.PKCS12File, key)
		}
		all := append(append([]*x509.Certificate{cert}, cas...), fileCerts...)
		chain, err := orderChain(signer.Public(), append(all, extra...))
		if err != nil {
			return nil, nil, nil, err
		}
		return signer, chain, nopCloser{}, nil
	default:
		data, err := os.ReadFile(s.KeyFile)
		if err != nil {
			return nil, nil, nil, gateway.Errorf(gateway.EINVALID, "key: %v", err)
		}
		signer, err := ParsePrivateKey(data)
		if err != nil {
			return nil, nil, nil, gateway.Errorf(gateway.EINVALID, "key %s: %v", s.KeyFile, err)
		}
		if len(fileCerts) == 0 {
			return nil, nil, nil, gateway.Errorf(gateway.EINVALID, "a certificate is required with the key (--cert)")
		}
		chain, err := orderChain(signer.Public(), append(fileCerts, extra...))
		if err != nil {
			return nil, nil, nil, err
		}
		return signer, chain, nopCloser{}, nil
	}
}

// orderChain puts the certificate of pub first, then the others in the
// order given, dropping duplicates.
func orderChain(pub crypto.PublicKey, cs []*x509.Certificate) ([]*x509.Certificate, error) {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	eq, ok := pub.(equaler)
	if !ok {
		return nil, fmt.Errorf("public key type %T is not supported", pub)
	}
	leaf := -1
	for i, c := range cs {
		if eq.Equal(c.PublicKey) {
			leaf = i
			break
		}
	}
	if leaf < 0 {
		return nil, gateway.Errorf(gateway.EINVALID, "%v: no certificate given carries the key's public key (first certificate: %s)",
			ErrKeyMismatch, certs.SubjectString(cs[0]))
	}
	out := []*x509.Certificate{cs[leaf]}
	for i, c := range cs {
		if i == leaf {
			continue
		}
		dup := false
		for _, o := range out {
			if o.Equal(c) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, c)
		}
	}
	return out, nil
}

// ParsePrivateKey parses an unencrypted private key: PEM (PRIVATE KEY, RSA
// PRIVATE KEY, EC PRIVATE KEY; other blocks such as certificates are
// skipped) or DER (PKCS#8, PKCS#1 or SEC1).
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	if bytes.Contains(data, []byte("-----BEGIN")) {
		rest := data
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				return nil, errors.New("no private key PEM block found")
			}
			switch block.Type {
			case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
				if block.Headers["Proc-Type"] != "" {
					return nil, errors.New("encrypted PEM keys are not supported; use a PKCS#12 file or decrypt the key with openssl pkey")
				}
				return parseDERKey(block.Bytes)
			case "ENCRYPTED PRIVATE KEY":
				return nil, errors.New("encrypted PKCS#8 keys are not supported; use a PKCS#12 file or decrypt the key with openssl pkey")
			}
		}
	}
	return parseDERKey(data)
}

func parseDERKey(der []byte) (crypto.Signer, error) {
	var key any
	var err error
	if key, err = x509.ParsePKCS8PrivateKey(der); err != nil {
		if k, err1 := x509.ParsePKCS1PrivateKey(der); err1 == nil {
			key, err = k, nil
		} else if k, err2 := x509.ParseECPrivateKey(der); err2 == nil {
			key, err = k, nil
		}
	}
	if err != nil {
		return nil, errors.New("not a PKCS#8, PKCS#1 or SEC1 private key")
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("key type %T cannot sign", key)
}
