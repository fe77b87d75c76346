package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"docgate/certs"
	"docgate/gateway/evidence"
)

const receiptVerifyUsage = `receipt verify --trust PEM [--trust PEM]... [--seal PEM]... [--json] FILE

Verifies a receipt offline: the gateway seal's signature over the evidence,
its chain to a trusted root (the gateway's, e.g. <data>/pki/root.crt in
--dev), and the signature timestamp. The signer must be a gateway seal: one
marked so by its certificate policy (the development CA's seal is), or one
given with --seal (a seal the operator's CA issued). Prints the evidence.
Exit 0 valid, 1 not valid, 2 unreadable input or usage error.`

func runReceipt(_ context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		msg := "Usage: docgate receipt <command>\n\nCommands:\n  verify   verify a receipt offline (docgate " + strings.SplitN(receiptVerifyUsage, "\n", 2)[0] + ")\n"
		if len(args) == 0 {
			io.WriteString(env.Stderr, msg)
			return &exitError{code: exitUsage}
		}
		io.WriteString(env.Stdout, msg)
		return nil
	}
	if args[0] != "verify" {
		return usageErrorf("receipt: unknown command %q; run 'docgate receipt -h'", args[0])
	}
	return receiptVerify(env, args[1:])
}

func receiptVerify(env *Env, args []string) error {
	fs := newFlagSet(env, "receipt verify", receiptVerifyUsage)
	var trust stringList
	fs.Var(&trust, "trust", "PEM file of trusted roots (repeatable; env DOCGATE_TRUST)")
	var sealFiles stringList
	fs.Var(&sealFiles, "seal", "PEM file of a gateway seal certificate trusted as the signer (repeatable)")
	asJSON := fs.Bool("json", false, "print the evidence record as JSON")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("receipt verify: give exactly one receipt file")
	}
	if len(trust) == 0 {
		return usageErrorf("receipt verify: give --trust with the gateway's root certificate (in --dev: <data>/pki/root.crt)")
	}
	roots := x509.NewCertPool()
	for _, p := range trust {
		cs, err := certs.LoadCertificateFile(p)
		if err != nil {
			return usageErrorf("receipt verify: --trust %s: %v", p, err)
		}
		for _, c := range cs {
			roots.AddCert(c)
		}
	}
	der, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return usageErrorf("receipt verify: %v", err)
	}
	seals, err := loadSeals(sealFiles)
	if err != nil {
		return err
	}
	v, err := evidence.VerifyWith(der, evidence.VerifyOptions{Roots: roots, Seals: seals})
	if errors.Is(err, evidence.ErrUnreadable) {
		return usageErrorf("receipt verify: %s: %v", fs.Arg(0), err)
	} else if err != nil {
		return failf("receipt verify: %s is NOT valid: %v", fs.Arg(0), err)
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v.Record)
	}
	rec := v.Record
	w := env.Stdout
	fmt.Fprintf(w, "receipt is VALID: signed by %s\n", v.Signer.Subject)
	if v.TimestampTime.IsZero() {
		fmt.Fprintf(w, "timestamp:  none (signed while the timestamp authority was unavailable)\n")
	} else {
		fmt.Fprintf(w, "timestamp:  %s by %s\n", v.TimestampTime.UTC().Format(time.RFC3339), v.TSA.Subject)
	}
	fmt.Fprintf(w, "evidence:   %s\nevent:      %s at %s\ndocument:   %s (submitted %s)\n", rec.EvidenceID, rec.Event,
		rec.EventTime.UTC().Format(time.RFC3339), rec.DocumentID, rec.SubmissionTime.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "sender:     %s\nrecipients: %s\nnumber:     %s\nsubject:    %s\n", rec.Sender, strings.Join(rec.Recipients, ", "), rec.Number, rec.Subject)
	fmt.Fprintf(w, "pdf:        %s %s\n", rec.Document.Digest, rec.Document.Name)
	for i, a := range rec.Attachments {
		fmt.Fprintf(w, "attachment %d: %s %s\n", i, a.Digest, a.Name)
	}
	if rec.Status != "" {
		fmt.Fprintf(w, "status:     %s\n", rec.Status)
	}
	for _, r := range rec.Reasons {
		fmt.Fprintf(w, "reason:     %s\n", r)
	}
	if rec.Previous != "" {
		fmt.Fprintf(w, "previous:   %s\n", rec.Previous)
	}
	fmt.Fprintf(w, "issuer:     %s (policy %s)\n", rec.Issuer, rec.PolicyID)
	return nil
}

// loadSeals reads the --seal certificates: the first certificate of each
// file.
func loadSeals(files []string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, p := range files {
		cs, err := certs.LoadCertificateFile(p)
		if err != nil {
			return nil, usageErrorf("--seal %s: %v", p, err)
		}
		out = append(out, cs[0])
	}
	return out, nil
}
