package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"docgate/certs"
	"docgate/certs/devca"
	"docgate/gateway"
)

const caUsage = `ca <init|issue|revoke|crl> [flags]

  ca init   --dir DIR [--key-type ec|rsa] [--base-url URL] [--name NAME] [--force]
  ca issue  --dir DIR --code CODE --name NAME --out PREFIX [--person NAME] [--days N] [--key-type ec|rsa] [--p12-password PW]
  ca revoke --dir DIR --cert CRT [--reason keyCompromise]
  ca crl    --dir DIR --out FILE          (a fresh signed CRL, DER, for offline verification)`

// runCA dispatches the development CA's subcommands.
func runCA(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usageErrorf("usage: docgate %s", caUsage)
	}
	switch args[0] {
	case "init":
		return runCAInit(ctx, env, args[1:])
	case "issue":
		return runCAIssue(ctx, env, args[1:])
	case "revoke":
		return runCARevoke(ctx, env, args[1:])
	case "crl":
		return runCACRL(ctx, env, args[1:])
	case "-h", "--help", "help":
		fmt.Fprintf(env.Stdout, "Usage: docgate %s\n", caUsage)
		return nil
	}
	return usageErrorf("ca: unknown subcommand %q; usage: docgate %s", args[0], caUsage)
}

func runCAInit(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "ca init", "ca init --dir DIR [flags]")
	dir := fs.String("dir", "", "directory of the CA (created 0700)")
	keyType := fs.String("key-type", "ec", "key type of the root, TSA and seal: ec (P-256) or rsa (3072)")
	baseURL := fs.String("base-url", devca.DefaultBaseURL, "base URL of the gateway; CRL and OCSP URLs in certificates point below it (/pki/crl, /pki/ocsp)")
	name := fs.String("name", "docgate development", "organisation name of the CA, TSA and seal")
	force := fs.Bool("force", false, "replace an existing CA in --dir")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return usageErrorf("ca init: --dir is required")
	}
	ca, err := devca.Init(*dir, devca.Options{KeyType: *keyType, BaseURL: *baseURL, Name: *name, Force: *force})
	if err != nil {
		return caError("ca init", err)
	}
	fmt.Fprintf(env.Stdout, "CA created in %s\n  root: %s (%s)\n  timestamp authority: %s\n  gateway seal: %s\n",
		ca.Dir(), filepath.Join(ca.Dir(), devca.RootCertFile), ca.Root().Subject.String(),
		filepath.Join(ca.Dir(), devca.TSACertFile), filepath.Join(ca.Dir(), devca.SealCertFile))
	return nil
}

func runCAIssue(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "ca issue", "ca issue --dir DIR --code CODE --name NAME --out PREFIX [flags]")
	dir := fs.String("dir", "", "directory of the CA")
	code := fs.String("code", "", "agency code, e.g. 000.00.00.H41")
	name := fs.String("name", "", "the agency's organisation name")
	out := fs.String("out", "", "output prefix: writes PREFIX.crt, PREFIX.key (0600) and with --p12-password PREFIX.p12")
	person := fs.String("person", "", "issue a personal certificate for this competent person of the agency")
	days := fs.Int("days", 365, "validity in days")
	keyType := fs.String("key-type", "ec", "key type: ec (P-256) or rsa (3072)")
	p12pw := fs.String("p12-password", "", "also write PREFIX.p12 protected by this password")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	switch {
	case *dir == "":
		return usageErrorf("ca issue: --dir is required")
	case *out == "":
		return usageErrorf("ca issue: --out is required")
	case *days <= 0:
		return usageErrorf("ca issue: --days must be positive")
	case *keyType != "ec" && *keyType != "rsa":
		return usageErrorf("ca issue: --key-type must be ec or rsa")
	}
	if err := (gateway.AgencyCodeRule{}).Validate(*code); err != nil {
		return usageErrorf("ca issue: %s", gateway.ErrorMessage(err))
	}
	if strings.TrimSpace(*name) == "" {
		return usageErrorf("ca issue: --name is required")
	}
	ca, err := devca.Open(*dir)
	if err != nil {
		return caError("ca issue", err)
	}
	req := devca.IssueRequest{Kind: devca.KindAgency, AgencyCode: *code, OrgName: *name, KeyType: *keyType,
		Validity: time.Duration(*days) * 24 * time.Hour}
	if *person != "" {
		req.Kind, req.Person = devca.KindPerson, *person
	}
	is, err := ca.Issue(req)
	if err != nil {
		return caError("ca issue", err)
	}
	keyPEM, err := devca.EncodeKey(is.Key)
	if err != nil {
		return err
	}
	if err := devca.WriteFile(*out+".key", keyPEM, 0o600); err != nil {
		return failf("ca issue: %v", err)
	}
	// The certificate file carries the root after the leaf so that `sign
	// --cert PREFIX.crt` has the whole chain.
	chain := append(devca.EncodeCert(is.Cert), devca.EncodeCert(ca.Root())...)
	if err := devca.WriteFile(*out+".crt", chain, 0o644); err != nil {
		return failf("ca issue: %v", err)
	}
	if *p12pw != "" {
		p12, err := pkcs12.Modern.Encode(is.Key, is.Cert, []*x509.Certificate{ca.Root()}, *p12pw)
		if err != nil {
			return fmt.Errorf("ca issue: encode PKCS#12: %w", err)
		}
		if err := devca.WriteFile(*out+".p12", p12, 0o600); err != nil {
			return failf("ca issue: %v", err)
		}
	}
	fmt.Fprintf(env.Stdout, "issued %s\n  subject: %s\n  serial: %s\n  valid until: %s\n  files: %s.crt %s.key",
		req.Kind, certs.SubjectString(is.Cert), is.Cert.SerialNumber.Text(16), is.Cert.NotAfter.UTC().Format(time.RFC3339), *out, *out)
	if *p12pw != "" {
		fmt.Fprintf(env.Stdout, " %s.p12", *out)
	}
	fmt.Fprintln(env.Stdout)
	return nil
}

func runCARevoke(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "ca revoke", "ca revoke --dir DIR --cert CRT [--reason REASON]")
	dir := fs.String("dir", "", "directory of the CA")
	certFile := fs.String("cert", "", "certificate to revoke (PEM or DER; the first certificate in the file)")
	reasonName := fs.String("reason", "unspecified", "RFC 5280 reason: unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation, certificateHold, privilegeWithdrawn")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	if *dir == "" || *certFile == "" {
		return usageErrorf("ca revoke: --dir and --cert are required")
	}
	reason, err := certs.ReasonCode(*reasonName)
	if err != nil {
		return usageErrorf("ca revoke: %v", err)
	}
	cs, err := certs.LoadCertificateFile(*certFile)
	if err != nil {
		return usageErrorf("ca revoke: %v", err)
	}
	ca, err := devca.Open(*dir)
	if err != nil {
		return caError("ca revoke", err)
	}
	e, err := ca.Revoke(cs[0], reason)
	if err != nil {
		return caError("ca revoke", err)
	}
	fmt.Fprintf(env.Stdout, "revoked serial %s (%s) at %s, reason %s\n", e.Serial, e.Subject, e.RevokedAt.Format(time.RFC3339), certs.ReasonText(e.Reason))
	return nil
}

func runCACRL(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "ca crl", "ca crl --dir DIR --out FILE")
	dir := fs.String("dir", "", "directory of the CA")
	out := fs.String("out", "", "file to write the DER CRL to")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	if *dir == "" || *out == "" {
		return usageErrorf("ca crl: --dir and --out are required")
	}
	ca, err := devca.Open(*dir)
	if err != nil {
		return caError("ca crl", err)
	}
	der, err := ca.CRL()
	if err != nil {
		return failf("ca crl: %v", err)
	}
	if err := devca.WriteFile(*out, der, 0o644); err != nil {
		return failf("ca crl: %v", err)
	}
	fmt.Fprintf(env.Stdout, "CRL written to %s\n", *out)
	return nil
}

// caError turns a devca error into the exit code the user should see: their
// mistakes (bad input, no CA, CA exists) are usage errors.
func caError(cmd string, err error) error {
	switch gateway.ErrorCode(err) {
	case gateway.EINVALID, gateway.ENOTFOUND, gateway.ECONFLICT:
		return usageErrorf("%s: %s", cmd, gateway.ErrorMessage(err))
	}
	if os.IsPermission(err) {
		return usageErrorf("%s: %v", cmd, err)
	}
	return failf("%s: %v", cmd, err)
}
