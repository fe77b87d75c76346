package exchange_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"docgate/gateway"
	"docgate/gateway/auditlog"
	"docgate/storage/postgres"
	"docgate/storage/sqlite"
)

// mustAttachLog gives the fixture's service an audit log on its store.
func mustAttachLog(t *testing.T, f *fixture) {
	t.Helper()
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
}

// TestConcurrentSubmitsLogged submits from several goroutines at once, so
// that their appends contend for the log's head, and checks that every event
// has its own leaf, naming its document and receipt, and that no leaf is
// shared or lost.
func TestConcurrentSubmitsLogged(t *testing.T) {
	f := newFixture(t)
	mustAttachLog(t, f)
	const n = 12
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			out, err := f.trySubmit(envelope(recipB, recipC), pdfBytes(fmt.Sprintf("concurrent %d", i)))
			if err != nil {
				t.Errorf("submit %d: %v", i, err)
				return
			}
			ids[i] = out.Document.ID
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	ctx := context.Background()
	seen := map[int64]bool{}
	for _, id := range ids {
		trail, err := f.svc.Trail(as(sender), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range trail {
			if e.LogIndex == nil || seen[*e.LogIndex] {
				t.Fatalf("document %s event %s: log index %v (seen: %v)", id, e.Type, e.LogIndex, e.LogIndex != nil && seen[*e.LogIndex])
			}
			seen[*e.LogIndex] = true
			leaf, err := f.svc.Log.Leaf(ctx, uint64(*e.LogIndex))
			if err != nil {
				t.Fatal(err)
			}
			rec, err := auditlog.ParseLeafRecord(leaf)
			if err != nil {
				t.Fatal(err)
			}
			if rec.DocumentID != id || rec.EvidenceID != e.ReceiptID || rec.Event != e.Type {
				t.Fatalf("leaf %d holds %s/%s/%s, want %s/%s/%s", *e.LogIndex, rec.DocumentID, rec.Event, rec.EvidenceID, id, e.Type, e.ReceiptID)
			}
		}
	}
	if size, err := f.svc.Log.Size(ctx); err != nil || size != uint64(len(seen)) {
		t.Fatalf("log size %d (%v), want %d leaves", size, err, len(seen))
	}
}

// TestEventsAppendedToAuditLog checks that every committed event becomes a
// leaf of the audit log, in order, and that the trail names each leaf.
func TestEventsAppendedToAuditLog(t *testing.T) {
	f := newFixture(t)
	mustAttachLog(t, f)

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

// flakyIndexStore fails SetLogIndexes its first failures times.
type flakyIndexStore struct {
	gateway.Store
	mu       sync.Mutex
	failures int
	calls    int
}

func (s *flakyIndexStore) SetLogIndexes(ctx context.Context, indexes map[string]int64) error {
	s.mu.Lock()
	s.calls++
	fail := s.failures > 0
	if fail {
		s.failures--
	}
	s.mu.Unlock()
	if fail {
		return errors.New("connection reset by peer")
	}
	return s.Store.SetLogIndexes(ctx, indexes)
}

// TestLogIndexesRetried: the leaves are in the log before their indexes are
// recorded, so a passing failure to record them is tried again rather than
// leaving them to the backfill, which would append them twice.
func TestLogIndexesRetried(t *testing.T) {
	for _, tc := range []struct {
		failures, calls int
		indexed         bool
	}{
		{failures: 2, calls: 3, indexed: true},
		{failures: 3, calls: 3, indexed: false},
	} {
		t.Run(fmt.Sprintf("failures=%d", tc.failures), func(t *testing.T) {
			f := newFixture(t)
			mustAttachLog(t, f)
			flaky := &flakyIndexStore{Store: f.svc.Store, failures: tc.failures}
			f.svc.Store = flaky
			id := f.submit(t, envelope(recipB), pdfBytes("flaky")).Document.ID
			if flaky.calls != tc.calls {
				t.Errorf("SetLogIndexes called %d times, want %d", flaky.calls, tc.calls)
			}
			trail, err := f.svc.Trail(as(sender), id)
			if err != nil || len(trail) == 0 {
				t.Fatalf("trail: %v", err)
			}
			for _, e := range trail {
				if (e.LogIndex != nil) != tc.indexed {
					t.Errorf("event %s: log index %v, want indexed=%v", e.Type, e.LogIndex, tc.indexed)
				}
			}
		})
	}
}
