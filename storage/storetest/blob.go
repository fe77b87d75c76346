package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"iter"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"docgate/gateway"
)

// BlobOptions tells the blob suite what an implementation can do beyond the
// interface, and gives it the backdoors it needs to check what the interface
// cannot show.
type BlobOptions struct {
	// Corrupt changes the stored bytes of a blob behind the store's back (a
	// flipped byte on disk, an object overwritten with the raw S3 client).
	// When set, the suite checks that reading such a blob fails with
	// EINTEGRITY instead of returning the wrong bytes.
	Corrupt func(t *testing.T, s gateway.BlobStore, sha256Hex string)
	// Retention says the store enforces PutOptions.RetainUntil: Delete must
	// refuse with ECONFLICT until the date has passed.
	Retention bool
	// Leftovers lists what the store keeps besides finished blobs (temporary
	// files or keys, unfinished uploads). After a failed Put it must be empty.
	Leftovers func(t *testing.T, s gateway.BlobStore) []string
	// MaxAlloc, when above zero, bounds the bytes the process may allocate
	// while putting and reading back a blob of BigBlobSize: the proof that
	// the store streams instead of holding blobs in memory.
	MaxAlloc int64
}

// BigBlobSize is the size of the blob the suite streams from a generator. It is
// odd on purpose, so it ends in the middle of any buffer or part size.
const BigBlobSize = 24<<20 + 12345

// blobLister is what an orphan sweeper will use; stores that offer it are
// checked by the suite too.
type blobLister interface {
	Blobs(ctx context.Context, writtenBefore time.Time) iter.Seq2[gateway.BlobInfo, error]
}

// TestBlobStore runs the conformance suite for gateway.BlobStore. open must
// return an empty store that no other test uses.
func TestBlobStore(t *testing.T, open func(t *testing.T) gateway.BlobStore, opts BlobOptions) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s gateway.BlobStore, o BlobOptions)
	}{
		{"RoundTrip", testBlobRoundTrip},
		{"Empty", testBlobEmpty},
		{"Idempotent", testBlobIdempotent},
		{"ExpectedDigest", testBlobExpectedDigest},
		{"MaxSize", testBlobMaxSize},
		{"Missing", testBlobMissing},
		{"BadDigest", testBlobBadDigest},
		{"Delete", testBlobDelete},
		{"Big", testBlobBig},
		{"ConcurrentSameContent", testBlobConcurrent},
		{"CancelMidPut", testBlobCancel},
		{"Corruption", testBlobCorruption},
		{"Retention", testBlobRetention},
		{"List", testBlobList},
		{"Ping", testBlobPing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t), opts)
		})
	}
}

// blobGen is a reader of n deterministic pseudo-random bytes that never holds
// more than the caller's buffer: the suite's stand-in for a large upload.
type blobGen struct {
	rng   *rand.ChaCha8
	left  int64
	read  int64
	after int64  // call hook once this many bytes have been read
	hook  func() // nil when unused
}

func newBlobGen(seed byte, n int64) *blobGen {
	var s [32]byte
	s[0] = seed
	return &blobGen{rng: rand.NewChaCha8(s), left: n}
}

func (g *blobGen) Read(p []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.left {
		p = p[:g.left]
	}
	// Short reads, like a network body, so stores cannot assume full buffers.
	if len(p) > 64<<10 {
		p = p[:64<<10]
	}
	g.rng.Read(p)
	g.left -= int64(len(p))
	g.read += int64(len(p))
	if g.hook != nil && g.read >= g.after {
		g.hook()
		g.hook = nil
	}
	return len(p), nil
}

// blobDigest hashes what newBlobGen(seed, n) produces, independently of any store.
func blobDigest(t *testing.T, seed byte, n int64) string {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, newBlobGen(seed, n)); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func blobBytes(seed byte, n int) []byte {
	b, _ := io.ReadAll(newBlobGen(seed, int64(n)))
	return b
}

func sumHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func blobWantCode(t *testing.T, err error, code, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %s", what, code)
	}
	if got := gateway.ErrorCode(err); got != code {
		t.Fatalf("%s: error code %q (%v), want %q", what, got, err, code)
	}
}

func mustPutBlob(t *testing.T, s gateway.BlobStore, b []byte, opts gateway.PutOptions) gateway.BlobInfo {
	t.Helper()
	info, err := s.Put(context.Background(), bytes.NewReader(b), opts)
	if err != nil {
		t.Fatalf("put %d bytes: %v", len(b), err)
	}
	if want := sumHex(b); info.SHA256 != want || info.Size != int64(len(b)) {
		t.Fatalf("put: got %s/%d, want %s/%d", info.SHA256, info.Size, want, len(b))
	}
	return info
}

func mustReadBlob(t *testing.T, s gateway.BlobStore, sha256Hex string) ([]byte, gateway.BlobInfo) {
	t.Helper()
	rc, info, err := s.Get(context.Background(), sha256Hex)
	if err != nil {
		t.Fatalf("get %s: %v", sha256Hex, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", sha256Hex, err)
	}
	return b, info
}

// wantNoBlob checks that a failed Put left nothing: not the blob, and none of
// the store's temporary traces.
func wantNoBlob(t *testing.T, s gateway.BlobStore, o BlobOptions, sha256Hex string) {
	t.Helper()
	_, err := s.Stat(context.Background(), sha256Hex)
	blobWantCode(t, err, gateway.ENOTFOUND, "stat after failed put")
	if o.Leftovers != nil {
		if left := o.Leftovers(t, s); len(left) > 0 {
			t.Fatalf("failed put left %v behind", left)
		}
	}
}

func testBlobRoundTrip(t *testing.T, s gateway.BlobStore, o BlobOptions) {
	b := blobBytes(1, 100_000)
	info := mustPutBlob(t, s, b, gateway.PutOptions{ContentType: "application/pdf"})
	if !info.RetainUntil.IsZero() {
		t.Errorf("put without retention: RetainUntil = %v", info.RetainUntil)
	}
	got, ginfo := mustReadBlob(t, s, info.SHA256)
	if !bytes.Equal(got, b) {
		t.Fatalf("read back %d bytes that differ from the %d put", len(got), len(b))
	}
	if ginfo.SHA256 != info.SHA256 || ginfo.Size != info.Size {
		t.Errorf("get info %+v, put info %+v", ginfo, info)
	}
	st, err := s.Stat(context.Background(), info.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if st.SHA256 != info.SHA256 || st.Size != info.Size {
		t.Errorf("stat %+v, put %+v", st, info)
	}
}

func testBlobEmpty(t *testing.T, s gateway.BlobStore, o BlobOptions) {
	info := mustPutBlob(t, s, nil, gateway.PutOptions{})
	if info.SHA256 != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatalf("empty blob digest %s", info.SHA256)
	}
	got, ginfo := mustReadBlob(t, s, info.SHA256)
	if len(got) != 0 || ginfo.Size != 0 {
		t.Fatalf("empty blob read back as %d bytes (info %d)", len(got), ginfo.Size)
	}
}

func testBlobIdempotent(t *testing.T, s gateway.BlobStore, o BlobOptions) {
	b := blobBytes(2, 5000)
	first := mustPutBlob(t, s, b, gateway.PutOptions{})
	second := mustPutBlob(t, s, b, gateway.PutOptions{SHA256: first.SHA256})
	if first != second {
		t.Fatalf("second put %+v, first %+v", second, first)
	}
	if got, _ := mustReadBlob(t, s, first.SHA256); !bytes.Equal(got, b) {
		t.Fatal("blob changed by the second put")
	}
}

func testBlobExpectedDigest(t *testing.T, s gateway.BlobStore, o BlobOptions) {
	b := blobBytes(3, 70_000)
	other := sumHex(blobBytes(4, 10))
	_, err := s.Put(context.Background(), bytes.NewReader(b), gateway.PutOptions{SHA256: other})
	blobWantCode(t, err, gateway.EINVALID, "put with the wrong expected digest")
	wantNoBlob(t, s, o, sumHex(b))
	wantNoBlob(t, s, o, other)

	_, err = s.Put(context.Background(), bytes.NewReader(b), gateway.PutOptions{SHA256: "ABC"})
	blobWantCode(t, err, gateway.EINVALID, "put with a malformed expected digest")
	wantNoBlob(t, s, o, sumHex(b))

	mustPutBlob(t, s, b, gateway.PutOptions{SHA256: sumHex(b)})

	// Megabytes, so a store that streams large blobs to a temporary place
	// has to clean that up too.
	const n = 6 << 20
	_, err = s.Put(context.Background(), newBlobGen(15, n), gateway.PutOptions{SHA256: other})
	blobWantCode(t, err, gateway.EINVALID, "put megabytes with the wrong expected digest")
	wantNoBlob(t, s, o, blobDigest(t, 15, n))
}

func testBlobMaxSize(t *testing.T, s gateway.BlobStore, o BlobOptions) {
	b := blobBytes(5, 1000)
	mustPutBlob(t, s, b, gateway.PutOptions{MaxSize: 1000})

	c := blobBytes(6, 1001)
	_, err := s.Put(context.Background(), bytes.NewReader(c), gateway.PutOptions{MaxSize: 1000})
	blobWantCode(t, err, gateway.ETOOLARGE, "put one byte over the limit")
	wantNoBlob(t, s, o, sumHex(c))

	// Over the limit by megabytes, so a store that uploads in parts has
	// already sent some of them when the limit trips.
	const n = 12 << 20
	_, err = s.Put(context.Background(), newBlobGen(7, n), gateway.PutOptions{MaxSize: 7 << 20})
	blobWantCode(t, err, gateway.ETOOLARGE, "put megabytes over the limit")
	wantNoBlob(t, s, o, blobDigest(t, 7, n))
}

func testBlobMissing(t *testing.T, s gateway.BlobStore, o BlobOptions) {
	missing := sumHex([]byte("never stored"))
	_, _, err := s.Get(context.Background(), missing)
	blobWantCode(t, err, gateway.ENOTFOUND, "get missing")
	_, err = s.Stat(context.Background(), missing)
	blobWantCode(t, err, gateway.ENOTFOUND, "stat missing")
	if err := s.Delete(context.Background(), missing); err != nil {
		t.Fatalf("delete missing: %v", err)
	}
}

func testBlobBadDigest(t *testing.T, s gateway.BlobStore, o BlobOptions) {
	for _, d := range []string{"", "../../etc/passwd", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", "e3b0c442"} {
		_, _, err := s.Get(context.Background(), d)
		blobWantCode(t, err, gateway.EINVALID, "get "+d)
		_, err = s.Stat(context.Background(), d)
		blobWantCode(t, err, gateway.EINVALID, "stat "+d)
		blobWantCode(t, s.Delete(context.Background(), d), gateway.EINVALID, "delete "+d)
	}
}

func testBlobDelete(t *testing.T, s gateway.BlobStore, o BlobOptions) {
	keep := mustPutBlob(t, s, blobBytes(8, 300), gateway.PutOptions{})
	gone := mustPutBlob(t, s, blobBytes(9, 300), gateway.PutOptions{})
	if err := s.Delete(context.Background(), gone.SHA256); err != nil {
		t.Fatal(err)
	}
	_, err := s.Stat(context.Background(), gone.SHA256)
	blobWantCode(t, err, gateway.ENOTFOUND, "stat deleted")
	_, _, err = s.Get(context.Background(), gone.SHA256)
	blobWantCode(t, err, gateway.ENOTFOUND, "get deleted")
	if err := s.Delete(context.Background(), gone.SHA256); err != nil {
		t.Fatalf("delete twice: %v", err)
	}
	mustReadBlob(t, s, keep.SHA256)
}

func testBlobBig(t *testing.T, s gateway.BlobStore, o BlobOptions) {
	want := blobDigest(t, 10, BigBlobSize)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	info, err := s.Put(context.Background(), newBlobGen(10, BigBlobSize), gateway.PutOptions{SHA256: want, MaxSize: BigBlobSize})
	if err != nil {
		t.Fatal(err)
	}
	if info.SHA256 != want || info.Size != BigBlobSize {
		t.Fatalf("put %s/%d, want %s/%d", info.SHA256, info.Size, want, BigBlobSize)
	}
	rc, ginfo, err := s.Get(context.Background(), want)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.CopyBuffer(h, rc, make([]byte, 32<<10))
	rc.Close()
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	runtime.ReadMemStats(&after)
	if got := hex.EncodeToString(h.Sum(nil)); got != want || n != BigBlobSize || ginfo.Size != BigBlobSize {
		t.Fatalf("read back %s/%d (info %d), want %s/%d", got, n, ginfo.Size, want, BigBlobSize)
	}
	alloc := int64(after.TotalAlloc - before.TotalAlloc)
	t.Logf("put and read of %d bytes allocated %d bytes", BigBlobSize, alloc)
	if o.MaxAlloc > 0 && alloc > o.MaxAlloc {
		t.Fatalf("put and read of %d bytes allocated %d bytes, more than %d: the store buffers blobs", BigBlobSize, alloc, o.MaxAlloc)
	}
}

func testBlobConcurrent(t *testing.T, s gateway.BlobStore, o BlobOptions) {
	// A small and a multi-megabyte blob, since stores may take different
	// paths for them.
	for _, c := range []struct {
		writers int
		size    int
	}{{8, 200_000}, {3, 3 << 20}} {
		b := blobBytes(11, c.size)
		infos := make([]gateway.BlobInfo, c.writers)
		errs := make([]error, c.writers)
		var wg sync.WaitGroup
		for i := range c.writers {
			wg.Go(func() {
				infos[i], errs[i] = s.Put(context.Background(), bytes.NewReader(b), gateway.PutOptions{})
			})
		}
		wg.Wait()
		for i := range c.writers {
			if errs[i] != nil {
				t.Fatalf("writer %d of %d bytes: %v", i, c.size, errs[i])
			}
			if infos[i].SHA256 != sumHex(b) || infos[i].Size != int64(len(b)) {
				t.Fatalf("writer %d of %d bytes: %+v", i, c.size, infos[i])
			}
		}
		if got, _ := mustReadBlob(t, s, sumHex(b)); !bytes.Equal(got, b) {
			t.Fatalf("concurrent puts of the same %d bytes left different bytes", c.size)
		}
		if o.Leftovers != nil {
			if left := o.Leftovers(t, s); len(left) > 0 {
				t.Fatalf("concurrent puts left %v behind", left)
			}
		}
	}
}

func testBlobCancel(t *testing.T, s gateway.BlobStore, o BlobOptions) {
	const n = 12 << 20
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g := newBlobGen(12, n)
	g.after, g.hook = 6<<20, cancel
	_, err := s.Put(ctx, g, gateway.PutOptions{})
	if err == nil {
		t.Fatal("put went through although its context was cancelled")
	}
	if !errors.Is(err, context.Canceled) {
		t.Logf("cancelled put returned %v (not context.Canceled)", err)
	}
	wantNoBlob(t, s, o, blobDigest(t, 12, n))
	if g.read >= n {
		t.Errorf("cancelled put read all %d bytes", n)
	}
}

func testBlobCorruption(t *testing.T, s gateway.BlobStore, o BlobOptions) {
	if o.Corrupt == nil {
		t.Skip("this store's test gives no way to corrupt a blob behind its back")
	}
	for _, n := range []int{1, 200_000} {
		b := blobBytes(13, n)
		info := mustPutBlob(t, s, b, gateway.PutOptions{})
		o.Corrupt(t, s, info.SHA256)
		rc, _, err := s.Get(context.Background(), info.SHA256)
		if err != nil {
			// Refusing to open a corrupt blob is fine too, as long as it says why.
			blobWantCode(t, err, gateway.EINTEGRITY, "get corrupted blob")
			continue
		}
		_, err = io.ReadAll(rc)
		rc.Close()
		blobWantCode(t, err, gateway.EINTEGRITY, "read corrupted blob")
	}
}

func testBlobRetention(t *testing.T, s gateway.BlobStore, o BlobOptions) {
	if !o.Retention {
		t.Skip("this store does not enforce retention")
	}
	// Seconds, not minutes: a locked S3 bucket cannot be emptied before the
	// date, and the suite should end with the store deletable.
	until := time.Now().Add(2 * time.Second).Truncate(time.Second).Add(time.Second)
	b := blobBytes(14, 4000)
	// A date in the past asks for nothing.
	past := mustPutBlob(t, s, blobBytes(16, 10), gateway.PutOptions{RetainUntil: time.Now().Add(-time.Minute)})
	if !past.RetainUntil.IsZero() {
		t.Errorf("put with a past retention date: RetainUntil %v", past.RetainUntil)
	}
	if err := s.Delete(context.Background(), past.SHA256); err != nil {
		t.Errorf("delete of a blob put with a past retention date: %v", err)
	}

	info := mustPutBlob(t, s, b, gateway.PutOptions{RetainUntil: until})
	if d := info.RetainUntil.Sub(until); d < -time.Second || d > time.Second {
		t.Errorf("put RetainUntil %v, want %v", info.RetainUntil, until)
	}
	st, err := s.Stat(context.Background(), info.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if d := st.RetainUntil.Sub(until); d < -time.Second || d > time.Second {
		t.Errorf("stat RetainUntil %v, want %v", st.RetainUntil, until)
	}
	blobWantCode(t, s.Delete(context.Background(), info.SHA256), gateway.ECONFLICT, "delete retained blob")
	mustReadBlob(t, s, info.SHA256)

	// Putting it again with an earlier date must not shorten the retention.
	again := mustPutBlob(t, s, b, gateway.PutOptions{RetainUntil: time.Now().Add(-time.Hour)})
	if d := again.RetainUntil.Sub(until); d < -time.Second || d > time.Second {
		t.Errorf("re-put with an earlier date: RetainUntil %v, want %v", again.RetainUntil, until)
	}
	blobWantCode(t, s.Delete(context.Background(), info.SHA256), gateway.ECONFLICT, "delete retained blob after re-put")

	time.Sleep(time.Until(until) + 1100*time.Millisecond)
	if err := s.Delete(context.Background(), info.SHA256); err != nil {
		t.Fatalf("delete after retention ended: %v", err)
	}
	_, err = s.Stat(context.Background(), info.SHA256)
	blobWantCode(t, err, gateway.ENOTFOUND, "stat after delete")
}

func testBlobList(t *testing.T, s gateway.BlobStore, o BlobOptions) {
	l, ok := s.(blobLister)
	if !ok {
		t.Skip("this store cannot list its blobs")
	}
	var want []string
	sizes := map[string]int64{}
	for i := range 3 {
		info := mustPutBlob(t, s, blobBytes(byte(20+i), 100*(i+1)), gateway.PutOptions{})
		want = append(want, info.SHA256)
		sizes[info.SHA256] = info.Size
	}
	// A failed put must not show up either.
	s.Put(context.Background(), bytes.NewReader(blobBytes(30, 10)), gateway.PutOptions{MaxSize: 5})

	list := func(before time.Time) []string {
		var got []string
		for info, err := range l.Blobs(context.Background(), before) {
			if err != nil {
				t.Fatal(err)
			}
			if sizes[info.SHA256] != info.Size {
				t.Errorf("listed %s with size %d, want %d", info.SHA256, info.Size, sizes[info.SHA256])
			}
			got = append(got, info.SHA256)
		}
		slices.Sort(got)
		return got
	}
	slices.Sort(want)
	if got := list(time.Time{}); !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	if got := list(time.Now().Add(time.Minute)); !slices.Equal(got, want) {
		t.Fatalf("listed before a minute from now: %v, want %v", got, want)
	}
	if got := list(time.Now().Add(-time.Hour)); len(got) != 0 {
		t.Fatalf("listed blobs written before an hour ago: %v", got)
	}
	// Stopping early must be honoured.
	for range l.Blobs(context.Background(), time.Time{}) {
		break
	}
}

func testBlobPing(t *testing.T, s gateway.BlobStore, o BlobOptions) {
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}
