package exchange_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"docgate/gateway"
	"docgate/gateway/auditlog"
	"docgate/storage/postgres"
	"docgate/storage/sqlite"
)

// TestEventsAppendedToAuditLog checks that every committed event becomes a
// leaf of the audit log, in order, and that the trail names each leaf.
func TestEventsAppendedToAuditLog(t *testing.T) {
	f := newFixture(t)
	var storage auditlog.Storage
	switch s := f.store.(type) {
	case *sqlite.Store:
		storage = s.AuditLog()
	case *postgres.Store:
		storage = s.AuditLog()
	default:
		t.Fatalf("no audit log storage for %T", f.store)
	}
	skey, _, err := note.GenerateKey(rand.Reader, "test.docgate/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Log = auditlog.NewLog(storage, signer)

	pdf := pdfBytes("logged")
	id := f.submit(t, envelope(recipB, recipC), pdf).Document.ID
	if _, err := f.svc.Acknowledge(as(recipB), id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ReportStatus(as(recipC), id, gateway.StatusRejected, "không đúng thẩm quyền"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	size, err := f.svc.Log.Size(ctx)
	if err != nil || size != 5 {
		t.Fatalf("log size %d (%v), want 5 events", size, err)
	}
	trail, err := f.svc.Trail(as(sender), id)
	if err != nil {
		t.Fatal(err)
	}
	var digest [32]byte
	b, _ := hex.DecodeString(sum(pdf))
	copy(digest[:], b)
	for i, e := range trail {
		if e.LogIndex == nil || *e.LogIndex != int64(i) {
			t.Fatalf("event %d (%s) has log index %v, want %d", i, e.Type, e.LogIndex, i)
		}
		leaf, err := f.svc.Log.Leaf(ctx, uint64(*e.LogIndex))
		if err != nil {
			t.Fatal(err)
		}
		to := []string{recipB, recipC}
		if e.Recipient != "" {
			to = []string{e.Recipient}
		}
		want, err := (&auditlog.LeafRecord{DocumentID: id, From: sender, To: to, Event: e.Type, PDFSHA256: digest, Time: e.At, EvidenceID: e.ReceiptID}).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(leaf, want) {
			t.Fatalf("leaf %d is not the record of %s", i, e.Type)
		}
	}
}

// failingStorage fails appends while fail is set, as a log outage would.
type failingStorage struct {
	auditlog.Storage
	fail bool
}

func (f *failingStorage) Append(ctx context.Context, fn func(ctx context.Context, tx auditlog.AppendTx) error) error {
	if f.fail {
		return errors.New("log database unreachable")
	}
	return f.Storage.Append(ctx, fn)
}

// TestLogBackfill loses the appends of a submission to a log outage and
// checks that the backfill appends them later, once.
func TestLogBackfill(t *testing.T) {
	f := newFixture(t)
	storage := &failingStorage{Storage: auditlog.NewMemoryStorage(), fail: true}
	skey, _, err := note.GenerateKey(rand.Reader, "test.docgate/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Log = auditlog.NewLog(storage, signer)
	id := f.submit(t, envelope(recipB), pdfBytes("outage")).Document.ID
	trail, _ := f.svc.Trail(as(sender), id)
	for _, e := range trail {
		if e.LogIndex != nil {
			t.Fatalf("event %s logged during the outage", e.Type)
		}
	}
	ctx := context.Background()
	storage.fail = false
	if n, err := f.svc.BackfillLog(ctx); err != nil || n != 0 {
		t.Fatalf("backfill right after the commit: %d, %v; the normal path may still append", n, err)
	}
	f.svc.Now = func() time.Time { return time.Now().Add(10 * time.Minute) }
	if n, err := f.svc.BackfillLog(ctx); err != nil || n != 2 {
		t.Fatalf("backfill: %d, %v; want the 2 events", n, err)
	}
	if n, err := f.svc.BackfillLog(ctx); err != nil || n != 0 {
		t.Fatalf("second backfill: %d, %v", n, err)
	}
	if size, _ := f.svc.Log.Size(ctx); size != 2 {
		t.Fatalf("log size %d, want 2", size)
	}
	trail, _ = f.svc.Trail(as(sender), id)
	for i, e := range trail {
		if e.LogIndex == nil || *e.LogIndex != int64(i) {
			t.Fatalf("event %s: log index %v after the backfill", e.Type, e.LogIndex)
		}
	}
}
