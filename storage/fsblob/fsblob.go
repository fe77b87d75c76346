// Package fsblob is a gateway.BlobStore on a local filesystem, for single-node
// deployments and `docgate serve --dev`.
//
// Blobs live at dir/sha256/ab/cd/<hex>, written to dir/tmp first and renamed
// into place after an fsync, so a crash never leaves a partial blob under a
// real digest. Every read is checked against the digest.
//
// Retention is advisory here: a sidecar file records RetainUntil and Delete
// refuses before that date, but anyone with access to the directory can still
// remove or change the files. Deployments that need retention to hold against
// an administrator must use storage/s3 with object locking. This package must
// not be used by several gateway replicas on a shared network filesystem: it
// relies on local rename and fsync semantics.
package fsblob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"time"

	"docgate/gateway"
	"docgate/storage/internal/blobio"
)

var (
	_ gateway.BlobStore  = (*Store)(nil)
	_ gateway.FilePutter = (*Store)(nil)
)

const (
	blobDir      = "sha256"
	tmpDir       = "tmp"
	retainSuffix = ".retain"
	retainLayout = time.RFC3339Nano
	tmpPattern   = "put-*"
	dirPerm      = 0o750
	blobPerm     = 0o440 // stored blobs are never modified in place
	sidecarPerm  = 0o640
	// staleTemp is how old a temporary file must be before New takes it
	// for crash debris; no put takes this long.
	staleTemp = 6 * time.Hour
)

// Store keeps blobs under one directory.
type Store struct {
	dir string
}

// New opens (creating when needed) a blob store rooted at dir. Temporary files
// that an earlier crash left are removed once they are older than staleTemp;
// younger ones may belong to another Store on the same directory (a CLI
// command next to the running server) that is still writing.
func New(dir string) (*Store, error) {
	if dir == "" {
		return nil, fmt.Errorf("fsblob: empty directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("fsblob: resolve %s: %w", dir, err)
	}
	for _, d := range []string{abs, filepath.Join(abs, blobDir), filepath.Join(abs, tmpDir)} {
		if err := os.MkdirAll(d, dirPerm); err != nil {
			return nil, fmt.Errorf("fsblob: create %s: %w", d, err)
		}
	}
	s := &Store{dir: abs}
	if _, err := s.SweepTemp(time.Now().Add(-staleTemp)); err != nil {
		return nil, fmt.Errorf("fsblob: %w", err)
	}
	return s, nil
}

// SweepTemp removes temporary files last written before olderThan: the
// remains of puts that a crash interrupted. It returns how many went.
func (s *Store) SweepTemp(olderThan time.Time) (int, error) {
	entries, err := os.ReadDir(filepath.Join(s.dir, tmpDir))
	if err != nil {
		return 0, fmt.Errorf("read temp dir: %w", err)
	}
	n := 0
	for _, e := range entries {
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // placed or removed by its writer meanwhile
		} else if err != nil {
			return n, fmt.Errorf("stat temp file: %w", err)
		}
		if !info.ModTime().Before(olderThan) {
			continue
		}
		if err := os.Remove(filepath.Join(s.dir, tmpDir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, fmt.Errorf("remove stale temp file: %w", err)
		}
		n++
	}
	return n, nil
}

// Dir is the store's root directory.
func (s *Store) Dir() string { return s.dir }

// Path is where the blob with the given digest is (or would be) stored. It is
// meant for tests and operators; callers must not write there.
func (s *Store) Path(sha256Hex string) string {
	return filepath.Join(s.dir, blobDir, sha256Hex[0:2], sha256Hex[2:4], sha256Hex)
}

// Put streams r to a temporary file while hashing it, then renames it to its
// digest. ETOOLARGE, EINVALID, EUNAVAILABLE (disk errors).
func (s *Store) Put(ctx context.Context, r io.Reader, opts gateway.PutOptions) (gateway.BlobInfo, error) {
	if err := blobio.CheckPutOptions(opts); err != nil {
		return gateway.BlobInfo{}, err
	}
	f, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), tmpPattern)
	if err != nil {
		return gateway.BlobInfo{}, unavailable("create temp blob", err)
	}
	tmp := f.Name()
	placed := false
	defer func() {
		if !placed {
			f.Close()
			os.Remove(tmp)
		}
	}()

	in := blobio.NewIngest(ctx, r, opts.MaxSize)
	if _, err := io.Copy(f, in); err != nil {
		if in.Err() != nil {
			return gateway.BlobInfo{}, in.Err()
		} else if in.SourceErr() != nil {
			return gateway.BlobInfo{}, fmt.Errorf("read blob body: %w", err)
		}
		return gateway.BlobInfo{}, unavailable("write blob", err)
	}
	sum, err := in.Finish(opts.SHA256)
	if err != nil {
		return gateway.BlobInfo{}, err
	}
	if err := f.Chmod(blobPerm); err != nil {
		return gateway.BlobInfo{}, unavailable("chmod temp blob", err)
	}
	// The data must be on disk before the rename makes it visible, or a crash
	// could leave a real name pointing at missing bytes.
	if err := f.Sync(); err != nil {
		return gateway.BlobInfo{}, unavailable("sync temp blob", err)
	}
	if err := f.Close(); err != nil {
		return gateway.BlobInfo{}, unavailable("close temp blob", err)
	}
	if err := ctx.Err(); err != nil {
		return gateway.BlobInfo{}, err
	}

	final := s.Path(sum)
	if err := s.ensureDir(filepath.Dir(final)); err != nil {
		return gateway.BlobInfo{}, err
	}
	// Renaming over an existing blob is safe: same digest, same content (and
	// it repairs a copy that rotted on disk). It also refreshes the mtime that
	// Blobs reports, so an orphan sweeper sees a re-put blob as fresh.
	if err := os.Rename(tmp, final); err != nil {
		return gateway.BlobInfo{}, unavailable("place blob", err)
	}
	placed = true
	if err := syncDir(filepath.Dir(final)); err != nil {
		return gateway.BlobInfo{}, unavailable("sync blob dir", err)
	}

	info := gateway.BlobInfo{SHA256: sum, Size: in.Size()}
	until, err := s.retainUntil(sum)
	if err != nil {
		return gateway.BlobInfo{}, err
	}
	if opts.RetainUntil.After(until) && opts.RetainUntil.After(time.Now()) {
		// Retention only ever grows, as with S3 compliance mode, and a
		// date already past means none, as there.
		if err := s.writeRetention(sum, opts.RetainUntil); err != nil {
			return gateway.BlobInfo{}, err
		}
		until = opts.RetainUntil
	}
	info.RetainUntil = until
	return info, nil
}

// PutFile stores a local file whose digest and size the caller knows. The
// bytes still go through Put, which copies them into the store's own
// directory (a hard link would share an inode the caller may still write)
// and hashes them once on the way, failing with EINVALID and leaving nothing
// when they do not match info. ETOOLARGE, EINVALID, EUNAVAILABLE.
func (s *Store) PutFile(ctx context.Context, f *os.File, info gateway.BlobInfo, opts gateway.PutOptions) (gateway.BlobInfo, error) {
	if err := blobio.CheckDigest(info.SHA256); err != nil {
		return gateway.BlobInfo{}, err
	}
	if opts.SHA256 != "" && opts.SHA256 != info.SHA256 {
		return gateway.BlobInfo{}, gateway.Errorf(gateway.EINVALID, "blob digest %s does not match the expected %s", info.SHA256, opts.SHA256)
	}
	st, err := f.Stat()
	if err != nil {
		return gateway.BlobInfo{}, fmt.Errorf("stat blob file: %w", err)
	}
	if st.Size() != info.Size {
		return gateway.BlobInfo{}, gateway.Errorf(gateway.EINVALID, "blob file is %d bytes, the caller said %d", st.Size(), info.Size)
	}
	opts.SHA256 = info.SHA256
	return s.Put(ctx, io.NewSectionReader(f, 0, info.Size), opts)
}

// ensureDir creates a blob's fan-out directories, syncing each parent whose
// entries changed so the new directories survive a crash.
func (s *Store) ensureDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return unavailable("create blob dir", err)
	}
	root := filepath.Join(s.dir, blobDir)
	for d := filepath.Dir(dir); len(d) >= len(root); d = filepath.Dir(d) {
		if err := syncDir(d); err != nil {
			return unavailable("sync blob dir", err)
		}
	}
	return nil
}

// Get opens a blob; the reader fails with EINTEGRITY at EOF when the bytes on
// disk no longer hash to the digest. ENOTFOUND, EINVALID.
func (s *Store) Get(ctx context.Context, sha256Hex string) (io.ReadCloser, gateway.BlobInfo, error) {
	if err := blobio.CheckDigest(sha256Hex); err != nil {
		return nil, gateway.BlobInfo{}, err
	}
	f, err := os.Open(s.Path(sha256Hex))
	if err != nil {
		return nil, gateway.BlobInfo{}, notFound(sha256Hex, "open blob", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, gateway.BlobInfo{}, unavailable("stat blob", err)
	}
	until, err := s.retainUntil(sha256Hex)
	if err != nil {
		f.Close()
		return nil, gateway.BlobInfo{}, err
	}
	info := gateway.BlobInfo{SHA256: sha256Hex, Size: st.Size(), RetainUntil: until}
	return blobio.Verify(f, sha256Hex, st.Size()), info, nil
}

// Stat describes a blob without reading it. ENOTFOUND, EINVALID.
func (s *Store) Stat(ctx context.Context, sha256Hex string) (gateway.BlobInfo, error) {
	if err := blobio.CheckDigest(sha256Hex); err != nil {
		return gateway.BlobInfo{}, err
	}
	st, err := os.Stat(s.Path(sha256Hex))
	if err != nil {
		return gateway.BlobInfo{}, notFound(sha256Hex, "stat blob", err)
	}
	until, err := s.retainUntil(sha256Hex)
	if err != nil {
		return gateway.BlobInfo{}, err
	}
	return gateway.BlobInfo{SHA256: sha256Hex, Size: st.Size(), RetainUntil: until}, nil
}

// Delete removes a blob and its retention record. A missing blob is not an
// error; one still under retention fails with ECONFLICT.
func (s *Store) Delete(ctx context.Context, sha256Hex string) error {
	if err := blobio.CheckDigest(sha256Hex); err != nil {
		return err
	}
	until, err := s.retainUntil(sha256Hex)
	if err != nil {
		return err
	}
	if time.Now().Before(until) {
		return gateway.Errorf(gateway.ECONFLICT, "blob %s is retained until %s", sha256Hex, until.UTC().Format(time.RFC3339))
	}
	path := s.Path(sha256Hex)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return unavailable("delete blob", err)
	}
	// The sidecar goes last: a crash in between leaves an expired retention
	// record, never a blob that lost its protection.
	if err := os.Remove(path + retainSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return unavailable("delete retention record", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return unavailable("sync blob dir", err)
	}
	return nil
}

// Ping checks that the directory is still there and writable. EUNAVAILABLE.
func (s *Store) Ping(ctx context.Context) error {
	f, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), "ping-*")
	if err != nil {
		return unavailable("blob directory not writable", err)
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return unavailable("blob directory not writable", err)
	}
	return nil
}

// Blobs yields every stored blob last written before writtenBefore (all of
// them when it is zero), in no particular order. An orphan sweeper should pass
// a time well in the past: a blob that was just put may belong to a document
// whose metadata is not committed yet. Put of existing content refreshes the
// write time for the same reason. Retention is not read here; Delete checks it.
func (s *Store) Blobs(ctx context.Context, writtenBefore time.Time) iter.Seq2[gateway.BlobInfo, error] {
	return func(yield func(gateway.BlobInfo, error) bool) {
		root := filepath.Join(s.dir, blobDir)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if d.IsDir() || !blobio.ValidDigest(d.Name()) {
				return nil
			}
			st, err := d.Info()
			if errors.Is(err, fs.ErrNotExist) {
				return nil // deleted while we walked
			} else if err != nil {
				return err
			}
			if !writtenBefore.IsZero() && !st.ModTime().Before(writtenBefore) {
				return nil
			}
			if !yield(gateway.BlobInfo{SHA256: d.Name(), Size: st.Size()}, nil) {
				return fs.SkipAll
			}
			return nil
		})
		if err != nil {
			yield(gateway.BlobInfo{}, unavailable("list blobs", err))
		}
	}
}

func (s *Store) retainUntil(sha256Hex string) (time.Time, error) {
	b, err := os.ReadFile(s.Path(sha256Hex) + retainSuffix)
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, nil
	} else if err != nil {
		return time.Time{}, unavailable("read retention record", err)
	}
	t, err := time.Parse(retainLayout, strings.TrimSpace(string(b)))
	if err != nil {
		// A damaged record must not silently drop the protection it stood for.
		return time.Time{}, gateway.Errorf(gateway.EINTEGRITY, "retention record of blob %s is unreadable", sha256Hex)
	}
	return t, nil
}

// writeRetention replaces the sidecar atomically, like a blob.
func (s *Store) writeRetention(sha256Hex string, until time.Time) error {
	path := s.Path(sha256Hex) + retainSuffix
	f, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), "retain-*")
	if err != nil {
		return unavailable("create retention record", err)
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(until.UTC().Format(retainLayout) + "\n")
	if err == nil {
		err = f.Chmod(sidecarPerm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		return unavailable("write retention record", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func notFound(sha256Hex, op string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return gateway.Errorf(gateway.ENOTFOUND, "blob %s not found", sha256Hex)
	}
	return unavailable(op, err)
}

// unavailable marks a disk failure as EUNAVAILABLE for the client while
// keeping the underlying error for the log.
func unavailable(op string, err error) error {
	return fmt.Errorf("%s: %w: %w", op, gateway.Errorf(gateway.EUNAVAILABLE, "blob storage is unavailable"), err)
}
