package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"docgate/gateway"
)

// routePKI serves the certificate authority's public side and the timestamp
// authority. Both are public: relying parties fetch CRLs, ask OCSP and
// request timestamps without a docgate account, and what they get is signed.
// The routes exist whether or not a CA is configured, so that the API is the
// same everywhere; without one they answer 404.
func (s *Server) routePKI(r chi.Router) {
	pki := s.pkiHandler()
	r.Get("/pki/crl", pki)
	r.Get("/pki/ca.crt", pki)
	r.Post("/pki/ocsp", pki)
	// GET OCSP carries the base64 request in the path (RFC 6960 A.1), and
	// base64 may contain '/': hence the wildcard.
	r.Get("/pki/ocsp/*", pki)
	r.Post("/tsa", s.tsaHandler())
}

func (s *Server) pkiHandler() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.PKI == nil {
			s.writeError(w, r, gateway.Errorf(gateway.ENOTFOUND, "this gateway runs no certificate authority"))
			return
		}
		s.PKI.ServeHTTP(w, r)
	}
}

func (s *Server) tsaHandler() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.TSA == nil {
			s.writeError(w, r, gateway.Errorf(gateway.ENOTFOUND, "this gateway runs no timestamp authority"))
			return
		}
		s.TSA.ServeHTTP(w, r)
	}
}
