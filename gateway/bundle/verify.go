package bundle

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"docgate/gateway"
	"docgate/gateway/auditlog"
	"docgate/gateway/evidence"
)

// Options are an auditor's trust decisions for Verify.
type Options struct {
	// Roots the receipts' seal and timestamp authority must chain to.
	Roots *x509.CertPool
	// Seals are gateway seal certificates trusted as receipt signers even
	// without evidence.ReceiptSealPolicy (see evidence.VerifyOptions).
	Seals []*x509.Certificate
	// LogKey is the log's verifier key the auditor was given out of band.
	// Empty takes the bundle's own, which proves only that the bundle agrees
	// with itself; Result.Warnings says so.
	LogKey string
	// PDF checks the document's signatures (signing/pades, with the same
	// roots); nil is a failure, never a silent skip.
	PDF gateway.Verifier
	// TempDir holds compressed parts while the PDF verifier reads them.
	TempDir string
}

// ReceiptResult is what one receipt proved.
type ReceiptResult struct {
	Number   int // from 1, in the bundle's order
	Path     string
	Verified *evidence.Verified // nil when the receipt did not verify
	Included bool               // its leaf is in the checkpoint
	LogIndex uint64
}

// Result is the outcome of Verify: OK only when Failures is empty.
type Result struct {
	Manifest   *Manifest
	Checkpoint *auditlog.SignedCheckpoint // nil when it did not verify
	Receipts   []ReceiptResult
	Report     *gateway.Report // the PDF verified here, not the bundle's copy
	// KeyFromBundle is set when no log key was pinned.
	KeyFromBundle bool
	Failures      []string
	Warnings      []string
}

// OK reports whether everything checked out.
func (r *Result) OK() bool { return len(r.Failures) == 0 }

func (r *Result) failf(format string, args ...any) {
	r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
}

// Verify checks a bundle offline: every file against the manifest's hash,
// every receipt's signature, chain and timestamp, its evidence against the
// files, the evidence chain (so that a receipt removed from the middle
// shows), each receipt's leaf in the one checkpoint through its proof, the
// checkpoint's signature by the log key, and the PDF's signatures. It
// returns an error (with ErrUnreadable) only when the bundle cannot be
// read; everything else is a failure in the Result, each naming what failed.
func Verify(ctx context.Context, r io.ReaderAt, size int64, opts Options) (*Result, error) {
	b, err := Read(r, size)
	if err != nil {
		return nil, err
	}
	b.tempDir = opts.TempDir
	if opts.Roots == nil {
		// x509 would fall back to the system's roots; an auditor who gave
		// none trusts none.
		opts.Roots = x509.NewCertPool()
	}
	res := &Result{Manifest: &b.Manifest}

	byKind := map[string][]File{}
	for _, f := range b.Manifest.Files {
		byKind[f.Kind] = append(byKind[f.Kind], f)
	}
	for _, p := range b.Missing {
		res.failf("%s is listed in the manifest but missing from the bundle", p)
	}
	for _, p := range b.Extra {
		res.failf("%s is in the bundle but not in the manifest", p)
	}
	for _, f := range b.Manifest.Files {
		sum, ok := b.Sums[f.Path]
		if !ok {
			continue
		}
		if !strings.EqualFold(sum, f.SHA256) {
			res.failf("%s (%s) does not match its SHA-256 in the manifest: it was changed", f.Path, f.Kind)
		} else if b.Sizes[f.Path] != f.Size {
			res.failf("%s (%s) is %d bytes, the manifest says %d", f.Path, f.Kind, b.Sizes[f.Path], f.Size)
		}
	}

	docs := byKind[KindDocument]
	if len(docs) != 1 {
		res.failf("the bundle holds %d documents, want exactly 1", len(docs))
	}
	attachments := map[int]File{}
	for _, a := range byKind[KindAttachment] {
		if a.Index == nil || *a.Index < 0 || attachments[*a.Index].Path != "" {
			res.failf("attachment %s has no position of its own in the manifest", a.Path)
			continue
		}
		attachments[*a.Index] = a
	}

	v := checkLogKey(b, opts, res)
	cpBytes := b.Data(CheckpointPath)
	switch {
	case cpBytes == nil:
		res.failf("the bundle has no checkpoint (%s)", CheckpointPath)
	case v != nil:
		sc, err := v.OpenCheckpoint(cpBytes)
		if err != nil {
			res.failf("the checkpoint does not verify with the log key %s: %s", v.Log.Name(), describe(err))
		} else {
			res.Checkpoint = sc
		}
	}

	receipts := byKind[KindReceipt]
	if len(receipts) == 0 {
		res.failf("the bundle holds no receipt")
	}
	seen := map[string]int{} // evidence id -> receipt number
	prevID := ""
	for i, f := range receipts {
		n := i + 1
		rr := ReceiptResult{Number: n, Path: f.Path}
		name := fmt.Sprintf("receipt %d (%s)", n, f.Event)
		der := b.Data(f.Path)
		if der == nil {
			res.Receipts = append(res.Receipts, rr)
			continue // reported as missing above
		}
		ver, err := evidence.VerifyWith(der, evidence.VerifyOptions{Roots: opts.Roots, Seals: opts.Seals})
		if err != nil {
			res.failf("%s: %s", name, err)
			res.Receipts = append(res.Receipts, rr)
			// Go on with the manifest's word for its id, so that the
			// receipts after it are not also blamed for a gap.
			if f.EvidenceID != "" && seen[f.EvidenceID] == 0 {
				seen[f.EvidenceID] = n
			}
			prevID = f.EvidenceID
			continue
		}
		rr.Verified = ver
		rec := ver.Record
		name = fmt.Sprintf("receipt %d (%s)", n, rec.Event)
		if rec.Event != f.Event || rec.EvidenceID != f.EvidenceID {
			res.failf("%s: the manifest calls it %s %s, its signed evidence %s %s", name, f.Event, f.EvidenceID, rec.Event, rec.EvidenceID)
		}
		if ver.TimestampTime.IsZero() {
			res.failf("%s: has no signature timestamp (signed while the timestamp authority was down and not stamped since)", name)
		}
		checkEvidence(res, name, rec, b, docs, attachments)
		// The exchange chains each receipt to the one before it: a receipt
		// cut from the middle leaves the next one pointing at nothing.
		switch {
		case rec.Previous == "" && i > 0:
			res.failf("%s: its evidence says it is the document's first, but it follows receipt %d", name, n-1)
		case rec.Previous != "" && seen[rec.Previous] == 0:
			res.failf("%s: follows evidence %s, which is not in the bundle: a receipt was removed", name, rec.Previous)
		case rec.Previous != "" && rec.Previous != prevID:
			res.failf("%s: follows evidence %s (receipt %d), not the receipt before it: the receipts are out of order", name, rec.Previous, seen[rec.Previous])
		}
		if m := seen[rec.EvidenceID]; m != 0 {
			res.failf("%s: is the same evidence as receipt %d", name, m)
		}
		seen[rec.EvidenceID] = n
		prevID = rec.EvidenceID
		rr.Included, rr.LogIndex = checkInclusion(res, name, b, f, rec, v, cpBytes)
		res.Receipts = append(res.Receipts, rr)
	}

	if len(docs) == 1 && b.Sums[docs[0].Path] != "" {
		checkPDF(ctx, res, b, docs[0], opts.PDF)
	}
	if rb := b.Data(ReportPath); rb != nil {
		var rep gateway.Report
		if err := json.Unmarshal(rb, &rep); err != nil {
			res.failf("%s is not a validation report: %s", ReportPath, err)
		}
	}
	return res, nil
}

// checkLogKey chooses the log key: the pinned one, or the bundle's with a
// loud warning. nil when there is none to use (a failure is recorded).
func checkLogKey(b *Bundle, opts Options, res *Result) *auditlog.Verifier {
	key := strings.TrimSpace(opts.LogKey)
	if key == "" {
		res.KeyFromBundle = true
		kb := b.Data(LogKeyPath)
		if kb == nil {
			res.failf("no log key was given and the bundle has none (%s)", LogKeyPath)
			return nil
		}
		key = strings.TrimSpace(string(kb))
		res.Warnings = append(res.Warnings, "the log key was taken from the bundle itself ("+key+"): this proves only that the receipts agree "+
			"with the bundle's own key, not that the gateway's log holds them; pin the key you were given")
	} else if kb := b.Data(LogKeyPath); kb != nil && strings.TrimSpace(string(kb)) != key {
		res.Warnings = append(res.Warnings, "the bundle's log key differs from the pinned one; the pinned key is used")
	}
	v, err := auditlog.NewLogVerifier(key)
	if err != nil {
		res.failf("the log key is not a verifier key: %s", gateway.ErrorMessage(err))
		return nil
	}
	return v
}

// checkEvidence compares what a receipt's signed evidence says about the
// document with the files in the bundle.
func checkEvidence(res *Result, name string, rec *evidence.Record, b *Bundle, docs []File, atts map[int]File) {
	if rec.DocumentID != b.Manifest.DocumentID {
		res.failf("%s: is evidence about document %s, not %s", name, rec.DocumentID, b.Manifest.DocumentID)
	}
	if len(docs) == 1 {
		if sum := b.Sums[docs[0].Path]; sum != "" && !strings.EqualFold(sum, rec.Document.Digest) {
			res.failf("%s: its evidence's PDF digest %s is not that of %s (%s)", name, rec.Document.Digest, docs[0].Path, sum)
		}
	}
	if len(rec.Attachments) != len(atts) {
		res.failf("%s: its evidence lists %d attachments, the bundle holds %d", name, len(rec.Attachments), len(atts))
	}
	for i, a := range rec.Attachments {
		f, ok := atts[i]
		if !ok {
			// Numbered by the unsigned manifest: a gap must not let a file
			// the evidence names go unchecked.
			res.failf("%s: its evidence lists attachment %d (%s), which the bundle does not hold under that number", name, i, a.Name)
			continue
		}
		if sum := b.Sums[f.Path]; sum != "" && !strings.EqualFold(sum, a.Digest) {
			res.failf("%s: its evidence's digest of attachment %d (%s) is not that of %s", name, i, a.Name, f.Path)
		}
	}
}

// checkInclusion checks a receipt's proof: that it leads to the bundle's
// one checkpoint, and that the receipt's leaf, rebuilt from its signed
// evidence, is in that checkpoint's tree.
func checkInclusion(res *Result, name string, b *Bundle, f File, rec *evidence.Record, v *auditlog.Verifier, cp []byte) (bool, uint64) {
	if f.Proof == "" {
		res.failf("%s: has no inclusion proof: the event is not in the delivery log", name)
		return false, 0
	}
	pb := b.Data(f.Proof)
	if pb == nil {
		res.failf("%s: its proof %s is not in the bundle", name, f.Proof)
		return false, 0
	}
	p, err := auditlog.ParseProof(pb)
	if err != nil {
		res.failf("%s: its proof %s is malformed: %s", name, f.Proof, gateway.ErrorMessage(err))
		return false, 0
	}
	if f.LogIndex != nil && (*f.LogIndex < 0 || uint64(*f.LogIndex) != p.Index) {
		res.failf("%s: the manifest puts it at log index %d, its proof at %d", name, *f.LogIndex, p.Index)
	}
	if cp != nil && !bytes.Equal(p.Checkpoint, cp) {
		res.failf("%s: its proof leads to another checkpoint than the bundle's", name)
		return false, p.Index
	}
	if v == nil {
		return false, p.Index
	}
	leaf, err := LeafOf(rec)
	if err != nil {
		res.failf("%s: %s", name, err)
		return false, p.Index
	}
	size := b.Manifest.CheckpointSize
	if res.Checkpoint != nil {
		size = res.Checkpoint.Size
	}
	if _, err := v.VerifyRecordProof(p, leaf); err != nil {
		res.failf("%s: not included in checkpoint %d: %s", name, size, describe(err))
		return false, p.Index
	}
	return true, p.Index
}

// checkPDF verifies the document's signatures with the auditor's roots.
func checkPDF(ctx context.Context, res *Result, b *Bundle, f File, pv gateway.Verifier) {
	if pv == nil {
		res.failf("%s: no PDF verifier was given, so its signatures were not checked", f.Path)
		return
	}
	r, size, closeFn, err := b.openPart(f.Path)
	if err != nil {
		res.failf("%s: %s", f.Path, err)
		return
	}
	defer closeFn()
	rep, err := pv.VerifyPDF(ctx, r, size, gateway.VerifyOptions{Offline: true})
	if err != nil {
		res.failf("%s: not a readable PDF: %s", f.Path, err)
		return
	}
	res.Report = rep
	if rep.Document.Verdict == gateway.VerdictValid {
		return
	}
	// Offline, a signature whose PDF embeds no revocation data cannot be
	// judged on revocation: that alone is said loudly but is no failure, as
	// long as it is intact, chains to the auditor's roots and nothing was
	// changed after signing that the signatures do not allow. Any other
	// shortfall fails.
	var why, offline []string
	why = append(why, rep.Document.Errors...)
	if rep.Document.Verdict == gateway.VerdictInvalid || rep.Document.Verdict == gateway.VerdictUnsigned ||
		rep.Document.Modification == gateway.ModificationIllegal {
		why = append(why, rep.Document.Changes...)
		if len(rep.Document.Changes) == 0 && rep.Document.Modification == gateway.ModificationIllegal {
			why = append(why, "changed after signing in a way the signatures do not allow")
		}
	}
	for _, s := range rep.Signatures {
		switch {
		case s.Indication == gateway.IndicationPassed:
			continue
		case s.Intact && s.Indication == gateway.IndicationIndeterminate && s.SubIndication == subTryLater:
			offline = append(offline, s.Field)
			continue
		}
		w := s.Field + ": " + s.Indication
		if s.SubIndication != "" {
			w += "/" + s.SubIndication
		}
		if len(s.Errors) > 0 {
			w += " (" + strings.Join(s.Errors, "; ") + ")"
		}
		why = append(why, w)
	}
	if len(why) == 0 && rep.Document.Verdict == gateway.VerdictIndeterminate && len(offline) > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: the revocation status of %s could not be checked offline: "+
			"the PDF embeds no revocation data (a B-LT signature would); integrity and the chain to your roots verified",
			f.Path, strings.Join(offline, ", ")))
		return
	}
	msg := fmt.Sprintf("%s: the PDF's signatures are %s", f.Path, rep.Document.Verdict)
	if len(why) > 0 {
		msg += ": " + strings.Join(why, "; ")
	}
	res.failf("%s", msg)
}

// subTryLater is the ETSI sub-indication of a revocation status that could
// not be established (certs.SubTryLater).
const subTryLater = "TRY_LATER"

// describe makes a log verification error one line: the Merkle library adds
// both roots as byte lists, which tell a person nothing.
func describe(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, auditlog.ErrVerification.Error()+": ")
	if i := strings.Index(msg, ": calculated root"); i >= 0 {
		msg = msg[:i] + ": the proof does not lead to the signed root hash"
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	var ge *gateway.Error
	if !errors.Is(err, auditlog.ErrVerification) && errors.As(err, &ge) {
		msg = ge.Message
	}
	return msg
}
