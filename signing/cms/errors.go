package cms

import (
	"errors"
	"fmt"
)

// Kind classifies a parse or verification failure so that a validator can map it to an ETSI
// TS 119 102-2 indication without matching message text.
type Kind int

const (
	// KindFormat: the bytes are not a well-formed SignedData, or a required attribute is missing
	// or malformed (FORMAT_FAILURE).
	KindFormat Kind = iota + 1
	// KindDigestMismatch: the message-digest attribute (or, without signed attributes, the
	// signature) does not cover the content given (HASH_FAILURE).
	KindDigestMismatch
	// KindSignatureInvalid: the signature value does not verify with the signer's public key
	// (SIG_CRYPTO_FAILURE).
	KindSignatureInvalid
	// KindSignerNotFound: no certificate in the SignedData matches the signer identifier, or the
	// ESS signing-certificate attribute names a different certificate
	// (NO_SIGNING_CERTIFICATE_FOUND).
	KindSignerNotFound
	// KindUnsupported: a digest or signature algorithm, or a key type, this package does not
	// implement. The signature may be fine; the validator cannot tell (INDETERMINATE).
	KindUnsupported
)

func (k Kind) String() string {
	switch k {
	case KindFormat:
		return "format failure"
	case KindDigestMismatch:
		return "digest mismatch"
	case KindSignatureInvalid:
		return "signature invalid"
	case KindSignerNotFound:
		return "signer certificate not found"
	case KindUnsupported:
		return "unsupported algorithm"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is returned by Parse and Verify. Use errors.As to read its Kind.
type Error struct {
	Kind Kind
	Msg  string
	Err  error // the underlying cause, if any
}

func (e *Error) Error() string {
	s := "cms: " + e.Kind.String() + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of the first *Error in err's chain, or 0 when there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

func errf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

func wrapErr(k Kind, err error, format string, args ...any) error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...), Err: err}
}
