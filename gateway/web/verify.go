package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"docgate/gateway"
)

func (p *Pages) routeVerify(r chi.Router) {
	r.Get("/", p.handleForm)
	r.Get("/verify", p.handleForm)
	r.Post("/verify", p.handleVerify)
}

func (p *Pages) handleForm(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, http.StatusOK, "verify.html", p.newPage(w, r, "verify.title"))
}

// formError shows the form again with a message saying what to fix.
func (p *Pages) formError(w http.ResponseWriter, r *http.Request, status int, key string, args ...any) {
	pg := p.newPage(w, r, "verify.title")
	pg.Error = pg.Tf(key, args...)
	p.render(w, r, status, "verify.html", pg)
}

// multipartOverhead is what the form adds around the file: boundaries and
// part headers, a few hundred bytes in practice.
const multipartOverhead = 64 << 10

// handleVerify streams the uploaded file to a temporary file (never whole
// into memory: a PDF may be tens of megabytes and many may arrive at once),
// checks it is a PDF, and renders the verifier's report.
func (p *Pages) handleVerify(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, p.MaxUpload+multipartOverhead)
	mr, err := r.MultipartReader()
	if err != nil {
		p.formError(w, r, http.StatusBadRequest, "err.badform")
		return
	}
	f, name, size, sum, err := p.spool(mr)
	if f != nil {
		defer os.Remove(f.Name())
		defer f.Close()
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, errTooLarge) || errors.As(err, &tooLarge):
		p.formError(w, r, http.StatusRequestEntityTooLarge, "err.toolarge", humanBytes(p.MaxUpload))
		return
	case errors.Is(err, errNoFile):
		p.formError(w, r, http.StatusBadRequest, "err.nofile")
		return
	case err != nil:
		p.Logger.InfoContext(r.Context(), "verify upload rejected", "err", err)
		p.formError(w, r, http.StatusBadRequest, "err.badform")
		return
	case size == 0:
		p.formError(w, r, http.StatusBadRequest, "err.empty", name)
		return
	}
	// A bundle first: it stores its PDF uncompressed near the start, so
	// it would pass for a PDF with junk before the header.
	if looksLikeZip(f) {
		p.handleBundle(w, r, f, name, size)
		return
	}
	if !looksLikePDF(f) {
		if looksLikeDER(f) {
			p.handleReceipt(w, r, f, name, size)
			return
		}
		p.formError(w, r, http.StatusUnsupportedMediaType, "err.notpdf", name)
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
	rep, err := p.Verifier.VerifyPDF(ctx, f, size, gateway.VerifyOptions{Offline: !p.Online})
	switch {
	case err == nil && rep == nil:
		err = errors.New("verifier returned neither a report nor an error")
	case gateway.ErrorCode(err) == gateway.EINVALID:
		p.formError(w, r, http.StatusUnprocessableEntity, "err.unreadable", name, gateway.ErrorMessage(err))
		return
	case errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil:
		p.formError(w, r, http.StatusUnprocessableEntity, "err.timeout")
		return
	}
	if err != nil {
		id := requestID(w)
		p.Logger.ErrorContext(r.Context(), "verify on the page", "err", err, "file", name, "size", size, "request_id", id)
		p.formError(w, r, http.StatusInternalServerError, "err.internal", id)
		return
	}
	pg := p.newPage(w, r, "report.title")
	pg.Report = newReportView(pg, rep, name, size, sum)
	p.render(w, r, http.StatusOK, "report.html", pg)
}

var (
	errNoFile   = errors.New("no file part in the form")
	errTooLarge = errors.New("file exceeds the upload limit")
)

// spool copies the form's "file" part into a temporary file and returns it
// open (the caller closes and removes it), with the name the browser gave
// the size and the SHA-256 of the bytes (so the page can show the digest an
// auditor compares with a receipt, whatever the verifier reports). Other
// parts are skipped; a second file part is ignored.
func (p *Pages) spool(mr *multipart.Reader) (f *os.File, name string, size int64, sum string, err error) {
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, "", 0, "", errNoFile
		}
		if err != nil {
			return nil, "", 0, "", fmt.Errorf("read form: %w", err)
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		name = cleanName(part.FileName())
		if name == "" {
			// A form submitted with no file chosen still sends an empty part
			// without a file name.
			part.Close()
			return nil, "", 0, "", errNoFile
		}
		f, err = os.CreateTemp(p.TempDir, "docgate-verify-*.pdf")
		if err != nil {
			return nil, "", 0, "", fmt.Errorf("spool upload: %w", err)
		}
		h := sha256.New()
		// One byte more than the limit tells "exactly at the limit" from
		// "over it" without trusting any declared length.
		size, err = io.Copy(io.MultiWriter(f, h), io.LimitReader(part, p.MaxUpload+1))
		if err != nil {
			return f, name, size, "", fmt.Errorf("spool upload: %w", err)
		}
		if size > p.MaxUpload {
			return f, name, size, "", errTooLarge
		}
		return f, name, size, hex.EncodeToString(h.Sum(nil)), nil
	}
}

// cleanName keeps the base name a browser sent, bounded, for messages only;
// it never becomes a path on the server.
func cleanName(s string) string {
	s = filepath.Base(strings.ReplaceAll(s, `\`, "/"))
	if s == "." || s == "/" {
		return ""
	}
	if r := []rune(s); len(r) > 120 {
		s = string(r[:120]) + "…"
	}
	return s
}

// looksLikePDF checks for the %PDF- header in the first kilobyte, where
// readers (and the PDF specification's implementation notes) tolerate it.
// It catches a wrong file early with a message a clerk understands; the
// verifier still judges the structure.
func looksLikePDF(r io.ReaderAt) bool {
	buf := make([]byte, 1024)
	n, _ := r.ReadAt(buf, 0)
	return strings.Contains(string(buf[:n]), "%PDF-")
}

// requestID is the ID the API's middleware gave this request (its response
// header), so that a clerk quoting it on the phone finds the log line; a
// fresh one when the pages are served on their own.
func requestID(w http.ResponseWriter) string {
	if id := w.Header().Get("X-Request-Id"); id != "" {
		return id
	}
	var b [8]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	w.Header().Set("X-Request-Id", id)
	return id
}

// vietnam is the time zone official documents state their times in (no
// daylight saving, so a fixed offset needs no zone database).
var vietnam = time.FixedZone("ICT", 7*3600)
