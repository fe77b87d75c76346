package storetest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"docgate/gateway"
)

// FilePutterStore is a blob store that offers the optional gateway.FilePutter:
// the suite puts through PutFile and reads back through the BlobStore.
type FilePutterStore interface {
	gateway.BlobStore
	gateway.FilePutter
}

// TestFilePutter runs the conformance suite for gateway.FilePutter. open must
// return an empty store that no other test uses and that keeps
// PutOptions.RetainUntil (for S3, a bucket with object locking): the suite
// checks the retention PutFile reports.
func TestFilePutter(t *testing.T, open func(t *testing.T) FilePutterStore) {
	t.Run("RoundTrip", func(t *testing.T) { testPutFileRoundTrip(t, open(t)) })
	t.Run("Refused", func(t *testing.T) { testPutFileRefused(t, open(t)) })
	t.Run("RefusedWhenStored", func(t *testing.T) { testPutFileRefusedWhenStored(t, open(t)) })
}

// testPutFileRefusedWhenStored checks that a file is checked against the
// digest it is put under even when a blob of that digest is stored already
// (where a store may skip the upload), and that the stored blob stays as it
// was, retention included.
func testPutFileRefusedWhenStored(t *testing.T, s FilePutterStore) {
	for _, size := range []int{1 << 10, 6 << 20} {
		f, info := mustFile(t, size)
		until := time.Now().Add(time.Hour)
		stored, err := s.PutFile(t.Context(), f, info, gateway.PutOptions{RetainUntil: until})
		if err != nil {
			t.Fatal(err)
		}
		other, _ := mustFile(t, size)
		_, err = s.PutFile(t.Context(), other, info, gateway.PutOptions{RetainUntil: until.Add(time.Hour)})
		if gateway.ErrorCode(err) != gateway.EINVALID {
			t.Fatalf("size %d: PutFile of other bytes under a stored digest = %v, want EINVALID", size, err)
		}
		got, err := s.Stat(t.Context(), info.SHA256)
		if err != nil || got.Size != info.Size || !got.RetainUntil.Equal(stored.RetainUntil) {
			t.Fatalf("size %d: after the refusal the blob is %+v (%v), want %+v", size, got, err, stored)
		}
		rc, _, err := s.Get(t.Context(), info.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Fatalf("size %d: the stored blob no longer reads back: %v", size, err)
		}
		rc.Close()
	}
}

// testPutFileRoundTrip stores files of a known digest, sizes around the part
// and probe sizes included, and reads them back.
func testPutFileRoundTrip(t *testing.T, s FilePutterStore) {
	for _, size := range []int{0, 1 << 10, 1<<20 + 7, 6 << 20} {
		f, info := mustFile(t, size)
		until := time.Now().Add(time.Hour)
		got, err := s.PutFile(t.Context(), f, info, gateway.PutOptions{SHA256: info.SHA256, RetainUntil: until})
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if got.SHA256 != info.SHA256 || got.Size != info.Size || got.RetainUntil.Before(until) {
			t.Fatalf("size %d: PutFile = %+v, want %+v retained until %v", size, got, info, until)
		}
		if pos, _ := f.Seek(0, io.SeekCurrent); pos != 0 {
			t.Fatalf("size %d: PutFile moved the file offset to %d", size, pos)
		}
		rc, _, err := s.Get(t.Context(), info.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, rc); err != nil || n != info.Size {
			t.Fatalf("size %d: read back %d bytes, %v", size, n, err)
		}
		rc.Close()
		// Again: putting the same content twice is not an error, on a
		// locked bucket included (where it must not be uploaded twice).
		if _, err := s.PutFile(t.Context(), f, info, gateway.PutOptions{}); err != nil {
			t.Fatalf("size %d again: %v", size, err)
		}
	}
}

// testPutFileRefused checks that a file that does not match what the caller
// claims is refused with the right code and leaves nothing.
func testPutFileRefused(t *testing.T, s FilePutterStore) {
	f, info := mustFile(t, 1<<20+7)
	other := sha256.Sum256([]byte("other"))
	for _, tc := range []struct {
		name string
		info gateway.BlobInfo
		opts gateway.PutOptions
		code string
	}{
		{"wrong digest", gateway.BlobInfo{SHA256: hex.EncodeToString(other[:]), Size: info.Size}, gateway.PutOptions{}, gateway.EINVALID},
		{"wrong size", gateway.BlobInfo{SHA256: info.SHA256, Size: info.Size - 1}, gateway.PutOptions{}, gateway.EINVALID},
		{"expected differs", info, gateway.PutOptions{SHA256: hex.EncodeToString(other[:])}, gateway.EINVALID},
		{"too large", info, gateway.PutOptions{MaxSize: info.Size - 1}, gateway.ETOOLARGE},
		{"bad digest", gateway.BlobInfo{SHA256: "../x", Size: info.Size}, gateway.PutOptions{}, gateway.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.PutFile(t.Context(), f, tc.info, tc.opts)
			if gateway.ErrorCode(err) != tc.code {
				t.Fatalf("PutFile = %v, want %s", err, tc.code)
			}
			for _, sum := range []string{info.SHA256, tc.info.SHA256} {
				if _, err := s.Stat(t.Context(), sum); gateway.ErrorCode(err) != gateway.ENOTFOUND && sum != "../x" {
					t.Fatalf("Stat(%s) after a refused PutFile = %v, want ENOTFOUND", sum, err)
				}
			}
		})
	}
}

// mustFile writes size random bytes to a temporary file and returns it open,
// with its digest.
func mustFile(tb testing.TB, size int) (*os.File, gateway.BlobInfo) {
	tb.Helper()
	b := make([]byte, size)
	rand.Read(b)
	name := filepath.Join(tb.TempDir(), "blob")
	if err := os.WriteFile(name, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	sum := sha256.Sum256(b)
	return f, gateway.BlobInfo{SHA256: hex.EncodeToString(sum[:]), Size: int64(size)}
}
