package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"docgate/certs"
	"docgate/gateway"
	"docgate/signing/pades"
)

const verifyUsage = `verify [--trust PEM]... [--json] [--offline] [--allow-annotations] [--timeout D] FILE.pdf...

Exit status: 0 when every file is VALID (every signature intact, trusted and
valid at signing time, nothing changed since beyond what the signatures allow);
1 when a file is not (INVALID, INDETERMINATE or UNSIGNED); 2 for usage errors
or a file that cannot be read as a PDF.

With --json each file gives one JSON object on its own line (JSON lines), the
validation report of DESIGN.md plus "file"; an unreadable file gives
{"file": ..., "error": ...}.

Revocation data (OCSP, CRL) that a PDF does not embed is fetched from the
addresses in the certificates, but only for chains that reached one of your
--trust anchors, so a file cannot make docgate contact hosts of its choosing.
With --offline nothing is fetched, and a signature whose revocation status
cannot be established from embedded data is INDETERMINATE (TRY_LATER).`

// A file's time limit, unless --timeout sets one: hostile structure must get
// an answer within seconds, while a large honest file needs time to be hashed
// on a busy machine, so the limit grows with the size.
const (
	verifyBaseTimeout = 5 * time.Second
	verifyBytesPerSec = 50 << 20
)

func runVerify(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "verify", verifyUsage)
	var trust stringList
	fs.Var(&trust, "trust", "PEM or DER file (or directory) of trust anchors; repeatable")
	asJSON := fs.Bool("json", false, "print the validation report as JSON lines")
	offline := fs.Bool("offline", false, "never fetch revocation data (OCSP, CRL); use only what the PDF embeds")
	fs.Bool("online", true, "fetch revocation data when the PDF does not embed it (the default; kept for scripts)")
	timeout := fs.Duration("timeout", 0, "time limit per file (default 5s plus 1s per 50 MB)")
	allowAnnots := fs.Bool("allow-annotations", false, "accept annotations added after an approval signature in a document no signature certifies (they are still listed)")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	files := fs.Args()
	if len(files) == 0 {
		return usageErrorf("verify: no PDF file given; usage: docgate %s", verifyUsage)
	}
	store := certs.NewTrustStore()
	if len(trust) > 0 {
		var err error
		store, err = certs.LoadTrustStore(trust...)
		if err != nil {
			return usageErrorf("verify: --trust: %v", err)
		}
	}
	v := &pades.Verifier{Trust: store}
	if *allowAnnots {
		v.UncertifiedP = 3
	}
	if !*offline {
		// A short network timeout: the per-file time limit must still leave
		// room for an answer when a responder does not answer at all.
		v.Revocation = certs.NewRevocationChecker(certs.RevocationConfig{Timeout: 3 * time.Second})
	}
	if env.Getenv("GOGC") == "" {
		// One verify process lives for milliseconds with a small live heap:
		// collecting each time the heap doubles costs more (a cycle took
		// ~0.8 ms of a ~10 ms run) than the memory it saves. GOGC in the
		// environment still decides; the old setting is restored on return
		// for callers that run commands in-process.
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	code := exitOK
	for _, name := range files {
		rep, err := verifyFile(ctx, v, name, gateway.VerifyOptions{Offline: *offline}, *timeout)
		if err != nil {
			code = exitUsage
			if *asJSON {
				b, _ := json.Marshal(struct {
					File  string `json:"file"`
					Error string `json:"error"`
				}{name, err.Error()})
				fmt.Fprintf(env.Stdout, "%s\n", b)
			}
			fmt.Fprintf(env.Stderr, "docgate: verify %s: %v\n", name, err)
			continue
		}
		if rep.Document.Verdict != gateway.VerdictValid && code == exitOK {
			code = exitFailed
		}
		if *asJSON {
			b, err := json.Marshal(struct {
				File string `json:"file"`
				*gateway.Report
			}{name, rep})
			if err != nil {
				return fmt.Errorf("verify %s: encode report: %w", name, err)
			}
			fmt.Fprintf(env.Stdout, "%s\n", b)
		} else {
			if err := pades.WriteSummary(env.Stdout, name, rep); err != nil {
				return fmt.Errorf("verify %s: %w", name, err)
			}
		}
	}
	if code != exitOK {
		return &exitError{code: code}
	}
	return nil
}

// verifyFile verifies one file within the time limit. The verifier honours
// the context; the goroutine is a second line of defence so the command
// answers even if a walk overlooked it.
func verifyFile(ctx context.Context, v *pades.Verifier, name string, opts gateway.VerifyOptions, timeout time.Duration) (*gateway.Report, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, errors.New("is a directory")
	}
	if timeout <= 0 {
		timeout = verifyBaseTimeout + time.Duration(st.Size()/verifyBytesPerSec)*time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return pades.VerifyWithin(ctx, v, f, st.Size(), opts)
}
