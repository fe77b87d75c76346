package gateway

import (
	"errors"
	"fmt"
)

// Error codes. Each is a class of failure that a client can act on; the HTTP
// layer maps them to status codes (and nothing else does).
const (
	ECONFLICT     = "conflict"     // the resource exists already or is in a state that forbids the request
	EFORBIDDEN    = "forbidden"    // authenticated, but not allowed to do this
	EINTERNAL     = "internal"     // a bug or an unexpected failure; the message is not shown to clients
	EINVALID      = "invalid"      // the request is malformed or fails validation
	ENOTFOUND     = "not_found"    // no such resource, or the caller may not know it exists
	ETOOLARGE     = "too_large"    // a body, file or part exceeds its limit
	EUNAUTHORIZED = "unauthorized" // no credentials, or credentials that are wrong or revoked
	EUNAVAILABLE  = "unavailable"  // a dependency is down; retrying later may succeed
	EINTEGRITY    = "integrity"    // stored bytes no longer match their recorded digest
	ENOTIMPL      = "not_implemented"
)

// Error is a client-visible failure: a code from the list above and a message
// that tells the client exactly what to fix.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("docgate error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or a
// generic message for any other error (internal details are never shown).
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
