package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"docgate/gateway"
)

// TestDocumentStore runs the gateway.DocumentStore conformance suite. open
// must return an isolated, empty store as for TestStore.
func TestDocumentStore(t *testing.T, open func(t *testing.T) gateway.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s gateway.Store)
	}{
		{"CreateAndGet", testDocCreateAndGet},
		{"MessageIDIsIdempotencyKey", testDocMessageID},
		{"SubmissionIsAtomic", testDocAtomic},
		{"Inbox", testDocInbox},
		{"InboxPagination", testDocInboxPages},
		{"InboxSearch", testDocInboxSearch},
		{"Sent", testDocSent},
		{"UpdateDocument", testDocUpdate},
		{"ConcurrentStatusReports", testDocConcurrentStatus},
		{"Supersede", testDocSupersede},
		{"PendingReceipts", testDocPendingReceipts},
		{"LogIndex", testDocLogIndex},
		{"LogIndexes", testDocLogIndexes},
		{"OrphanBlobs", testDocOrphanBlobs},
		{"UnloggedEvents", testDocUnloggedEvents},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// docFixture registers a sender and n recipients.
func docFixture(t *testing.T, s gateway.Store, n int) (from string, to []string) {
	t.Helper()
	from = code(1)
	mustCreateAgency(t, s, &gateway.Agency{Code: from, Name: "Sender"})
	for i := range n {
		c := code(100 + i)
		mustCreateAgency(t, s, &gateway.Agency{Code: c, Name: fmt.Sprintf("Recipient %d", i)})
		to = append(to, c)
	}
	return from, to
}

// newSubmission builds what a submit writes: one delivery, one event and one
// receipt per recipient plus the submission's own.
func newSubmission(id, messageID, from string, to []string, at time.Time) *gateway.Submission {
	d := &gateway.Document{
		ID:       id,
		Envelope: gateway.Envelope{MessageID: messageID, From: from, To: to, Subject: "Subject of " + id, Number: "12"},
		PDF:      gateway.Part{Name: "doc.pdf", ContentType: "application/pdf", SHA256: fmt.Sprintf("%064x", len(id)), Size: 1234},
		Attachments: []gateway.Part{
			{Name: "annex.txt", ContentType: "text/plain", SHA256: fmt.Sprintf("%064x", 7), Size: 5},
		},
		Verification: &gateway.Report{Document: gateway.DocumentReport{Verdict: gateway.VerdictValid, Modification: gateway.ModificationNone, Revisions: 2}},
		State:        gateway.DocumentActive,
		SubmittedAt:  at,
	}
	sub := &gateway.Submission{Document: d}
	rid := id + "-r0"
	sub.Receipts = append(sub.Receipts, &gateway.Receipt{ID: rid, DocumentID: id, Event: gateway.EventSubmissionAcceptance, CMS: []byte("cms " + rid), At: at})
	sub.Events = append(sub.Events, &gateway.Event{DocumentID: id, Type: gateway.EventSubmissionAcceptance, Actor: from, At: at, ReceiptID: rid})
	for i, r := range to {
		sub.Deliveries = append(sub.Deliveries, &gateway.Delivery{DocumentID: id, Recipient: r, State: gateway.DeliveryPending, UpdatedAt: at})
		rid := fmt.Sprintf("%s-r%d", id, i+1)
		sub.Receipts = append(sub.Receipts, &gateway.Receipt{ID: rid, DocumentID: id, Event: gateway.EventContentConsignment, CMS: []byte("cms " + rid), At: at})
		sub.Events = append(sub.Events, &gateway.Event{DocumentID: id, Type: gateway.EventContentConsignment, Actor: "gateway", Recipient: r, At: at, ReceiptID: rid})
	}
	return sub
}

func mustCreateDocument(t *testing.T, s gateway.Store, sub *gateway.Submission) {
	t.Helper()
	if err := s.CreateDocument(context.Background(), sub); err != nil {
		t.Fatalf("create document %s: %v", sub.Document.ID, err)
	}
}

func testDocCreateAndGet(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	from, to := docFixture(t, s, 2)
	at := time.Date(2026, 11, 24, 8, 0, 0, 123456789, time.UTC)
	sub := newSubmission("doc-1", "m-1", from, to, at)
	mustCreateDocument(t, s, sub)
	for i, e := range sub.Events {
		if e.Seq == 0 || (i > 0 && e.Seq <= sub.Events[i-1].Seq) {
			t.Fatalf("event %d: seq %d not assigned in order", i, e.Seq)
		}
	}
	got, err := s.Document(ctx, "doc-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Envelope.Subject != "Subject of doc-1" || got.Envelope.From != from || fmt.Sprint(got.Envelope.To) != fmt.Sprint(to) ||
		got.PDF != sub.Document.PDF || len(got.Attachments) != 1 || got.Attachments[0] != sub.Document.Attachments[0] ||
		got.State != gateway.DocumentActive || got.Verification == nil || got.Verification.Document.Revisions != 2 {
		t.Fatalf("document: got %+v, want %+v", got, sub.Document)
	}
	wantTime(t, "submitted_at", got.SubmittedAt, at)
	byMsg, err := s.DocumentByMessageID(ctx, from, "m-1")
	if err != nil || byMsg.ID != "doc-1" {
		t.Fatalf("by message id: %v, %v", byMsg, err)
	}
	_, err = s.DocumentByMessageID(ctx, to[0], "m-1")
	wantCode(t, err, gateway.ENOTFOUND, "message id of another sender")
	_, err = s.Document(ctx, "nope")
	wantCode(t, err, gateway.ENOTFOUND, "unknown document")

	ds, err := s.Deliveries(ctx, "doc-1")
	if err != nil || len(ds) != 2 || ds[0].Recipient != to[0] || ds[1].Recipient != to[1] || ds[0].State != gateway.DeliveryPending {
		t.Fatalf("deliveries: %+v, %v", ds, err)
	}
	trail, err := s.Trail(ctx, "doc-1")
	if err != nil || len(trail) != 3 {
		t.Fatalf("trail: %+v, %v", trail, err)
	}
	for i, e := range trail {
		if e.Type != sub.Events[i].Type || e.ReceiptID != sub.Events[i].ReceiptID || e.Seq != sub.Events[i].Seq || e.Recipient != sub.Events[i].Recipient {
			t.Fatalf("trail[%d]: got %+v, want %+v", i, e, sub.Events[i])
		}
		wantTime(t, "event time", e.At, at)
	}
	rs, err := s.Receipts(ctx, "doc-1")
	if err != nil || len(rs) != 3 {
		t.Fatalf("receipts: %v, %v", rs, err)
	}
	for i, r := range rs {
		if r.ID != sub.Receipts[i].ID || string(r.CMS) != string(sub.Receipts[i].CMS) || r.Event != sub.Receipts[i].Event || r.Pending {
			t.Fatalf("receipt %d: got %+v, want %+v", i, r, sub.Receipts[i])
		}
	}
	r, err := s.Receipt(ctx, "doc-1", "doc-1-r2")
	if err != nil || string(r.CMS) != "cms doc-1-r2" {
		t.Fatalf("receipt: %v, %v", r, err)
	}
	_, err = s.Receipt(ctx, "other", "doc-1-r2")
	wantCode(t, err, gateway.ENOTFOUND, "receipt under another document")
}

func testDocMessageID(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	from, to := docFixture(t, s, 1)
	mustCreateDocument(t, s, newSubmission("a", "same", from, to, time.Now()))
	err := s.CreateDocument(ctx, newSubmission("b", "same", from, to, time.Now()))
	wantCode(t, err, gateway.ECONFLICT, "second document with the same message id")
	if _, err := s.Document(ctx, "b"); gateway.ErrorCode(err) != gateway.ENOTFOUND {
		t.Fatalf("the refused duplicate was stored: %v", err)
	}
	// Another sender may use the same key, and no key means no idempotency.
	mustCreateDocument(t, s, newSubmission("c", "same", to[0], []string{from}, time.Now()))
	mustCreateDocument(t, s, newSubmission("d", "", from, to, time.Now()))
	mustCreateDocument(t, s, newSubmission("e", "", from, to, time.Now()))
}

func testDocAtomic(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	from, to := docFixture(t, s, 1)
	sub := newSubmission("x", "m", from, append(to, code(999)), time.Now())
	err := s.CreateDocument(ctx, sub)
	wantCode(t, err, gateway.ENOTFOUND, "delivery to an unregistered agency")
	if _, err := s.Document(ctx, "x"); gateway.ErrorCode(err) != gateway.ENOTFOUND {
		t.Fatalf("document of a failed submission was stored: %v", err)
	}
	if ds, _ := s.Deliveries(ctx, "x"); len(ds) != 0 {
		t.Fatalf("deliveries of a failed submission were stored: %v", ds)
	}
	if rs, _ := s.Receipts(ctx, "x"); len(rs) != 0 {
		t.Fatalf("receipts of a failed submission were stored: %v", rs)
	}
	// The key is still free.
	mustCreateDocument(t, s, newSubmission("y", "m", from, to, time.Now()))
}

func inboxIDs(items []*gateway.InboxItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Document.ID)
	}
	return out
}

func testDocInbox(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	from, to := docFixture(t, s, 2)
	t0 := time.Now().UTC()
	mustCreateDocument(t, s, newSubmission("d1", "", from, to, t0))
	mustCreateDocument(t, s, newSubmission("d2", "", from, to[:1], t0))
	mustCreateDocument(t, s, newSubmission("d3", "", from, to[1:], t0))
	mustCreateDocument(t, s, newSubmission("d4", "", from, to, t0))

	items, err := s.Inbox(ctx, to[0], gateway.InboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(inboxIDs(items)) != "[d4 d2 d1]" {
		t.Fatalf("inbox of %s: %v, want [d4 d2 d1]", to[0], inboxIDs(items))
	}
	if items[0].Delivery.Recipient != to[0] || items[0].Document.Envelope.Subject != "Subject of d4" {
		t.Fatalf("inbox item: %+v", items[0])
	}
	if items, _ := s.Inbox(ctx, from, gateway.InboxFilter{}); len(items) != 0 {
		t.Fatalf("the sender's inbox holds its own documents: %v", inboxIDs(items))
	}
	// Acknowledged by to[0]: gone from its inbox, still in to[1]'s.
	ackAt := time.Now()
	err = s.UpdateDocument(ctx, "d1", func(snap *gateway.DocumentSnapshot) (*gateway.DocumentChange, error) {
		d := *snap.Deliveries[0]
		d.State, d.AcknowledgedAt, d.UpdatedAt = gateway.DeliveryAcknowledged, &ackAt, ackAt
		return &gateway.DocumentChange{Deliveries: []*gateway.Delivery{&d}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A recalled document leaves every inbox.
	err = s.UpdateDocument(ctx, "d4", func(snap *gateway.DocumentSnapshot) (*gateway.DocumentChange, error) {
		return &gateway.DocumentChange{State: gateway.DocumentRecalled}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	items, _ = s.Inbox(ctx, to[0], gateway.InboxFilter{})
	if fmt.Sprint(inboxIDs(items)) != "[d2]" {
		t.Fatalf("inbox after ack and recall: %v, want [d2]", inboxIDs(items))
	}
	items, _ = s.Inbox(ctx, to[1], gateway.InboxFilter{})
	if fmt.Sprint(inboxIDs(items)) != "[d3 d1]" {
		t.Fatalf("other recipient's inbox: %v, want [d3 d1]", inboxIDs(items))
	}
	ds, _ := s.Deliveries(ctx, "d1")
	if ds[0].State != gateway.DeliveryAcknowledged || ds[0].AcknowledgedAt == nil {
		t.Fatalf("acknowledged delivery: %+v", ds[0])
	}
	wantTime(t, "acknowledged_at", *ds[0].AcknowledgedAt, ackAt)
}

func testDocInboxPages(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	from, to := docFixture(t, s, 1)
	var want []string
	for i := range 7 {
		id := fmt.Sprintf("p%d", i)
		mustCreateDocument(t, s, newSubmission(id, "", from, to, time.Now()))
		want = append([]string{id}, want...)
	}
	var got []string
	var before int64
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		items, err := s.Inbox(ctx, to[0], gateway.InboxFilter{Before: before, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) > 3 {
			t.Fatalf("page of %d items with limit 3", len(items))
		}
		if len(items) == 0 {
			break
		}
		got = append(got, inboxIDs(items)...)
		before = items[len(items)-1].Cursor
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("pages: got %v, want %v", got, want)
	}
}

func testDocUpdate(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	from, to := docFixture(t, s, 1)
	mustCreateDocument(t, s, newSubmission("u", "", from, to, time.Now()))
	at := time.Now()
	err := s.UpdateDocument(ctx, "u", func(snap *gateway.DocumentSnapshot) (*gateway.DocumentChange, error) {
		if snap.LastReceiptID != "u-r1" || len(snap.Deliveries) != 1 {
			return nil, fmt.Errorf("snapshot: last receipt %q, %d deliveries", snap.LastReceiptID, len(snap.Deliveries))
		}
		d := *snap.Deliveries[0]
		d.Status, d.UpdatedAt = gateway.StatusReceived, at
		return &gateway.DocumentChange{
			Deliveries: []*gateway.Delivery{&d},
			Receipts:   []*gateway.Receipt{{ID: "u-r2", DocumentID: "u", Event: gateway.EventStatus, CMS: []byte("x"), At: at}},
			Events:     []*gateway.Event{{DocumentID: "u", Type: gateway.EventStatus, Actor: to[0], Recipient: to[0], Status: gateway.StatusReceived, Note: "ok", At: at, ReceiptID: "u-r2"}},
		}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := s.Deliveries(ctx, "u")
	if ds[0].Status != gateway.StatusReceived {
		t.Fatalf("status not stored: %+v", ds[0])
	}
	trail, _ := s.Trail(ctx, "u")
	if last := trail[len(trail)-1]; last.Status != gateway.StatusReceived || last.Note != "ok" || last.ReceiptID != "u-r2" {
		t.Fatalf("last event: %+v", last)
	}
	// An error from fn writes nothing.
	boom := gateway.Errorf(gateway.ECONFLICT, "no")
	err = s.UpdateDocument(ctx, "u", func(snap *gateway.DocumentSnapshot) (*gateway.DocumentChange, error) { return nil, boom })
	wantCode(t, err, gateway.ECONFLICT, "callback error")
	err = s.UpdateDocument(ctx, "missing", func(*gateway.DocumentSnapshot) (*gateway.DocumentChange, error) { return nil, nil })
	wantCode(t, err, gateway.ENOTFOUND, "update of a missing document")
	// A change naming a recipient the document does not have is refused whole.
	err = s.UpdateDocument(ctx, "u", func(snap *gateway.DocumentSnapshot) (*gateway.DocumentChange, error) {
		return &gateway.DocumentChange{State: gateway.DocumentRecalled,
			Deliveries: []*gateway.Delivery{{Recipient: from, State: gateway.DeliveryRecalled, UpdatedAt: at}}}, nil
	})
	wantCode(t, err, gateway.ENOTFOUND, "change of a delivery that does not exist")
	if d, _ := s.Document(ctx, "u"); d.State != gateway.DocumentActive {
		t.Fatalf("a refused change was partly written: state %s", d.State)
	}
}

// testDocConcurrentStatus has several reporters race to reject the same
// delivery: the store's locking must let exactly one pass ValidTransition.
func testDocConcurrentStatus(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	from, to := docFixture(t, s, 1)
	mustCreateDocument(t, s, newSubmission("c", "", from, to, time.Now()))
	const n = 6
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.UpdateDocument(ctx, "c", func(snap *gateway.DocumentSnapshot) (*gateway.DocumentChange, error) {
				d := *snap.Deliveries[0]
				if err := gateway.ValidTransition(d.Status, gateway.StatusRejected, "reason"); err != nil {
					return nil, err
				}
				// Give a racing reader time to see the old status if the
				// store does not lock.
				time.Sleep(20 * time.Millisecond)
				d.Status, d.UpdatedAt = gateway.StatusRejected, time.Now()
				rid := fmt.Sprintf("c-rej-%d", i)
				return &gateway.DocumentChange{Deliveries: []*gateway.Delivery{&d},
					Receipts: []*gateway.Receipt{{ID: rid, DocumentID: "c", Event: gateway.EventConsignmentRejection, CMS: []byte("x"), At: time.Now()}},
					Events:   []*gateway.Event{{DocumentID: "c", Type: gateway.EventConsignmentRejection, Actor: to[0], Recipient: to[0], Status: gateway.StatusRejected, At: time.Now(), ReceiptID: rid}},
				}, nil
			})
		}()
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch gateway.ErrorCode(err) {
		case "":
			ok++
		case gateway.ECONFLICT:
		default:
			t.Fatalf("reporter %d: %v", i, err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent rejections passed, want exactly 1", ok, n)
	}
	rs, _ := s.Receipts(ctx, "c")
	rejections := 0
	for _, r := range rs {
		if r.Event == gateway.EventConsignmentRejection {
			rejections++
		}
	}
	if rejections != 1 {
		t.Fatalf("%d rejection receipts stored, want 1", rejections)
	}
}

func testDocSupersede(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	from, to := docFixture(t, s, 1)
	mustCreateDocument(t, s, newSubmission("orig", "", from, to, time.Now()))
	sub := newSubmission("repl", "", from, to, time.Now())
	sub.Supersedes = "orig"
	mustCreateDocument(t, s, sub)
	if d, _ := s.Document(ctx, "orig"); d.State != gateway.DocumentReplaced {
		t.Fatalf("superseded document state %s, want replaced", d.State)
	}
	bad := newSubmission("repl2", "", from, to, time.Now())
	bad.Supersedes = "nothing"
	wantCode(t, s.CreateDocument(ctx, bad), gateway.ENOTFOUND, "superseding a missing document")
	if _, err := s.Document(ctx, "repl2"); gateway.ErrorCode(err) != gateway.ENOTFOUND {
		t.Fatalf("refused replacement stored: %v", err)
	}
}

func testDocPendingReceipts(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	from, to := docFixture(t, s, 1)
	sub := newSubmission("t", "", from, to, time.Now())
	sub.Receipts[1].Pending = true
	mustCreateDocument(t, s, sub)
	rs, err := s.ReceiptsPendingTimestamp(ctx, 10)
	if err != nil || len(rs) != 1 || rs[0].ID != "t-r1" || !rs[0].Pending {
		t.Fatalf("pending: %v, %v", rs, err)
	}
	if err := s.SetReceiptCMS(ctx, "t-r1", []byte("stamped")); err != nil {
		t.Fatal(err)
	}
	if rs, _ := s.ReceiptsPendingTimestamp(ctx, 10); len(rs) != 0 {
		t.Fatalf("still pending after SetReceiptCMS: %v", rs)
	}
	r, _ := s.Receipt(ctx, "t", "t-r1")
	if string(r.CMS) != "stamped" || r.Pending {
		t.Fatalf("receipt after SetReceiptCMS: %+v", r)
	}
	wantCode(t, s.SetReceiptCMS(ctx, "nope", nil), gateway.ENOTFOUND, "set CMS of a missing receipt")
}

func testDocLogIndex(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	from, to := docFixture(t, s, 1)
	mustCreateDocument(t, s, newSubmission("l", "", from, to, time.Now()))
	if err := s.SetLogIndex(ctx, "l-r1", 41); err != nil {
		t.Fatal(err)
	}
	trail, _ := s.Trail(ctx, "l")
	if trail[0].LogIndex != nil || trail[1].LogIndex == nil || *trail[1].LogIndex != 41 {
		t.Fatalf("log indexes: %v, %v", trail[0].LogIndex, trail[1].LogIndex)
	}
	wantCode(t, s.SetLogIndex(ctx, "nope", 1), gateway.ENOTFOUND, "log index of a missing receipt")
}

func testDocLogIndexes(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	from, to := docFixture(t, s, 2)
	mustCreateDocument(t, s, newSubmission("m", "", from, to, time.Now()))
	if err := s.SetLogIndexes(ctx, nil); err != nil {
		t.Fatalf("no indexes: %v", err)
	}
	// All or nothing: one missing receipt and none is recorded.
	wantCode(t, s.SetLogIndexes(ctx, map[string]int64{"m-r0": 1, "nope": 2}), gateway.ENOTFOUND, "log indexes with a missing receipt")
	trail, _ := s.Trail(ctx, "m")
	for _, e := range trail {
		if e.LogIndex != nil {
			t.Fatalf("%s got index %d from a refused batch", e.ReceiptID, *e.LogIndex)
		}
	}
	want := map[string]int64{"m-r0": 20, "m-r1": 21, "m-r2": 22}
	if err := s.SetLogIndexes(ctx, want); err != nil {
		t.Fatal(err)
	}
	trail, _ = s.Trail(ctx, "m")
	if len(trail) != len(want) {
		t.Fatalf("trail has %d events, want %d", len(trail), len(want))
	}
	for _, e := range trail {
		if e.LogIndex == nil || *e.LogIndex != want[e.ReceiptID] {
			t.Fatalf("log index of %s: %v, want %d", e.ReceiptID, e.LogIndex, want[e.ReceiptID])
		}
	}
}

func testDocOrphanBlobs(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	from, to := docFixture(t, s, 1)
	t0 := time.Now().UTC().Truncate(time.Second)
	orphan, reused := fmt.Sprintf("%064x", 0xdead), fmt.Sprintf("%064x", 0xbeef)
	// A crash after the blobs were written, before the document: orphan.
	if err := s.MarkBlobs(ctx, []string{orphan, reused}, t0); err != nil {
		t.Fatal(err)
	}
	sub := newSubmission("b", "", from, to, t0)
	sub.Document.Attachments = append(sub.Document.Attachments, gateway.Part{Name: "x", SHA256: reused, Size: 1})
	mustCreateDocument(t, s, sub)

	if got, err := s.ClaimOrphanBlobs(ctx, t0, t0, 10); err != nil || len(got) != 0 {
		t.Fatalf("claim within the grace period: %v, %v", got, err)
	}
	t1 := t0.Add(time.Hour)
	got, err := s.ClaimOrphanBlobs(ctx, t1, t1, 10)
	if err != nil || fmt.Sprint(got) != fmt.Sprint([]string{orphan}) {
		t.Fatalf("orphans: %v, %v; want only %s (the others are referenced)", got, err, orphan)
	}
	// While it is being deleted, no submission may take it up again.
	wantCode(t, s.MarkBlobs(ctx, []string{orphan}, t1), gateway.ECONFLICT, "marking a blob being deleted")
	again := newSubmission("b2", "", from, to, t0)
	again.Document.PDF.SHA256 = orphan
	wantCode(t, s.CreateDocument(ctx, again), gateway.ECONFLICT, "referencing a blob being deleted")
	if _, err := s.Document(ctx, "b2"); gateway.ErrorCode(err) != gateway.ENOTFOUND {
		t.Fatalf("refused document stored: %v", err)
	}
	// Nor may another sweeper claim it while the claim is younger than a
	// mark must be: it could delete the bytes after the first sweeper
	// forgot them and a new document took them up.
	if got, _ := s.ClaimOrphanBlobs(ctx, t1, t1.Add(time.Minute), 10); len(got) != 0 {
		t.Fatalf("a blob claimed twice: %v", got)
	}
	// A sweep that crashed before forgetting: its claim comes back once it
	// is as old as a mark must be.
	t2 := t1.Add(25 * time.Hour)
	if got, _ := s.ClaimOrphanBlobs(ctx, t1.Add(time.Second), t2, 10); fmt.Sprint(got) != fmt.Sprint([]string{orphan}) {
		t.Fatalf("claimed orphan not offered again: %v", got)
	}
	if err := s.ForgetBlob(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClaimOrphanBlobs(ctx, t2.Add(48*time.Hour), t2.Add(48*time.Hour), 10); len(got) != 0 {
		t.Fatalf("forgotten blob claimed: %v", got)
	}
	// Once forgotten, the same bytes can be written and referenced anew.
	if err := s.MarkBlobs(ctx, []string{orphan}, t1); err != nil {
		t.Fatal(err)
	}
	mustCreateDocument(t, s, again)
	// Forgetting a referenced blob does nothing.
	if err := s.ForgetBlob(ctx, reused); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClaimOrphanBlobs(ctx, t0.Add(48*time.Hour), t0.Add(48*time.Hour), 10); len(got) != 0 {
		t.Fatalf("referenced blobs claimed: %v", got)
	}

	// A released claim (the delete failed, or retention kept the bytes):
	// submissions may mark it again at once, and it counts as marked at
	// the release's time.
	kept := fmt.Sprintf("%064x", 0xcafe)
	if err := s.MarkBlobs(ctx, []string{kept}, t0); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClaimOrphanBlobs(ctx, t1, t1, 10); fmt.Sprint(got) != fmt.Sprint([]string{kept}) {
		t.Fatalf("claim: %v, want [%s]", got, kept)
	}
	if err := s.ReleaseBlob(ctx, kept, t2); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClaimOrphanBlobs(ctx, t2, t2, 10); len(got) != 0 {
		t.Fatalf("a released blob claimed before its new mark aged: %v", got)
	}
	if got, _ := s.ClaimOrphanBlobs(ctx, t2.Add(time.Second), t2.Add(time.Second), 10); fmt.Sprint(got) != fmt.Sprint([]string{kept}) {
		t.Fatalf("a released blob not offered again: %v", got)
	}
	if err := s.ReleaseBlob(ctx, kept, t2); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkBlobs(ctx, []string{kept}, t2); err != nil {
		t.Fatalf("marking a released blob: %v", err)
	}
}

func testDocUnloggedEvents(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	from, to := docFixture(t, s, 2)
	t0 := time.Now().UTC().Add(-time.Hour)
	mustCreateDocument(t, s, newSubmission("u", "", from, to, t0))
	if err := s.SetLogIndex(ctx, "u-r1", 7); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if got, err := s.ClaimUnloggedEvents(ctx, t0, now, time.Minute, 10); err != nil || len(got) != 0 {
		t.Fatalf("claim of events not yet old enough: %v, %v", got, err)
	}
	got, err := s.ClaimUnloggedEvents(ctx, now, now, time.Minute, 10)
	if err != nil || len(got) != 2 || got[0].ReceiptID != "u-r0" || got[1].ReceiptID != "u-r2" || got[1].Recipient != to[1] {
		t.Fatalf("unlogged: %+v, %v; want u-r0 and u-r2 in order", got, err)
	}
	if again, _ := s.ClaimUnloggedEvents(ctx, now, now.Add(30*time.Second), time.Minute, 10); len(again) != 0 {
		t.Fatalf("leased events claimed again: %v", again)
	}
	again, _ := s.ClaimUnloggedEvents(ctx, now, now.Add(2*time.Minute), time.Minute, 1)
	if len(again) != 1 || again[0].ReceiptID != "u-r0" {
		t.Fatalf("claim after the lease: %v", again)
	}
	for i, rid := range []string{"u-r0", "u-r2"} {
		if err := s.SetLogIndex(ctx, rid, int64(10+i)); err != nil {
			t.Fatal(err)
		}
	}
	if left, _ := s.ClaimUnloggedEvents(ctx, now, now.Add(time.Hour), time.Minute, 10); len(left) != 0 {
		t.Fatalf("logged events claimed: %v", left)
	}
}
