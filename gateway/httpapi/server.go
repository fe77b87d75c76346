package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"docgate/gateway"
	"docgate/gateway/auditlog"
	"docgate/gateway/delivery"
	"docgate/gateway/exchange"
	"docgate/gateway/registry"
	"docgate/gateway/stats"
)

// DefaultMaxBody bounds a JSON request body when Server.MaxBody is zero.
const DefaultMaxBody = 1 << 20

// Server is the HTTP API. Its dependencies are plain fields, set by whoever
// wires it (cmd/docgate); a new resource adds a field for its use case and a
// routeX method, and Handler lists the method.
type Server struct {
	// Registry runs the agency and credential use cases and authenticates
	// bearer tokens.
	Registry *registry.Service
	// Store and Blobs are pinged by /readyz.
	Store gateway.Store
	Blobs gateway.BlobStore
	// Logger receives access logs and the details of internal errors.
	Logger *slog.Logger
	// MaxBody bounds JSON request bodies; 0 means DefaultMaxBody.
	MaxBody int64
	// Metrics is where the request metrics are registered; nil means a new
	// registry with the Go runtime and process gauges. /metrics serves it.
	Metrics *Registry
	// PKI serves a certificate authority's public side (GET /pki/crl,
	// /pki/ca.crt, OCSP at /pki/ocsp), for example devca's Handler; nil
	// answers 404 there.
	PKI http.Handler
	// TSA answers RFC 3161 requests at POST /tsa (a tsp.Authority); nil
	// answers 404.
	TSA http.Handler
	// Log is the delivery log served under /v1/log. Use cases that record
	// evidence append to it (Log.Append, one leaf per receipt or event);
	// nil answers 404.
	Log *auditlog.Log
	// LogKey is the log's public verifier key in signed-note form, served
	// at GET /v1/log/key.
	LogKey string
	// Exchange runs the document use cases (/v1/documents, /v1/inbox); nil
	// answers 501 there.
	Exchange *exchange.Service
	// Pages serves the browser pages (gateway/web) for every path outside
	// /v1 that no API route claims, so that a page never shadows an API
	// route and API clients keep getting problem+json; nil answers 404.
	Pages http.Handler
	// WebhookSecrets reads and rotates the secrets that sign push
	// deliveries (/v1/agencies/{code}/webhook-secret); nil answers 501.
	WebhookSecrets delivery.Secrets
	// Reports computes the exchange report (GET /v1/reports); nil answers
	// 501.
	Reports *stats.Service

	metrics *metrics
}

// Handler returns the API's root handler. Call it once: it registers the
// request metrics.
func (s *Server) Handler() http.Handler {
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.MaxBody <= 0 {
		s.MaxBody = DefaultMaxBody
	}
	s.metrics = newMetrics(s.Metrics)
	s.Metrics = s.metrics.registry
	return s.router()
}

// router builds the route tree. Public routes first; everything under /v1
// needs a credential.
func (s *Server) router() chi.Router {
	r := chi.NewRouter()
	r.Use(s.requestID, s.accessLog, s.recoverer)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		if s.Pages != nil && r.URL.Path != "/v1" && !strings.HasPrefix(r.URL.Path, "/v1/") {
			s.Pages.ServeHTTP(w, r)
			return
		}
		s.writeError(w, r, gateway.Errorf(gateway.ENOTFOUND, "no route for %s %s", r.Method, r.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.writeProblem(w, r, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed on "+r.URL.Path)
	})
	s.routeHealth(r)
	s.routeOpenAPI(r)
	s.routePKI(r)
	s.routeLogKey(r)
	r.Group(func(r chi.Router) {
		r.Use(s.authenticate)
		s.routeAgencies(r)
		s.routeWebhookSecrets(r)
		s.routeTokens(r)
		s.routeLog(r)
		s.routeDocuments(r)
		s.routeBundle(r)
		s.routeReports(r)
	})
	return r
}

type ctxKey int

const (
	requestIDKey ctxKey = iota
	requestInfoKey
)

// requestInfo is filled in as a request travels inward (the principal is
// known only after authentication) and read by the access log on the way
// out; one per request, never shared.
type requestInfo struct {
	principal *gateway.Principal
}

// RequestID returns the ID of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// requestID takes X-Request-Id from the client when it is a sane token (so
// that a DMS can correlate its logs with ours) and makes one otherwise.
func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			var b [12]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		ctx = context.WithValue(ctx, requestInfoKey, &requestInfo{})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.:", c)) {
			return false
		}
	}
	return true
}

// statusWriter remembers the status and size of a response for the access
// log and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (flush,
// deadlines) for streaming downloads.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog writes one line per request and records the request metrics,
// labelled by route pattern (not path) so that their number stays bounded.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		d := time.Since(start)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		s.metrics.observe(r.Method, route, sw.status, d)
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Int64("bytes", sw.bytes),
			slog.Duration("duration", d),
			slog.String("request_id", RequestID(r.Context())),
		}
		if info, _ := r.Context().Value(requestInfoKey).(*requestInfo); info != nil && info.principal != nil {
			p := info.principal
			attrs = append(attrs, slog.String("role", string(p.Role)))
			if p.AgencyCode != "" {
				attrs = append(attrs, slog.String("agency", p.AgencyCode))
			}
			if p.TokenID != "" {
				attrs = append(attrs, slog.String("token_id", p.TokenID))
			}
		}
		s.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// recoverer turns a panic in a handler into a logged 500 instead of a
// dropped connection.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Logger.ErrorContext(r.Context(), "panic in handler", "panic", v, "request_id", RequestID(r.Context()))
				s.writeProblem(w, r, http.StatusInternalServerError, safeMessage(http.StatusInternalServerError))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// authenticate establishes the principal: from the bearer token when the
// request has an Authorization header, otherwise from a TLS client
// certificate that the TLS layer verified against the client CAs and that is
// registered to an agency. A token wins over a certificate so that an
// operator behind an mTLS proxy can still act as admin.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var (
			p   *gateway.Principal
			err error
		)
		h := r.Header.Get("Authorization")
		switch {
		case h != "":
			scheme, secret, ok := strings.Cut(h, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				err = gateway.Errorf(gateway.EUNAUTHORIZED, "the Authorization header must be 'Bearer <token>'")
				break
			}
			p, err = s.Registry.Authenticate(r.Context(), strings.TrimSpace(secret))
		case r.TLS != nil && len(r.TLS.VerifiedChains) > 0:
			// VerifiedChains is set only when the certificate chained to a
			// client CA; PeerCertificates alone could be self-signed.
			p, err = s.Registry.AuthenticateCertificate(r.Context(), r.TLS.VerifiedChains[0][0].Raw)
		default:
			err = gateway.Errorf(gateway.EUNAUTHORIZED, "this needs a bearer token (Authorization: Bearer dg_...) or a registered client certificate")
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if info, _ := r.Context().Value(requestInfoKey).(*requestInfo); info != nil {
			info.principal = p
		}
		next.ServeHTTP(w, r.WithContext(gateway.NewContextWithPrincipal(r.Context(), p)))
	})
}
