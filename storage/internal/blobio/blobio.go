// Package blobio holds the streaming pieces that every blob store needs in the
// same form: hashing and size-limiting a blob on its way in, and checking its
// digest on its way out, so that fsblob and s3 cannot drift apart on what
// "verified" means.
//
// It must not buffer a blob: every type here works one Read at a time, so
// memory stays flat whatever the blob's size. It knows nothing about where
// the bytes are kept.
package blobio

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"

	"docgate/gateway"
)

// ValidDigest reports whether s is a lower-case hex SHA-256: the only shape a
// blob key may take, which also keeps keys from naming paths outside a store.
func ValidDigest(s string) bool {
	if len(s) != sha256.Size*2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// CheckDigest returns EINVALID unless s is a lower-case hex SHA-256.
func CheckDigest(s string) error {
	if !ValidDigest(s) {
		return gateway.Errorf(gateway.EINVALID, "blob digest %q is not 64 lower-case hex characters", s)
	}
	return nil
}

// CheckPutOptions validates the caller's options before any byte is read.
func CheckPutOptions(opts gateway.PutOptions) error {
	if opts.MaxSize < 0 {
		return gateway.Errorf(gateway.EINVALID, "blob size limit must not be negative")
	}
	if opts.SHA256 != "" {
		return CheckDigest(opts.SHA256)
	}
	return nil
}

// Ingest wraps the reader of a blob being stored: it hashes every byte, counts
// them, stops with ETOOLARGE as soon as the limit is passed, and stops with the
// context's error once the context is done, so a cancelled request does not
// keep a slow upload going.
type Ingest struct {
	ctx  context.Context
	r    io.Reader
	max  int64
	n    int64
	h    hash.Hash
	err  error // the first failure Ingest itself raised, kept for Err
	src  error // the first failure of the underlying reader
	done bool
}

// NewIngest reads r under ctx with the given limit (0: none).
func NewIngest(ctx context.Context, r io.Reader, maxSize int64) *Ingest {
	return &Ingest{ctx: ctx, r: r, max: maxSize, h: sha256.New()}
}

func (in *Ingest) Read(p []byte) (int, error) {
	if in.err != nil {
		return 0, in.err
	}
	if err := in.ctx.Err(); err != nil {
		in.err = err
		return 0, err
	}
	if in.max > 0 {
		// Read at most one byte past the limit: that byte proves the blob
		// too large without pulling the rest of an oversized body.
		if room := in.max - in.n + 1; int64(len(p)) > room {
			p = p[:room]
		}
	}
	n, err := in.r.Read(p)
	in.n += int64(n)
	if in.max > 0 && in.n > in.max {
		in.err = gateway.Errorf(gateway.ETOOLARGE, "blob exceeds the limit of %d bytes", in.max)
		return 0, in.err
	}
	in.h.Write(p[:n])
	if err == io.EOF {
		in.done = true
	} else if err != nil && in.src == nil {
		in.src = err
	}
	return n, err
}

// SourceErr returns the first error of the reader being ingested (a client
// that went away, say), as opposed to the store's own failures.
func (in *Ingest) SourceErr() error { return in.src }

// Err returns the error Ingest raised itself (size limit or context), which a
// store should report in preference to whatever its backend made of it.
func (in *Ingest) Err() error { return in.err }

// Size is the number of bytes accepted so far.
func (in *Ingest) Size() int64 { return in.n }

// Sum is the lower-case hex digest of the bytes accepted so far.
func (in *Ingest) Sum() string { return hex.EncodeToString(in.h.Sum(nil)) }

// Finish checks the whole blob once the reader has been drained: the caller's
// expected digest, if any, must match. It returns the digest.
func (in *Ingest) Finish(expected string) (string, error) {
	if in.err != nil {
		return "", in.err
	}
	if !in.done {
		// The backend stopped before EOF without an error of ours; storing a
		// prefix under its own digest would be wrong.
		return "", gateway.Errorf(gateway.EINTERNAL, "blob stream not read to the end")
	}
	sum := in.Sum()
	if expected != "" && sum != expected {
		return "", gateway.Errorf(gateway.EINVALID, "blob digest is %s, the request said %s", sum, expected)
	}
	return sum, nil
}

// CheckFile checks a blob offered as a local file with a known digest and size
// (gateway.FilePutter) before a store makes any of it visible: the options
// must be valid and agree with info, the file must be exactly info.Size long
// and hash to info.SHA256. It reads f through its own offsets, leaving f's
// position alone. ETOOLARGE, EINVALID.
func CheckFile(ctx context.Context, f *os.File, info gateway.BlobInfo, opts gateway.PutOptions) error {
	if err := CheckFileInfo(f, info, opts); err != nil {
		return err
	}
	in := NewIngest(ctx, io.NewSectionReader(f, 0, info.Size), 0)
	if _, err := io.Copy(io.Discard, in); err != nil {
		if in.Err() != nil {
			return in.Err()
		}
		return fmt.Errorf("read blob file: %w", err)
	}
	_, err := in.Finish(info.SHA256)
	return err
}

// CheckFileInfo is CheckFile without reading the file: for a store whose
// backend checks the bytes against info.SHA256 itself as it receives them.
// ETOOLARGE, EINVALID.
func CheckFileInfo(f *os.File, info gateway.BlobInfo, opts gateway.PutOptions) error {
	if err := CheckPutOptions(opts); err != nil {
		return err
	}
	if err := CheckDigest(info.SHA256); err != nil {
		return err
	}
	if opts.SHA256 != "" && opts.SHA256 != info.SHA256 {
		return gateway.Errorf(gateway.EINVALID, "blob digest %s does not match the expected %s", info.SHA256, opts.SHA256)
	}
	if opts.MaxSize > 0 && info.Size > opts.MaxSize {
		return gateway.Errorf(gateway.ETOOLARGE, "blob exceeds the limit of %d bytes", opts.MaxSize)
	}
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat blob file: %w", err)
	}
	if st.Size() != info.Size {
		return gateway.Errorf(gateway.EINVALID, "blob file is %d bytes, the caller said %d", st.Size(), info.Size)
	}
	return nil
}

// verifier re-hashes a stored blob as it is read and turns a mismatch into a
// failed read at EOF, so corruption can never look like a successful download.
type verifier struct {
	rc   io.ReadCloser
	want string
	size int64
	n    int64
	h    hash.Hash
	err  error
}

// Verify wraps rc, the stored bytes of the blob with digest want and recorded
// size (-1 when unknown). Reads fail with EINTEGRITY at EOF when the bytes do
// not hash to want, or as soon as more bytes arrive than recorded.
func Verify(rc io.ReadCloser, want string, size int64) io.ReadCloser {
	return &verifier{rc: rc, want: want, size: size, h: sha256.New()}
}

func (v *verifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.size >= 0 && v.n > v.size {
		v.err = gateway.Errorf(gateway.EINTEGRITY, "blob %s is longer than its recorded %d bytes", v.want, v.size)
		return 0, v.err
	}
	if err == io.EOF {
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want {
			v.err = gateway.Errorf(gateway.EINTEGRITY, "blob %s reads back with digest %s", v.want, got)
			return n, v.err
		}
		if v.size >= 0 && v.n != v.size {
			v.err = gateway.Errorf(gateway.EINTEGRITY, "blob %s is %d bytes, recorded as %d", v.want, v.n, v.size)
			return n, v.err
		}
		v.err = io.EOF
	}
	return n, err
}

func (v *verifier) Close() error { return v.rc.Close() }
