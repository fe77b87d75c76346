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

// newLogKey makes a log signing key pair named origin, refusing a name the
// signer could never load.
func newLogKey(origin string) (skey, vkey string, err error) {
	skey, vkey, err = auditlog.GenerateKey(rand.Reader, origin)
	if err == nil {
		// GenerateKey takes any name; the signer refuses the ones a signed
		// note cannot carry, as serve does when it loads the key.
		_, err = auditlog.NewSigner(skey)
	}
	return skey, vkey, err
}

// writeNewLogKey writes a new key pair: the secret key to keyFile, which
// must not exist (os.ErrExist), and the public key beside it. When the
// public key cannot be written the secret one is taken back, so that a
// retry starts clean rather than with a pair that may not match.
func writeNewLogKey(keyFile, skey, vkey string) error {
	if err := writeFileExclusive(keyFile, []byte(skey+"\n")); err != nil {
		if errors.Is(err, os.ErrExist) {
			return err
		}
		return fmt.Errorf("write the key: %w", err)
	}
	pub := logPubPath(keyFile)
	if err := writeFileAtomic(pub, []byte(vkey+"\n"), 0o644); err != nil {
		os.Remove(keyFile)
		return fmt.Errorf("write the public key: %w (removed %s)", err, keyFile)
	}
	return nil
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

	skey, vkey, err := newLogKey(origin)
	if err != nil {
		return usageErrorf("audit keygen: --origin %q is not a log name: it must be non-empty UTF-8 without spaces or '+', e.g. docgate.example.gov.vn/log", origin)
	}

	replaced := false
	if *force {
		// The public key first, then the secret one; should the second
		// write fail, the old .pub goes back, so that the pair on disk
		// always matches.
		_, err := os.Stat(*out)
		replaced = err == nil
		oldPub, oldPubErr := os.ReadFile(pub)
		if err := writeFileAtomic(pub, []byte(vkey+"\n"), 0o644); err != nil {
			return failf("audit keygen: write the public key: %v (nothing was replaced)", err)
		}
		if err := writeFileAtomic(*out, []byte(skey+"\n"), 0o600); err != nil {
			if oldPubErr == nil {
				writeFileAtomic(pub, oldPub, 0o644)
			} else {
				os.Remove(pub)
			}
			return failf("audit keygen: write the key: %v (%s and %s are as they were)", err, *out, pub)
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
		err := writeNewLogKey(*out, skey, vkey)
		if errors.Is(err, os.ErrExist) {
			return exists
		}
		if err != nil {
			return failf("audit keygen: %v", err)
		}
	}
	if replaced {
		fmt.Fprintf(env.Stderr, "docgate: warning: replaced the key in %s; a log signed with the old key cannot be continued with this one\n", *out)
	}
	fmt.Fprintf(env.Stdout, "Audit log key for %s created.\nsigner key: %s (0600, secret; give it to serve as --log-key-file and back it up)\npublic key: %s\n",
		origin, *out, pub)
	fmt.Fprintf(env.Stdout, "Public verifier key (give it to auditors for --key):\n%s\n", vkey)
	return nil
}
