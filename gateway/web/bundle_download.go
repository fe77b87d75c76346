package web

import (
	"context"
	"mime"
	"net/http"

	"github.com/go-chi/chi/v5"

	"docgate/gateway/bundle"
)

// bundler gathers a document's evidence bundle for the principal in ctx
// (bundle.Exporter in production).
type bundler interface {
	Collect(ctx context.Context, id string) (*bundle.Contents, error)
}

var _ bundler = (*bundle.Exporter)(nil)

// handleBundleDownload streams the offline evidence bundle. Everything that
// can refuse happens in Collect, before the first byte, so a refusal is still
// a page; a failure while streaming cuts the connection, because a short zip
// must never pass for a whole one.
func (p *Pages) handleBundleDownload(w http.ResponseWriter, r *http.Request, pg *page) {
	c, err := p.Bundles.Collect(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		p.useCaseError(w, r, pg, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": c.Filename()}))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if err := c.Write(r.Context(), w); err != nil {
		p.Logger.ErrorContext(r.Context(), "evidence bundle cut off", "err", err)
		panic(http.ErrAbortHandler)
	}
}
