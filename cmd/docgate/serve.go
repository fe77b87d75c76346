package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"docgate/gateway"
	"docgate/gateway/delivery"
	"docgate/gateway/httpapi"
	"docgate/gateway/registry"
	"docgate/gateway/stats"
	"docgate/storage/fsblob"
	"docgate/storage/postgres"
	"docgate/storage/s3"
	"docgate/storage/sqlite"
)

const serveUsage = `serve [--dev] [--addr 127.0.0.1:8080] [--data DIR]
       [--database-url postgres://...] [--s3-endpoint HOST:PORT --s3-bucket B --s3-access-key K --s3-secret-key S]

Runs the gateway. With --dev it needs no external services: SQLite and
filesystem blobs under --data, a token key and an admin token created there on
first start, and a development CA (served at /pki, with its timestamp
authority at /tsa) and the audit log key under <data>/pki. In production give
--database-url, the --s3-* flags, --token-key-file and --log-key-file.
Every flag can also be set as DOCGATE_<FLAG>.`

// ServeConfig is everything serve reads from flags and the environment.
type ServeConfig struct {
	Dev            bool
	Addr           string
	AddrFile       string
	CPUProfile     string
	Data           string
	DatabaseURL    string
	S3             s3.Config
	TokenKeyFile   string
	AdminTokenFile string
	NewAdminToken  bool
	// AgencyCodePattern replaces the default AAA.BB.CC.DDD shape of agency
	// codes when a regulation changes it; compiled into CodeRule.
	AgencyCodePattern string
	CodeRule          gateway.AgencyCodeRule
	MaxBody           int64
	ShutdownTimeout   time.Duration
	// PostageCost is what one paper dispatch costs in VND, for the
	// report's "postage saved".
	PostageCost int64
	// TLS: a server certificate and key (PEM), and optionally the CAs whose
	// client certificates are accepted; agencies then authenticate with a
	// registered certificate instead of a token.
	TLSCert     string
	TLSKey      string
	TLSClientCA string
	// PKIDir is a development CA's directory, served at /pki and used as
	// the TSA at /tsa (created in --dev; default <data>/pki there, none
	// otherwise). TSACert and TSAKey are a production timestamp authority
	// instead, TSAPolicy the policy OID its tokens state. LogKeyFile signs
	// the audit log (default <data>/pki/log.key, created in --dev with
	// log.pub beside it); LogOrigin names a new log.
	PKIDir     string
	TSACert    string
	TSAKey     string
	TSAPolicy  string
	LogKeyFile string
	LogOrigin  string
	// TrustFiles are PEM files of trust anchors for verifying signatures;
	// serve appends the development CA's root when it runs one.
	TrustFiles []string
	// SealCert and SealKey are the gateway seal that signs receipts
	// (default the development CA's); AllowUnsigned relaxes the signature
	// policy; SpoolDir holds uploads while they are checked.
	SealCert      string
	SealKey       string
	AllowUnsigned bool
	SpoolDir      string
	// RequireSeal refuses PDFs without the sending agency's seal after the
	// person's signature. GatewaySeals (CODE=CERT,KEY each) and the
	// CODE.crt/CODE.key pairs in GatewaySealDir are agencies' seal keys the
	// gateway holds, to seal PDFs that arrive without the seal.
	RequireSeal    bool
	GatewaySeals   []string
	GatewaySealDir string
	// Push delivery: worker goroutines per replica (0 turns pushes off),
	// whether webhooks may reach private addresses, how long one push may
	// take, and the gateway's URL as recipients reach it (for the links in
	// a push; default the address listened on).
	DeliveryWorkers     int
	WebhookAllowPrivate bool
	WebhookTimeout      time.Duration
	WebhookBackoff      delivery.Backoff
	PublicURL           string
}

// Validate checks the combination of settings before anything is opened, and
// fills in the paths that default to the data directory.
func (c *ServeConfig) Validate() error {
	if c.Addr == "" {
		return usageErrorf("serve: --addr must not be empty")
	}
	if c.Data == "" {
		return usageErrorf("serve: --data must not be empty")
	}
	if c.MaxBody <= 0 {
		return usageErrorf("serve: --max-body must be positive")
	}
	if c.PostageCost <= 0 {
		return usageErrorf("serve: --postage-cost must be a positive amount in VND")
	}
	if c.ShutdownTimeout <= 0 {
		return usageErrorf("serve: --shutdown-timeout must be positive")
	}
	if c.DeliveryWorkers < 0 || c.DeliveryWorkers > 256 {
		return usageErrorf("serve: --delivery-workers must be between 0 (no pushes) and 256")
	}
	if c.WebhookTimeout <= 0 || c.WebhookTimeout > 5*time.Minute {
		return usageErrorf("serve: --webhook-timeout must be positive and at most 5m")
	}
	if b := c.WebhookBackoff; b.MaxAttempts < 1 || b.Base <= 0 || b.Cap < b.Base {
		return usageErrorf("serve: --webhook-attempts must be at least 1, --webhook-backoff positive and --webhook-backoff-max at least --webhook-backoff")
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageErrorf("serve: --public-url must be an absolute http(s) URL such as https://docgate.example.gov.vn")
		}
	}
	s := c.S3
	if s.Endpoint == "" && (s.Bucket != "" || s.AccessKey != "" || s.SecretKey != "") {
		return usageErrorf("serve: --s3-bucket and the S3 credentials need --s3-endpoint (DOCGATE_S3_ENDPOINT)")
	}
	if s.Endpoint != "" {
		switch {
		case strings.Contains(s.Endpoint, "://"):
			return usageErrorf("serve: --s3-endpoint must be host:port without a scheme (add --s3-use-ssl for https), got %q", s.Endpoint)
		case s.Bucket == "":
			return usageErrorf("serve: --s3-endpoint needs --s3-bucket (DOCGATE_S3_BUCKET)")
		case s.AccessKey == "" || s.SecretKey == "":
			return usageErrorf("serve: S3 credentials are missing: give --s3-access-key and --s3-secret-key (or DOCGATE_S3_ACCESS_KEY and DOCGATE_S3_SECRET_KEY)")
		}
	}
	if !c.Dev {
		if c.DatabaseURL == "" || s.Endpoint == "" {
			return usageErrorf("serve: without --dev, give --database-url (PostgreSQL) and --s3-endpoint with its bucket and credentials; " +
				"for a single node with no external services use --dev")
		}
		if c.TokenKeyFile == "" {
			return usageErrorf("serve: without --dev, give --token-key-file: 32 or more random bytes (hex or raw) that every replica shares, " +
				"e.g. made with: head -c 32 /dev/urandom | xxd -p -c 64 > token.key")
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return usageErrorf("serve: --tls-cert and --tls-key go together")
	}
	if c.TLSClientCA != "" && c.TLSCert == "" {
		return usageErrorf("serve: --tls-client-ca needs --tls-cert and --tls-key (client certificates need TLS)")
	}
	if c.AgencyCodePattern != "" {
		re, err := regexp.Compile(c.AgencyCodePattern)
		if err != nil {
			return usageErrorf("serve: --agency-code-pattern: %v", err)
		}
		if !strings.HasPrefix(c.AgencyCodePattern, "^") || !strings.HasSuffix(c.AgencyCodePattern, "$") {
			return usageErrorf("serve: --agency-code-pattern must be anchored (^...$) so that it matches whole codes")
		}
		c.CodeRule = gateway.AgencyCodeRule{Pattern: re}
	}
	if (c.SealCert == "") != (c.SealKey == "") {
		return usageErrorf("serve: --seal-cert and --seal-key go together")
	}
	for _, v := range c.GatewaySeals {
		if _, err := parseGatewaySeal(v); err != nil {
			return err
		}
	}
	if (c.TSACert == "") != (c.TSAKey == "") {
		return usageErrorf("serve: --tsa-cert and --tsa-key go together")
	}
	if c.Dev && c.PKIDir == "" {
		c.PKIDir = filepath.Join(c.Data, "pki")
	}
	if c.Dev && c.LogKeyFile == "" {
		c.LogKeyFile = filepath.Join(c.PKIDir, logKeyFile)
	}
	if c.TokenKeyFile == "" {
		c.TokenKeyFile = filepath.Join(c.Data, "token.key")
	}
	if c.AdminTokenFile == "" {
		c.AdminTokenFile = filepath.Join(c.Data, "admin.token")
	}
	return nil
}

func parseServeConfig(env *Env, args []string) (*ServeConfig, error) {
	c := &ServeConfig{}
	fs := newFlagSet(env, "serve", serveUsage)
	fs.BoolVar(&c.Dev, "dev", false, "embedded mode: SQLite and filesystem blobs under --data, no external services")
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "listen address (port 0 picks a free port; see --addr-file)")
	fs.StringVar(&c.AddrFile, "addr-file", "", "write the address actually listened on to this file (for scripts and tests)")
	fs.StringVar(&c.CPUProfile, "cpu-profile", "", "write a CPU profile (go tool pprof) of the whole run to this file, for measuring")
	fs.StringVar(&c.Data, "data", "./docgate-data", "data directory: SQLite database, blobs, token key and admin token in --dev")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "PostgreSQL URL (postgres://user:pass@host/db); the SQLite file under --data when empty in --dev")
	fs.StringVar(&c.S3.Endpoint, "s3-endpoint", "", "S3-compatible endpoint host:port; filesystem blobs under --data when empty in --dev")
	fs.StringVar(&c.S3.Bucket, "s3-bucket", "", "S3 bucket (created when missing)")
	fs.StringVar(&c.S3.AccessKey, "s3-access-key", "", "S3 access key")
	fs.StringVar(&c.S3.SecretKey, "s3-secret-key", "", "S3 secret key (prefer DOCGATE_S3_SECRET_KEY: flags show in ps)")
	fs.StringVar(&c.S3.Region, "s3-region", "", "S3 region")
	fs.BoolVar(&c.S3.UseSSL, "s3-use-ssl", false, "connect to S3 over https")
	fs.BoolVar(&c.S3.ObjectLocking, "s3-object-locking", false, "require object locking on the bucket so that retention holds")
	fs.StringVar(&c.TokenKeyFile, "token-key-file", "", "file with the secret key API tokens are hashed with (default <data>/token.key, created in --dev)")
	fs.StringVar(&c.AdminTokenFile, "admin-token-file", "", "where the first admin token is written on first start (default <data>/admin.token)")
	fs.BoolVar(&c.NewAdminToken, "new-admin-token", false, "issue another admin token into --admin-token-file even though one exists (when all are lost)")
	fs.StringVar(&c.AgencyCodePattern, "agency-code-pattern", "", "anchored regular expression replacing the default agency code shape AAA.BB.CC.DDD")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "serve HTTPS with this certificate (PEM, chain after the leaf)")
	fs.StringVar(&c.TLSKey, "tls-key", "", "private key of --tls-cert (PEM)")
	fs.StringVar(&c.TLSClientCA, "tls-client-ca", "", "PEM file of CAs whose client certificates are accepted (agencies authenticate with a registered certificate)")
	fs.StringVar(&c.PKIDir, "pki-dir", "", "development CA directory served at /pki and /tsa (default <data>/pki in --dev, created there)")
	fs.StringVar(&c.TSACert, "tsa-cert", "", "timestamp authority certificate served at /tsa (PEM, chain after it); default the development CA's")
	fs.StringVar(&c.TSAKey, "tsa-key", "", "private key of --tsa-cert (PEM)")
	fs.StringVar(&c.TSAPolicy, "tsa-policy", "", "policy OID the timestamp authority's tokens state, dotted (default "+devTSAPolicy+", a placeholder: use your registered policy in production)")
	fs.StringVar(&c.LogKeyFile, "log-key-file", "", "audit log signing key, a signed-note Ed25519 key (default <data>/pki/log.key in --dev, created there)")
	fs.StringVar(&c.LogOrigin, "log-origin", "", "origin (name) of a new audit log key, e.g. docgate.example.gov.vn/log (default "+defaultLogOrigin+")")
	fs.Var((*stringList)(&c.TrustFiles), "trust", "PEM file of trust anchors for verifying signatures (repeatable); --dev adds its CA's root")
	fs.StringVar(&c.SealCert, "seal-cert", "", "gateway seal certificate that signs receipts (PEM, chain after it); default the development CA's")
	fs.StringVar(&c.SealKey, "seal-key", "", "private key of --seal-cert (PEM)")
	fs.BoolVar(&c.AllowUnsigned, "allow-unsigned", false, "accept unsigned PDFs (signatures present must still verify)")
	fs.BoolVar(&c.RequireSeal, "require-seal", false, "require the sending agency's seal (a certificate naming the organisation, not a person) after the person's signature")
	fs.Var((*stringList)(&c.GatewaySeals), "gateway-seal", "CODE=CERT,KEY: the gateway seals PDFs of agency CODE that lack its seal with this key (repeatable; ';' separates several in DOCGATE_GATEWAY_SEAL)")
	fs.StringVar(&c.GatewaySealDir, "gateway-seal-dir", "", "directory of agencies' seal keys the gateway holds: CODE.crt and CODE.key per agency (see --gateway-seal)")
	fs.StringVar(&c.SpoolDir, "spool-dir", "", "where uploads wait while they are checked (default <data>/spool)")
	fs.Int64Var(&c.MaxBody, "max-body", httpapi.DefaultMaxBody, "largest JSON request body in bytes")
	fs.Int64Var(&c.PostageCost, "postage-cost", stats.DefaultPostage, "cost in VND of one paper dispatch (postage, envelope, printing), for the report's postage saved")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long a shutdown waits for in-flight requests")
	fs.IntVar(&c.DeliveryWorkers, "delivery-workers", 4, "push delivery workers in this replica (0: no webhook pushes, recipients pull)")
	fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", false, "let webhooks reach loopback, private and link-local addresses (refused by default)")
	fs.DurationVar(&c.WebhookTimeout, "webhook-timeout", delivery.DefaultTimeout, "how long one webhook push may take")
	c.WebhookBackoff.Factor = delivery.DefaultBackoff.Factor
	fs.IntVar(&c.WebhookBackoff.MaxAttempts, "webhook-attempts", delivery.DefaultBackoff.MaxAttempts, "push attempts before a delivery fails and the sender gets a non-delivery receipt")
	fs.DurationVar(&c.WebhookBackoff.Base, "webhook-backoff", delivery.DefaultBackoff.Base, "longest wait after the first failed push; it doubles per attempt (full jitter)")
	fs.DurationVar(&c.WebhookBackoff.Cap, "webhook-backoff-max", delivery.DefaultBackoff.Cap, "cap on the wait between push attempts")
	fs.StringVar(&c.PublicURL, "public-url", "", "the gateway's base URL as agencies reach it, for links in pushes (default the address listened on)")
	if err := parseFlags(env, fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usageErrorf("serve: unexpected argument %q", fs.Arg(0))
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// runServe runs the gateway until ctx is cancelled (SIGINT, SIGTERM), then
// drains in-flight requests.
func runServe(ctx context.Context, env *Env, args []string) error {
	cfg, err := parseServeConfig(env, args)
	if err != nil {
		return err
	}
	var h slog.Handler
	if cfg.Dev {
		h = slog.NewTextHandler(env.Stderr, nil)
	} else {
		h = slog.NewJSONHandler(env.Stderr, nil)
	}
	logger := slog.New(h)

	if cfg.CPUProfile != "" {
		stop, err := startCPUProfile(cfg.CPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return failf("serve: create data directory: %v", err)
	}
	store, blobs, err := openStores(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer store.Close()

	key, err := loadTokenKey(cfg.TokenKeyFile, cfg.Dev, logger)
	if err != nil {
		return err
	}
	guard := webhookGuard{Store: store, policy: delivery.TargetPolicy{AllowPrivate: cfg.WebhookAllowPrivate}}
	reg, err := registry.New(guard, key, registry.WithCodeRule(cfg.CodeRule))
	if err != nil {
		return failf("serve: %v", err)
	}
	if err := ensureAdminToken(ctx, env, reg, cfg.AdminTokenFile, cfg.NewAdminToken, logger); err != nil {
		return err
	}

	// Listen before the CA opens: on first start it points the CRL and OCSP
	// URLs of what it issues at the address actually listened on.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return failf("serve: listen on %s: %v", cfg.Addr, err)
	}
	defer ln.Close() // Serve closes it too; the second Close is harmless
	scheme := "http"
	if cfg.TLSCert != "" {
		tc, err := serverTLS(cfg)
		if err != nil {
			return err
		}
		ln = tls.NewListener(ln, tc)
		scheme = "https"
	}
	addr := ln.Addr().String()
	pki, err := openPKI(cfg, store, scheme+"://"+addr, logger)
	if err != nil {
		return err
	}
	ex, err := openExchange(cfg, store, blobs, pki, logger)
	if err != nil {
		return err
	}
	runRestamper(ctx, ex)
	metrics := newMetricsRegistry()
	stopDelivery, err := startDelivery(ctx, cfg, store, ex, scheme+"://"+addr, metrics, logger)
	if err != nil {
		return err
	}
	// Deferred after store.Close, so it runs first: the workers finish
	// their pushes in flight while the store is still open.
	defer stopDelivery()
	// One report service for the page and the API, so that they share its
	// cache; both stores implement the aggregates.
	var reports *stats.Service
	if st, ok := store.(stats.Store); ok {
		reports = &stats.Service{Store: st, Postage: cfg.PostageCost}
	}
	pages, err := openPages(cfg, reg, ex, reports, pki, logger)
	if err != nil {
		return err
	}
	api := &httpapi.Server{Registry: reg, Store: store, Blobs: blobs, Logger: logger, MaxBody: cfg.MaxBody,
		PKI: pki.pkiHandler(), TSA: pki.tsaHandler(), Log: pki.log, LogKey: pki.logKey, Exchange: ex, Pages: pages, Metrics: metrics}
	if sec, ok := store.(delivery.Secrets); ok {
		api.WebhookSecrets = sec
	}
	api.Reports = reports
	if cfg.AddrFile != "" {
		if err := writeFileAtomic(cfg.AddrFile, []byte(addr+"\n"), 0o644); err != nil {
			ln.Close()
			return failf("serve: write --addr-file: %v", err)
		}
	}
	logger.Info("docgate listening", "addr", addr, "url", scheme+"://"+addr, "dev", cfg.Dev, "client_certificates", cfg.TLSClientCA != "")
	srv := &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(h, slog.LevelWarn),
	}
	return serveHTTP(ctx, srv, ln, cfg.ShutdownTimeout, logger)
}

// startCPUProfile profiles the process into path until the returned
// function is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, failf("serve: --cpu-profile: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, failf("serve: --cpu-profile: %v", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// serveHTTP serves until ctx ends, then stops accepting and waits up to
// timeout for in-flight requests to finish.
//
// http.Server.Shutdown also waits for connections that never sent a byte of
// a request (a load balancer's spare connection, a client's dial that lost a
// race to an idle one) until they are 5 s old. Nothing is in flight on
// those, so once no request is, they are closed at once: a shutdown is not
// held up, nor reported as cutting requests off, for them.
func serveHTTP(ctx context.Context, srv *http.Server, ln net.Listener, timeout time.Duration, logger *slog.Logger) error {
	var reqs inFlight
	srv.ConnState = reqs.track
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return failf("serve: %v", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining in-flight requests", "timeout", timeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(sctx) }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var err error
wait:
	for {
		select {
		case err = <-shut:
			break wait
		case <-tick.C:
			if reqs.none() {
				srv.Close()
			}
		}
	}
	if err != nil {
		srv.Close()
		return failf("serve: requests still running after %s were cut off: %v", timeout, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return failf("serve: %v", err)
	}
	logger.Info("stopped")
	return nil
}

// inFlight counts the connections in the middle of a request (those that
// have read a byte of one and not finished it): http.StateActive.
type inFlight struct {
	mu     sync.Mutex
	state  map[net.Conn]http.ConnState
	active int
}

func (f *inFlight) track(c net.Conn, st http.ConnState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state == nil {
		f.state = map[net.Conn]http.ConnState{}
	}
	if f.state[c] == http.StateActive {
		f.active--
	}
	if st == http.StateActive {
		f.active++
	}
	if st == http.StateClosed || st == http.StateHijacked {
		delete(f.state, c)
	} else {
		f.state[c] = st
	}
}

// none reports whether no request is in flight.
func (f *inFlight) none() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.active == 0
}

// openStores opens the metadata and blob stores the configuration names:
// PostgreSQL and S3 when given, otherwise SQLite and files under --data.
func openStores(ctx context.Context, cfg *ServeConfig, logger *slog.Logger) (gateway.Store, gateway.BlobStore, error) {
	var store gateway.Store
	if cfg.DatabaseURL != "" {
		s, err := postgres.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, nil, failf("serve: open database: %s", describe(err))
		}
		store = s
		logger.Info("database: PostgreSQL")
	} else {
		path := filepath.Join(cfg.Data, "docgate.db")
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, nil, failf("serve: open database: %s", describe(err))
		}
		store = s
		logger.Info("database: SQLite", "path", path)
	}
	var blobs gateway.BlobStore
	if cfg.S3.Endpoint != "" {
		// Large blobs are staged on local disk and sent once with their
		// size and digest known, instead of to a temporary object that
		// the store then copies: half the bytes written to S3.
		if cfg.S3.SpoolDir == "" {
			cfg.S3.SpoolDir = filepath.Join(spoolDir(cfg), "s3")
			if err := os.MkdirAll(cfg.S3.SpoolDir, 0o700); err != nil {
				store.Close()
				return nil, nil, failf("serve: create the S3 spool directory: %v", err)
			}
		}
		b, err := s3.New(ctx, cfg.S3)
		if err != nil {
			store.Close()
			return nil, nil, failf("serve: open blob store: %s", describe(err))
		}
		blobs = b
		logger.Info("blob store: S3", "endpoint", cfg.S3.Endpoint, "bucket", cfg.S3.Bucket, "ssl", cfg.S3.UseSSL,
			"object_locking", cfg.S3.ObjectLocking)
	} else {
		dir := filepath.Join(cfg.Data, "blobs")
		b, err := fsblob.New(dir)
		if err != nil {
			store.Close()
			return nil, nil, failf("serve: open blob store: %s", describe(err))
		}
		blobs = b
		logger.Info("blob store: filesystem", "dir", dir)
	}
	return store, blobs, nil
}

// describe shows a gateway error's message and any other error in full: at
// startup the operator is the reader, and needs the detail.
func describe(err error) string {
	if ge, ok := err.(*gateway.Error); ok {
		return ge.Message
	}
	return err.Error()
}

// loadTokenKey reads the token key (hex, or raw bytes), creating it in dev
// mode when missing. Losing or changing the key invalidates every token.
func loadTokenKey(path string, create bool, logger *slog.Logger) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, failf("serve: generate token key: %v", err)
		}
		if err := writeFileExclusive(path, []byte(hex.EncodeToString(raw)+"\n")); err != nil {
			return nil, failf("serve: write token key: %v", err)
		}
		logger.Info("created the token key; keep it with the database, every token depends on it", "path", path)
		return raw, nil
	}
	if err != nil {
		return nil, failf("serve: read token key: %v", err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		logger.Warn("the token key file is readable by other users; chmod 600 it", "path", path, "mode", st.Mode().Perm().String())
	}
	key := b
	if d, err := hex.DecodeString(strings.TrimSpace(string(b))); err == nil {
		key = d
	}
	if len(key) < registry.MinKeySize {
		return nil, failf("serve: the token key in %s is %d bytes; at least %d random bytes are needed", path, len(key), registry.MinKeySize)
	}
	return key, nil
}

// ensureAdminToken issues the first admin token on first start and writes it
// to path (0600), printing it once. Later starts only say where it is, and
// warn when it no longer works (database replaced, token key changed). A
// new one is issued while others exist only when force is set.
func ensureAdminToken(ctx context.Context, env *Env, reg *registry.Service, path string, force bool, logger *slog.Logger) error {
	b, err := os.ReadFile(path)
	if err == nil && force {
		return usageErrorf("serve: --new-admin-token writes %s, which exists; move it away first", path)
	}
	if err == nil {
		secret := strings.TrimSpace(string(b))
		if _, aerr := reg.Authenticate(ctx, secret); aerr != nil {
			logger.Warn("the admin token file holds a token this gateway does not accept; delete the file to issue a new one",
				"path", path, "reason", gateway.ErrorMessage(aerr))
		} else {
			logger.Info("admin token is in " + path)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return failf("serve: read admin token: %v", err)
	}
	tok, err := reg.Bootstrap(ctx, force)
	if gateway.ErrorCode(err) == gateway.ECONFLICT {
		// Another replica, or an earlier data directory, issued it: one
		// admin token per database is enough, and more would go unnoticed.
		logger.Warn("no admin token file, but the database holds an admin token already; not issuing another "+
			"(restart with --new-admin-token if every admin token is lost)", "path", path)
		return nil
	}
	if err != nil {
		return failf("serve: issue the admin token: %s", describe(err))
	}
	if err := writeFileExclusive(path, []byte(tok.Secret+"\n")); err != nil {
		return failf("serve: write admin token: %v", err)
	}
	logger.Info("issued the first admin token", "path", path, "token_id", tok.ID)
	fmt.Fprintf(env.Stdout, "Admin token (shown once; also saved in %s):\n%s\n", path, tok.Secret)
	return nil
}

// writeFileExclusive creates path with mode 0600 and fails if it exists, so
// that two starts never overwrite each other's secret.
func writeFileExclusive(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeFileAtomic writes via a temporary file and a rename, so that a reader
// polling for path never sees it half written.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	// On disk before the rename: after a crash, path holds the old content
	// or the new, never an empty file.
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// serverTLS loads the server certificate and the client CAs. Client
// certificates are asked for but not required, so that bearer tokens keep
// working on the same port; httpapi accepts only verified chains.
func serverTLS(cfg *ServeConfig) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return nil, usageErrorf("serve: load --tls-cert/--tls-key: %v", err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if cfg.TLSClientCA != "" {
		b, err := os.ReadFile(cfg.TLSClientCA)
		if err != nil {
			return nil, usageErrorf("serve: read --tls-client-ca: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, usageErrorf("serve: --tls-client-ca %s holds no PEM certificate", cfg.TLSClientCA)
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return tc, nil
}

// spoolDir is where uploads and blobs wait on local disk: --spool-dir, else
// <data>/spool.
func spoolDir(cfg *ServeConfig) string {
	if cfg.SpoolDir != "" {
		return cfg.SpoolDir
	}
	return cfgSpoolDefault(cfg)
}
