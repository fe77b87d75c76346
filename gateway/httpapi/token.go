package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"docgate/gateway"
	"docgate/gateway/registry"
)

func (s *Server) routeTokens(r chi.Router) {
	r.Post("/v1/tokens", s.handleIssueServiceToken)
	r.Delete("/v1/tokens/{id}", s.handleRevokeToken)
}

// serviceTokenRequest is the body of POST /v1/tokens.
type serviceTokenRequest struct {
	Role gateway.Role `json:"role"`
	Name string       `json:"name,omitempty"`
}

func (q *serviceTokenRequest) Validate() error {
	if q.Role == "" {
		return gateway.Errorf(gateway.EINVALID, "role is required: %q or %q", gateway.RoleAuditor, gateway.RoleAdmin)
	}
	return nil
}

func (s *Server) handleIssueServiceToken(w http.ResponseWriter, r *http.Request) {
	if err := registry.RequireAdmin(r.Context()); err != nil {
		s.writeError(w, r, err)
		return
	}
	var q serviceTokenRequest
	if err := s.decodeJSON(w, r, &q); err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.Registry.IssueServiceToken(r.Context(), q.Role, q.Name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusCreated, t)
}

func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	if err := s.Registry.RevokeToken(r.Context(), chi.URLParam(r, "id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
