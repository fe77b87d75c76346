package main

import (
	"bufio"
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"docgate/certs/keys"
	"docgate/gateway"
	"docgate/signing/pades"
	"docgate/signing/tsp"
)

const signUsage = `sign --cert CRT --key KEY [flags] IN.pdf -o OUT.pdf
       docgate sign [key flags] [flags] IN.pdf... --out-dir DIR

Key (one source):
  --cert CRT --key KEY [--chain PEM]
  --p12 FILE --password P
  --pkcs11-module SO --pkcs11-token LABEL --pkcs11-label KEYLABEL --pin PIN  (or DOCGATE_PIN)

Refusals exit 1 (certified document, locked or signed field) or 2 (unreadable or encrypted
input, usage); no output file is left behind.`

// signJob is one input and where its signed copy goes.
type signJob struct {
	in, out string
}

func runSign(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "sign", signUsage)
	var spec keys.Spec
	fs.StringVar(&spec.CertFile, "cert", "", "signer certificate, optionally followed by its chain (PEM or DER)")
	fs.StringVar(&spec.KeyFile, "key", "", "private key (PEM or DER)")
	fs.StringVar(&spec.ChainFile, "chain", "", "intermediate certificates to embed (PEM)")
	fs.StringVar(&spec.PKCS12File, "p12", "", "PKCS#12 file holding key and certificates")
	fs.StringVar(&spec.Password, "password", "", "password of the PKCS#12 file")
	fs.StringVar(&spec.PKCS11Module, "pkcs11-module", "", "PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so")
	fs.StringVar(&spec.PKCS11Token, "pkcs11-token", "", "token label")
	fs.StringVar(&spec.PKCS11Label, "pkcs11-label", "", "key label on the token")
	fs.StringVar(&spec.PKCS11ID, "pkcs11-id", "", "key ID on the token (hex)")
	fs.StringVar(&spec.PIN, "pin", "", "user PIN of the token")
	tsaURL := fs.String("tsa", "", "RFC 3161 timestamp authority URL: makes PAdES B-T")
	tsaTimeout := fs.Duration("tsa-timeout", 30*time.Second, "time allowed for the timestamp authority")
	subFilter := fs.String("subfilter", "cades", "cades (ETSI.CAdES.detached, PAdES) or pkcs7 (adbe.pkcs7.detached)")
	hashName := fs.String("hash", "sha256", "digest: sha256, sha384 or sha512")
	pss := fs.Bool("pss", false, "RSASSA-PSS instead of PKCS#1 v1.5 (RSA keys)")
	reason := fs.String("reason", "", "reason for signing")
	location := fs.String("location", "", "where the document was signed")
	contact := fs.String("contact", "", "how to reach the signer")
	field := fs.String("field", "", "sign into this existing empty signature field")
	newField := fs.Bool("new-field", false, "create a new signature field even when an empty one exists (used by default unless --rect places the signature)")
	certify := fs.Int("certify", 0, "certify the document with DocMDP permission 1 (no changes), 2 (forms and signing) or 3 (also annotations)")
	visible := fs.Bool("visible", false, "draw the signature on a page")
	page := fs.Int("page", 1, "page of a visible signature (1 = first)")
	rect := fs.String("rect", "", "rectangle of a visible signature in points: x1,y1,x2,y2 (default: the field's own, or the top right of the page)")
	image := fs.String("image", "", "PNG drawn in a visible signature (a seal; transparency kept)")
	var texts stringList
	fs.Var(&texts, "text", "line of text in a visible signature (repeatable; default: signer, organisation, time in Vietnam time)")
	out := fs.String("o", "", "output file (one input)")
	outDir := fs.String("out-dir", "", "output directory (any number of inputs; same file names)")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}

	jobs, err := signJobs(fs.Args(), *out, *outDir)
	if err != nil {
		return err
	}
	opts := pades.SignOptions{Reason: *reason, Location: *location, ContactInfo: *contact, FieldName: *field,
		UseEmptyField: !*newField && (!*visible || *rect == ""), PSS: *pss, Certify: *certify}
	switch strings.ToLower(*subFilter) {
	case "cades", pades.SubFilterCAdES:
		opts.SubFilter = pades.SubFilterCAdES
	case "pkcs7", pades.SubFilterPKCS7:
		opts.SubFilter = pades.SubFilterPKCS7
	default:
		return usageErrorf("sign: --subfilter must be cades or pkcs7")
	}
	switch strings.ToLower(*hashName) {
	case "sha256", "sha-256":
		opts.Hash = crypto.SHA256
	case "sha384", "sha-384":
		opts.Hash = crypto.SHA384
	case "sha512", "sha-512":
		opts.Hash = crypto.SHA512
	default:
		return usageErrorf("sign: --hash must be sha256, sha384 or sha512")
	}
	if *certify < 0 || *certify > 3 {
		return usageErrorf("sign: --certify must be 1, 2 or 3")
	}
	if *visible {
		ap := &pades.Appearance{Page: *page, Lines: texts}
		if *rect != "" {
			if ap.Rect, err = parseRect(*rect); err != nil {
				return usageErrorf("sign: --rect: %v", err)
			}
		}
		if *image != "" {
			if ap.Image, err = os.ReadFile(*image); err != nil {
				return usageErrorf("sign: --image: %v", err)
			}
		}
		opts.Visible = ap
	} else if *rect != "" || *image != "" || len(texts) > 0 {
		return usageErrorf("sign: --rect, --image and --text need --visible")
	}

	signer, chain, closer, err := keys.Load(ctx, spec)
	if err != nil {
		if gateway.ErrorCode(err) == gateway.EINVALID {
			return usageErrorf("sign: %s", gateway.ErrorMessage(err))
		}
		return failf("sign: load key: %v", err)
	}
	defer closer.Close()
	opts.Signer, opts.Chain = signer, chain
	if *tsaURL != "" {
		opts.Timestamper = &tsp.Client{URL: *tsaURL, HTTP: &http.Client{Timeout: *tsaTimeout}}
	}
	return signAll(ctx, env, jobs, opts)
}

// signJobs pairs inputs with outputs: one input with -o, any number with --out-dir.
func signJobs(inputs []string, out, outDir string) ([]signJob, error) {
	switch {
	case len(inputs) == 0:
		return nil, usageErrorf("sign: no input file; usage: docgate %s", signUsage)
	case out != "" && outDir != "":
		return nil, usageErrorf("sign: -o and --out-dir exclude each other")
	case out != "" && len(inputs) > 1:
		return nil, usageErrorf("sign: several inputs need --out-dir, not -o")
	case out == "" && outDir == "":
		return nil, usageErrorf("sign: say where the signed file goes: -o OUT.pdf or --out-dir DIR")
	}
	var jobs []signJob
	seen := map[string]string{}
	for _, in := range inputs {
		dst := out
		if outDir != "" {
			dst = filepath.Join(outDir, filepath.Base(in))
		}
		if prev, dup := seen[dst]; dup {
			return nil, usageErrorf("sign: %s and %s would both be written to %s", prev, in, dst)
		}
		seen[dst] = in
		if a, b := filepath.Clean(in), filepath.Clean(dst); a == b {
			return nil, usageErrorf("sign: %s: the output would replace the input; choose another -o or --out-dir", in)
		}
		jobs = append(jobs, signJob{in: in, out: dst})
	}
	return jobs, nil
}

func parseRect(s string) ([4]float64, error) {
	var r [4]float64
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return r, errors.New("want four numbers x1,y1,x2,y2")
	}
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return r, fmt.Errorf("%q is not a number", p)
		}
		r[i] = v
	}
	if r[2] <= r[0] || r[3] <= r[1] {
		return r, errors.New("x2 must exceed x1 and y2 exceed y1")
	}
	return r, nil
}

// signAll signs the jobs, at most GOMAXPROCS at a time, reporting progress on stderr: a bar on a
// terminal, one line per file otherwise. The exit code is the worst of the files'.
func signAll(ctx context.Context, env *Env, jobs []signJob, opts pades.SignOptions) error {
	bar := false
	if f, ok := env.Stderr.(*os.File); ok && len(jobs) > 1 {
		bar = term.IsTerminal(int(f.Fd()))
	}
	var (
		mu     sync.Mutex
		done   int
		failed int
		worst  = exitOK
		wg     sync.WaitGroup
		sem    = make(chan struct{}, runtime.GOMAXPROCS(0))
	)
	report := func(j signJob, res *pades.SignResult, err error) {
		mu.Lock()
		defer mu.Unlock()
		done++
		if bar {
			fmt.Fprint(env.Stderr, "\r\033[K")
		}
		if err != nil {
			failed++
			code, msg := signErrorCode(err)
			worst = max(worst, code)
			fmt.Fprintf(env.Stderr, "docgate: sign %s: %s\n", j.in, msg)
		} else if !bar || len(jobs) == 1 {
			fmt.Fprintf(env.Stdout, "signed %s -> %s (field %s, %s, %d bytes)\n", j.in, j.out, res.Field, res.Level, res.Size)
		}
		if bar {
			const width = 30
			n := done * width / len(jobs)
			fmt.Fprintf(env.Stderr, "[%s%s] %d/%d", strings.Repeat("=", n), strings.Repeat(" ", width-n), done, len(jobs))
			if done == len(jobs) {
				fmt.Fprintln(env.Stderr)
			}
		}
	}
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res, err := signOne(ctx, j, opts)
			report(j, res, err)
		}()
	}
	wg.Wait()
	if failed > 0 {
		if len(jobs) > 1 {
			return &exitError{code: worst, msg: fmt.Sprintf("sign: %d of %d files not signed", failed, len(jobs))}
		}
		return &exitError{code: worst}
	}
	return nil
}

// signOne signs one file into a temporary file next to the output and renames it into place
// only when everything succeeded, so that no partial or unsigned output is ever left.
func signOne(ctx context.Context, j signJob, opts pades.SignOptions) (res *pades.SignResult, err error) {
	in, err := os.Open(j.in)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", j.in)
	}
	tmp, err := os.CreateTemp(filepath.Dir(j.out), ".docgate-sign-*.pdf")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriterSize(tmp, 1<<20)
	if res, err = pades.Sign(ctx, in, st.Size(), w, opts); err != nil {
		return nil, err
	}
	if err = w.Flush(); err != nil {
		return nil, err
	}
	if err = tmp.Sync(); err != nil {
		return nil, err
	}
	if err = tmp.Close(); err != nil {
		return nil, err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return nil, err
	}
	if err = os.Rename(tmp.Name(), j.out); err != nil {
		return nil, err
	}
	return res, nil
}

// signErrorCode maps a signing error to an exit code and a message: a document the policy forbids
// signing is a "no" (1); input that cannot be read or a usage mistake is 2.
func signErrorCode(err error) (int, string) {
	var ref *pades.RefusalError
	if errors.As(err, &ref) {
		switch ref.Kind {
		case pades.RefuseCertified, pades.RefuseLocked, pades.RefuseFieldSigned:
			return exitFailed, "refused: " + ref.Error()
		default:
			return exitUsage, "refused: " + ref.Error()
		}
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return exitUsage, err.Error()
	}
	if errors.Is(err, tsp.ErrUnavailable) {
		return exitFailed, err.Error() + " (nothing written; retry later or sign without --tsa)"
	}
	return exitFailed, err.Error()
}
