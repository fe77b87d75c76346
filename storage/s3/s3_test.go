package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"docgate/gateway"
	"docgate/storage/s3"
	"docgate/storage/storetest"
)

// testConfig returns the MinIO that scripts/test starts, or skips: these tests
// need a real S3 server, and a fake one would only test the fake.
func testConfig(t testing.TB) s3.Config {
	t.Helper()
	cfg := s3.Config{
		Endpoint:  os.Getenv("DOCGATE_TEST_S3_ENDPOINT"),
		AccessKey: os.Getenv("DOCGATE_TEST_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("DOCGATE_TEST_S3_SECRET_KEY"),
	}
	if cfg.Endpoint == "" || cfg.AccessKey == "" || cfg.SecretKey == "" {
		t.Skip("DOCGATE_TEST_S3_ENDPOINT, DOCGATE_TEST_S3_ACCESS_KEY and DOCGATE_TEST_S3_SECRET_KEY are not all set; run ./scripts/test to get a MinIO")
	}
	return cfg
}

// freshBucket names a bucket no other test uses.
func freshBucket(t testing.TB) string {
	var b [6]byte
	rand.Read(b[:])
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(name) > 40 {
		name = name[:40]
	}
	return strings.Trim("t-"+name, "-") + "-" + hex.EncodeToString(b[:])
}

func rawClient(t testing.TB, cfg s3.Config) *minio.Client {
	t.Helper()
	c, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func openStore(t testing.TB, locking bool) (*s3.Store, s3.Config) {
	t.Helper()
	cfg := testConfig(t)
	cfg.ObjectLocking = locking
	return openConfig(t, cfg)
}

// openConfig opens a store on a fresh bucket with cfg's other settings.
func openConfig(t testing.TB, cfg s3.Config) (*s3.Store, s3.Config) {
	t.Helper()
	cfg.Bucket = freshBucket(t)
	s, err := s3.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s.Locking() != cfg.ObjectLocking {
		t.Fatalf("Locking() = %v, want %v", s.Locking(), cfg.ObjectLocking)
	}
	t.Cleanup(func() { removeBucket(t, cfg) })
	return s, cfg
}

// removeBucket empties and removes a test bucket. Objects still under
// retention make that fail; they are left to the MinIO data directory that
// scripts/test deletes.
func removeBucket(t testing.TB, cfg s3.Config) {
	c := rawClient(t, cfg)
	ctx := context.Background()
	objs := c.ListObjects(ctx, cfg.Bucket, minio.ListObjectsOptions{Recursive: true, WithVersions: true})
	for e := range c.RemoveObjects(ctx, cfg.Bucket, objs, minio.RemoveObjectsOptions{}) {
		t.Logf("cleanup: %s: %v", e.ObjectName, e.Err)
	}
	if err := c.RemoveBucket(ctx, cfg.Bucket); err != nil {
		t.Logf("cleanup: remove bucket %s: %v", cfg.Bucket, err)
	}
}

func suiteOptions(cfgOf func(gateway.BlobStore) s3.Config) storetest.BlobOptions {
	return storetest.BlobOptions{
		// Overwrite the object with different bytes of the same length under
		// the blob's key, as a rogue writer with bucket access could.
		Corrupt: func(t *testing.T, s gateway.BlobStore, sha256Hex string) {
			cfg := cfgOf(s)
			c := rawClient(t, cfg)
			key := "sha256/" + sha256Hex
			obj, err := c.GetObject(t.Context(), cfg.Bucket, key, minio.GetObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := buf.ReadFrom(obj); err != nil {
				t.Fatal(err)
			}
			b := buf.Bytes()
			b[len(b)/2] ^= 0x01
			if _, err := c.PutObject(t.Context(), cfg.Bucket, key, bytes.NewReader(b), int64(len(b)), minio.PutObjectOptions{}); err != nil {
				t.Fatal(err)
			}
		},
		Leftovers: func(t *testing.T, s gateway.BlobStore) []string {
			cfg := cfgOf(s)
			c := rawClient(t, cfg)
			var left []string
			for oi := range c.ListObjectsIter(t.Context(), cfg.Bucket, minio.ListObjectsOptions{Prefix: "tmp/", Recursive: true, WithVersions: true}) {
				if oi.Err != nil {
					t.Fatal(oi.Err)
				}
				left = append(left, oi.Key+"@"+oi.VersionID)
			}
			for u := range c.ListIncompleteUploads(t.Context(), cfg.Bucket, "", true) {
				if u.Err != nil {
					t.Fatal(u.Err)
				}
				left = append(left, "upload:"+u.Key)
			}
			if cfg.SpoolDir != "" {
				entries, err := os.ReadDir(cfg.SpoolDir)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range entries {
					left = append(left, "spool:"+e.Name())
				}
			}
			return left
		},
		// One 5 MiB part buffer, the 1 MiB small-blob probe (grown in steps)
		// and minio-go's per-request signing and HTTP garbage, which adds
		// about 0.15 MiB per 5 MiB part. Holding the 24 MiB blob would need
		// more than the whole bound.
		MaxAlloc: 16 << 20,
	}
}

func TestBlobStore(t *testing.T) {
	for _, mode := range []struct {
		name           string
		locking, spool bool
	}{
		{"plain", false, false},
		{"locking", true, false},
		{"spool-locking", true, true},
	} {
		t.Run(mode.name, func(t *testing.T) {
			cfgs := map[gateway.BlobStore]s3.Config{}
			opts := suiteOptions(func(s gateway.BlobStore) s3.Config { return cfgs[s] })
			opts.Retention = mode.locking
			storetest.TestBlobStore(t, func(t *testing.T) gateway.BlobStore {
				cfg := testConfig(t)
				cfg.ObjectLocking = mode.locking
				if mode.spool {
					cfg.SpoolDir = t.TempDir()
				}
				s, cfg := openConfig(t, cfg)
				cfgs[s] = cfg
				return s
			}, opts)
		})
	}
}

func TestNewReopensExistingBucket(t *testing.T) {
	s, cfg := openStore(t, true)
	info, err := s.Put(t.Context(), strings.NewReader("kept"), gateway.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := s3.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Locking() {
		t.Error("reopened locking bucket reports no locking")
	}
	if _, err := again.Stat(t.Context(), info.SHA256); err != nil {
		t.Fatal(err)
	}
}

func TestNewRefusesUnlockedBucketWhenLockingAsked(t *testing.T) {
	_, cfg := openStore(t, false)
	cfg.ObjectLocking = true
	if _, err := s3.New(t.Context(), cfg); err == nil {
		t.Fatal("New accepted a bucket without object locking although ObjectLocking was asked")
	}
}

func TestRetentionIsComplianceMode(t *testing.T) {
	// Waits for a retention to lapse; let the other waiters overlap.
	t.Parallel()
	s, cfg := openStore(t, true)
	until := time.Now().Add(2 * time.Second)
	info, err := s.Put(t.Context(), strings.NewReader("sealed"), gateway.PutOptions{RetainUntil: until})
	if err != nil {
		t.Fatal(err)
	}
	mode, date, err := rawClient(t, cfg).GetObjectRetention(t.Context(), cfg.Bucket, "sha256/"+info.SHA256, "")
	if err != nil {
		t.Fatal(err)
	}
	if mode == nil || *mode != minio.Compliance || date == nil || date.Before(until.Truncate(time.Second)) {
		t.Fatalf("retention mode %v until %v, want COMPLIANCE until %v", mode, date, until)
	}
	// Let the retention lapse so that cleanup can remove the bucket.
	time.Sleep(time.Until(info.RetainUntil) + 1100*time.Millisecond)
}

func TestUnreachableIsUnavailable(t *testing.T) {
	// A port nothing listens on: grab one and close it.
	cfg := s3.Config{Endpoint: closedPort(t), Bucket: "docgate", AccessKey: "k", SecretKey: "secret-key"}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	_, err := s3.New(ctx, cfg)
	if got := gateway.ErrorCode(err); got != gateway.EUNAVAILABLE {
		t.Fatalf("New against a closed port: %v (code %q), want EUNAVAILABLE", err, got)
	}
}

func TestConfigValidate(t *testing.T) {
	good := s3.Config{Endpoint: "127.0.0.1:9000", Bucket: "b", AccessKey: "a", SecretKey: "s"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []func(*s3.Config){
		func(c *s3.Config) { c.Endpoint = "" },
		func(c *s3.Config) { c.Endpoint = "http://127.0.0.1:9000" },
		func(c *s3.Config) { c.Bucket = "" },
		func(c *s3.Config) { c.SecretKey = "" },
	} {
		c := good
		bad(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%+v passed validation", c)
		}
	}
}

func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestSweepTemp(t *testing.T) {
	cfg := testConfig(t)
	cfg.ObjectLocking = true
	cfg.SpoolDir = t.TempDir()
	s, cfg := openConfig(t, cfg)
	c := rawClient(t, cfg)
	stale := filepath.Join(cfg.SpoolDir, "docgate-spool-1")
	fresh := filepath.Join(cfg.SpoolDir, "docgate-spool-2")
	for _, f := range []string{stale, fresh} {
		if err := os.WriteFile(f, []byte("half a blob"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(t.Context(), cfg.Bucket, "tmp/crashed", strings.NewReader("half"), 4, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	core := &minio.Core{Client: c}
	if _, err := core.NewMultipartUpload(t.Context(), cfg.Bucket, "tmp/crashed-upload", minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	kept, err := s.Put(t.Context(), strings.NewReader("a real blob"), gateway.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// Nothing is old enough yet: an upload in progress must survive.
	if n, err := s.SweepTemp(t.Context(), time.Now().Add(-time.Hour)); err != nil || n != 1 {
		t.Fatalf("sweep of hour-old debris removed %d (%v), want the 2-hour-old spool file", n, err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("fresh spool file removed: %v", err)
	}
	n, err := s.SweepTemp(t.Context(), time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("sweep removed %d, want the object, the upload and the other spool file", n)
	}
	if left, _ := os.ReadDir(cfg.SpoolDir); len(left) != 0 {
		t.Errorf("spool files left: %v", left)
	}
	for oi := range c.ListObjectsIter(t.Context(), cfg.Bucket, minio.ListObjectsOptions{Prefix: "tmp/", Recursive: true, WithVersions: true}) {
		t.Errorf("left %s@%s (%v)", oi.Key, oi.VersionID, oi.Err)
	}
	for up := range c.ListIncompleteUploads(t.Context(), cfg.Bucket, "", true) {
		t.Errorf("left upload %s (%v)", up.Key, up.Err)
	}
	if _, err := s.Stat(t.Context(), kept.SHA256); err != nil {
		t.Fatalf("sweep touched a blob: %v", err)
	}
}

// TestDeleteWithLockedOlderVersion covers a blob whose newest version is not
// retained but an older one is (someone overwrote the key): Delete must report
// ECONFLICT rather than claim the bytes are gone.
func TestDeleteWithLockedOlderVersion(t *testing.T) {
	// Waits for a retention to lapse; let the other waiters overlap.
	t.Parallel()
	s, cfg := openStore(t, true)
	info, err := s.Put(t.Context(), strings.NewReader("sealed"), gateway.PutOptions{RetainUntil: time.Now().Add(2 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	c := rawClient(t, cfg)
	if _, err := c.PutObject(t.Context(), cfg.Bucket, "sha256/"+info.SHA256, strings.NewReader("SEALED"), 6, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	err = s.Delete(t.Context(), info.SHA256)
	if got := gateway.ErrorCode(err); got != gateway.ECONFLICT {
		t.Fatalf("delete: %v (code %q), want ECONFLICT", err, got)
	}
	time.Sleep(time.Until(info.RetainUntil) + 1100*time.Millisecond)
	if err := s.Delete(t.Context(), info.SHA256); err != nil {
		t.Fatalf("delete after retention: %v", err)
	}
	if _, err := s.Stat(t.Context(), info.SHA256); gateway.ErrorCode(err) != gateway.ENOTFOUND {
		t.Fatalf("stat after delete: %v", err)
	}
}

func TestConfigHidesSecret(t *testing.T) {
	cfg := s3.Config{Endpoint: "127.0.0.1:9000", Bucket: "b", AccessKey: "a", SecretKey: "very-secret-value"}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "s3", cfg)
	for _, out := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), logged.String()} {
		if strings.Contains(out, "very-secret-value") {
			t.Errorf("secret printed: %s", out)
		}
		if !strings.Contains(out, "127.0.0.1:9000") {
			t.Errorf("endpoint missing: %s", out)
		}
	}
}
