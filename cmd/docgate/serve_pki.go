package main

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"docgate/certs"
	"docgate/certs/devca"
	"docgate/certs/keys"
	"docgate/gateway"
	"docgate/gateway/auditlog"
	"docgate/signing/tsp"
	"docgate/storage/postgres"
	"docgate/storage/sqlite"
)

// Files the log key is kept in, beside the development CA in --dev.
const (
	logKeyFile = "log.key" // the signed-note private key, 0600
	logPubFile = "log.pub" // its public verifier key, for auditors
)

// defaultLogOrigin names the log when neither --log-origin nor an existing
// key says otherwise. It is the first line of every checkpoint and the
// key's name, so it must not change once checkpoints are out.
const defaultLogOrigin = "docgate.local/log"

// devTSAPolicy is the TSA policy OID when --tsa-policy is not given. RFC
// 3161 requires one in every token; docgate has no registered arc, so this
// is a placeholder under an enterprise number reserved for examples, fit for
// development only.
const devTSAPolicy = "1.3.6.1.4.1.99999.1.1"

// parseOID reads a dotted object identifier.
func parseOID(s string) (asn1.ObjectIdentifier, error) {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return nil, fmt.Errorf("%q is not a dotted object identifier such as 1.3.6.1.4.1.99999.1", s)
	}
	oid := make(asn1.ObjectIdentifier, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 31)
		if err != nil || (i == 0 && n > 2) {
			return nil, fmt.Errorf("%q is not a dotted object identifier such as 1.3.6.1.4.1.99999.1", s)
		}
		oid[i] = int(n)
	}
	return oid, nil
}

// servePKI is what serve runs beside the API: a certificate authority's
// public side, a timestamp authority and the delivery log. Each is optional;
// --dev has all three.
type servePKI struct {
	ca     *devca.CA // nil without one
	tsa    *tsp.Authority
	log    *auditlog.Log
	logKey string // the public verifier key
}

// pkiHandler is the CA's public handler, or nil.
func (p *servePKI) pkiHandler() http.Handler {
	if p.ca == nil {
		return nil
	}
	return p.ca.Handler()
}

// tsaHandler is the TSA as a handler, or nil: a nil *tsp.Authority in an
// http.Handler would not compare equal to nil.
func (p *servePKI) tsaHandler() http.Handler {
	if p.tsa == nil {
		return nil
	}
	return p.tsa
}

// openPKI opens the CA in cfg.PKIDir (creating it in --dev with baseURL, the
// address serve listens on, so that issued certificates point their CRL and
// OCSP URLs at this server), the TSA (--tsa-cert/--tsa-key, else the CA's
// TSA) and the log (--log-key-file, created in --dev). The CA's root is
// added to cfg.TrustFiles so that signatures by what it issued verify.
func openPKI(cfg *ServeConfig, store gateway.Store, baseURL string, logger *slog.Logger) (*servePKI, error) {
	p := &servePKI{}
	if cfg.PKIDir != "" {
		opts := devca.Options{BaseURL: baseURL, Logger: logger}
		var err error
		if cfg.Dev {
			var created bool
			p.ca, created, err = devca.OpenOrInit(cfg.PKIDir, opts)
			if created {
				logger.Info("created the development CA: root, timestamp authority and gateway seal", "dir", cfg.PKIDir, "base_url", baseURL)
			} else if err == nil && cfg.SealCert == "" {
				renewed, old, rerr := p.ca.RenewOldSeal()
				if rerr != nil {
					return nil, failf("serve: renew the development gateway seal: %s", describe(rerr))
				}
				if renewed {
					logger.Warn("re-issued the development gateway seal with the receipt-seal policy that receipt verifiers require; receipts the old seal signed verify with --seal", "old_seal", old)
				}
			}
		} else {
			p.ca, err = devca.Open(cfg.PKIDir, opts)
		}
		if err != nil {
			return nil, failf("serve: open the certificate authority in %s: %s", cfg.PKIDir, describe(err))
		}
		if !cfg.Dev {
			logger.Warn("serving a development CA without --dev; it is not fit for production certificates", "dir", cfg.PKIDir)
		}
		cfg.TrustFiles = append(cfg.TrustFiles, filepath.Join(cfg.PKIDir, devca.RootCertFile))
	}

	switch {
	case cfg.TSACert != "":
		tsa, err := loadTSA(cfg.TSACert, cfg.TSAKey)
		if err != nil {
			return nil, err
		}
		p.tsa = tsa
	case p.ca != nil:
		cert, key, err := p.ca.TSA()
		if err != nil {
			return nil, failf("serve: load the development CA's timestamp authority: %s", describe(err))
		}
		p.tsa = &tsp.Authority{Signer: key, Certificate: cert, Chain: []*x509.Certificate{p.ca.Root()}}
	}
	if p.tsa != nil {
		policy := cfg.TSAPolicy
		if policy == "" {
			policy = devTSAPolicy
			if !cfg.Dev {
				logger.Warn("no --tsa-policy: timestamp tokens state a placeholder policy", "policy", policy)
			}
		}
		oid, err := parseOID(policy)
		if err != nil {
			return nil, usageErrorf("serve: --tsa-policy: %v", err)
		}
		p.tsa.Policy = oid
		p.tsa.Logger = logger
		logger.Info("timestamp authority at /tsa", "subject", p.tsa.Certificate.Subject.String())
	}

	if cfg.LogKeyFile != "" {
		l, vkey, err := openLog(cfg, store, logger)
		if err != nil {
			return nil, err
		}
		p.log, p.logKey = l, vkey
	} else {
		logger.Warn("no --log-key-file: the audit log is off, and receipts carry no log proofs")
	}
	return p, nil
}

// loadTSA reads a production TSA's certificate (the first in the PEM file;
// the others are sent as its chain) and key.
func loadTSA(certFile, keyFile string) (*tsp.Authority, error) {
	chain, err := certs.LoadCertificateFile(certFile)
	if err != nil {
		return nil, failf("serve: read --tsa-cert: %s", describe(err))
	}
	b, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, failf("serve: read --tsa-key: %v", err)
	}
	key, err := keys.ParsePrivateKey(b)
	if err != nil {
		return nil, failf("serve: read --tsa-key: %s", describe(err))
	}
	return &tsp.Authority{Signer: key, Certificate: chain[0], Chain: chain[1:]}, nil
}

// openLog opens the delivery log in the metadata store, signed with the key
// in cfg.LogKeyFile (created in --dev with its public half beside it).
func openLog(cfg *ServeConfig, store gateway.Store, logger *slog.Logger) (*auditlog.Log, string, error) {
	var storage auditlog.Storage
	switch s := store.(type) {
	case *sqlite.Store:
		storage = s.AuditLog()
	case *postgres.Store:
		storage = s.AuditLog()
	default:
		return nil, "", failf("serve: the metadata store %T keeps no audit log", store)
	}
	b, err := os.ReadFile(cfg.LogKeyFile)
	if errors.Is(err, fs.ErrNotExist) && cfg.Dev {
		origin := cfg.LogOrigin
		if origin == "" {
			origin = defaultLogOrigin
		}
		skey, vkey, err := newLogKey(origin)
		if err != nil {
			return nil, "", usageErrorf("serve: --log-origin %q is not a log name (non-empty UTF-8 without spaces or '+'): %v", origin, err)
		}
		if err := os.MkdirAll(filepath.Dir(cfg.LogKeyFile), 0o700); err != nil {
			return nil, "", failf("serve: create the log key's directory: %v", err)
		}
		if err := writeNewLogKey(cfg.LogKeyFile, skey, vkey); err != nil {
			return nil, "", failf("serve: the audit log key: %v", err)
		}
		logger.Info("created the audit log key; give auditors the public key", "key", cfg.LogKeyFile, "public_key", logPubPath(cfg.LogKeyFile), "origin", origin)
		b = []byte(skey)
	} else if err != nil {
		return nil, "", failf("serve: read the log key: %v", err)
	}
	skey := strings.TrimSpace(string(b))
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		return nil, "", failf("serve: the log key in %s is not a signed-note Ed25519 private key", cfg.LogKeyFile)
	}
	if cfg.LogOrigin != "" && cfg.LogOrigin != signer.Name() {
		return nil, "", usageErrorf("serve: --log-origin is %q, but the log key in %s is named %q; the origin is fixed by the key",
			cfg.LogOrigin, cfg.LogKeyFile, signer.Name())
	}
	vkey, err := logVerifierKey(skey)
	if err != nil {
		return nil, "", failf("serve: the log key in %s: %s", cfg.LogKeyFile, describe(err))
	}
	if st, err := os.Stat(cfg.LogKeyFile); err == nil && st.Mode().Perm()&0o077 != 0 {
		logger.Warn("the log key file is readable by other users; chmod 600 it", "path", cfg.LogKeyFile, "mode", st.Mode().Perm().String())
	}
	logger.Info("audit log", "origin", signer.Name(), "public_key", vkey)
	return auditlog.NewLog(storage, signer), vkey, nil
}

// logVerifierKey derives the public verifier key from a signed-note Ed25519
// private key (PRIVATE+KEY+name+hash+base64(0x01 || seed)), so that
// production needs only the one secret file, and checks that the pair signs
// and verifies. EINVALID.
func logVerifierKey(skey string) (string, error) {
	// The base64 key may itself contain '+'; the name and hash cannot.
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", gateway.Errorf(gateway.EINVALID, "not a signed-note private key (PRIVATE+KEY+name+hash+key)")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", gateway.Errorf(gateway.EINVALID, "not an Ed25519 signed-note private key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(parts[2], pub)
	if err != nil {
		return "", gateway.Errorf(gateway.EINVALID, "log key name %q: %s", parts[2], err)
	}
	// The hash in the private key names the public key; a mismatch means
	// the file was edited.
	signer, err := note.NewSigner(skey)
	if err != nil {
		return "", gateway.Errorf(gateway.EINVALID, "not a usable signed-note private key: %s", err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil || verifier.KeyHash() != signer.KeyHash() {
		return "", gateway.Errorf(gateway.EINVALID, "the private key's hash does not match its public key")
	}
	msg, err := note.Sign(&note.Note{Text: "docgate log key check\n"}, signer)
	if err == nil {
		_, err = note.Open(msg, note.VerifierList(verifier))
	}
	if err != nil {
		return "", gateway.Errorf(gateway.EINVALID, "the key does not verify its own signature")
	}
	return vkey, nil
}
