package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"docgate/certs/keys"
	"docgate/gateway"
	"docgate/signing/pades"
)

const benchUsage = `bench --server URL --token-file F --recipient-token-file F --to CODE --cert CRT --key KEY
       [--n 100] [--size BYTES] [--concurrency 4] [--rounds 4]
       [--baseline --s3-endpoint H:P --s3-bucket B --s3-access-key K --s3-secret-key S] [--json]

Measures a running gateway. It makes N distinct PDFs of about --size bytes,
each signed with --cert/--key (before any timing starts), then
  submit:     the sender (--token or --token-file) posts them with
              --concurrency senders at once;
  fetch+ack:  the recipient (--recipient-token or --recipient-token-file) of
              agency --to downloads each, checks its SHA-256, and acknowledges;
  round-trip: per document, its submit plus its fetch and acknowledgement;
  put:        with --baseline, the same bytes PUT raw to the same S3 store
              (the gateway's bucket) with the same concurrency, then deleted.
With --baseline the documents go in --rounds rounds, each a slice of them PUT
raw and submitted, the two in turns (put first in even rounds, submit first
in odd ones), so that both phases meet the store in the same state (its
object count, the page cache, the disk's write-back); each phase's seconds
are the sum over its rounds.
Each line is "phase key=value ...": docs, errors, seconds, docs_per_s,
mb_per_s, p50_ms, p99_ms; with --baseline a last line "ratio
submit_over_put=X". --json prints one JSON object instead.`

// benchConfig is what bench reads from flags and the environment.
type benchConfig struct {
	client         *clientFlags
	tokenFile      string
	recipToken     string
	recipTokenFile string
	to             string
	cert, key      string
	n, size        int
	concurrency    int
	rounds         int
	baseline       bool
	s3             struct{ endpoint, bucket, accessKey, secretKey, region string }
	s3SSL          bool
	asJSON         bool
}

// benchPhase is the result of one phase.
type benchPhase struct {
	Phase    string  `json:"phase"`
	Docs     int     `json:"docs"`
	Errors   int     `json:"errors"`
	Seconds  float64 `json:"seconds"`
	DocsPerS float64 `json:"docs_per_s"`
	MBPerS   float64 `json:"mb_per_s"`
	P50ms    float64 `json:"p50_ms"`
	P99ms    float64 `json:"p99_ms"`
	// FirstError is the first failure's message, so that a run that went
	// wrong says why.
	FirstError string `json:"first_error,omitempty"`
}

// benchResult is the whole run.
type benchResult struct {
	N           int          `json:"n"`
	Size        int64        `json:"size"`
	Concurrency int          `json:"concurrency"`
	Phases      []benchPhase `json:"phases"`
	// SubmitOverPut is submit throughput over raw PUT throughput.
	SubmitOverPut float64 `json:"submit_over_put,omitempty"`
}

func parseBenchConfig(env *Env, args []string) (*benchConfig, error) {
	c := &benchConfig{}
	fs := newFlagSet(env, "bench", benchUsage)
	c.client = addClientFlags(fs)
	fs.StringVar(&c.tokenFile, "token-file", "", "file holding the sending agency's API token (instead of --token)")
	fs.StringVar(&c.recipToken, "recipient-token", "", "API token of the recipient agency (prefer --recipient-token-file or DOCGATE_RECIPIENT_TOKEN)")
	fs.StringVar(&c.recipTokenFile, "recipient-token-file", "", "file holding the recipient agency's API token")
	fs.StringVar(&c.to, "to", "", "the recipient agency's code")
	fs.StringVar(&c.cert, "cert", "", "the sending agency's certificate (PEM, chain after it), e.g. from docgate ca issue")
	fs.StringVar(&c.key, "key", "", "private key of --cert")
	fs.IntVar(&c.n, "n", 100, "number of documents")
	fs.IntVar(&c.size, "size", 1<<20, "approximate size of each PDF in bytes")
	fs.IntVar(&c.concurrency, "concurrency", 4, "concurrent senders (and recipients)")
	fs.IntVar(&c.rounds, "rounds", 4, "with --baseline, rounds of raw PUTs and submissions taken in turns")
	fs.BoolVar(&c.baseline, "baseline", false, "also PUT the same bytes raw to the S3 store given by --s3-*")
	fs.StringVar(&c.s3.endpoint, "s3-endpoint", "", "S3 endpoint host:port of the gateway's blob store (for --baseline)")
	fs.StringVar(&c.s3.bucket, "s3-bucket", "", "S3 bucket (for --baseline)")
	fs.StringVar(&c.s3.accessKey, "s3-access-key", "", "S3 access key (for --baseline)")
	fs.StringVar(&c.s3.secretKey, "s3-secret-key", "", "S3 secret key (for --baseline; prefer DOCGATE_S3_SECRET_KEY)")
	fs.StringVar(&c.s3.region, "s3-region", "", "S3 region (for --baseline)")
	fs.BoolVar(&c.s3SSL, "s3-use-ssl", false, "connect to S3 over https (for --baseline)")
	fs.BoolVar(&c.asJSON, "json", false, "print the result as one JSON object")
	if err := parseFlags(env, fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usageErrorf("bench: unexpected argument %q", fs.Arg(0))
	}
	var err error
	if c.tokenFile != "" {
		if c.client.token, err = readToken(c.tokenFile); err != nil {
			return nil, err
		}
	}
	if c.recipTokenFile != "" {
		if c.recipToken, err = readToken(c.recipTokenFile); err != nil {
			return nil, err
		}
	}
	switch {
	case c.client.token == "":
		return nil, usageErrorf("bench: the sender's token is missing: give --token-file (or --token, DOCGATE_TOKEN)")
	case c.recipToken == "":
		return nil, usageErrorf("bench: the recipient's token is missing: give --recipient-token-file (or DOCGATE_RECIPIENT_TOKEN)")
	case c.to == "":
		return nil, usageErrorf("bench: --to is required: the recipient agency's code")
	case c.cert == "" || c.key == "":
		return nil, usageErrorf("bench: --cert and --key are required: the documents are signed with them (docgate ca issue makes a pair)")
	case c.n < 1 || c.n > 100000:
		return nil, usageErrorf("bench: --n must be between 1 and 100000")
	case c.size < 1024 || c.size > 100<<20:
		return nil, usageErrorf("bench: --size must be between 1024 bytes and 100 MiB")
	case c.concurrency < 1 || c.concurrency > 256:
		return nil, usageErrorf("bench: --concurrency must be between 1 and 256")
	case c.baseline && (c.rounds < 1 || c.rounds > c.n):
		return nil, usageErrorf("bench: --rounds must be between 1 and --n")
	case c.baseline && (c.s3.endpoint == "" || c.s3.bucket == "" || c.s3.accessKey == "" || c.s3.secretKey == ""):
		return nil, usageErrorf("bench: --baseline needs --s3-endpoint, --s3-bucket, --s3-access-key and --s3-secret-key of the gateway's store")
	}
	return c, nil
}

func readToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", usageErrorf("bench: %v", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// runBench measures a running gateway; see benchUsage.
func runBench(ctx context.Context, env *Env, args []string) error {
	cfg, err := parseBenchConfig(env, args)
	if err != nil {
		return err
	}
	sender, err := cfg.client.client()
	if err != nil {
		return err
	}
	recip := *sender
	recip.token = cfg.recipToken
	// One connection per worker stays open: the default pool keeps two.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 2 * cfg.concurrency
	sender.http = &http.Client{Transport: tr}
	recip.http = sender.http

	dir, err := os.MkdirTemp("", "docgate-bench-*")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(dir)
	docs, size, err := benchDocuments(ctx, cfg, dir)
	if err != nil {
		return err
	}
	res := benchResult{N: cfg.n, Size: size, Concurrency: cfg.concurrency}

	var putOp func(ctx context.Context, i int) error
	if cfg.baseline {
		op, cleanup, err := benchBaseline(ctx, cfg, docs)
		if err != nil {
			return err
		}
		defer cleanup()
		putOp = op
	}

	runID := hex.EncodeToString(randomBytes(4))
	ids := make([]string, len(docs))
	sums := make([]string, len(docs))
	submitOp := func(ctx context.Context, i int) error {
		e := gateway.Envelope{To: []string{cfg.to}, Subject: fmt.Sprintf("docgate bench %s #%d", runID, i), MessageID: fmt.Sprintf("bench-%s-%d", runID, i)}
		envJSON, err := json.Marshal(e)
		if err != nil {
			return err
		}
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() { pw.CloseWithError(writeSubmission(mw, envJSON, []string{docs[i]})) }()
		var out sendAnswer
		err = sender.do(ctx, "POST", "/v1/documents", pr, mw.FormDataContentType(), &out)
		pr.Close()
		ids[i], sums[i] = out.ID, out.SHA256
		return err
	}
	submitLat := make([]time.Duration, len(docs))
	putLat := make([]time.Duration, len(docs))
	var submit, put benchPhase
	if putOp == nil {
		submit = benchRun(ctx, "submit", cfg.concurrency, indexes(0, len(docs)), size, submitLat, submitOp)
	} else {
		var subs, puts []benchPhase
		for r := range cfg.rounds {
			idx := indexes(r*len(docs)/cfg.rounds, (r+1)*len(docs)/cfg.rounds)
			doPut := func() { puts = append(puts, benchRun(ctx, "put", cfg.concurrency, idx, size, putLat, putOp)) }
			doSubmit := func() { subs = append(subs, benchRun(ctx, "submit", cfg.concurrency, idx, size, submitLat, submitOp)) }
			if r%2 == 0 {
				doPut()
				doSubmit()
			} else {
				doSubmit()
				doPut()
			}
		}
		submit, put = sumPhases(subs, submitLat, size), sumPhases(puts, putLat, size)
	}
	fetchLat := make([]time.Duration, len(docs))
	fetch := benchRun(ctx, "fetch+ack", cfg.concurrency, indexes(0, len(docs)), size, fetchLat, func(ctx context.Context, i int) error {
		if ids[i] == "" {
			return fmt.Errorf("document %d was not submitted", i)
		}
		if err := recip.fetchChecked(ctx, ids[i], sums[i]); err != nil {
			return err
		}
		return recip.doJSON(ctx, "POST", "/v1/documents/"+escape(ids[i])+"/ack", nil, nil)
	})
	round := benchPhase{Phase: "round-trip", Docs: len(docs), Errors: max(submit.Errors, fetch.Errors),
		Seconds: submit.Seconds + fetch.Seconds}
	var rt []time.Duration
	for i := range docs {
		if submitLat[i] > 0 && fetchLat[i] > 0 {
			rt = append(rt, submitLat[i]+fetchLat[i])
		}
	}
	round.fill(rt, size)
	res.Phases = append(res.Phases, submit, fetch, round)
	if putOp != nil {
		res.Phases = append(res.Phases, put)
		if put.DocsPerS > 0 {
			res.SubmitOverPut = submit.DocsPerS / put.DocsPerS
		}
	}
	printBench(env, cfg, &res)
	for _, p := range res.Phases {
		if p.Errors > 0 {
			return failf("bench: %d of %d %s requests failed; the first: %s", p.Errors, p.Docs, p.Phase, p.FirstError)
		}
	}
	return nil
}

// fetchChecked downloads a document's PDF and checks its SHA-256.
func (c *apiClient) fetchChecked(ctx context.Context, id, want string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base.String()+"/v1/documents/"+escape(id)+"/content", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return responseError(res)
	}
	h := sha256.New()
	if _, err := io.Copy(h, res.Body); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("document %s: fetched bytes have SHA-256 %s, the gateway said %s", id, got, want)
	}
	return nil
}

// benchRun runs op for 0..n-1 on workers goroutines, recording each
// latency in lat (zero when it failed).
func benchRun(ctx context.Context, name string, workers int, idx []int, size int64, lat []time.Duration, op func(ctx context.Context, i int) error) benchPhase {
	n := len(idx)
	p := benchPhase{Phase: name, Docs: n}
	var mu sync.Mutex
	next := 0
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				k := next
				next++
				mu.Unlock()
				if k >= n || ctx.Err() != nil {
					return
				}
				i := idx[k]
				t0 := time.Now()
				err := op(ctx, i)
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					p.Errors++
					if p.FirstError == "" {
						p.FirstError = err.Error()
					}
				} else {
					lat[i] = d
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	p.Seconds = time.Since(start).Seconds()
	mine := make([]time.Duration, len(idx))
	for k, i := range idx {
		mine[k] = lat[i]
	}
	p.fill(mine, size)
	return p
}

// indexes is [from, to).
func indexes(from, to int) []int {
	idx := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		idx = append(idx, i)
	}
	return idx
}

// sumPhases adds up the rounds of one phase: their documents, errors and
// seconds, with percentiles over every latency in lat.
func sumPhases(parts []benchPhase, lat []time.Duration, size int64) benchPhase {
	var p benchPhase
	for _, q := range parts {
		p.Phase = q.Phase
		p.Docs += q.Docs
		p.Errors += q.Errors
		p.Seconds += q.Seconds
		if p.FirstError == "" {
			p.FirstError = q.FirstError
		}
	}
	p.fill(lat, size)
	return p
}

// fill sets the throughput and percentiles from the latencies of the
// requests that succeeded; a failed request's is zero and left out.
func (p *benchPhase) fill(all []time.Duration, size int64) {
	var lat []time.Duration
	for _, d := range all {
		if d > 0 {
			lat = append(lat, d)
		}
	}
	if len(lat) == 0 || p.Seconds <= 0 {
		return
	}
	slices.Sort(lat)
	p.DocsPerS = float64(len(lat)) / p.Seconds
	p.MBPerS = p.DocsPerS * float64(size) / 1e6
	p.P50ms = ms(lat[(len(lat)-1)*50/100])
	p.P99ms = ms(lat[(len(lat)-1)*99/100])
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func printBench(env *Env, cfg *benchConfig, res *benchResult) {
	if cfg.asJSON {
		b, _ := json.Marshal(res)
		fmt.Fprintf(env.Stdout, "%s\n", b)
		return
	}
	fmt.Fprintf(env.Stdout, "bench n=%d size=%d concurrency=%d\n", res.N, res.Size, res.Concurrency)
	for _, p := range res.Phases {
		fmt.Fprintf(env.Stdout, "%-10s docs=%d errors=%d seconds=%.3f docs_per_s=%.1f mb_per_s=%.1f p50_ms=%.1f p99_ms=%.1f\n",
			p.Phase, p.Docs, p.Errors, p.Seconds, p.DocsPerS, p.MBPerS, p.P50ms, p.P99ms)
	}
	if res.SubmitOverPut > 0 {
		fmt.Fprintf(env.Stdout, "ratio submit_over_put=%.2f\n", res.SubmitOverPut)
	}
}

// benchDocuments writes n distinct signed PDFs of about cfg.size bytes into
// dir and returns their paths and the size of the first. Distinct, because
// the blob store keeps one copy of identical bytes and would skip the
// upload of a repeat.
func benchDocuments(ctx context.Context, cfg *benchConfig, dir string) ([]string, int64, error) {
	signer, chain, closer, err := keys.Load(ctx, keys.Spec{CertFile: cfg.cert, KeyFile: cfg.key})
	if err != nil {
		return nil, 0, usageErrorf("bench: --cert/--key: %s", describe(err))
	}
	defer closer.Close()
	opts := pades.SignOptions{Signer: signer, Chain: chain, Reason: "docgate bench"}
	sign := func(pad int) ([]byte, error) {
		pdf := benchPDF(pad)
		var out bytes.Buffer
		if _, err := pades.Sign(ctx, bytes.NewReader(pdf), int64(len(pdf)), &out, opts); err != nil {
			return nil, failf("bench: sign a test document: %v", err)
		}
		return out.Bytes(), nil
	}
	// One document measures what the PDF's structure and the signature
	// add to the padding, so that the others come out at about cfg.size.
	probe, err := sign(256)
	if err != nil {
		return nil, 0, err
	}
	pad := max(cfg.size-(len(probe)-256), 256)
	paths := make([]string, cfg.n)
	var size int64
	for i := range paths {
		out, err := sign(pad)
		if err != nil {
			return nil, 0, err
		}
		if i == 0 {
			size = int64(len(out))
		}
		paths[i] = filepath.Join(dir, fmt.Sprintf("doc-%06d.pdf", i))
		if err := os.WriteFile(paths[i], out, 0o600); err != nil {
			return nil, 0, fmt.Errorf("bench: %w", err)
		}
	}
	return paths, size, nil
}

// benchPDF is a one-page PDF carrying about pad bytes of random binary as an
// image, the way scanned pages and embedded images fill real documents:
// incompressible, different every time, with the newlines binary data has
// (a single 1 MiB line of text would be no real PDF).
func benchPDF(pad int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	var offs []int
	obj := func(body string) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offs), body)
	}
	content := "BT /F1 18 Tf 72 720 Td (docgate bench) Tj ET"
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>")
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	obj(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>\nstream\n%s\nendstream", pad, pad, randomBytes(pad)))
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f\r\n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n\r\n", o)
	}
	id := hex.EncodeToString(randomBytes(16))
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, id, id, xref)
	return b.Bytes()
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// benchBaseline returns the raw PUT of document i to the S3 store, under a
// prefix of its own, and the cleanup that deletes what was put.
func benchBaseline(ctx context.Context, cfg *benchConfig, docs []string) (op func(ctx context.Context, i int) error, cleanup func(), err error) {
	mc, err := minio.New(cfg.s3.endpoint, &minio.Options{
		Creds: credentials.NewStaticV4(cfg.s3.accessKey, cfg.s3.secretKey, ""), Secure: cfg.s3SSL, Region: cfg.s3.region,
	})
	if err != nil {
		return nil, nil, usageErrorf("bench: --s3-endpoint: %v", err)
	}
	if ok, err := mc.BucketExists(ctx, cfg.s3.bucket); err != nil || !ok {
		return nil, nil, failf("bench: the S3 bucket %s is not there (%v): give the gateway's --s3-bucket", cfg.s3.bucket, err)
	}
	prefix := "docgate-bench-" + hex.EncodeToString(randomBytes(6)) + "/"
	op = func(ctx context.Context, i int) error {
		f, err := os.Open(docs[i])
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		_, err = mc.PutObject(ctx, cfg.s3.bucket, prefix+filepath.Base(docs[i]), f, st.Size(), minio.PutObjectOptions{ContentType: "application/pdf"})
		return err
	}
	cleanup = func() {
		for i := range docs {
			mc.RemoveObject(context.WithoutCancel(ctx), cfg.s3.bucket, prefix+filepath.Base(docs[i]), minio.RemoveObjectOptions{})
		}
	}
	return op, cleanup, nil
}
