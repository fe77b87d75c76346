package exchange_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

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
