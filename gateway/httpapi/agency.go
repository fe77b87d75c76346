package httpapi

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"docgate/gateway"
	"docgate/gateway/registry"
)

func (s *Server) routeAgencies(r chi.Router) {
	r.Post("/v1/agencies", s.handleCreateAgency)
	r.Get("/v1/agencies", s.handleListAgencies)
	r.Get("/v1/agencies/{code}", s.handleGetAgency)
	r.Patch("/v1/agencies/{code}", s.handleUpdateAgency)
	r.Post("/v1/agencies/{code}/tokens", s.handleIssueAgencyToken)
	r.Get("/v1/agencies/{code}/tokens", s.handleListAgencyTokens)
	r.Post("/v1/agencies/{code}/certificates", s.handleAddCertificate)
	r.Get("/v1/agencies/{code}/certificates", s.handleListCertificates)
	r.Delete("/v1/agencies/{code}/certificates/{sha256}", s.handleRemoveCertificate)
}

// createAgencyRequest is the body of POST /v1/agencies.
type createAgencyRequest registry.NewAgency

// Validate checks presence; the registry checks shape and existence.
func (q *createAgencyRequest) Validate() error {
	if q.Code == "" {
		return gateway.Errorf(gateway.EINVALID, "code is required (shape AAA.BB.CC.DDD, e.g. 000.00.00.H41)")
	}
	if strings.TrimSpace(q.Name) == "" {
		return gateway.Errorf(gateway.EINVALID, "name is required")
	}
	return nil
}

func (s *Server) handleCreateAgency(w http.ResponseWriter, r *http.Request) {
	// Refuse non-admins before reading the body, so that they learn about
	// their role rather than about their JSON.
	if err := registry.RequireAdmin(r.Context()); err != nil {
		s.writeError(w, r, err)
		return
	}
	var q createAgencyRequest
	if err := s.decodeJSON(w, r, &q); err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.Registry.CreateAgency(r.Context(), registry.NewAgency(q))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/agencies/"+out.Agency.Code)
	s.writeJSON(w, r, http.StatusCreated, out)
}

// agencyList is the body of GET /v1/agencies.
type agencyList struct {
	Agencies []*gateway.Agency `json:"agencies"`
	// Next is the value of ?after= for the next page; absent on the last.
	Next string `json:"next,omitempty"`
}

func (s *Server) handleListAgencies(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := gateway.AgencyFilter{
		ParentCode: q.Get("parent"),
		Status:     gateway.AgencyStatus(q.Get("status")),
		After:      q.Get("after"),
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > registry.MaxPage {
			s.writeError(w, r, gateway.Errorf(gateway.EINVALID, "limit must be a number from 1 to %d", registry.MaxPage))
			return
		}
		f.Limit = n
	}
	list, next, err := s.Registry.Agencies(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if list == nil {
		list = []*gateway.Agency{}
	}
	s.writeJSON(w, r, http.StatusOK, agencyList{Agencies: list, Next: next})
}

func (s *Server) handleGetAgency(w http.ResponseWriter, r *http.Request) {
	a, err := s.Registry.Agency(r.Context(), chi.URLParam(r, "code"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, a)
}

// updateAgencyRequest is the body of PATCH /v1/agencies/{code}.
type updateAgencyRequest registry.AgencyChange

func (q *updateAgencyRequest) Validate() error {
	if q.Name == nil && q.Webhook == nil && q.Status == nil {
		return gateway.Errorf(gateway.EINVALID, "nothing to change: give name, webhook or status")
	}
	return nil
}

func (s *Server) handleUpdateAgency(w http.ResponseWriter, r *http.Request) {
	if err := registry.RequireAdmin(r.Context()); err != nil {
		s.writeError(w, r, err)
		return
	}
	var q updateAgencyRequest
	if err := s.decodeJSON(w, r, &q); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.Registry.UpdateAgency(r.Context(), chi.URLParam(r, "code"), registry.AgencyChange(q))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, a)
}

// issueTokenRequest is the body of POST /v1/agencies/{code}/tokens; the body
// may be empty.
type issueTokenRequest struct {
	Name string `json:"name,omitempty"`
}

func (q *issueTokenRequest) Validate() error { return nil }

func (s *Server) handleIssueAgencyToken(w http.ResponseWriter, r *http.Request) {
	if err := registry.RequireAdmin(r.Context()); err != nil {
		s.writeError(w, r, err)
		return
	}
	var q issueTokenRequest
	if err := s.decodeOptionalJSON(w, r, &q); err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.Registry.IssueAgencyToken(r.Context(), chi.URLParam(r, "code"), q.Name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusCreated, t)
}

// tokenList is the body of GET /v1/agencies/{code}/tokens.
type tokenList struct {
	Tokens []*gateway.Token `json:"tokens"`
}

func (s *Server) handleListAgencyTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.Registry.Tokens(r.Context(), chi.URLParam(r, "code"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if ts == nil {
		ts = []*gateway.Token{}
	}
	s.writeJSON(w, r, http.StatusOK, tokenList{Tokens: ts})
}

// certificateTypes are the bodies POST .../certificates accepts: the
// certificate itself, PEM or DER, not wrapped in JSON, so that
// `curl --data-binary @agency.crt` works.
var certificateTypes = map[string]bool{
	"application/x-pem-file":     true,
	"application/pkix-cert":      true,
	"application/x-x509-ca-cert": true,
	"application/octet-stream":   true,
	"text/plain":                 true,
}

func (s *Server) handleAddCertificate(w http.ResponseWriter, r *http.Request) {
	if err := registry.RequireAdmin(r.Context()); err != nil {
		s.writeError(w, r, err)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := strings.Cut(ct, ";")
		if !certificateTypes[strings.TrimSpace(strings.ToLower(mt))] {
			s.writeError(w, r, gateway.Errorf(gateway.EINVALID,
				"send the certificate itself (application/x-pem-file or application/pkix-cert), not %q", ct))
			return
		}
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, registry.MaxCertificateSize))
	if err != nil {
		s.writeError(w, r, decodeError(err, registry.MaxCertificateSize))
		return
	}
	c, err := s.Registry.AddCertificate(r.Context(), chi.URLParam(r, "code"), data)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusCreated, c)
}

// certificateList is the body of GET /v1/agencies/{code}/certificates.
type certificateList struct {
	Certificates []*gateway.AgencyCertificate `json:"certificates"`
}

func (s *Server) handleListCertificates(w http.ResponseWriter, r *http.Request) {
	cs, err := s.Registry.Certificates(r.Context(), chi.URLParam(r, "code"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if cs == nil {
		cs = []*gateway.AgencyCertificate{}
	}
	s.writeJSON(w, r, http.StatusOK, certificateList{Certificates: cs})
}

func (s *Server) handleRemoveCertificate(w http.ResponseWriter, r *http.Request) {
	if err := s.Registry.RemoveCertificate(r.Context(), chi.URLParam(r, "code"), chi.URLParam(r, "sha256")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
