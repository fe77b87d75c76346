package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"docgate/gateway"
)

// validator is a request body that can check itself after decoding.
type validator interface {
	Validate() error
}

// decodeJSON reads one JSON value into dst and validates it: the body is
// bounded (ETOOLARGE past MaxBody), unknown fields and trailing data are
// rejected (a typo must not be silently ignored), and a body of another
// content type is refused.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, dst validator) error {
	return s.decode(w, r, dst, false)
}

func (s *Server) decode(w http.ResponseWriter, r *http.Request, dst validator, optional bool) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return gateway.Errorf(gateway.EINVALID, "the body must be application/json, not %q", ct)
		}
	}
	body := http.MaxBytesReader(w, r.Body, s.MaxBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); optional && errors.Is(err, io.EOF) {
		return dst.Validate()
	} else if err != nil {
		return decodeError(err, s.MaxBody)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return decodeError(err, s.MaxBody)
		}
		return gateway.Errorf(gateway.EINVALID, "the body must hold exactly one JSON value; found more after it")
	}
	return dst.Validate()
}

// decodeError says what is wrong with a body in terms a client can fix.
func decodeError(err error, limit int64) error {
	var (
		mbe  *http.MaxBytesError
		syn  *json.SyntaxError
		typ  *json.UnmarshalTypeError
		msgs string
	)
	switch {
	case errors.As(err, &mbe):
		return gateway.Errorf(gateway.ETOOLARGE, "the body is larger than %d bytes", limit)
	case errors.Is(err, io.EOF):
		return gateway.Errorf(gateway.EINVALID, "the body is empty; a JSON object is expected")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return gateway.Errorf(gateway.EINVALID, "the body ends in the middle of a JSON value")
	case errors.As(err, &syn):
		return gateway.Errorf(gateway.EINVALID, "malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		if typ.Field != "" {
			msgs = fmt.Sprintf("field %q must be %s, not JSON %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
		} else {
			msgs = fmt.Sprintf("the body must be a JSON object, not %s", typ.Value)
		}
		return gateway.Errorf(gateway.EINVALID, "%s", msgs)
	default:
		// DisallowUnknownFields reports `json: unknown field "x"`; the
		// decoder's own words are the clearest here.
		return gateway.Errorf(gateway.EINVALID, "invalid JSON body: %s", err.Error())
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "struct", "map", "ptr":
		return "an object"
	case "slice", "array":
		return "an array"
	case "bool":
		return "a boolean"
	default:
		return "a number"
	}
}

// writeJSON renders v with status.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	if err := enc.Encode(v); err != nil {
		// The status is sent already; all that is left is to say so.
		s.Logger.WarnContext(r.Context(), "write response", "err", err, "request_id", RequestID(r.Context()))
	}
}

// decodeOptionalJSON is decodeJSON for bodies that may be left out entirely:
// an empty body means every field at its zero value.
func (s *Server) decodeOptionalJSON(w http.ResponseWriter, r *http.Request, dst validator) error {
	return s.decode(w, r, dst, true)
}
