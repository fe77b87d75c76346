package gateway

import (
	"context"
	"io"
	"os"
	"time"
)

// Store is the metadata store: everything but the bytes of documents.
// Implementations: storage/postgres, storage/sqlite. storage/storetest holds
// the conformance suite every implementation must pass.
type Store interface {
	AgencyStore
	TokenStore
	DocumentStore
	// Ping checks that the store is reachable. EUNAVAILABLE.
	Ping(ctx context.Context) error
	Close() error
}

// BlobInfo describes a stored blob.
type BlobInfo struct {
	SHA256 string // lower-case hex; also the blob's key
	Size   int64
	// RetainUntil is the object-lock retention date, zero when none.
	RetainUntil time.Time
}

// PutOptions bounds and shapes a blob write.
type PutOptions struct {
	// MaxSize is the largest blob accepted; more bytes fail with ETOOLARGE and
	// leave nothing stored. 0 means no limit.
	MaxSize int64
	// SHA256, when set, is the digest the caller expects; a mismatch fails
	// with EINVALID and leaves nothing stored.
	SHA256 string
	// RetainUntil asks for a compliance retention (object lock) until this
	// time where the store supports it; ignored when zero.
	RetainUntil time.Time
	// ContentType is kept where the store can keep it (informational).
	ContentType string
}

// FilePutter is a BlobStore that can also take a blob from a local file whose
// digest and size the caller already knows (it spooled and hashed it), so the
// store need not stage the bytes again: s3 uploads the file once with its size
// known, straight to its key. Callers find it with a type assertion and fall
// back to Put. The store still checks the file against info.SHA256 and
// info.Size before anything becomes visible: a mismatch fails with EINVALID
// and leaves nothing stored.
type FilePutter interface {
	// PutFile stores the bytes of f from offset 0 to info.Size, which must
	// hash to info.SHA256; opts.SHA256, when set, must equal it. It does not
	// move f's offset. ETOOLARGE, EINVALID, EUNAVAILABLE.
	PutFile(ctx context.Context, f *os.File, info BlobInfo, opts PutOptions) (BlobInfo, error)
}

// BlobStore keeps the bytes of documents and attachments, content-addressed by
// SHA-256. Implementations: storage/s3, storage/fsblob.
type BlobStore interface {
	// Put streams r into the store and returns its digest and size. Writing
	// the same content twice is not an error. ETOOLARGE, EINVALID (digest
	// mismatch), EUNAVAILABLE.
	Put(ctx context.Context, r io.Reader, opts PutOptions) (BlobInfo, error)
	// Get opens a blob for reading. The reader checks the bytes against the
	// digest as they stream and fails the read at EOF with EINTEGRITY when
	// they do not match. ENOTFOUND, EUNAVAILABLE.
	Get(ctx context.Context, sha256Hex string) (io.ReadCloser, BlobInfo, error)
	// Stat describes a blob without reading it. ENOTFOUND.
	Stat(ctx context.Context, sha256Hex string) (BlobInfo, error)
	// Delete removes a blob. Deleting a missing blob is not an error; a blob
	// under retention fails with ECONFLICT.
	Delete(ctx context.Context, sha256Hex string) error
	// Ping checks that the store is reachable. EUNAVAILABLE.
	Ping(ctx context.Context) error
}
