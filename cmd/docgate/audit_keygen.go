package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"docgate/gateway/auditlog"
)

const auditKeygenUsage = "audit keygen --out FILE [--origin NAME] [--force]"

// logPubPath is where the public half of the log key in keyFile is kept:
// the same name with .pub, the layout serve --dev creates (log.key, log.pub).
func logPubPath(keyFile string) string {
	return strings.TrimSuffix(keyFile, filepath.Ext(keyFile)) + ".pub"
}

// runAuditKeygen creates a log signing key for serve --log-key-file, the
// production counterpart of the key --dev creates. It is local: the secret
// never crosses the network.
func runAuditKeygen(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "audit keygen", auditKeygenUsage)
	out := fs.String("out", "", "write the signer (private) key here, 0600; the public key goes beside it as FILE's name with .pub (required)")
	// A key made for a serve configured with DOCGATE_LOG_ORIGIN must carry
	// that name, or serve refuses it.
	origin := defaultLogOrigin
	if v := env.Getenv("DOCGATE_LOG_ORIGIN"); v != "" {
		origin = v
	}
	fs.StringVar(&origin, "origin", origin, "the log's name, first line of every checkpoint and fixed for the key's life, e.g. docgate.example.gov.vn/log; "+
		"DOCGATE_LOG_ORIGIN when set, as for serve")
	force := fs.Bool("force", false, "replace FILE and its .pub when they exist")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageErrorf("audit keygen: unexpected argument %q; usage: docgate %s", fs.Arg(0), auditKeygenUsage)
	case *out == "":
		return usageErrorf("audit keygen: --out is required; usage: docgate %s", auditKeygenUsage)
	}
	if strings.EqualFold(filepath.Ext(*out), ".pub") {
		return usageErrorf("audit keygen: --out %s ends in .pub, where the public key goes; name the secret key e.g. log.key", *out)
	}
	pub := logPubPath(*out)

	skey, vkey, err := auditlog.GenerateKey(rand.Reader, origin)
	if err == nil {
		// GenerateKey takes any name; the signer refuses the ones a signed
		// note cannot carry, as serve would when it loads the key.
		_, err = auditlog.NewSigner(skey)
	}
	if err != nil {
		return usageErrorf("audit keygen: --origin %q is not a log name: it must be non-empty UTF-8 without spaces or '+', e.g. docgate.example.gov.vn/log", origin)
	}

	replaced := false
	if *force {
		_, err := os.Stat(*out)
		replaced = err == nil
		if err := writeFileAtomic(*out, []byte(skey+"\n"), 0o600); err != nil {
			return failf("audit keygen: write the key: %v", err)
		}
	} else {
		exists := usageErrorf("audit keygen: %s exists; --force replaces it (and a log signed with it cannot be continued with the new key)", *out)
		if _, err := os.Lstat(*out); err == nil {
			return exists
		}
		// The .pub is checked too: one left beside a lost key may be what
		// auditors pinned, and replacing it deserves the same --force.
		if _, err := os.Lstat(pub); err == nil {
			return usageErrorf("audit keygen: %s exists; --force replaces it and %s", pub, *out)
		}
		err := writeFileExclusive(*out, []byte(skey+"\n"))
		if errors.Is(err, os.ErrExist) {
			return exists
		}
		if err != nil {
			return failf("audit keygen: write the key: %v", err)
		}
	}
	if err := writeFileAtomic(pub, []byte(vkey+"\n"), 0o644); err != nil {
		// A secret key without its public half on disk invites a
		// mismatched pair later; take it back so that a retry starts clean.
		os.Remove(*out)
		return failf("audit keygen: write the public key: %v (removed %s)", err, *out)
	}
	if replaced {
		fmt.Fprintf(env.Stderr, "docgate: warning: replaced the key in %s; a log signed with the old key cannot be continued with this one\n", *out)
	}
	fmt.Fprintf(env.Stdout, "Audit log key for %s created.\nsigner key: %s (0600, secret; give it to serve as --log-key-file and back it up)\npublic key: %s\n",
		origin, *out, pub)
	fmt.Fprintf(env.Stdout, "Public verifier key (give it to auditors for --key):\n%s\n", vkey)
	return nil
}
