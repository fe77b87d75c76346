package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"docgate/certs"
	"docgate/gateway"
	"docgate/signing/pades"
)

const verifyUsage = `verify [--trust PEM]... [--json] [--offline] [--allow-annotations] [--timeout D] [--jobs N] FILE.pdf...

Exit status: 0 when every file is VALID (every signature intact, trusted and
valid at signing time, nothing changed since beyond what the signatures allow);
1 when a file is not (INVALID, INDETERMINATE or UNSIGNED); 2 for usage errors
or a file that cannot be read as a PDF.

With --json each file gives one JSON object on its own line (JSON lines), the
validation report of DESIGN.md plus "file"; an unreadable file gives
{"file": ..., "error": ...}.

Several files are verified --jobs at a time (default: one per CPU); the
output is in the order the files were given all the same.

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

// verifyResultsPerJob bounds the results that may wait for a slow file
// before them, per job.
const verifyResultsPerJob = 4

func runVerify(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "verify", verifyUsage)
	var trust stringList
	fs.Var(&trust, "trust", "PEM or DER file (or directory) of trust anchors; repeatable")
	asJSON := fs.Bool("json", false, "print the validation report as JSON lines")
	offline := fs.Bool("offline", false, "never fetch revocation data (OCSP, CRL); use only what the PDF embeds")
	fs.Bool("online", true, "fetch revocation data when the PDF does not embed it (the default; kept for scripts)")
	timeout := fs.Duration("timeout", 0, "time limit per file (default 5s plus 1s per 50 MB)")
	allowAnnots := fs.Bool("allow-annotations", false, "accept annotations added after an approval signature in a document no signature certifies (they are still listed)")
	jobs := fs.Int("jobs", 0, "files verified at the same time; 0, the default, means one per CPU")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	files := fs.Args()
	if len(files) == 0 {
		return usageErrorf("verify: no PDF file given; usage: docgate %s", verifyUsage)
	}
	if *jobs < 0 {
		return usageErrorf("verify: --jobs %d: give a positive number, or 0 for one per CPU", *jobs)
	}
	if *jobs == 0 {
		*jobs = runtime.GOMAXPROCS(0)
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
		// ~0.8 ms of a ~10 ms run) than the memory it saves. Turning the
		// collector off under a 1 GiB soft limit was no faster over the
		// corpus in one process (within noise for a process per file), and
		// would let a long batch hold memory up to the limit. GOGC in the environment still
		// decides; the old setting is restored on return for callers that
		// run commands in-process.
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	opts := gateway.VerifyOptions{Offline: *offline}
	verify := func(name string) verifyResult {
		rep, err := verifyFile(ctx, v, name, opts, *timeout)
		return verifyResult{rep, err}
	}
	code := exitOK
	emit := func(name string, res verifyResult) error {
		if res.err != nil {
			code = exitUsage
			if *asJSON {
				b, _ := json.Marshal(struct {
					File  string `json:"file"`
					Error string `json:"error"`
				}{name, res.err.Error()})
				fmt.Fprintf(env.Stdout, "%s\n", b)
			}
			fmt.Fprintf(env.Stderr, "docgate: verify %s: %v\n", name, res.err)
			return nil
		}
		if res.rep.Document.Verdict != gateway.VerdictValid && code == exitOK {
			code = exitFailed
		}
		if *asJSON {
			b, err := json.Marshal(struct {
				File string `json:"file"`
				*gateway.Report
			}{name, res.rep})
			if err != nil {
				return fmt.Errorf("verify %s: encode report: %w", name, err)
			}
			fmt.Fprintf(env.Stdout, "%s\n", b)
		} else {
			if err := pades.WriteSummary(env.Stdout, name, res.rep); err != nil {
				return fmt.Errorf("verify %s: %w", name, err)
			}
		}
		return nil
	}
	if err := verifyAll(files, *jobs, verify, emit); err != nil {
		return err
	}
	if code != exitOK {
		return &exitError{code: code}
	}
	return nil
}

// verifyResult is one file's outcome.
type verifyResult struct {
	rep *gateway.Report
	err error
}

// verifyAll verifies files on jobs goroutines and hands each result to emit
// in the order of files, as soon as it and all before it are done, so that
// the output is the same whatever the number of jobs. Only a few results per
// job wait for a slow file before them. It stops at emit's first error.
func verifyAll(files []string, jobs int, verify func(name string) verifyResult, emit func(name string, res verifyResult) error) error {
	if jobs = min(jobs, len(files)); jobs <= 1 {
		for _, name := range files {
			if err := emit(name, verify(name)); err != nil {
				return err
			}
		}
		return nil
	}
	results := make([]chan verifyResult, len(files))
	for i := range results {
		results[i] = make(chan verifyResult, 1)
	}
	window := make(chan struct{}, verifyResultsPerJob*jobs)
	next := make(chan int)
	stop := make(chan struct{})
	go func() {
		defer close(next)
		for i := range files {
			select {
			case window <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case next <- i:
			case <-stop:
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range jobs {
		wg.Go(func() {
			for i := range next {
				results[i] <- verify(files[i])
			}
		})
	}
	defer wg.Wait()
	defer close(stop)
	for i, name := range files {
		res := <-results[i]
		<-window
		if err := emit(name, res); err != nil {
			return err
		}
	}
	return nil
}

// verifyFile verifies one file within the time limit. The verifier honours
// the context; the goroutine is a second line of defence so the command
// answers even if a walk overlooked it.
//
// The file is read from disk as the verifier asks, not whole first: reading
// the corpus into memory made `docgate verify` about 5% slower (a fresh
// buffer to fault in and fill, then copied again), and a large file would
// take its size in memory.
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
