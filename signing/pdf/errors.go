package pdf

import (
	"errors"
	"fmt"
)

// SyntaxError says where in the file and what made the input unreadable. Offset is an absolute
// file offset, or -1 when the problem is not tied to one place (for example inside decoded
// object-stream data). Callers report it as unreadable input.
type SyntaxError struct {
	Offset int64
	Msg    string
}

func (e *SyntaxError) Error() string {
	if e.Offset < 0 {
		return "pdf: " + e.Msg
	}
	return fmt.Sprintf("pdf: offset %d: %s", e.Offset, e.Msg)
}

func syntaxErr(off int64, format string, args ...any) error {
	return &SyntaxError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// ErrLimit is wrapped by errors raised when input exceeds one of the Options limits (nesting,
// decoded size, object counts, chain lengths). Callers treat it like a SyntaxError: the input is
// hostile or too large to read safely.
var ErrLimit = errors.New("pdf: limit exceeded")

func limitErr(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrLimit)
}

// ErrNotFound is returned when a referenced object is not defined at the revision asked about.
// Per ISO 32000 such a reference means null; Resolve returns Null for it, Object returns this
// error so that callers that care (a verifier) can tell.
var ErrNotFound = errors.New("pdf: object not found")

// ErrEncrypted is wrapped by errors met reading data an encrypted file keeps encrypted (object
// streams, stream data): this package does not decrypt. Callers refuse such files or report them.
var ErrEncrypted = errors.New("pdf: encrypted document")

// Options bounds the work and memory spent on one file. The zero value of a field means its
// default; Open(r, size, nil) uses all defaults.
type Options struct {
	// MaxDepth bounds the nesting of arrays and dictionaries and the length of reference chains
	// followed by Resolve. Default 100.
	MaxDepth int
	// MaxDecodedSize bounds the bytes a single stream may decode to (decompression bombs).
	// Default 256 MiB.
	MaxDecodedSize int64
	// MaxObjects bounds the cross-reference entries of the whole file and the objects a repair
	// scan indexes; it bounds the memory the cross-reference maps take. Default 2,000,000.
	MaxObjects int
	// MaxRevisions bounds the /Prev chain. Default 10,000.
	MaxRevisions int
	// MaxObjStmDepth bounds how many object streams may be opened to reach one object (an object
	// stream whose own /Length lives in another object stream, and so on). Default 4.
	MaxObjStmDepth int
}

func (o *Options) withDefaults() Options {
	var v Options
	if o != nil {
		v = *o
	}
	if v.MaxDepth <= 0 {
		v.MaxDepth = 100
	}
	if v.MaxDecodedSize <= 0 {
		v.MaxDecodedSize = 256 << 20
	}
	if v.MaxObjects <= 0 {
		v.MaxObjects = 2_000_000
	}
	if v.MaxRevisions <= 0 {
		v.MaxRevisions = 10_000
	}
	if v.MaxObjStmDepth <= 0 {
		v.MaxObjStmDepth = 4
	}
	return v
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
