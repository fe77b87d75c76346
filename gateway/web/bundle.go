package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"

	"docgate/gateway/bundle"
)

// bundleView is an evidence bundle's verification put into words. The
// failures and warnings are the verifier's own sentences, so that the page
// and `docgate audit verify` say the same thing.
type bundleView struct {
	Valid      bool
	Class      string
	Title      string
	Text       string
	FileName   string
	DocumentID string
	Checkpoint string
	Receipts   []bundleReceipt
	PDF        string
	Failures   []string
	Warnings   []string
}

type bundleReceipt struct {
	Number   int
	Event    string
	Time     string
	Included bool
	Index    uint64
	Path     string
	Verified bool
}

// looksLikeZip says whether the upload may be an evidence bundle.
func looksLikeZip(r io.ReaderAt) bool {
	var b [4]byte
	if n, _ := r.ReadAt(b[:], 0); n < 4 {
		return false
	}
	return string(b[:]) == "PK\x03\x04"
}

// handleBundle verifies an evidence bundle spooled to f with the gateway's
// roots and its own log key: on this page the gateway vouches for itself,
// which the page says; an auditor who trusts no one runs `docgate audit
// verify` offline with the key pinned.
func (p *Pages) handleBundle(w http.ResponseWriter, r *http.Request, f *os.File, name string, size int64) {
	if p.ReceiptRoots == nil {
		p.formError(w, r, http.StatusUnprocessableEntity, "err.noreceipts", name)
		return
	}
	wait, cancelWait := context.WithTimeout(r.Context(), p.BusyWait)
	defer cancelWait()
	select {
	case p.slots <- struct{}{}:
		defer func() { <-p.slots }()
	case <-wait.Done():
		w.Header().Set("Retry-After", "60")
		p.formError(w, r, http.StatusServiceUnavailable, "err.busy")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), p.VerifyTimeout)
	defer cancel()
	res, err := bundle.Verify(ctx, f, size, bundle.Options{Roots: p.ReceiptRoots, Seals: p.ReceiptSeals, LogKey: p.LogKey, PDF: p.Verifier, TempDir: p.TempDir})
	if errors.Is(err, bundle.ErrUnreadable) {
		p.formError(w, r, http.StatusUnprocessableEntity, "err.bundle.unreadable", name)
		return
	} else if err != nil {
		id := requestID(w)
		p.Logger.ErrorContext(r.Context(), "verify a bundle on the page", "err", err, "file", name, "request_id", id)
		p.formError(w, r, http.StatusInternalServerError, "err.internal", id)
		return
	}
	pg := p.newPage(w, r, "bundle.title")
	bv := &bundleView{FileName: name, DocumentID: res.Manifest.DocumentID, Failures: res.Failures, Warnings: res.Warnings}
	if res.OK() {
		bv.Valid, bv.Class, bv.Title, bv.Text = true, "ok", pg.T("bundle.valid"), pg.T("bundle.valid.text")
	} else {
		bv.Class, bv.Title, bv.Text = "bad", pg.T("bundle.invalid"), pg.T("bundle.invalid.text")
	}
	if cp := res.Checkpoint; cp != nil {
		bv.Checkpoint = pg.Tf("bundle.checkpoint.value", cp.Origin, cp.Size)
	}
	for _, rr := range res.Receipts {
		br := bundleReceipt{Number: rr.Number, Path: rr.Path, Included: rr.Included, Index: rr.LogIndex}
		if v := rr.Verified; v != nil {
			br.Verified = true
			br.Event = lookupOr(pg, "event."+v.Record.Event, v.Record.Event)
			br.Time = vnTime(pg, v.Record.EventTime)
		}
		bv.Receipts = append(bv.Receipts, br)
	}
	if rep := res.Report; rep != nil {
		bv.PDF = pg.Tf("bundle.pdf.value", lookupOr(pg, "verdict."+rep.Document.Verdict, rep.Document.Verdict), len(rep.Signatures))
	}
	pg.Bundle = bv
	p.render(w, r, http.StatusOK, "bundle.html", pg)
}
