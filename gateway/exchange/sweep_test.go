package exchange_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"docgate/gateway"
)

// TestSweepOrphans leaves a blob behind as a crash between the blob store
// and the database would, and checks the sweeper deletes it, after the grace
// period only, and never a blob a document references.
func TestSweepOrphans(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	kept := pdfBytes("referenced")
	f.submit(t, envelope(recipB), kept)

	// The crash: marked and written, never committed.
	orphan := pdfBytes("a submission that died")
	if err := f.store.MarkBlobs(ctx, []string{sum(orphan)}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.blobs.Put(ctx, bytes.NewReader(orphan), gateway.PutOptions{}); err != nil {
		t.Fatal(err)
	}

	if n, err := f.svc.SweepOrphans(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("sweep within the grace period: %d, %v", n, err)
	}
	f.svc.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if n, err := f.svc.SweepOrphans(ctx, time.Hour); err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v; want the one orphan", n, err)
	}
	if _, err := f.blobs.Stat(ctx, sum(orphan)); gateway.ErrorCode(err) != gateway.ENOTFOUND {
		t.Fatalf("orphan still stored: %v", err)
	}
	if _, err := f.blobs.Stat(ctx, sum(kept)); err != nil {
		t.Fatalf("a referenced blob was swept: %v", err)
	}
	// The same bytes submitted later are stored again and kept.
	f.svc.Now = nil
	f.submit(t, envelope(recipB), orphan)
	if n, _ := f.svc.SweepOrphans(ctx, 0); n != 0 {
		t.Fatalf("swept %d blobs of stored documents", n)
	}
	if _, err := f.blobs.Stat(ctx, sum(orphan)); err != nil {
		t.Fatal(err)
	}
}

// retainingBlobs refuses to delete the blobs in kept, as an object lock
// would (ECONFLICT).
type retainingBlobs struct {
	gateway.BlobStore
	kept map[string]bool
}

func (r retainingBlobs) Delete(ctx context.Context, h string) error {
	if r.kept[h] {
		return gateway.Errorf(gateway.ECONFLICT, "blob %s is under retention", h)
	}
	return r.BlobStore.Delete(ctx, h)
}

// TestSweepPastRetainedBlobs: blobs the store will not delete yet neither
// stop the sweeper from reaching the other orphans (however many come
// first) nor keep a submission from taking up their bytes again.
func TestSweepPastRetainedBlobs(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rb := retainingBlobs{BlobStore: f.blobs, kept: map[string]bool{}}
	f.svc.Blobs = rb
	long := time.Now().Add(-48 * time.Hour)
	orphan := func(b []byte, at time.Time) string {
		t.Helper()
		info, err := f.blobs.Put(ctx, bytes.NewReader(b), gateway.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.store.MarkBlobs(ctx, []string{info.SHA256}, at); err != nil {
			t.Fatal(err)
		}
		return info.SHA256
	}
	// More retained orphans than one claim takes, all older than the one
	// that can go.
	for i := range 120 {
		rb.kept[orphan([]byte{byte(i), byte(i >> 8), 'r'}, long)] = true
	}
	retainedPDF := pdfBytes("retained")
	rb.kept[orphan(retainedPDF, long)] = true
	plain := orphan([]byte("plain orphan"), long.Add(time.Hour))

	if n, err := f.svc.SweepOrphans(ctx, 24*time.Hour); err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v; want the one orphan not under retention", n, err)
	}
	if _, err := f.blobs.Stat(ctx, plain); gateway.ErrorCode(err) != gateway.ENOTFOUND {
		t.Fatalf("the deletable orphan is still stored: %v", err)
	}
	// The retained bytes may be submitted again right away.
	f.submit(t, envelope(recipB), retainedPDF)
}

// TestTwoSweepersOneBlob: a blob one sweeper claimed is not claimed by
// another meanwhile, which could delete it after the first forgot it and a
// new document took the same bytes up.
func TestTwoSweepersOneBlob(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pdf := pdfBytes("orphan, then sent again")
	info, err := f.blobs.Put(ctx, bytes.NewReader(pdf), gateway.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.MarkBlobs(ctx, []string{info.SHA256}, time.Now().Add(-48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	before := now.Add(-24 * time.Hour)
	a, err := f.store.ClaimOrphanBlobs(ctx, before, now, 100)
	if err != nil || len(a) != 1 {
		t.Fatalf("first claim: %v, %v", a, err)
	}
	b, err := f.store.ClaimOrphanBlobs(ctx, before, now.Add(time.Second), 100)
	if err != nil || len(b) != 0 {
		t.Fatalf("a second sweeper claimed %v (%v) while the first held it", b, err)
	}
	// The first sweeper finishes; the bytes come back with a new document,
	// and stay.
	if err := f.blobs.Delete(ctx, a[0]); err != nil {
		t.Fatal(err)
	}
	if err := f.store.ForgetBlob(ctx, a[0]); err != nil {
		t.Fatal(err)
	}
	id := f.submit(t, envelope(recipB), pdf).Document.ID
	if n, err := f.svc.SweepOrphans(ctx, 0); err != nil || n != 0 {
		t.Fatalf("sweep after the resubmission: %d, %v", n, err)
	}
	rc, _, err := f.svc.Open(as(recipB), id, -1)
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
}
