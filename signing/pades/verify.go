package pades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"time"

	"docgate/certs"
	"docgate/gateway"
	"docgate/signing/cms"
	"docgate/signing/pdf"
	"docgate/signing/tsp"
)

// Verifier checks the signatures of PDF documents and what changed after them.
// The zero value trusts nothing and never fetches revocation data; a caller
// wires in its trust anchors and revocation checker.
type Verifier struct {
	// Trust holds the anchors signers must chain to; nil trusts nothing, so every
	// signature is at best INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND.
	Trust *certs.TrustStore
	// Revocation answers revocation questions. Nil, or VerifyOptions.Offline,
	// means an offline checker that uses only the data embedded in the PDF.
	Revocation *certs.RevocationChecker
	// PDF bounds the work of reading one file; nil means the reader's defaults.
	PDF *pdf.Options
	// UncertifiedP is the /DocMDP permission level assumed for a document no
	// signature certifies: 2 (form filling and signing) when zero, as for a
	// certification without /P. 3 also accepts annotations added after an
	// approval signature; they are still listed in the changes.
	UncertifiedP int
}

var _ gateway.Verifier = (*Verifier)(nil)

// Values of SignatureReport.Kind, Coverage and Modification.
const (
	KindSignature = "signature"
	KindTimestamp = "timestamp"

	CoverageEntireFile     = "ENTIRE_FILE"
	CoverageEntireRevision = "ENTIRE_REVISION"
	CoverageUnclear        = "UNCLEAR"

	TimeSourceTimestamp = "timestamp"
	TimeSourceClaimed   = "claimed"
	// TimeSourceValidation means the signature names no time at all: it was
	// judged at the validation time.
	TimeSourceValidation = "validation"
)

// Sub-indications this package adds to those of certs.
const (
	subHashFailure      = "HASH_FAILURE"
	subSigCryptoFailure = "SIG_CRYPTO_FAILURE"
	subFormatFailure    = "FORMAT_FAILURE"
	subSignerNotFound   = "NO_SIGNING_CERTIFICATE_FOUND"
	subSignedDataNF     = "SIGNED_DATA_NOT_FOUND"
	subCryptoNoPOE      = "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
)

// VerifyPDF reads the PDF in r and reports on every signature and on what
// changed after them. A readable PDF with bad signatures is a report; an error
// (gateway EINVALID) means the bytes are not a PDF this reader can read.
func (v *Verifier) VerifyPDF(ctx context.Context, r io.ReaderAt, size int64, opts gateway.VerifyOptions) (*gateway.Report, error) {
	f, err := pdf.Open(r, size, v.PDF)
	if err != nil {
		return nil, gateway.Errorf(gateway.EINVALID, "unreadable PDF: %s", err.Error())
	}
	now := opts.At
	if now.IsZero() {
		now = time.Now()
	}
	checker := v.Revocation
	if checker == nil || opts.Offline {
		checker = certs.NewRevocationChecker(certs.RevocationConfig{Offline: true, Now: func() time.Time { return now }})
	}
	trust := v.Trust
	if trust == nil {
		trust = certs.NewTrustStore()
	}
	vr := &verification{ctx: ctx, f: f, r: r, size: size, now: now, trust: trust, checker: checker, uncertifiedP: v.UncertifiedP}
	return vr.run()
}

// verification is the state of one VerifyPDF call.
type verification struct {
	ctx     context.Context
	f       *pdf.File
	r       io.ReaderAt
	size    int64
	now     time.Time
	trust   *certs.TrustStore
	checker *certs.RevocationChecker

	dss          *dssData
	uncertifiedP int
	// tail describes bytes after the last revision's end.
	tail tailInfo
	// digests holds the signed ranges' digests hashPass computed.
	digests map[digestKey][]byte
}

// digestKey names a digest of a signature's signed ranges.
type digestKey struct {
	br [4]int64
	h  crypto.Hash
}

// tailInfo describes what follows the last %%EOF.
type tailInfo struct {
	size    int64 // bytes after the last revision
	content bool  // other than white space and NULs
	objects bool  // object syntax: an update without a cross-reference section
}

// sigEntry is one signed field found in the newest revision.
type sigEntry struct {
	field    string
	fieldRef pdf.Ref
	sigRef   pdf.Ref // zero when /V is a direct dictionary
	dict     *pdf.Dict
	lock     pdf.Object
	end      int64 // where the /ByteRange ends, -1 when unreadable
	rev      int   // index of the revision the signature closes, -1 when unknown
	report   gateway.SignatureReport
	docTS    bool
	// broken: the signature's structure is forged or unreadable (verdict INVALID).
	broken bool

	// Set by prepareSignature for finishSignature. ready: the structure is
	// sound and the container was parsed (into sd or tok, or parseErr).
	ready     bool
	subFilter pdf.Name
	br        [4]int64
	sd        *cms.SignedData
	tok       *tsp.Token
	parseErr  error
	digestAlg crypto.Hash // what the signed ranges must be hashed with; 0 when unknown
}

func (vr *verification) run() (*gateway.Report, error) {
	f := vr.f
	revs := f.Revisions()
	rep := &gateway.Report{
		Document: gateway.DocumentReport{
			Revisions:   len(revs),
			Changes:     []string{},
			EmptyFields: []string{},
			Size:        vr.size,
			Repaired:    f.Repaired(),
		},
		Signatures: []gateway.SignatureReport{},
	}
	if f.Repaired() {
		rep.Document.Errors = append(rep.Document.Errors, "the cross-reference information is broken and was rebuilt by scanning: offsets do not mean what the file claims")
	}
	if f.Encrypted() {
		rep.Document.Errors = append(rep.Document.Errors, "the document is encrypted: strings and streams were compared as stored")
	}
	fields, err := f.Fields()
	if err != nil {
		if ctxErr := vr.ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("verify: %w", ctxErr)
		}
		return nil, gateway.Errorf(gateway.EINVALID, "unreadable form fields: %s", err.Error())
	}
	vr.dss = vr.readDSS()
	vr.tail = vr.readTail(revs[len(revs)-1].End)

	var sigs []*sigEntry
	seen := map[pdf.Ref]string{}
	for _, fd := range fields {
		if fd.Type != "Sig" {
			continue
		}
		if fd.Value == nil {
			rep.Document.EmptyFields = append(rep.Document.EmptyFields, fd.Name)
			continue
		}
		if _, isNull := fd.Value.(pdf.Null); isNull {
			rep.Document.EmptyFields = append(rep.Document.EmptyFields, fd.Name)
			continue
		}
		s := &sigEntry{field: fd.Name, fieldRef: fd.Ref, lock: fd.Lock, end: -1, rev: -1}
		if ref, ok := fd.Value.(pdf.Ref); ok {
			s.sigRef = ref
			if other, dup := seen[ref]; dup {
				// One signature dictionary shown by two fields: the signature is
				// reported once, under the first field; the second is noted.
				rep.Document.Errors = append(rep.Document.Errors, fmt.Sprintf("field %s shows the signature of field %s again (object %d)", fd.Name, other, ref.Num))
				continue
			}
			seen[ref] = fd.Name
		}
		if o, err := f.Resolve(fd.Value); err == nil && isNull(o) {
			// /V refers to an object that does not exist: null, so the
			// field is not signed (ISO 32000, 7.3.10).
			delete(seen, s.sigRef)
			rep.Document.EmptyFields = append(rep.Document.EmptyFields, fd.Name)
			continue
		}
		d, err := f.ResolveDict(fd.Value)
		if err != nil || d == nil {
			// /V that is not a dictionary: a signature that cannot verify.
			s.report = newSigReport(fd.Name)
			s.broken = true
			fail(&s.report, gateway.IndicationFailed, subFormatFailure, "the field's /V is not a signature dictionary")
			sigs = append(sigs, s)
			continue
		}
		s.dict = d
		sigs = append(sigs, s)
	}

	sigs = append(sigs, vr.removedSignatures(seen, rep)...)

	for _, s := range sigs {
		if err := vr.ctx.Err(); err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		if s.dict != nil {
			vr.prepareSignature(s)
		}
	}
	if sum, err := vr.hashPass(sigs); err == nil {
		rep.Document.SHA256 = hex.EncodeToString(sum)
	} else if ctxErr := vr.ctx.Err(); ctxErr != nil {
		return nil, fmt.Errorf("verify: %w", ctxErr)
	}
	for _, s := range sigs {
		if err := vr.ctx.Err(); err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		vr.finishSignature(s)
	}
	// Oldest revision first; unknown revisions (broken ranges) last, in field order.
	sort.SliceStable(sigs, func(i, j int) bool {
		a, b := sigs[i].end, sigs[j].end
		if a < 0 {
			return false
		}
		if b < 0 {
			return true
		}
		return a < b
	})

	vr.assignLevels(sigs)

	mod, err := vr.analyse(sigs)
	if err != nil {
		if ctxErr := vr.ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("verify: %w", ctxErr)
		}
		// The analysis could not finish on a readable file: say so and call
		// the modifications illegal, since nothing vouches for them.
		mod = &modResult{doc: gateway.ModificationIllegal, changes: []string{"modification analysis: " + err.Error()}}
	}
	if vr.tail.content && len(sigs) > 0 {
		// Bytes no revision accounts for: no signature covers them, and a
		// viewer that rebuilds the cross-reference table may show objects
		// defined there.
		if vr.tail.objects {
			mod.doc = gateway.ModificationIllegal
			mod.changes = append(mod.changes, fmt.Sprintf("%d bytes after the last %%%%EOF define objects without a cross-reference section: an update that no signature covers", vr.tail.size))
			for _, s := range sigs {
				s.report.Modification = lvlNames[lvlOther]
			}
		} else {
			rep.Document.Errors = append(rep.Document.Errors, fmt.Sprintf("%d bytes of data after the last %%%%EOF, outside every revision and every signature", vr.tail.size))
		}
	}
	rep.Document.Modification = mod.doc
	rep.Document.Changes = append(rep.Document.Changes, mod.changes...)

	for _, s := range sigs {
		rep.Signatures = append(rep.Signatures, s.report)
	}
	rep.Document.Verdict = verdict(sigs, mod.doc)
	if len(sigs) == 0 && f.Repaired() {
		// A broken file whose signatures no readable field shows: if it holds
		// a signature dictionary, the document is a damaged signed one, not
		// an unsigned one.
		if ref, ok := vr.orphanSignature(); ok {
			rep.Document.Verdict = gateway.VerdictInvalid
			rep.Document.Errors = append(rep.Document.Errors, fmt.Sprintf("signature dictionary (object %d) found in a file whose structure had to be rebuilt; no readable field shows it", ref.Num))
		} else if end := revs[len(revs)-1].End; end < vr.size && vr.tailHas(end, []byte("/ByteRange")) {
			rep.Document.Verdict = gateway.VerdictInvalid
			rep.Document.Errors = append(rep.Document.Errors, fmt.Sprintf("a signature dictionary lies after byte %d, where no readable revision reaches: a damaged signed file", end))
		}
	}
	return rep, nil
}

func newSigReport(field string) gateway.SignatureReport {
	return gateway.SignatureReport{Field: field, Kind: KindSignature, Chain: []string{}, Errors: []string{}, Coverage: CoverageUnclear, Modification: "NONE"}
}

// fail records a failure; the first TOTAL_FAILED wins over later
// INDETERMINATE ones, because a broken signature stays broken whatever else is
// unknown.
func fail(r *gateway.SignatureReport, ind, sub, msg string) {
	if msg != "" {
		r.Errors = append(r.Errors, msg)
	}
	switch {
	case r.Indication == "" || r.Indication == gateway.IndicationPassed:
		r.Indication, r.SubIndication = ind, sub
	case r.Indication == gateway.IndicationIndeterminate && ind == gateway.IndicationFailed:
		r.Indication, r.SubIndication = ind, sub
	}
}

// verdict sums the signatures and the modification analysis up.
func verdict(sigs []*sigEntry, mod string) string {
	if len(sigs) == 0 {
		return gateway.VerdictUnsigned
	}
	if mod == gateway.ModificationIllegal {
		return gateway.VerdictInvalid
	}
	all := true
	for _, s := range sigs {
		r := &s.report
		if s.broken || r.Indication == gateway.IndicationFailed {
			return gateway.VerdictInvalid
		}
		if r.Indication != gateway.IndicationPassed {
			all = false
		}
	}
	if all {
		return gateway.VerdictValid
	}
	return gateway.VerdictIndeterminate
}

// assignLevels sets the PAdES baseline level of every signature: B-LT when a
// DSS with validation data was added at or after the signature's revision,
// B-LTA when a document timestamp covers such a DSS.
func (vr *verification) assignLevels(sigs []*sigEntry) {
	revs := vr.f.Revisions()
	dssRev := -1
	for i := range revs {
		if vr.ctx.Err() != nil {
			return
		}
		view, err := vr.f.At(i)
		if err != nil {
			continue
		}
		if hasValidationData(view) {
			dssRev = i
			break
		}
	}
	for _, s := range sigs {
		if s.docTS || s.rev < 0 || s.report.Level == "" {
			continue
		}
		if dssRev >= 0 && dssRev >= s.rev {
			s.report.Level = "B-LT"
			if slices.ContainsFunc(sigs, func(t *sigEntry) bool { return t.docTS && t.rev > dssRev && t.report.Intact }) {
				s.report.Level = "B-LTA"
			}
		}
	}
}

// hasValidationData reports whether the catalog of view names a DSS holding
// certificates, OCSP responses, CRLs or VRI.
func hasValidationData(view *pdf.View) bool {
	cat, err := view.Catalog()
	if err != nil || cat == nil {
		return false
	}
	dss, err := view.ResolveDict(cat.Get("DSS"))
	if err != nil || dss == nil {
		return false
	}
	for _, k := range []pdf.Name{"Certs", "OCSPs", "CRLs", "VRI"} {
		if o, err := view.Resolve(dss.Get(k)); err == nil {
			switch x := o.(type) {
			case pdf.Array:
				if len(x) > 0 {
					return true
				}
			case *pdf.Dict:
				if x.Len() > 0 {
					return true
				}
			}
		}
	}
	return false
}

// dssData is what the newest /DSS offers for chain building and revocation.
type dssData struct {
	certs []*x509.Certificate
	crls  [][]byte
	ocsps [][]byte
}

// maxDSSEntries bounds how many DSS streams are read: real files hold tens.
const maxDSSEntries = 2000

func (vr *verification) readDSS() *dssData {
	out := &dssData{}
	cat, err := vr.f.Catalog()
	if err != nil || cat == nil {
		return out
	}
	dss, err := vr.f.ResolveDict(cat.Get("DSS"))
	if err != nil || dss == nil {
		return out
	}
	read := func(key pdf.Name, each func([]byte)) {
		o, err := vr.f.Resolve(dss.Get(key))
		if err != nil {
			return
		}
		arr, ok := o.(pdf.Array)
		if !ok {
			return
		}
		for i, e := range arr {
			if i >= maxDSSEntries || vr.ctx.Err() != nil {
				return
			}
			so, err := vr.f.Resolve(e)
			if err != nil {
				continue
			}
			st, ok := so.(*pdf.Stream)
			if !ok {
				continue
			}
			data, rest, err := vr.f.Decode(st)
			if err != nil || len(rest) > 0 {
				continue
			}
			each(data)
		}
	}
	read("Certs", func(b []byte) {
		if c, err := x509.ParseCertificate(b); err == nil {
			out.certs = append(out.certs, c)
		}
	})
	read("CRLs", func(b []byte) { out.crls = append(out.crls, b) })
	read("OCSPs", func(b []byte) { out.ocsps = append(out.ocsps, b) })
	return out
}

// errorsAs is errors.As for a target type, as an expression.
func errorsAs[T error](err error) (T, bool) {
	var t T
	ok := errors.As(err, &t)
	return t, ok
}

// VerifyWithin runs v.VerifyPDF and returns by the context's deadline even if
// the verification has not finished: a hostile file gets an answer (an
// error, exit 2 in the CLI) rather than holding the caller. A panic in the
// reader is turned into an error for the same reason. The CLI and the corpus
// test both verify through it.
func VerifyWithin(ctx context.Context, v *Verifier, r io.ReaderAt, size int64, opts gateway.VerifyOptions) (*gateway.Report, error) {
	type result struct {
		rep *gateway.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				// A bug of ours, not the file's fault: EINTERNAL, so that tests
				// can tell it from unreadable input.
				done <- result{err: gateway.Errorf(gateway.EINTERNAL, "verifier failed on this file: %v", p)}
			}
		}()
		rep, err := v.VerifyPDF(ctx, r, size, opts)
		done <- result{rep, err}
	}()
	select {
	case res := <-done:
		return res.rep, res.err
	case <-ctx.Done():
		return nil, gateway.Errorf(gateway.EINVALID, "verification did not finish in time (%s): the file is hostile or very large; a larger time limit may help", ctx.Err().Error())
	}
}

// maxOrphanScan bounds the objects orphanSignature reads.
const maxOrphanScan = 100000

// orphanSignature looks through every object the repair scan found for a
// signature dictionary.
func (vr *verification) orphanSignature() (pdf.Ref, bool) {
	revs := vr.f.Revisions()
	for _, rv := range revs {
		for i, ref := range rv.Objects() {
			if i >= maxOrphanScan || vr.ctx.Err() != nil {
				return pdf.Ref{}, false
			}
			o, err := vr.f.Object(ref)
			if err != nil {
				continue
			}
			if d, ok := o.(*pdf.Dict); ok && d.Has("ByteRange") && d.Has("Contents") {
				return ref, true
			}
		}
	}
	return pdf.Ref{}, false
}

// tailHas reports whether the bytes from off to the end of the file contain
// needle, reading them in chunks.
func (vr *verification) tailHas(off int64, needle []byte) bool {
	buf := make([]byte, 64<<10)
	keep := len(needle) - 1
	carry := 0
	for off < vr.size {
		if vr.ctx.Err() != nil {
			return false
		}
		n, err := vr.r.ReadAt(buf[carry:], off)
		if n <= 0 {
			return false
		}
		if bytes.Contains(buf[:carry+n], needle) {
			return true
		}
		off += int64(n)
		if err != nil {
			return false
		}
		if carry+n >= keep {
			copy(buf, buf[carry+n-keep:carry+n])
			carry = keep
		}
	}
	return false
}

// readTail reads what follows the last revision, in chunks, stopping once it
// has seen object syntax.
func (vr *verification) readTail(off int64) tailInfo {
	t := tailInfo{size: vr.size - off}
	if t.size <= 0 {
		t.size = 0
		return t
	}
	buf := make([]byte, 64<<10)
	var prev []byte
	for pos := off; pos < vr.size && vr.ctx.Err() == nil; {
		n, err := vr.r.ReadAt(buf, pos)
		if n <= 0 {
			break
		}
		chunk := buf[:n]
		for _, c := range chunk {
			switch c {
			case ' ', '\t', '\r', '\n', '\f', 0:
			default:
				t.content = true
			}
			if t.content {
				break
			}
		}
		window := append(prev, chunk...)
		if bytes.Contains(window, []byte(" obj")) || bytes.Contains(window, []byte("endobj")) {
			t.objects = true
			return t
		}
		prev = append(prev[:0], chunk[max(0, len(chunk)-8):]...)
		pos += int64(n)
		if err != nil {
			break
		}
	}
	return t
}

// maxRevisionsSearched bounds how many earlier revisions are searched for
// signatures the newest one no longer shows.
const maxRevisionsSearched = 200

// removedSignatures finds signatures that earlier revisions show and the
// newest does not: a later update that drops a signed field (and changes the
// document) must not make the document look unsigned. The diff then reports
// the removal as an illegal change.
func (vr *verification) removedSignatures(seen map[pdf.Ref]string, rep *gateway.Report) []*sigEntry {
	revs := vr.f.Revisions()
	var out []*sigEntry
	for i := len(revs) - 2; i >= 0 && i >= len(revs)-1-maxRevisionsSearched; i-- {
		if vr.ctx.Err() != nil {
			return out
		}
		view, err := vr.f.At(i)
		if err != nil {
			continue
		}
		fields, err := view.Fields()
		if err != nil {
			continue
		}
		for _, fd := range fields {
			ref, ok := fd.Value.(pdf.Ref)
			if fd.Type != "Sig" || !ok {
				continue
			}
			if _, dup := seen[ref]; dup {
				continue
			}
			d, err := view.ResolveDict(ref)
			if err != nil || d == nil || !d.Has("ByteRange") {
				continue
			}
			seen[ref] = fd.Name
			rep.Document.Errors = append(rep.Document.Errors, fmt.Sprintf("signature field %s, signed in revision %d or before, is no longer in the document", fd.Name, i+1))
			out = append(out, &sigEntry{field: fd.Name, fieldRef: fd.Ref, sigRef: ref, dict: d, lock: fd.Lock, end: -1, rev: -1})
		}
	}
	return out
}
