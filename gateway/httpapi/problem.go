package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"docgate/gateway"
)

// statusOf maps error codes to HTTP statuses. This is the only place in
// docgate that does.
var statusOf = map[string]int{
	gateway.EINVALID:      http.StatusBadRequest,
	gateway.EUNAUTHORIZED: http.StatusUnauthorized,
	gateway.EFORBIDDEN:    http.StatusForbidden,
	gateway.ENOTFOUND:     http.StatusNotFound,
	gateway.ECONFLICT:     http.StatusConflict,
	gateway.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	gateway.EINTEGRITY:    http.StatusInternalServerError,
	gateway.EUNAVAILABLE:  http.StatusServiceUnavailable,
	gateway.ENOTIMPL:      http.StatusNotImplemented,
}

// problemTypePrefix makes a problem's "type" a stable URI per error code that
// clients can switch on without parsing messages.
const problemTypePrefix = "urn:docgate:problem:"

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	RequestID string `json:"requestId"`
}

// retryAfterSeconds is what a 503 tells clients to wait.
const retryAfterSeconds = "5"

// safeMessage is what a client sees for a 5xx: fixed text that cannot leak
// internals. The full error goes to the log with the request ID.
func safeMessage(status int) string {
	switch status {
	case http.StatusServiceUnavailable:
		return "A dependency of the gateway is unavailable; retry later."
	case http.StatusNotImplemented:
		return "This is not implemented by this gateway."
	default:
		return "Internal error. Quote the request ID to the operator."
	}
}

// writeError renders err as problem+json: a gateway.Error with its own
// message for 4xx, a fixed safe message (and a log line) otherwise.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := gateway.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	detail := gateway.ErrorMessage(err)
	if status >= 500 {
		s.Logger.ErrorContext(r.Context(), "request failed", "err", err, "code", code,
			"request_id", RequestID(r.Context()), "method", r.Method, "path", r.URL.Path)
		// Only ENOTIMPL's message is written for clients (it names what is
		// missing); other 5xx messages come from adapters and may describe
		// internals, so clients get a fixed text and the log gets the rest.
		if code != gateway.ENOTIMPL {
			detail = safeMessage(status)
		}
		if code == gateway.EINTEGRITY {
			detail = "Stored data failed its integrity check; the operator has been told. Quote the request ID."
		}
	}
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="docgate"`)
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", retryAfterSeconds)
	}
	s.writeProblemType(w, r, status, problemTypePrefix+code, detail)
}

// writeProblem renders a problem that has no gateway error behind it
// (routing, method not allowed, panics).
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, status int, detail string) {
	s.writeProblemType(w, r, status, "about:blank", detail)
}

func (s *Server) writeProblemType(w http.ResponseWriter, r *http.Request, status int, typ, detail string) {
	p := Problem{Type: typ, Title: http.StatusText(status), Status: status, Detail: detail, RequestID: RequestID(r.Context())}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(p); err != nil {
		s.Logger.DebugContext(r.Context(), "write problem", "err", err, slog.String("request_id", p.RequestID))
	}
}
