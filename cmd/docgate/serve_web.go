package main

import (
	"crypto/x509"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"docgate/certs"
	"docgate/gateway/bundle"
	"docgate/gateway/exchange"
	"docgate/gateway/registry"
	"docgate/gateway/stats"
	"docgate/gateway/web"
	"docgate/signing/pades"
)

// openPages builds the browser pages (verify a document at / and /verify).
// They verify as the exchange does: the same trust anchors, and revocation
// fetched online, which signing/pades does only for chains that reached an
// anchor, so an anonymous upload cannot steer the gateway's requests.
//
// With the exchange on, clerks can also sign in with their API token to see
// their inbox, each document's timeline and receipts, and the report.
func openPages(cfg *ServeConfig, reg *registry.Service, ex *exchange.Service, reports *stats.Service, pki *servePKI, logger *slog.Logger) (http.Handler, error) {
	trust := certs.NewTrustStore()
	if len(cfg.TrustFiles) > 0 {
		var err error
		if trust, err = certs.LoadTrustStore(cfg.TrustFiles...); err != nil {
			return nil, failf("serve: --trust: %s", describe(err))
		}
	}
	spool := cfg.SpoolDir
	if spool == "" {
		spool = cfgSpoolDefault(cfg)
	}
	if err := os.MkdirAll(spool, 0o700); err != nil {
		return nil, failf("serve: create the upload spool directory: %v", err)
	}
	v := &pades.Verifier{Trust: trust, Revocation: certs.NewRevocationChecker(certs.RevocationConfig{})}
	// Receipts are sealed by the gateway under one of these anchors (in
	// --dev the development root, which serve adds to TrustFiles).
	p := &web.Pages{Verifier: v, Online: true, ReceiptRoots: trust.CertPool(), Logger: logger, TempDir: spool}
	if ex != nil && ex.Sealer != nil && ex.Sealer.Certificate != nil {
		// The gateway's own seal signs its receipts, whatever CA issued it.
		p.ReceiptSeals = []*x509.Certificate{ex.Sealer.Certificate}
	}
	// An uploaded evidence bundle is checked against the gateway's own log
	// key (serve has read and checked the file already; unreadable here
	// leaves the page warning that the bundle's own key was used).
	if cfg.LogKeyFile != "" {
		if b, err := os.ReadFile(cfg.LogKeyFile); err == nil {
			if k, err := logVerifierKey(strings.TrimSpace(string(b))); err == nil {
				p.LogKey = k
			}
		}
	}
	if ex != nil {
		// Assigned only when set: a nil *exchange.Service in the interface
		// field would not compare equal to nil.
		p.Auth, p.Exchange = reg, ex
		// The report page sits beside the signed-in pages. Assigned only
		// when set, for the same reason as above.
		if reports != nil {
			p.Reports = reports
		}
		// The evidence bundle needs the log its receipts are proved in.
		if pki != nil && pki.log != nil {
			p.Bundles = &bundle.Exporter{Exchange: ex, Log: pki.log, LogKey: pki.logKey}
		}
	}
	return p.Handler(), nil
}
