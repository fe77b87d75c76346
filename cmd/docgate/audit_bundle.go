package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"docgate/certs"
	"docgate/gateway"
	"docgate/gateway/auditlog"
	"docgate/gateway/bundle"
	"docgate/signing/pades"
)

const auditExportUsage = `audit export ID -o BUNDLE.zip

Downloads a document's offline evidence bundle: the PDF and attachments as
submitted, every receipt, their inclusion proofs against one signed checkpoint,
the checkpoint, the log's public key, the certificates the receipts carry, the
validation report and a manifest. Check it with 'docgate audit verify'.`

const auditVerifyUsage = `audit verify --trust ROOT [--trust ROOT]... [--seal PEM]... [--key LOGPUB] [--json] BUNDLE.zip

Verifies an evidence bundle offline: every file against the manifest, every
receipt's seal signature (by a gateway seal: marked so by its certificate
policy, or given with --seal), chain to --trust and timestamp, the evidence against
the files, the receipts' chain (a receipt removed from the middle shows), each
receipt's inclusion in the checkpoint, the checkpoint's signature by the log
key, and the PDF's signatures against --trust. Pin the log key you were given
with --key (a file such as <data>/pki/log.pub, or the key itself): without it
the bundle's own key is used, which proves only that the bundle agrees with
itself. --json prints the outcome as one JSON object for scripts. Exit 0 when
everything checks out, 1 naming each failure, 2 for an unreadable bundle or a
usage error.`

func runAuditExport(ctx context.Context, env *Env, args []string) error {
	var out string
	cf, id, err := oneArg(env, "audit export", auditExportUsage, args, "document id", func(fs *flag.FlagSet) {
		fs.StringVar(&out, "o", "", "write the bundle here (required)")
	})
	if err != nil {
		return err
	}
	if out == "" {
		return usageErrorf("audit export: -o BUNDLE.zip is required")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	n, sum, err := c.download(ctx, "/v1/documents/"+escape(id)+"/bundle", out, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: evidence bundle of %s, %d bytes, sha256 %s\n", out, id, n, sum)
	return nil
}

func runAuditVerify(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "audit verify", auditVerifyUsage)
	var trust stringList
	fs.Var(&trust, "trust", "PEM file (or directory) of trusted roots for the receipts and the PDF; repeatable")
	key := fs.String("key", "", "the log's public verifier key, or a file holding it (default: the bundle's own, which proves little)")
	var sealFiles stringList
	fs.Var(&sealFiles, "seal", "PEM file of a gateway seal certificate trusted as the receipts' signer (repeatable)")
	asJSON := fs.Bool("json", false, "print the outcome as JSON")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("usage: docgate %s", strings.SplitN(auditVerifyUsage, "\n", 2)[0])
	}
	if len(trust) == 0 {
		return usageErrorf("audit verify: give --trust with the gateway's root certificate (in --dev: <data>/pki/root.crt)")
	}
	store, err := certs.LoadTrustStore(trust...)
	if err != nil {
		return usageErrorf("audit verify: --trust: %v", err)
	}
	roots := x509.NewCertPool()
	for _, c := range store.Anchors() {
		roots.AddCert(c)
	}
	logKey, err := readLogKey(*key)
	if err != nil {
		return err
	}
	seals, err := loadSeals(sealFiles)
	if err != nil {
		return err
	}
	name := fs.Arg(0)
	f, err := os.Open(name)
	if err != nil {
		return usageErrorf("audit verify: %v", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return usageErrorf("audit verify: %v", err)
	}
	res, err := bundle.Verify(ctx, f, st.Size(), bundle.Options{Roots: roots, Seals: seals, LogKey: logKey, PDF: &pades.Verifier{Trust: store}})
	if errors.Is(err, bundle.ErrUnreadable) {
		return usageErrorf("audit verify: %s: %v", name, err)
	} else if err != nil {
		return failf("audit verify: %s: %v", name, err)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(env.Stderr, "docgate: WARNING: %s\n", w)
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(bundleJSON(res)); err != nil {
			return failf("audit verify: %v", err)
		}
		if !res.OK() {
			return &exitError{code: exitFailed}
		}
		return nil
	}
	printBundle(env, res)
	if !res.OK() {
		for _, fl := range res.Failures {
			fmt.Fprintf(env.Stdout, "FAILED: %s\n", fl)
		}
		return failf("audit verify: %s does NOT verify: %d check(s) failed", name, len(res.Failures))
	}
	fmt.Fprintf(env.Stdout, "bundle VERIFIED: every file, receipt, proof and signature checks out\n")
	return nil
}

// verifyJSON is the outcome of audit verify --json; field names stay
// stable for auditors' scripts.
type verifyJSON struct {
	OK            bool            `json:"ok"`
	DocumentID    string          `json:"documentId"`
	LogOrigin     string          `json:"logOrigin,omitempty"`
	TreeSize      uint64          `json:"treeSize,omitempty"`
	KeyFromBundle bool            `json:"keyFromBundle"`
	Receipts      []verifyReceipt `json:"receipts"`
	PDF           *gateway.Report `json:"pdf,omitempty"`
	Failures      []string        `json:"failures"`
	Warnings      []string        `json:"warnings"`
}

type verifyReceipt struct {
	Number     int       `json:"number"`
	Path       string    `json:"path"`
	Verified   bool      `json:"verified"`
	Event      string    `json:"event,omitempty"`
	EvidenceID string    `json:"evidenceId,omitempty"`
	EventTime  time.Time `json:"eventTime,omitzero"`
	Timestamp  time.Time `json:"timestamp,omitzero"`
	Included   bool      `json:"included"`
	LogIndex   uint64    `json:"logIndex"`
}

func bundleJSON(res *bundle.Result) verifyJSON {
	out := verifyJSON{OK: res.OK(), DocumentID: res.Manifest.DocumentID, KeyFromBundle: res.KeyFromBundle, PDF: res.Report,
		Receipts: []verifyReceipt{}, Failures: append([]string{}, res.Failures...), Warnings: append([]string{}, res.Warnings...)}
	if cp := res.Checkpoint; cp != nil {
		out.LogOrigin, out.TreeSize = cp.Origin, cp.Size
	}
	for _, r := range res.Receipts {
		vr := verifyReceipt{Number: r.Number, Path: r.Path, Included: r.Included, LogIndex: r.LogIndex}
		if v := r.Verified; v != nil {
			vr.Verified, vr.Event, vr.EvidenceID, vr.EventTime, vr.Timestamp = true, v.Record.Event, v.Record.EvidenceID, v.Record.EventTime, v.TimestampTime
		}
		out.Receipts = append(out.Receipts, vr)
	}
	return out
}

// printBundle says what the bundle holds and what each receipt proved.
func printBundle(env *Env, res *bundle.Result) {
	w := env.Stdout
	fmt.Fprintf(w, "document:   %s\n", res.Manifest.DocumentID)
	if cp := res.Checkpoint; cp != nil {
		fmt.Fprintf(w, "checkpoint: %s, %d leaves, signed by the log key\n", cp.Origin, cp.Size)
	}
	for _, r := range res.Receipts {
		if r.Verified == nil {
			fmt.Fprintf(w, "receipt %d:  %s: not verified\n", r.Number, r.Path)
			continue
		}
		rec := r.Verified.Record
		in := "NOT in the log"
		if r.Included {
			in = fmt.Sprintf("log index %d", r.LogIndex)
		}
		fmt.Fprintf(w, "receipt %d:  %s at %s, %s, %s\n", r.Number, rec.Event, rec.EventTime.UTC().Format(time.RFC3339), strings.Join(rec.Recipients, ", "), in)
	}
	if rep := res.Report; rep != nil {
		fmt.Fprintf(w, "pdf:        %d signature(s), changed after signing: %s\n", len(rep.Signatures), rep.Document.Modification)
		for _, s := range rep.Signatures {
			ind := s.Indication
			if s.SubIndication != "" {
				ind += "/" + s.SubIndication
			}
			fmt.Fprintf(w, "signature:  %s by %s (%s) at %s: %s\n", s.Field, s.Signer, s.AgencyCode, s.SigningTime.UTC().Format(time.RFC3339), ind)
		}
	}
}

// readLogKey takes --key as a file or as the key itself; empty stays empty
// (the bundle's own key, with a warning from the verifier).
func readLogKey(key string) (string, error) {
	if key == "" {
		return "", nil
	}
	b, err := os.ReadFile(key)
	switch {
	case err == nil:
		if len(b) > maxNote {
			return "", usageErrorf("--key %s is %d bytes; a verifier key is one line", key, len(b))
		}
		key = strings.TrimSpace(string(b))
	case !strings.Contains(key, "+"):
		return "", usageErrorf("--key %q is neither a readable file nor a verifier key: %v", key, err)
	}
	if _, err := auditlog.NewLogVerifier(key); err != nil {
		return "", usageErrorf("--key: %s", gateway.ErrorMessage(err))
	}
	return key, nil
}
