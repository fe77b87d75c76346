package httpapi

import (
	"encoding/hex"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"docgate/gateway"
	"docgate/gateway/delivery"
	"docgate/gateway/registry"
)

// DefaultWebhookGrace is how long a rotated-out webhook secret keeps signing
// pushes beside the new one when the rotation does not say: a day gives a
// receiver's operator time to deploy the new secret without losing a push.
const DefaultWebhookGrace = 24 * time.Hour

// MaxWebhookGrace bounds the grace of a rotation: a secret rotated out
// because it leaked must not stay valid for long.
const MaxWebhookGrace = 7 * 24 * time.Hour

func (s *Server) routeWebhookSecrets(r chi.Router) {
	r.Get("/v1/agencies/{code}/webhook-secret", s.handleGetWebhookSecret)
	r.Post("/v1/agencies/{code}/webhook-secret/rotate", s.handleRotateWebhookSecret)
}

// webhookSecret is the body of both webhook-secret routes. The secrets are
// hex, as receivers use them: the HMAC key is the decoded bytes.
type webhookSecret struct {
	Agency    string    `json:"agency"`
	Secret    string    `json:"secret"`
	CreatedAt time.Time `json:"createdAt"`
	// Previous is the secret the current one replaced, present while
	// pushes are still signed with it too.
	Previous *previousWebhookSecret `json:"previous,omitempty"`
}

type previousWebhookSecret struct {
	Secret     string    `json:"secret"`
	ValidUntil time.Time `json:"validUntil"`
}

func newWebhookSecret(sec *delivery.Secret, now time.Time) *webhookSecret {
	out := &webhookSecret{Agency: sec.Agency, Secret: hex.EncodeToString(sec.Current), CreatedAt: sec.CreatedAt.UTC()}
	// The same test the delivery queue applies before signing with it.
	if len(sec.Previous) > 0 && now.Before(sec.PreviousUntil) {
		out.Previous = &previousWebhookSecret{Secret: hex.EncodeToString(sec.Previous), ValidUntil: sec.PreviousUntil.UTC()}
	}
	return out
}

// rotateWebhookSecretRequest is the body of POST .../webhook-secret/rotate;
// the body may be empty.
type rotateWebhookSecretRequest struct {
	// GraceSeconds is how long the old secret keeps signing pushes; nil
	// means DefaultWebhookGrace, 0 drops it at once (a leaked secret).
	GraceSeconds *int64 `json:"graceSeconds,omitempty"`
}

func (q *rotateWebhookSecretRequest) Validate() error {
	if q.GraceSeconds != nil && (*q.GraceSeconds < 0 || *q.GraceSeconds > int64(MaxWebhookGrace/time.Second)) {
		return gateway.Errorf(gateway.EINVALID, "graceSeconds must be from 0 to %d (%s)",
			int64(MaxWebhookGrace/time.Second), MaxWebhookGrace)
	}
	return nil
}

func (q *rotateWebhookSecretRequest) grace() time.Duration {
	if q.GraceSeconds == nil {
		return DefaultWebhookGrace
	}
	return time.Duration(*q.GraceSeconds) * time.Second
}

func (s *Server) webhookSecrets() (delivery.Secrets, error) {
	if s.WebhookSecrets == nil {
		return nil, gateway.Errorf(gateway.ENOTIMPL, "this gateway does not sign webhook pushes")
	}
	return s.WebhookSecrets, nil
}

func (s *Server) handleGetWebhookSecret(w http.ResponseWriter, r *http.Request) {
	if err := registry.RequireAdmin(r.Context()); err != nil {
		s.writeError(w, r, err)
		return
	}
	store, err := s.webhookSecrets()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sec, err := store.WebhookSecret(r.Context(), chi.URLParam(r, "code"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeSecret(w, r, http.StatusOK, newWebhookSecret(sec, time.Now()))
}

func (s *Server) handleRotateWebhookSecret(w http.ResponseWriter, r *http.Request) {
	// Refuse non-admins before reading the body, as the other admin routes
	// do.
	if err := registry.RequireAdmin(r.Context()); err != nil {
		s.writeError(w, r, err)
		return
	}
	var q rotateWebhookSecretRequest
	if err := s.decodeOptionalJSON(w, r, &q); err != nil {
		s.writeError(w, r, err)
		return
	}
	store, err := s.webhookSecrets()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := time.Now()
	sec, err := store.RotateWebhookSecret(r.Context(), chi.URLParam(r, "code"), now, q.grace())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.Logger.InfoContext(r.Context(), "webhook secret rotated", "agency", sec.Agency, "grace", q.grace(),
		"request_id", RequestID(r.Context()))
	s.writeSecret(w, r, http.StatusOK, newWebhookSecret(sec, now))
}

// writeSecret is writeJSON for a body that holds a secret: no cache keeps it.
func (s *Server) writeSecret(w http.ResponseWriter, r *http.Request, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, status, v)
}
