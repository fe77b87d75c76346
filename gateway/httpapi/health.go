package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"docgate/gateway"
)

// readyTimeout bounds each dependency check of /readyz, so that a hung
// database makes the probe fail rather than hang.
const readyTimeout = 2 * time.Second

func (s *Server) routeHealth(r chi.Router) {
	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)
	r.Method(http.MethodGet, "/metrics", s.metrics.handler())
}

// handleHealthz says the process is up; it checks nothing else, so that a
// database outage does not make the orchestrator kill healthy replicas.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz checks the database and the blob store, naming the one that
// fails.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	type check struct {
		name string
		ping func(context.Context) error
	}
	var checks []check
	if s.Store != nil {
		checks = append(checks, check{"database", s.Store.Ping})
	}
	if s.Blobs != nil {
		checks = append(checks, check{"blob store", s.Blobs.Ping})
	}
	for _, c := range checks {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		err := c.ping(ctx)
		cancel()
		if err != nil {
			s.Logger.WarnContext(r.Context(), "not ready", "dependency", c.name, "err", err)
			w.Header().Set("Retry-After", retryAfterSeconds)
			s.writeProblemType(w, r, http.StatusServiceUnavailable, problemTypePrefix+gateway.EUNAVAILABLE,
				"the "+c.name+" is not reachable")
			return
		}
	}
	s.writeJSON(w, r, http.StatusOK, map[string]string{"status": "ready"})
}
