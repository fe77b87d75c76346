package main

import (
	"context"
	"crypto/x509"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"docgate/certs"
	"docgate/certs/keys"
	"docgate/gateway"
	"docgate/gateway/evidence"
	"docgate/gateway/exchange"
	"docgate/signing/pades"
)

// restampInterval is how often receipts signed during a TSA outage are
// offered to the TSA again.
const restampInterval = time.Minute

// sweepInterval is how often blobs left by crashed submissions are looked
// for.
const sweepInterval = 10 * time.Minute

// openExchange wires the document use cases: the PAdES verifier over the
// configured trust anchors, the signature policy, and the receipt sealer
// with the gateway seal (--seal-cert/--seal-key, else the development CA's)
// and the TSA. Without a seal the gateway cannot issue receipts, so the
// document routes stay off (501) and serve says so.
func openExchange(cfg *ServeConfig, store gateway.Store, blobs gateway.BlobStore, pki *servePKI, logger *slog.Logger) (*exchange.Service, error) {
	sealer, err := openSealer(cfg, pki)
	if err != nil {
		return nil, err
	}
	if sealer == nil {
		logger.Warn("no gateway seal (--seal-cert/--seal-key): documents cannot be exchanged, since receipts could not be signed")
		return nil, nil
	}
	trust := certs.NewTrustStore()
	if len(cfg.TrustFiles) > 0 {
		if trust, err = certs.LoadTrustStore(cfg.TrustFiles...); err != nil {
			return nil, failf("serve: --trust: %s", describe(err))
		}
	} else {
		logger.Warn("no --trust anchors: no signature can be trusted, so every signed document will be refused")
	}
	policy := exchange.DefaultPolicy
	if cfg.AllowUnsigned {
		policy = exchange.Policy{}
		logger.Warn("--allow-unsigned: unsigned PDFs are accepted (signatures present must still verify)")
	}
	if cfg.RequireSeal {
		policy.RequireSeal = true
	}
	var ts pades.Timestamper
	if pki.tsa != nil {
		ts = pki.tsa
	}
	seals, err := openGatewaySeals(context.Background(), cfg, ts, logger)
	if err != nil {
		return nil, err
	}
	spool := cfg.SpoolDir
	if spool == "" {
		spool = cfgSpoolDefault(cfg)
	}
	if err := os.MkdirAll(spool, 0o700); err != nil {
		return nil, failf("serve: create the upload spool directory: %v", err)
	}
	logger.Info("document exchange on", "seal", sealer.Certificate.Subject.String(), "trust_anchors", len(cfg.TrustFiles),
		"require_signature", policy.RequireSignature,
		"require_seal", policy.RequireSeal, "gateway_seals", len(seals), "spool", spool)
	return &exchange.Service{
		Store: store, Blobs: blobs, Sealer: sealer, Log: pki.log, Policy: policy, Seals: seals, CodeRule: cfg.CodeRule, TempDir: spool, Logger: logger,
		Verifier: &pades.Verifier{Trust: trust, Revocation: certs.NewRevocationChecker(certs.RevocationConfig{})},
	}, nil
}

// cfgSpoolDefault keeps uploads being checked on the data volume, where
// there is room for them.
func cfgSpoolDefault(cfg *ServeConfig) string { return filepath.Join(cfg.Data, "spool") }

func openSealer(cfg *ServeConfig, pki *servePKI) (*evidence.Sealer, error) {
	s := &evidence.Sealer{}
	if pki.tsa != nil {
		s.TSA = pki.tsa
	}
	switch {
	case cfg.SealCert != "":
		chain, err := certs.LoadCertificateFile(cfg.SealCert)
		if err != nil {
			return nil, failf("serve: read --seal-cert: %s", describe(err))
		}
		b, err := os.ReadFile(cfg.SealKey)
		if err != nil {
			return nil, failf("serve: read --seal-key: %v", err)
		}
		key, err := keys.ParsePrivateKey(b)
		if err != nil {
			return nil, failf("serve: read --seal-key: %s", describe(err))
		}
		s.Signer, s.Certificate, s.Chain = key, chain[0], chain[1:]
	case pki.ca != nil:
		cert, key, err := pki.ca.Seal()
		if err != nil {
			return nil, failf("serve: load the development CA's gateway seal: %s", describe(err))
		}
		s.Signer, s.Certificate, s.Chain = key, cert, []*x509.Certificate{pki.ca.Root()}
	default:
		return nil, nil
	}
	s.Issuer = s.Certificate.Subject.String()
	return s, nil
}

// runRestamper keeps timestamping receipts signed during a TSA outage,
// appending events whose audit log append failed, and sweeping blobs that
// crashed submissions left behind, until ctx ends. All are safe with several
// replicas: a receipt stamped twice keeps a valid token, and unlogged events
// and orphan blobs are claimed in the database first.
func runRestamper(ctx context.Context, ex *exchange.Service) {
	if ex == nil {
		return
	}
	if ex.Sealer.TSA != nil {
		go ex.RunRestamper(ctx, restampInterval)
	}
	go ex.RunSweeper(ctx, sweepInterval, exchange.DefaultOrphanGrace)
	if ex.Log != nil {
		go ex.RunLogBackfill(ctx, restampInterval)
	}
}
