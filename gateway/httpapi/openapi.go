package httpapi

import (
	_ "embed"
	"net/http"

	"github.com/go-chi/chi/v5"
)

// openAPI is the hand-written OpenAPI 3.1 description of every route. A test
// walks the router and fails when a route and the document disagree, so add
// a route and its description together.
//
//go:embed openapi.json
var openAPI []byte

func (s *Server) routeOpenAPI(r chi.Router) {
	r.Get("/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(openAPI)
	})
}
