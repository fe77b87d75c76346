package fsblob_test

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"docgate/gateway"
	"docgate/storage/fsblob"
	"docgate/storage/storetest"
)

func TestBlobStore(t *testing.T) {
	storetest.TestBlobStore(t, func(t *testing.T) gateway.BlobStore {
		s, err := fsblob.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, storetest.BlobOptions{
		Corrupt:   corrupt,
		Retention: true,
		Leftovers: func(t *testing.T, s gateway.BlobStore) []string {
			entries, err := os.ReadDir(filepath.Join(s.(*fsblob.Store).Dir(), "tmp"))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			return names
		},
		// A few copy buffers and the hashers; the blob itself is 24 MiB.
		MaxAlloc: 1 << 20,
	})
}

// corrupt flips one bit of the stored file in place, the way a failing disk
// would, keeping its size and name.
func corrupt(t *testing.T, s gateway.BlobStore, sha256Hex string) {
	t.Helper()
	path := s.(*fsblob.Store).Path(sha256Hex)
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
}

func TestNewRemovesStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := fsblob.New(dir); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "tmp", "put-123")
	fresh := filepath.Join(dir, "tmp", "put-456")
	for _, f := range []string{stale, fresh} {
		if err := os.WriteFile(f, []byte("half a blob"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-7 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := fsblob.New(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temp file still there: %v", err)
	}
	// A young one may be another writer's upload in progress.
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp file removed: %v", err)
	}
}

func TestLayout(t *testing.T) {
	dir := t.TempDir()
	s, err := fsblob.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	const body = "layout"
	sum := sha256.Sum256([]byte(body))
	info, err := s.Put(t.Context(), strings.NewReader(body), gateway.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "sha256", info.SHA256[:2], info.SHA256[2:4], info.SHA256)
	b, err := os.ReadFile(want)
	if err != nil {
		t.Fatalf("blob not at %s: %v", want, err)
	}
	if got := sha256.Sum256(b); got != sum {
		t.Fatal("file content does not hash to its name")
	}
}

func TestDamagedRetentionRecordKeepsBlob(t *testing.T) {
	s, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Put(t.Context(), strings.NewReader("retained"), gateway.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Path(info.SHA256)+".retain", []byte("garbage"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(t.Context(), info.SHA256); gateway.ErrorCode(err) != gateway.EINTEGRITY {
		t.Fatalf("delete with damaged retention record: %v, want EINTEGRITY", err)
	}
	if _, err := os.Stat(s.Path(info.SHA256)); err != nil {
		t.Fatalf("blob gone: %v", err)
	}
}
