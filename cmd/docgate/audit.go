package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"docgate/gateway"
	"docgate/gateway/auditlog"
	"docgate/storage/postgres"
	"docgate/storage/sqlite"
)

const auditUsage = `audit <command> [flags]

Commands:
  checkpoint [-o FILE] [--key PUBKEY]
        fetch the log's current signed checkpoint, verify its signature and
        print its size and root; -o saves it for a later consistency check
  consistency OLD_CHECKPOINT [-o FILE] [--key PUBKEY]
        prove that the log today extends a checkpoint you saved earlier;
        exit 1, loudly, if history was rewritten; -o saves the new checkpoint
  prove INDEX [--checkpoint FILE] [--leaf-file FILE] [-o PROOF] [--key PUBKEY]
        fetch and verify the inclusion proof of leaf INDEX, against a
        checkpoint signed now or against one you saved (--checkpoint)
  full [--data DIR | --database-url URL] [--key PUBKEY] [CHECKPOINT]
        the operator's check, run where the database is: recompute the whole
        tree from the stored leaves and compare every stored hash and the
        root with CHECKPOINT (default: the last one the gateway signed). The
        only check that sees a leaf rewritten under its old hash; O(n)
  export ID -o BUNDLE.zip
        download a document's offline evidence bundle (its files, receipts,
        their inclusion proofs, one checkpoint, keys and certificates)
  verify --trust ROOT [--key PUBKEY] BUNDLE.zip
        check a bundle offline, naming every check that fails
  keygen --out FILE [--origin NAME] [--force]
        create the log's signing key for serve --log-key-file (FILE, 0600)
        and its public key beside it (FILE's name with .pub) for auditors

The log's public key comes from --key (a file, as <data>/pki/log.pub, or the
key itself). Without --key it is fetched from GET /v1/log/key, which trusts the
very server being audited: auditors should pin the key they were given out of
band. Exit codes: 0 verified; 1 a check failed or the gateway refused; 2 usage
error or unreadable input. The commands but full, verify and keygen take
--server and --token.`

type auditSub struct {
	name string
	run  func(ctx context.Context, env *Env, args []string) error
}

func auditSubs() []auditSub {
	return []auditSub{
		{"checkpoint", runAuditCheckpoint},
		{"consistency", runAuditConsistency},
		{"prove", runAuditProve},
		{"full", runAuditFull},
		{"export", runAuditExport},
		{"verify", runAuditVerify},
		{"keygen", runAuditKeygen},
	}
}

// runAudit dispatches the audit log's subcommands.
func runAudit(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usageErrorf("usage: docgate %s", auditUsage)
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(env.Stdout, "Usage: docgate %s\n", auditUsage)
		return nil
	}
	for _, s := range auditSubs() {
		if s.name == args[0] {
			return s.run(ctx, env, args[1:])
		}
	}
	return usageErrorf("audit: unknown command %q; run 'docgate audit -h' for the list", args[0])
}

// auditFlags are the flags every audit command shares.
type auditFlags struct {
	client *clientFlags
	key    string
	out    string
}

func newAuditFlags(env *Env, name, usage string) (*flag.FlagSet, *auditFlags) {
	fs := newFlagSet(env, name, usage)
	af := &auditFlags{client: addClientFlags(fs)}
	fs.StringVar(&af.key, "key", "", "the log's public verifier key, or a file holding it (default: fetched from the server, which trusts it)")
	fs.StringVar(&af.out, "o", "", "save the verified checkpoint (or proof) to this file")
	return fs, af
}

// verifier builds the auditor's trust policy from --key, or from the key the
// server publishes, saying loudly that the latter trusts the server.
func (af *auditFlags) verifier(ctx context.Context, env *Env, c *apiClient) (*auditlog.Verifier, error) {
	key := af.key
	switch {
	case key == "":
		b, err := c.getText(ctx, "/v1/log/key")
		if err != nil {
			return nil, err
		}
		key = strings.TrimSpace(string(b))
		fmt.Fprintf(env.Stderr, "docgate: warning: using the log key the gateway sent (%s); this trusts the gateway being audited. "+
			"Pin the key you were given with --key.\n", key)
	default:
		b, err := os.ReadFile(key)
		switch {
		case err == nil:
			key = strings.TrimSpace(string(b))
		case !strings.Contains(key, "+"):
			return nil, usageErrorf("--key %q is neither a readable file nor a verifier key: %v", key, err)
		}
	}
	v, err := auditlog.NewLogVerifier(key)
	if err != nil {
		if af.key == "" {
			return nil, failf("the gateway's log key is not a verifier key: %s", gateway.ErrorMessage(err))
		}
		return nil, usageErrorf("--key: %s", gateway.ErrorMessage(err))
	}
	return v, nil
}

// getText fetches a text answer (a signed note, a key). Refusals and
// unreachable servers behave as in apiClient.do.
func (c *apiClient) getText(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base.String()+path, nil)
	if err != nil {
		return nil, usageErrorf("GET %s: %v", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "text/plain")
	res, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, failf("GET %s: %v", path, ctx.Err())
		}
		return nil, &exitError{code: exitUsage, msg: fmt.Sprintf("cannot reach the gateway: %v\nis the gateway running at %s?", unwrapURLError(err), c.base)}
	}
	defer res.Body.Close()
	if res.StatusCode >= 400 {
		return nil, responseError(res)
	}
	// Checkpoints and keys are a few hundred bytes; a gateway sending
	// megabytes is not answering the question.
	b, err := io.ReadAll(io.LimitReader(res.Body, maxNote+1))
	if err != nil {
		return nil, failf("GET %s: %v", path, err)
	}
	if len(b) > maxNote {
		return nil, failf("GET %s: the answer is larger than %d bytes", path, maxNote)
	}
	return b, nil
}

// maxNote bounds a signed note or key read from the gateway or a file.
const maxNote = 64 << 10

// readCheckpointFile reads a checkpoint the auditor saved. Unreadable input
// exits 2; a file that is not a checkpoint signed by the key exits 1, since
// the auditor's own record no longer checks out.
func readCheckpointFile(v *auditlog.Verifier, path string) (*auditlog.SignedCheckpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("read the saved checkpoint: %v", err)
	}
	if len(b) > maxNote {
		return nil, usageErrorf("%s is %d bytes; a checkpoint is a few hundred", path, len(b))
	}
	sc, err := v.OpenCheckpoint(b)
	if errors.Is(err, auditlog.ErrVerification) {
		return nil, failf("AUDIT FAILED: the saved checkpoint %s does not verify: %s", path, describeVerification(err))
	}
	if err != nil {
		return nil, usageErrorf("%s is not a signed checkpoint: %s", path, gateway.ErrorMessage(err))
	}
	return sc, nil
}

// openServerCheckpoint verifies a checkpoint the gateway sent.
func openServerCheckpoint(v *auditlog.Verifier, b []byte) (*auditlog.SignedCheckpoint, error) {
	sc, err := v.OpenCheckpoint(b)
	if err != nil {
		return nil, failf("AUDIT FAILED: the gateway's checkpoint does not verify: %s", describeVerification(err))
	}
	return sc, nil
}

// describeVerification makes a verification error one readable line: the
// Merkle library appends both roots as byte lists, which say nothing to a
// person.
func describeVerification(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, auditlog.ErrVerification.Error()+": ")
	if i := strings.Index(msg, ": calculated root"); i >= 0 {
		msg = msg[:i] + ": the proof does not lead to the signed root hash"
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

func printCheckpoint(w io.Writer, sc *auditlog.SignedCheckpoint) {
	fmt.Fprintf(w, "origin: %s\nsize:   %d\nroot:   %s\n", sc.Origin, sc.Size, base64.StdEncoding.EncodeToString(sc.Root))
	for _, c := range sc.Cosigners {
		fmt.Fprintf(w, "cosigned by: %s\n", c)
	}
	for _, u := range sc.Unknown {
		fmt.Fprintf(w, "also signed by an unknown key (not trusted): %s\n", u)
	}
}

func runAuditCheckpoint(ctx context.Context, env *Env, args []string) error {
	fs, af := newAuditFlags(env, "audit checkpoint", "audit checkpoint [-o FILE] [--key PUBKEY]")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("audit checkpoint: unexpected argument %q", fs.Arg(0))
	}
	c, err := af.client.client()
	if err != nil {
		return err
	}
	v, err := af.verifier(ctx, env, c)
	if err != nil {
		return err
	}
	b, err := c.getText(ctx, "/v1/log/checkpoint")
	if err != nil {
		return err
	}
	sc, err := openServerCheckpoint(v, b)
	if err != nil {
		return err
	}
	if af.out != "" {
		if err := writeFileAtomic(af.out, sc.Note, 0o644); err != nil {
			return failf("save the checkpoint: %v", err)
		}
	}
	printCheckpoint(env.Stdout, sc)
	fmt.Fprintf(env.Stdout, "verified: signed by %s\n", v.Log.Name())
	return nil
}

// consistencyAnswer is the gateway's GET /v1/log/proof/consistency.
type consistencyAnswer struct {
	From       uint64   `json:"from"`
	To         uint64   `json:"to"`
	Hashes     [][]byte `json:"hashes"`
	Checkpoint string   `json:"checkpoint"`
}

func runAuditConsistency(ctx context.Context, env *Env, args []string) error {
	fs, af := newAuditFlags(env, "audit consistency", "audit consistency OLD_CHECKPOINT [-o FILE] [--key PUBKEY]")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("usage: docgate audit consistency OLD_CHECKPOINT [-o FILE] [--key PUBKEY]")
	}
	c, err := af.client.client()
	if err != nil {
		return err
	}
	v, err := af.verifier(ctx, env, c)
	if err != nil {
		return err
	}
	old, err := readCheckpointFile(v, fs.Arg(0))
	if err != nil {
		return err
	}
	var ans consistencyAnswer
	err = c.do(ctx, http.MethodGet, "/v1/log/proof/consistency?from="+strconv.FormatUint(old.Size, 10), nil, "", &ans)
	if err != nil {
		// The gateway refuses a proof from a size beyond its log: a log
		// that shrank. Show that for what it is, from its own signature.
		if cur, cerr := c.getText(ctx, "/v1/log/checkpoint"); cerr == nil {
			if sc, oerr := v.OpenCheckpoint(cur); oerr == nil && sc.Size < old.Size {
				return failf("AUDIT FAILED: the log shrank from %d to %d leaves since your checkpoint: history was rewritten", old.Size, sc.Size)
			}
		}
		return err
	}
	if ans.From != old.Size || ans.Checkpoint == "" {
		return failf("AUDIT FAILED: the gateway answered a consistency proof from %d without a checkpoint, asked from %d", ans.From, old.Size)
	}
	cur, err := v.VerifyConsistency(old.Note, []byte(ans.Checkpoint), ans.Hashes)
	if err != nil {
		return failf("AUDIT FAILED: the log now does NOT extend your checkpoint of %d leaves: %s. "+
			"History was rewritten, or the gateway shows you a different log than before; keep both checkpoints as evidence",
			old.Size, describeVerification(err))
	}
	if af.out != "" {
		if err := writeFileAtomic(af.out, cur.Note, 0o644); err != nil {
			return failf("save the new checkpoint: %v", err)
		}
	}
	fmt.Fprintf(env.Stdout, "consistent: the log of %d leaves extends your checkpoint of %d\n", cur.Size, old.Size)
	printCheckpoint(env.Stdout, cur)
	return nil
}

// inclusionAnswer is the gateway's GET /v1/log/proof/inclusion.
type inclusionAnswer struct {
	Leaf       uint64   `json:"leaf"`
	TreeSize   uint64   `json:"treeSize"`
	Hashes     [][]byte `json:"hashes"`
	LeafData   []byte   `json:"leafData"`
	Checkpoint string   `json:"checkpoint"`
	Proof      string   `json:"proof"`
}

func runAuditProve(ctx context.Context, env *Env, args []string) error {
	fs, af := newAuditFlags(env, "audit prove", "audit prove INDEX [--checkpoint FILE] [--leaf-file FILE] [-o PROOF] [--key PUBKEY]")
	cpFile := fs.String("checkpoint", "", "prove against this saved checkpoint instead of one signed now")
	leafFile := fs.String("leaf-file", "", "the leaf's canonical record, when the gateway does not show it to you")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("usage: docgate audit prove INDEX [--checkpoint FILE] [--leaf-file FILE] [-o PROOF] [--key PUBKEY]")
	}
	index, err := strconv.ParseUint(fs.Arg(0), 10, 63)
	if err != nil {
		return usageErrorf("audit prove: INDEX must be a leaf index (0, 1, ...), got %q", fs.Arg(0))
	}
	var leaf []byte
	if *leafFile != "" {
		if leaf, err = os.ReadFile(*leafFile); err != nil {
			return usageErrorf("read --leaf-file: %v", err)
		}
	}
	c, err := af.client.client()
	if err != nil {
		return err
	}
	v, err := af.verifier(ctx, env, c)
	if err != nil {
		return err
	}
	var saved *auditlog.SignedCheckpoint
	q := url.Values{"leaf": {strconv.FormatUint(index, 10)}}
	if *cpFile != "" {
		if saved, err = readCheckpointFile(v, *cpFile); err != nil {
			return err
		}
		if index >= saved.Size {
			return usageErrorf("audit prove: leaf %d is not in your checkpoint of %d leaves", index, saved.Size)
		}
		q.Set("size", strconv.FormatUint(saved.Size, 10))
	}
	var ans inclusionAnswer
	if err := c.do(ctx, http.MethodGet, "/v1/log/proof/inclusion?"+q.Encode(), nil, "", &ans); err != nil {
		return err
	}
	if ans.Leaf != index {
		return failf("AUDIT FAILED: asked to prove leaf %d, the gateway answered for leaf %d", index, ans.Leaf)
	}
	if leaf == nil {
		leaf = ans.LeafData
	} else if ans.LeafData != nil && !bytes.Equal(leaf, ans.LeafData) {
		fmt.Fprintf(env.Stderr, "docgate: warning: the gateway's record of leaf %d differs from --leaf-file; proving --leaf-file\n", index)
	}
	if leaf == nil {
		return usageErrorf("audit prove: the gateway does not show you leaf %d's record (it names other agencies); give it with --leaf-file", index)
	}
	checkpoint := []byte(ans.Checkpoint)
	if saved != nil {
		checkpoint = saved.Note
	}
	if len(checkpoint) == 0 {
		return failf("AUDIT FAILED: the gateway sent an inclusion proof without a checkpoint")
	}
	sc, err := v.VerifyInclusion(checkpoint, leaf, index, ans.Hashes)
	if err != nil {
		return failf("AUDIT FAILED: leaf %d is NOT proven in the log of %d leaves: %s", index, ans.TreeSize, describeVerification(err))
	}
	if af.out != "" {
		text, err := (&auditlog.Proof{Index: index, Path: ans.Hashes, Checkpoint: checkpoint}).MarshalText()
		if err != nil {
			return failf("encode the proof: %v", err)
		}
		if err := writeFileAtomic(af.out, text, 0o644); err != nil {
			return failf("save the proof: %v", err)
		}
	}
	fmt.Fprintf(env.Stdout, "included: leaf %d is in the log of %d leaves\n", index, sc.Size)
	if r, err := auditlog.ParseLeafRecord(leaf); err == nil {
		fmt.Fprintf(env.Stdout, "document: %s\nevent:    %s\nfrom:     %s\nto:       %s\ntime:     %s\nevidence: %s\npdf sha256: %x\n",
			r.DocumentID, r.Event, r.From, strings.Join(r.To, ", "), r.Time.Format("2006-01-02T15:04:05.000000Z07:00"), r.EvidenceID, r.PDFSHA256)
	}
	printCheckpoint(env.Stdout, sc)
	return nil
}

func runAuditFull(ctx context.Context, env *Env, args []string) error {
	const usage = "audit full [--data DIR | --database-url URL] [--key PUBKEY] [CHECKPOINT]"
	fs := newFlagSet(env, "audit full", usage)
	data := fs.String("data", "./docgate-data", "data directory of a --dev gateway: docgate.db, and pki/log.pub as the default key")
	dbURL := fs.String("database-url", "", "PostgreSQL URL of the gateway's database, instead of --data")
	key := fs.String("key", "", "the log's public verifier key, or a file holding it (default <data>/pki/log.pub)")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageErrorf("usage: docgate %s", usage)
	}
	if *key == "" {
		if *dbURL != "" {
			return usageErrorf("audit full: --database-url needs --key, the log's public key")
		}
		*key = filepath.Join(*data, "pki", logPubFile)
	}
	v, err := (&auditFlags{key: *key}).verifier(ctx, env, nil)
	if err != nil {
		return err
	}
	var storage interface {
		auditlog.Storage
		auditlog.CheckpointStorage
	}
	if *dbURL != "" {
		s, err := postgres.Open(ctx, *dbURL)
		if err != nil {
			return usageErrorf("audit full: open the database: %s", describe(err))
		}
		defer s.Close()
		storage = s.AuditLog()
	} else {
		path := filepath.Join(*data, "docgate.db")
		if _, err := os.Stat(path); err != nil {
			return usageErrorf("audit full: %v", err)
		}
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			return usageErrorf("audit full: open %s: %s", path, describe(err))
		}
		defer s.Close()
		storage = s.AuditLog()
	}
	var cp []byte
	if fs.NArg() == 1 {
		sc, err := readCheckpointFile(v, fs.Arg(0))
		if err != nil {
			return err
		}
		cp = sc.Note
	} else {
		if cp, err = storage.LastCheckpoint(ctx); err != nil {
			return failf("audit full: read the last signed checkpoint: %s", describe(err))
		}
		if cp == nil {
			return usageErrorf("audit full: the gateway has signed no checkpoint yet; give one as CHECKPOINT")
		}
	}
	sc, err := openServerCheckpoint(v, cp)
	if err != nil {
		return err
	}
	if err := auditlog.Audit(ctx, storage, v, cp); err != nil {
		if gateway.ErrorCode(err) == gateway.EUNAVAILABLE {
			return failf("audit full: %s", describe(err))
		}
		// Anything else is the stored tree failing its check: a leaf or
		// node changed or missing, or a root other than the signed one.
		return failf("AUDIT FAILED: %s", describeAudit(err))
	}
	fmt.Fprintf(env.Stdout, "intact: the %d stored leaves hash to every stored node and to the signed root\n", sc.Size)
	printCheckpoint(env.Stdout, sc)
	return nil
}

// describeAudit is the message of Audit's finding, without the wrapping
// that says where in the code it was found.
func describeAudit(err error) string {
	var ge *gateway.Error
	if errors.As(err, &ge) {
		return ge.Message
	}
	return describeVerification(err)
}
