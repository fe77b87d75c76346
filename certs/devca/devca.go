// Package devca is the development certificate authority behind `docgate ca`
// and `serve --dev`: a root CA, a timestamp authority certificate, a gateway
// seal certificate, agency and personal certificates on demand, revocation,
// and an http.Handler that publishes the CRL, answers OCSP and serves the
// root certificate.
//
// Everything lives in one directory (keys PEM 0600, directory 0700) so that
// a developer can inspect it with openssl. It is for trying docgate out and
// for tests: it must not be used as a production CA (keys are plain files,
// the index is a JSON file, and issuance has no approval step).
package devca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"docgate/certs"
	"docgate/gateway"
	"docgate/gateway/evidence"
)

// File names inside a CA directory.
const (
	RootCertFile = "root.crt"
	RootKeyFile  = "root.key"
	TSACertFile  = "tsa.crt"
	TSAKeyFile   = "tsa.key"
	SealCertFile = "seal.crt"
	SealKeyFile  = "seal.key"
	configFile   = "ca.json"
	indexFile    = "index.json"
)

// DefaultBaseURL is where `serve` listens by default; issued certificates
// point their CRL and OCSP URLs below it.
const DefaultBaseURL = "http://127.0.0.1:8080"

// Validity periods. The root outlives everything it issues.
const (
	rootValidity    = 10 * 365 * 24 * time.Hour
	serviceValidity = 5 * 365 * 24 * time.Hour // TSA and seal
	defaultValidity = 365 * 24 * time.Hour
	crlValidity     = time.Hour
	ocspValidity    = 10 * time.Minute
	backdate        = 5 * time.Minute // tolerate clocks a little behind ours
)

// Kinds of certificate the CA issues.
const (
	KindAgency = "agency" // an agency's organisation certificate
	KindPerson = "person" // the competent person of an agency
	KindSeal   = "seal"   // the gateway's own seal
	KindTSA    = "tsa"    // the timestamp authority
)

var oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}
var oidKPTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}

// Options configures Init.
type Options struct {
	// KeyType of the root, TSA and seal keys: "ec" (P-256, default) or
	// "rsa" (3072 bits).
	KeyType string
	// BaseURL prefixes /pki/crl, /pki/ocsp and /pki/ca.crt in issued
	// certificates; default DefaultBaseURL.
	BaseURL string
	// Name is the organisation the CA, TSA and seal are named after.
	Name string
	// Force replaces an existing CA in the directory.
	Force bool
	// Now returns the current time; nil means time.Now. Tests move it.
	Now    func() time.Time
	Logger *slog.Logger
}

// CA is an opened development CA. Its methods are safe for concurrent use
// within one process, and issuance and revocation also lock the directory
// against other processes.
type CA struct {
	dir     string
	root    *x509.Certificate
	rootKey crypto.Signer
	cfg     config
	now     func() time.Time
	log     *slog.Logger

	mu sync.Mutex // guards the index file
}

type config struct {
	BaseURL string `json:"base_url"`
	KeyType string `json:"key_type"`
	Name    string `json:"name"`
}

// Entry is one issued certificate in the CA's index.
type Entry struct {
	Serial    string    `json:"serial"` // hex
	Kind      string    `json:"kind"`
	Subject   string    `json:"subject"`
	NotAfter  time.Time `json:"not_after"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	Reason    int       `json:"reason,omitempty"`
}

type index struct {
	Entries []Entry `json:"certificates"`
}

// Init creates a CA in dir: root, TSA and seal certificates and keys. It
// refuses to replace an existing CA unless opts.Force is set.
func Init(dir string, opts Options) (*CA, error) {
	if opts.KeyType == "" {
		opts.KeyType = "ec"
	}
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	if opts.Name == "" {
		opts.Name = "docgate development"
	}
	if opts.KeyType != "ec" && opts.KeyType != "rsa" {
		return nil, gateway.Errorf(gateway.EINVALID, "key type %q: use ec or rsa", opts.KeyType)
	}
	if !strings.HasPrefix(opts.BaseURL, "http://") && !strings.HasPrefix(opts.BaseURL, "https://") {
		return nil, gateway.Errorf(gateway.EINVALID, "base URL %q must start with http:// or https://", opts.BaseURL)
	}
	if _, err := os.Stat(filepath.Join(dir, RootCertFile)); err == nil && !opts.Force {
		return nil, gateway.Errorf(gateway.ECONFLICT, "a CA exists already in %s; use --force to replace it", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create CA directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("restrict CA directory: %w", err)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	key, err := newKey(opts.KeyType)
	if err != nil {
		return nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	t := now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: opts.Name + " root CA", Organization: []string{opts.Name}, Country: []string{"VN"}},
		NotBefore:             t.Add(-backdate),
		NotAfter:              t.Add(rootValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            1,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("create root certificate: %w", err)
	}
	root, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	ca := &CA{dir: dir, root: root, rootKey: key, now: now, log: logger(opts.Logger),
		cfg: config{BaseURL: strings.TrimRight(opts.BaseURL, "/"), KeyType: opts.KeyType, Name: opts.Name}}
	// A replaced CA starts with an empty index: old serials mean nothing to
	// the new root.
	if err := writeJSON(filepath.Join(dir, indexFile), index{}); err != nil {
		return nil, err
	}
	if err := writeJSON(filepath.Join(dir, configFile), ca.cfg); err != nil {
		return nil, err
	}
	if err := writeKeyAndCert(dir, RootKeyFile, RootCertFile, key, root); err != nil {
		return nil, err
	}
	for _, svc := range []struct{ kind, key, crt string }{{KindTSA, TSAKeyFile, TSACertFile}, {KindSeal, SealKeyFile, SealCertFile}} {
		is, err := ca.Issue(IssueRequest{Kind: svc.kind, OrgName: opts.Name, KeyType: opts.KeyType, Validity: serviceValidity})
		if err != nil {
			return nil, err
		}
		if err := writeKeyAndCert(dir, svc.key, svc.crt, is.Key, is.Cert); err != nil {
			return nil, err
		}
	}
	ca.log.Info("development CA created", "dir", dir, "key_type", opts.KeyType, "base_url", ca.cfg.BaseURL)
	return ca, nil
}

// Open loads the CA in dir.
func Open(dir string, opts ...Options) (*CA, error) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if _, err := os.Stat(filepath.Join(dir, RootCertFile)); errors.Is(err, os.ErrNotExist) {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "no CA in %s; create one with 'docgate ca init --dir %s'", dir, dir)
	}
	root, key, err := readKeyAndCert(dir, RootKeyFile, RootCertFile)
	if err != nil {
		return nil, err
	}
	var cfg config
	if err := readJSON(filepath.Join(dir, configFile), &cfg); err != nil {
		return nil, err
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &CA{dir: dir, root: root, rootKey: key, cfg: cfg, now: now, log: logger(o.Logger)}, nil
}

// OpenOrInit opens the CA in dir, creating it first when the directory holds
// none: what `serve --dev` does on every start. created says which.
func OpenOrInit(dir string, opts Options) (ca *CA, created bool, err error) {
	if _, err := os.Stat(filepath.Join(dir, RootCertFile)); err == nil {
		ca, err := Open(dir, opts)
		return ca, false, err
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("open CA: %w", err)
	}
	opts.Force = false
	ca, err = Init(dir, opts)
	return ca, err == nil, err
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// Dir is the CA's directory.
func (ca *CA) Dir() string { return ca.dir }

// Root is the root certificate, the trust anchor of everything issued.
func (ca *CA) Root() *x509.Certificate { return ca.root }

// BaseURL is the prefix of the CRL and OCSP URLs in issued certificates.
func (ca *CA) BaseURL() string { return ca.cfg.BaseURL }

// TSA returns the timestamp authority's certificate and key.
func (ca *CA) TSA() (*x509.Certificate, crypto.Signer, error) {
	return readKeyAndCert(ca.dir, TSAKeyFile, TSACertFile)
}

// Seal returns the gateway seal's certificate and key.
func (ca *CA) Seal() (*x509.Certificate, crypto.Signer, error) {
	return readKeyAndCert(ca.dir, SealKeyFile, SealCertFile)
}

// RenewOldSeal re-issues the gateway seal when it lacks the receipt-seal
// policy (evidence.ReceiptSealPolicy), as seals made before receipts
// required it do: receipt verifiers would refuse everything it signs. The
// old certificate is kept beside it as seal-<serial>.crt, so that receipts
// it signed still verify with --seal. renewed says whether it did; old is
// the kept file.
func (ca *CA) RenewOldSeal() (renewed bool, old string, err error) {
	cert, _, err := ca.Seal()
	if err != nil {
		return false, "", err
	}
	for _, p := range cert.Policies {
		if p.Equal(evidence.ReceiptSealPolicy) {
			return false, "", nil
		}
	}
	old = filepath.Join(ca.dir, fmt.Sprintf("seal-%s.crt", cert.SerialNumber.Text(16)))
	if err := WriteFile(old, EncodeCert(cert), 0o644); err != nil {
		return false, "", err
	}
	is, err := ca.Issue(IssueRequest{Kind: KindSeal, OrgName: firstOr(cert.Subject.Organization, ca.cfg.Name), KeyType: ca.cfg.KeyType, Validity: serviceValidity})
	if err != nil {
		return false, "", err
	}
	if err := writeKeyAndCert(ca.dir, SealKeyFile, SealCertFile, is.Key, is.Cert); err != nil {
		return false, "", err
	}
	return true, old, nil
}

func firstOr(v []string, def string) string {
	if len(v) > 0 && v[0] != "" {
		return v[0]
	}
	return def
}

// IssueRequest describes a certificate to issue.
type IssueRequest struct {
	Kind       string // KindAgency (default), KindPerson, KindSeal, KindTSA
	AgencyCode string // required for agency and person certificates
	OrgName    string // the organisation's name
	Person     string // the competent person's name, for KindPerson
	KeyType    string // "ec" (default) or "rsa"
	// NotBefore defaults to a few minutes before now; Validity to a year.
	NotBefore time.Time
	Validity  time.Duration
	// CodeRule validates AgencyCode; the zero value is the default shape.
	CodeRule gateway.AgencyCodeRule
}

// Issued is a new certificate with its key.
type Issued struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Issue creates a key and a certificate signed by the root and records it in
// the index. EINVALID when the request is incomplete.
func (ca *CA) Issue(req IssueRequest) (*Issued, error) {
	if req.Kind == "" {
		req.Kind = KindAgency
	}
	if req.KeyType == "" {
		req.KeyType = "ec"
	}
	if strings.TrimSpace(req.OrgName) == "" {
		return nil, gateway.Errorf(gateway.EINVALID, "an organisation name is required")
	}
	subject := pkix.Name{Organization: []string{req.OrgName}, Country: []string{"VN"}}
	tmpl := &x509.Certificate{
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		BasicConstraintsValid: true,
		OCSPServer:            []string{ca.cfg.BaseURL + "/pki/ocsp"},
		IssuingCertificateURL: []string{ca.cfg.BaseURL + "/pki/ca.crt"},
		CRLDistributionPoints: []string{ca.cfg.BaseURL + "/pki/crl"},
	}
	switch req.Kind {
	case KindAgency, KindPerson:
		if err := req.CodeRule.Validate(req.AgencyCode); err != nil {
			return nil, err
		}
		// The agency code goes in organizationIdentifier; see
		// certs.AgencyCode for where else it is looked for.
		subject.ExtraNames = []pkix.AttributeTypeAndValue{{Type: certs.OIDOrganizationIdentifier, Value: req.AgencyCode}}
		subject.CommonName = req.OrgName
		if req.Kind == KindPerson {
			if strings.TrimSpace(req.Person) == "" {
				return nil, gateway.Errorf(gateway.EINVALID, "a person's name is required for a personal certificate")
			}
			subject.CommonName = req.Person
		}
	case KindSeal:
		subject.CommonName = req.OrgName + " gateway seal"
		// The policy that tells receipt verifiers this is the gateway's
		// seal, not an agency's or a person's certificate of the same CA.
		tmpl.Policies = []x509.OID{evidence.ReceiptSealPolicy}
	case KindTSA:
		subject.CommonName = req.OrgName + " timestamp authority"
		// RFC 3161 section 2.3: the only extended key usage, critical.
		// x509 marks ExtKeyUsage non-critical, so the extension is built
		// by hand.
		v, err := asn1.Marshal([]asn1.ObjectIdentifier{oidKPTimeStamping})
		if err != nil {
			return nil, err
		}
		tmpl.ExtraExtensions = []pkix.Extension{{Id: oidExtKeyUsage, Critical: true, Value: v}}
	default:
		return nil, gateway.Errorf(gateway.EINVALID, "unknown certificate kind %q", req.Kind)
	}
	tmpl.Subject = subject
	key, err := newKey(req.KeyType)
	if err != nil {
		return nil, err
	}
	now := ca.now()
	tmpl.NotBefore = req.NotBefore
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = now.Add(-backdate)
	}
	validity := req.Validity
	if validity <= 0 {
		validity = defaultValidity
	}
	tmpl.NotAfter = tmpl.NotBefore.Add(validity)
	if tmpl.NotAfter.After(ca.root.NotAfter) {
		tmpl.NotAfter = ca.root.NotAfter
	}

	ca.mu.Lock()
	defer ca.mu.Unlock()
	unlock, err := lockIndex(ca.dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var idx index
	if err := readJSON(filepath.Join(ca.dir, indexFile), &idx); err != nil {
		return nil, err
	}
	for {
		if tmpl.SerialNumber, err = randomSerial(); err != nil {
			return nil, err
		}
		if idx.find(tmpl.SerialNumber) < 0 {
			break
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.root, key.Public(), ca.rootKey)
	if err != nil {
		return nil, fmt.Errorf("create %s certificate: %w", req.Kind, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	idx.Entries = append(idx.Entries, Entry{Serial: cert.SerialNumber.Text(16), Kind: req.Kind, Subject: certs.SubjectString(cert), NotAfter: cert.NotAfter})
	if err := writeJSON(filepath.Join(ca.dir, indexFile), idx); err != nil {
		return nil, err
	}
	ca.log.Info("certificate issued", "kind", req.Kind, "serial", cert.SerialNumber.Text(16), "subject", certs.SubjectString(cert))
	return &Issued{Cert: cert, Key: key}, nil
}

// Revoke records that cert is revoked from now, for reason (an RFC 5280
// CRLReason code). The next CRL and OCSP responses say so. ENOTFOUND when
// this CA did not issue cert, ECONFLICT when it is revoked already.
func (ca *CA) Revoke(cert *x509.Certificate, reason int) (*Entry, error) {
	if err := cert.CheckSignatureFrom(ca.root); err != nil {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "certificate %q (serial %s) was not issued by this CA", certs.SubjectString(cert), cert.SerialNumber.Text(16))
	}
	if reason < 0 || reason > 10 || reason == 7 {
		return nil, gateway.Errorf(gateway.EINVALID, "revocation reason %d is not an RFC 5280 CRLReason", reason)
	}
	ca.mu.Lock()
	defer ca.mu.Unlock()
	unlock, err := lockIndex(ca.dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var idx index
	if err := readJSON(filepath.Join(ca.dir, indexFile), &idx); err != nil {
		return nil, err
	}
	i := idx.find(cert.SerialNumber)
	if i < 0 {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "serial %s is not in the CA's index", cert.SerialNumber.Text(16))
	}
	e := &idx.Entries[i]
	if !e.RevokedAt.IsZero() {
		return nil, gateway.Errorf(gateway.ECONFLICT, "certificate serial %s was revoked already at %s", e.Serial, e.RevokedAt.UTC().Format(time.RFC3339))
	}
	// Whole seconds: CRLs and OCSP carry GeneralizedTime without fractions.
	e.RevokedAt = ca.now().UTC().Truncate(time.Second)
	e.Reason = reason
	if err := writeJSON(filepath.Join(ca.dir, indexFile), idx); err != nil {
		return nil, err
	}
	ca.log.Info("certificate revoked", "serial", e.Serial, "reason", certs.ReasonText(reason))
	out := *e
	return &out, nil
}

// Entries returns the CA's index.
func (ca *CA) Entries() ([]Entry, error) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	var idx index
	if err := readJSON(filepath.Join(ca.dir, indexFile), &idx); err != nil {
		return nil, err
	}
	return idx.Entries, nil
}

func (idx *index) find(serial *big.Int) int {
	s := serial.Text(16)
	for i, e := range idx.Entries {
		if e.Serial == s {
			return i
		}
	}
	return -1
}

func newKey(keyType string) (crypto.Signer, error) {
	switch keyType {
	case "ec":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "rsa":
		return rsa.GenerateKey(rand.Reader, 3072)
	}
	return nil, gateway.Errorf(gateway.EINVALID, "key type %q: use ec or rsa", keyType)
}

// randomSerial returns a positive 127-bit serial: random, as CA/B Forum
// practice asks, and short of 20 octets as RFC 5280 requires.
func randomSerial() (*big.Int, error) {
	max := new(big.Int).Lsh(big.NewInt(1), 127)
	for {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return nil, fmt.Errorf("random serial: %w", err)
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}

// EncodeKey returns key as a PKCS#8 PEM block.
func EncodeKey(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// EncodeCert returns cert as a PEM block.
func EncodeCert(cert *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
}

func writeKeyAndCert(dir, keyName, certName string, key crypto.Signer, cert *x509.Certificate) error {
	kp, err := EncodeKey(key)
	if err != nil {
		return err
	}
	if err := WriteFile(filepath.Join(dir, keyName), kp, 0o600); err != nil {
		return err
	}
	return WriteFile(filepath.Join(dir, certName), EncodeCert(cert), 0o644)
}

func readKeyAndCert(dir, keyName, certName string) (*x509.Certificate, crypto.Signer, error) {
	cs, err := certs.LoadCertificateFile(filepath.Join(dir, certName))
	if err != nil {
		return nil, nil, err
	}
	data, err := os.ReadFile(filepath.Join(dir, keyName))
	if err != nil {
		return nil, nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, nil, fmt.Errorf("%s: no PEM key", keyName)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", keyName, err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("%s: key cannot sign", keyName)
	}
	return cs[0], signer, nil
}

// WriteFile writes data to path atomically (temporary file, then rename)
// with the given mode, so that a reader never sees half a key or index.
func WriteFile(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return WriteFile(path, append(data, '\n'), 0o600)
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read CA state: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("read CA state %s: %w", path, err)
	}
	return nil
}
