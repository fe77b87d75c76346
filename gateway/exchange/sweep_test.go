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
