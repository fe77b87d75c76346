package httpapi

import (
	"mime"
	"net/http"

	"github.com/go-chi/chi/v5"

	"docgate/gateway/bundle"
)

// routeBundle serves a document's offline evidence bundle to those who may
// see the document: its sender, its recipients and auditors.
func (s *Server) routeBundle(r chi.Router) {
	r.Get("/v1/documents/{id}/bundle", s.handleBundle)
}

// handleBundle gathers everything first, so that a refusal or a log that
// cannot sign is still a problem+json answer, then streams the zip. A
// failure after the headers (stored bytes that no longer match their
// digest) cuts the connection: a short zip is unreadable, never mistaken
// for a complete bundle.
func (s *Server) handleBundle(w http.ResponseWriter, r *http.Request) {
	ex, err := s.exchange()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	e := &bundle.Exporter{Exchange: ex, Log: s.Log, LogKey: s.LogKey}
	c, err := e.Collect(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": c.Filename()}))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if err := c.Write(r.Context(), w); err != nil {
		s.Logger.ErrorContext(r.Context(), "evidence bundle cut off", "err", err, "request_id", RequestID(r.Context()))
		panic(http.ErrAbortHandler)
	}
}
