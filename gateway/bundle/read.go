package bundle

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrUnreadable is in the chain of an error when the bytes are not a bundle
// at all (not a zip, no manifest, beyond a bound, a hostile name): the CLI
// exits 2, as for any unreadable input. A readable bundle whose contents do
// not check out is a Result with failures instead.
var ErrUnreadable = errors.New("not a readable evidence bundle")

// Bounds on what a bundle may hold. A real one has a PDF, a few dozen
// attachments at most, one receipt and proof per event and a handful of
// certificates, all far below these; anything beyond is refused before it
// is decompressed.
const (
	maxEntries     = 4096
	maxManifest    = 4 << 20
	maxSmallFile   = 1 << 20  // receipts, proofs, the checkpoint, the key, certificates
	maxReport      = 16 << 20 // the validation report
	maxPartFile    = 1 << 30  // the PDF and each attachment
	maxTotal       = 4 << 30  // all files, uncompressed
	maxPartsInline = 8 << 20  // a compressed part up to this size is held in memory, larger ones spooled
)

// Bundle is a zip read and checked for form: every name is safe and unique,
// the manifest parses and names every file once, and every file's SHA-256
// has been computed (not yet compared: Verify does that and says which).
type Bundle struct {
	Manifest Manifest
	// Sums are the SHA-256 (hex) of every file read, by path.
	Sums  map[string]string
	Sizes map[string]int64
	// Extra lists files in the zip that the manifest does not name.
	Extra []string
	// Missing lists files the manifest names that are not in the zip.
	Missing []string

	r     io.ReaderAt
	files map[string]*zip.File
	small map[string][]byte
	// TempDir holds spooled parts; the OS default when empty.
	tempDir string
}

// limitFor bounds each kind of file.
func limitFor(kind string) int64 {
	switch kind {
	case KindDocument, KindAttachment:
		return maxPartFile
	case KindReport:
		return maxReport
	}
	return maxSmallFile
}

// Read parses a bundle of size bytes from r. It reads every file once to
// hash it, holding only the small ones (receipts, proofs, keys,
// certificates, the report) in memory. ErrUnreadable.
func Read(r io.ReaderAt, size int64) (*Bundle, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	if len(zr.File) > maxEntries {
		return nil, fmt.Errorf("%w: %d files, at most %d", ErrUnreadable, len(zr.File), maxEntries)
	}
	b := &Bundle{r: r, files: map[string]*zip.File{}, small: map[string][]byte{}, Sums: map[string]string{}, Sizes: map[string]int64{}}
	var total uint64
	for _, f := range zr.File {
		if err := validPath(f.Name); err != nil {
			return nil, fmt.Errorf("%w: file name %q: %w", ErrUnreadable, f.Name, err)
		}
		if f.Mode().IsDir() || !f.Mode().IsRegular() {
			return nil, fmt.Errorf("%w: %s is not a regular file", ErrUnreadable, f.Name)
		}
		if b.files[f.Name] != nil {
			return nil, fmt.Errorf("%w: %s is in the zip twice", ErrUnreadable, f.Name)
		}
		if f.Method != zip.Store && f.Method != zip.Deflate {
			return nil, fmt.Errorf("%w: %s uses compression method %d", ErrUnreadable, f.Name, f.Method)
		}
		total += f.UncompressedSize64
		if f.UncompressedSize64 > maxPartFile || total > maxTotal {
			return nil, fmt.Errorf("%w: %s makes the bundle larger than its bounds", ErrUnreadable, f.Name)
		}
		b.files[f.Name] = f
	}
	mf := b.files[ManifestPath]
	if mf == nil {
		return nil, fmt.Errorf("%w: no %s", ErrUnreadable, ManifestPath)
	}
	mb, err := readAll(mf, maxManifest)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnreadable, ManifestPath, err)
	}
	if err := json.Unmarshal(mb, &b.Manifest); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnreadable, ManifestPath, err)
	}
	b.Manifest.clean()
	if b.Manifest.Format != Format {
		return nil, fmt.Errorf("%w: %s is of format %q, not %q", ErrUnreadable, ManifestPath, b.Manifest.Format, Format)
	}
	if len(b.Manifest.Files) > maxEntries {
		return nil, fmt.Errorf("%w: the manifest lists %d files, at most %d", ErrUnreadable, len(b.Manifest.Files), maxEntries)
	}
	listed := map[string]bool{ManifestPath: true}
	for _, mfile := range b.Manifest.Files {
		if err := validPath(mfile.Path); err != nil {
			return nil, fmt.Errorf("%w: manifest path %q: %w", ErrUnreadable, mfile.Path, err)
		}
		if listed[mfile.Path] {
			return nil, fmt.Errorf("%w: the manifest lists %s twice", ErrUnreadable, mfile.Path)
		}
		listed[mfile.Path] = true
		f := b.files[mfile.Path]
		if f == nil {
			b.Missing = append(b.Missing, mfile.Path)
			continue
		}
		limit := limitFor(mfile.Kind)
		if f.UncompressedSize64 > uint64(limit) {
			return nil, fmt.Errorf("%w: %s (%s) is %d bytes, at most %d", ErrUnreadable, mfile.Path, mfile.Kind, f.UncompressedSize64, limit)
		}
		if limit == maxPartFile {
			sum, n, err := hashFile(f, limit)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %w", ErrUnreadable, mfile.Path, err)
			}
			b.Sums[mfile.Path], b.Sizes[mfile.Path] = sum, n
			continue
		}
		data, err := readAll(f, limit)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrUnreadable, mfile.Path, err)
		}
		sum := sha256.Sum256(data)
		b.Sums[mfile.Path], b.Sizes[mfile.Path] = hex.EncodeToString(sum[:]), int64(len(data))
		b.small[mfile.Path] = data
	}
	for _, f := range zr.File {
		if !listed[f.Name] {
			b.Extra = append(b.Extra, f.Name)
		}
	}
	return b, nil
}

// readAll reads a file whole, refusing more than limit bytes whatever its
// header claims: a zip bomb is cut off at the bound, not at its declared
// size.
func readAll(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("longer than %d bytes", limit)
	}
	return data, nil
}

// hashFile streams a file through SHA-256 under the same bound.
func hashFile(f *zip.File, limit int64) (string, int64, error) {
	rc, err := f.Open()
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(rc, limit+1))
	if err != nil {
		return "", 0, err
	}
	if n > limit {
		return "", 0, fmt.Errorf("longer than %d bytes", limit)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Data returns a small file's bytes (receipts, proofs, the checkpoint, the
// key, certificates, the report), or nil.
func (b *Bundle) Data(path string) []byte { return b.small[path] }

// openPart gives random access to a document or attachment for the PDF
// verifier: in place when stored uncompressed (as Write stores them),
// otherwise decompressed into memory or, beyond maxPartsInline, a temporary
// file. close releases it.
func (b *Bundle) openPart(path string) (r io.ReaderAt, size int64, close func(), err error) {
	f := b.files[path]
	if f == nil {
		return nil, 0, nil, fmt.Errorf("%s is not in the bundle", path)
	}
	if f.Method == zip.Store && f.CompressedSize64 == f.UncompressedSize64 {
		off, err := f.DataOffset()
		if err == nil {
			return io.NewSectionReader(b.r, off, int64(f.UncompressedSize64)), int64(f.UncompressedSize64), func() {}, nil
		}
	}
	if f.UncompressedSize64 <= maxPartsInline {
		data, err := readAll(f, maxPartsInline)
		if err != nil {
			return nil, 0, nil, err
		}
		return bytes.NewReader(data), int64(len(data)), func() {}, nil
	}
	tmp, err := os.CreateTemp(b.tempDir, "docgate-bundle-*")
	if err != nil {
		return nil, 0, nil, fmt.Errorf("spool %s: %w", path, err)
	}
	cleanup := func() { tmp.Close(); os.Remove(tmp.Name()) }
	rc, err := f.Open()
	if err != nil {
		cleanup()
		return nil, 0, nil, err
	}
	n, err := io.Copy(tmp, io.LimitReader(rc, maxPartFile+1))
	rc.Close()
	if err == nil && n > maxPartFile {
		err = fmt.Errorf("longer than %d bytes", int64(maxPartFile))
	}
	if err != nil {
		cleanup()
		return nil, 0, nil, fmt.Errorf("spool %s: %w", path, err)
	}
	return tmp, n, cleanup, nil
}

// maxText bounds a free-text field of the manifest.
const maxText = 512

// clean makes the manifest's free text safe to print: it is unsigned and
// ends up in terminal output and failure messages, so control characters
// (escape sequences, line breaks that would forge a "FAILED:" line) become
// '?' and each field is bounded. Paths are checked separately, strictly.
func (m *Manifest) clean() {
	m.Format, m.DocumentID, m.LogOrigin = cleanText(m.Format), cleanText(m.DocumentID), cleanText(m.LogOrigin)
	for i := range m.Files {
		f := &m.Files[i]
		f.Kind, f.SHA256, f.Description = cleanText(f.Kind), cleanText(f.SHA256), cleanText(f.Description)
		f.Event, f.EvidenceID, f.ContentType, f.Proof = cleanText(f.Event), cleanText(f.EvidenceID), cleanText(f.ContentType), cleanText(f.Proof)
	}
}

func cleanText(s string) string {
	if len(s) > maxText {
		s = s[:maxText]
	}
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return '?'
		}
		return r
	}, s)
}
