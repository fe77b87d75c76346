package storetest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"docgate/gateway"
)

// DeliveryStore is what push delivery needs of a store: the documents the
// exchange writes, the queue over them and the webhook secrets.
type DeliveryStore interface {
	gateway.Store
	gateway.PushQueue
	gateway.WebhookSecrets
}

// TestDeliveryQueue runs the gateway.PushQueue and gateway.WebhookSecrets
// conformance suite. open must return an isolated, empty store as for
// TestStore. Times are injected: nothing here waits for a lease to run out.
func TestDeliveryQueue(t *testing.T, open func(t *testing.T) DeliveryStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s DeliveryStore)
	}{
		{"ClaimOnlyDue", testQueueClaimOnlyDue},
		{"LeaseExpires", testQueueLeaseExpires},
		{"Succeed", testQueueSucceed},
		{"Retry", testQueueRetry},
		{"GiveUp", testQueueGiveUp},
		{"LostClaim", testQueueLostClaim},
		{"Release", testQueueRelease},
		{"AcknowledgedDuringPush", testQueueAckDuringPush},
		{"Secrets", testQueueSecrets},
		{"ConcurrentClaims", testQueueConcurrentClaims},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// qt0 is the suite's clock: every time below is an offset from it.
var qt0 = time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)

// queueFixture registers a sender, a recipient with a webhook ("hooked") and
// one without ("plain"), and submits n documents to both.
func queueFixture(t *testing.T, s DeliveryStore, n int, webhook string) (hooked, plain string, docs []string) {
	t.Helper()
	from, hooked, plain := code(1), code(2), code(3)
	mustCreateAgency(t, s, &gateway.Agency{Code: from, Name: "Sender"})
	mustCreateAgency(t, s, &gateway.Agency{Code: hooked, Name: "Pushed to", Webhook: webhook})
	mustCreateAgency(t, s, &gateway.Agency{Code: plain, Name: "Pulls"})
	for i := range n {
		id := fmt.Sprintf("doc_push_%03d", i)
		queueSubmit(t, s, id, from, []string{hooked, plain}, qt0.Add(time.Duration(i)*time.Second))
		docs = append(docs, id)
	}
	return hooked, plain, docs
}

func queueSubmit(t *testing.T, s gateway.Store, id, from string, to []string, at time.Time) {
	t.Helper()
	d := &gateway.Document{
		ID:          id,
		Envelope:    gateway.Envelope{From: from, To: to, Subject: "Subject of " + id, Number: "7816", Notation: "VPCP-TTĐT"},
		PDF:         gateway.Part{Name: "doc.pdf", ContentType: "application/pdf", SHA256: fmt.Sprintf("%064x", len(id)), Size: 4321},
		Attachments: []gateway.Part{{Name: "annex.txt", ContentType: "text/plain", SHA256: fmt.Sprintf("%064x", 9), Size: 3}},
		State:       gateway.DocumentActive,
		SubmittedAt: at,
	}
	sub := &gateway.Submission{Document: d}
	for _, r := range to {
		sub.Deliveries = append(sub.Deliveries, &gateway.Delivery{DocumentID: id, Recipient: r, State: gateway.DeliveryPending, UpdatedAt: at})
	}
	if err := s.CreateDocument(context.Background(), sub); err != nil {
		t.Fatalf("create document %s: %v", id, err)
	}
}

func queueClaim(t *testing.T, q gateway.PushQueue, worker string, at time.Time, n int, lease time.Duration) []*gateway.PushJob {
	t.Helper()
	jobs, err := q.Claim(context.Background(), worker, at, n, lease)
	if err != nil {
		t.Fatalf("claim at %s: %v", at, err)
	}
	return jobs
}

func queueJobKeys(jobs []*gateway.PushJob) []string {
	var ks []string
	for _, j := range jobs {
		ks = append(ks, j.DeliveryID())
	}
	return ks
}

func wantQueueJobs(t *testing.T, what string, got []*gateway.PushJob, want ...string) {
	t.Helper()
	g := queueJobKeys(got)
	if fmt.Sprint(g) != fmt.Sprint(want) {
		t.Fatalf("%s: claimed %v, want %v", what, g, want)
	}
}

func queueDelivery(t *testing.T, s gateway.Store, doc, recipient string) *gateway.Delivery {
	t.Helper()
	ds, err := s.Deliveries(context.Background(), doc)
	if err != nil {
		t.Fatalf("deliveries of %s: %v", doc, err)
	}
	for _, d := range ds {
		if d.Recipient == recipient {
			return d
		}
	}
	t.Fatalf("document %s has no delivery to %s", doc, recipient)
	return nil
}

func testQueueClaimOnlyDue(t *testing.T, s DeliveryStore) {
	hooked, _, docs := queueFixture(t, s, 3, "https://dms.example.gov.vn/hook?key=1")
	// A suspended recipient gets no pushes, even with a webhook.
	suspended := code(4)
	mustCreateAgency(t, s, &gateway.Agency{Code: suspended, Name: "Suspended", Webhook: "https://x.example/hook"})
	st := gateway.AgencySuspended
	if _, err := s.UpdateAgency(context.Background(), suspended, gateway.AgencyUpdate{Status: &st}); err != nil {
		t.Fatal(err)
	}
	queueSubmit(t, s, "doc_suspended", code(1), []string{suspended}, qt0)

	jobs := queueClaim(t, s, "w1", qt0.Add(time.Hour), 2, time.Minute)
	wantQueueJobs(t, "first claim (oldest first, at most n)", jobs, docs[0]+"/"+hooked, docs[1]+"/"+hooked)
	j := jobs[0]
	if j.Webhook != "https://dms.example.gov.vn/hook?key=1" || j.Outcome != gateway.PushOutcomeNone || j.Attempts != 0 || j.Claim == "" {
		t.Fatalf("job = %+v", j)
	}
	wantTime(t, "claimed until", j.ClaimedUntil, qt0.Add(time.Hour+time.Minute))
	if j.Envelope.From != code(1) || j.Envelope.Subject != "Subject of "+docs[0] || j.Envelope.Number != "7816" ||
		j.PDF.SHA256 != fmt.Sprintf("%064x", len(docs[0])) || j.PDF.Size != 4321 || len(j.Attachments) != 1 {
		t.Fatalf("job document = %+v %+v %+v", j.Envelope, j.PDF, j.Attachments)
	}
	wantTime(t, "submitted at", j.SubmittedAt, qt0)
	if len(j.Secret) < 32 || j.PreviousSecret != nil {
		t.Fatalf("job secret: %d bytes, previous %v", len(j.Secret), j.PreviousSecret)
	}
	if !bytes.Equal(jobs[1].Secret, j.Secret) {
		t.Fatal("two jobs for one recipient carry different secrets")
	}
	sec, err := s.WebhookSecret(context.Background(), hooked)
	if err != nil || !bytes.Equal(sec.Current, j.Secret) {
		t.Fatalf("WebhookSecret = %v, %v; want the secret the job carries", sec, err)
	}
	rest := queueClaim(t, s, "w2", qt0.Add(time.Hour), 10, time.Minute)
	wantQueueJobs(t, "second claim (the rest; never the plain or suspended recipient)", rest, docs[2]+"/"+hooked)
	wantQueueJobs(t, "third claim", queueClaim(t, s, "w3", qt0.Add(time.Hour), 10, time.Minute))
}

func testQueueLeaseExpires(t *testing.T, s DeliveryStore) {
	hooked, _, docs := queueFixture(t, s, 1, "https://dms.example/hook")
	want := docs[0] + "/" + hooked
	first := queueClaim(t, s, "crashes", qt0, 5, time.Minute)
	wantQueueJobs(t, "claim", first, want)
	wantQueueJobs(t, "while leased", queueClaim(t, s, "w2", qt0.Add(59*time.Second), 5, time.Minute))
	// The first worker died: at the end of its lease the job is due again,
	// with the attempt it never recorded still to make.
	again := queueClaim(t, s, "w2", qt0.Add(time.Minute), 5, time.Minute)
	wantQueueJobs(t, "after the lease", again, want)
	if again[0].Attempts != 0 || again[0].Claim == first[0].Claim {
		t.Fatalf("reclaimed job: attempts %d, claim %q (first %q)", again[0].Attempts, again[0].Claim, first[0].Claim)
	}
}

func testQueueSucceed(t *testing.T, s DeliveryStore) {
	ctx := context.Background()
	hooked, plain, docs := queueFixture(t, s, 1, "https://dms.example/hook")
	jobs := queueClaim(t, s, "w1", qt0, 5, time.Minute)
	wantQueueJobs(t, "claim", jobs, docs[0]+"/"+hooked)
	if err := s.Succeed(ctx, jobs[0], qt0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	d := queueDelivery(t, s, docs[0], hooked)
	if d.State != gateway.DeliveryDelivered || d.Attempts != 1 || d.LastError != "" || d.NextAttemptAt != nil {
		t.Fatalf("delivery after success = %+v", d)
	}
	wantTime(t, "updated at", d.UpdatedAt, qt0.Add(time.Second))
	if p := queueDelivery(t, s, docs[0], plain); p.State != gateway.DeliveryPending || p.Attempts != 0 {
		t.Fatalf("the other recipient's delivery changed: %+v", p)
	}
	wantCode(t, s.Succeed(ctx, jobs[0], qt0.Add(2*time.Second)), gateway.ECONFLICT, "second Succeed")
	// The worker stopped before its hook ran: after the lease the outcome
	// comes back to be reported, never to be pushed again.
	back := queueClaim(t, s, "w2", qt0.Add(2*time.Minute), 5, time.Minute)
	wantQueueJobs(t, "unreported outcome", back, docs[0]+"/"+hooked)
	if back[0].Outcome != gateway.PushOutcomeDelivered || back[0].Attempts != 1 {
		t.Fatalf("unreported job = outcome %q attempts %d", back[0].Outcome, back[0].Attempts)
	}
	wantCode(t, s.Reported(ctx, jobs[0]), gateway.ECONFLICT, "Reported with the expired claim")
	if err := s.Reported(ctx, back[0]); err != nil {
		t.Fatal(err)
	}
	wantQueueJobs(t, "after the report", queueClaim(t, s, "w3", qt0.Add(24*time.Hour), 5, time.Minute))
}

func testQueueRetry(t *testing.T, s DeliveryStore) {
	ctx := context.Background()
	hooked, _, docs := queueFixture(t, s, 1, "https://dms.example/hook")
	jobs := queueClaim(t, s, "w1", qt0, 5, time.Minute)
	next := qt0.Add(90 * time.Second)
	if err := s.Fail(ctx, jobs[0], "webhook answered 503 Service Unavailable", qt0.Add(time.Second), next); err != nil {
		t.Fatal(err)
	}
	d := queueDelivery(t, s, docs[0], hooked)
	if d.State != gateway.DeliveryPending || d.Attempts != 1 || d.LastError != "webhook answered 503 Service Unavailable" || d.NextAttemptAt == nil {
		t.Fatalf("delivery after a failed attempt = %+v", d)
	}
	wantTime(t, "next attempt", *d.NextAttemptAt, next)
	// The claim was released, but the job is not due before next.
	wantQueueJobs(t, "before next", queueClaim(t, s, "w1", next.Add(-time.Microsecond), 5, time.Minute))
	again := queueClaim(t, s, "w2", next, 5, time.Minute)
	wantQueueJobs(t, "at next", again, docs[0]+"/"+hooked)
	if again[0].Attempts != 1 || again[0].LastError != "webhook answered 503 Service Unavailable" {
		t.Fatalf("retried job = attempts %d, last error %q", again[0].Attempts, again[0].LastError)
	}
	wantCode(t, s.Fail(ctx, jobs[0], "late", next, next.Add(time.Minute)), gateway.ECONFLICT, "Fail with a released claim")
}

func testQueueGiveUp(t *testing.T, s DeliveryStore) {
	ctx := context.Background()
	hooked, _, docs := queueFixture(t, s, 1, "https://dms.example/hook")
	jobs := queueClaim(t, s, "w1", qt0, 5, time.Minute)
	if err := s.Fail(ctx, jobs[0], "dial refused", qt0.Add(time.Second), time.Time{}); err != nil {
		t.Fatal(err)
	}
	d := queueDelivery(t, s, docs[0], hooked)
	if d.State != gateway.DeliveryFailed || d.Attempts != 1 || d.LastError != "dial refused" || d.NextAttemptAt != nil {
		t.Fatalf("delivery after the last attempt = %+v", d)
	}
	// Still in the recipient's inbox: pull keeps working.
	items, err := s.Inbox(ctx, hooked, gateway.InboxFilter{})
	if err != nil || len(items) != 1 || items[0].Document.ID != docs[0] {
		t.Fatalf("inbox after a failed push = %v, %v", items, err)
	}
	back := queueClaim(t, s, "w2", qt0.Add(time.Hour), 5, time.Minute)
	wantQueueJobs(t, "failed outcome to report", back, docs[0]+"/"+hooked)
	if back[0].Outcome != gateway.PushOutcomeFailed || back[0].LastError != "dial refused" {
		t.Fatalf("job = outcome %q, last error %q", back[0].Outcome, back[0].LastError)
	}
	if err := s.Reported(ctx, back[0]); err != nil {
		t.Fatal(err)
	}
	wantQueueJobs(t, "after the report", queueClaim(t, s, "w3", qt0.Add(48*time.Hour), 5, time.Minute))
}

func testQueueLostClaim(t *testing.T, s DeliveryStore) {
	ctx := context.Background()
	hooked, _, docs := queueFixture(t, s, 1, "https://dms.example/hook")
	slow := queueClaim(t, s, "slow", qt0, 5, time.Minute)
	fast := queueClaim(t, s, "fast", qt0.Add(2*time.Minute), 5, time.Minute)
	wantQueueJobs(t, "reclaim", fast, docs[0]+"/"+hooked)
	wantCode(t, s.Succeed(ctx, slow[0], qt0.Add(2*time.Minute)), gateway.ECONFLICT, "Succeed by the worker whose lease ran out")
	wantCode(t, s.Fail(ctx, slow[0], "x", qt0.Add(2*time.Minute), time.Time{}), gateway.ECONFLICT, "Fail by the worker whose lease ran out")
	if err := s.Release(ctx, slow[0]); err != nil {
		t.Fatalf("Release of a lost claim: %v", err)
	}
	if err := s.Succeed(ctx, fast[0], qt0.Add(2*time.Minute)); err != nil {
		t.Fatalf("Succeed by the new claimer: %v", err)
	}
	if d := queueDelivery(t, s, docs[0], hooked); d.State != gateway.DeliveryDelivered || d.Attempts != 1 {
		t.Fatalf("delivery = %+v", d)
	}
}

func testQueueRelease(t *testing.T, s DeliveryStore) {
	ctx := context.Background()
	hooked, _, docs := queueFixture(t, s, 2, "https://dms.example/hook")
	jobs := queueClaim(t, s, "stopping", qt0, 5, time.Hour)
	wantQueueJobs(t, "claim", jobs, docs[0]+"/"+hooked, docs[1]+"/"+hooked)
	if err := s.Release(ctx, jobs[1]); err != nil {
		t.Fatal(err)
	}
	back := queueClaim(t, s, "other", qt0.Add(time.Second), 5, time.Hour)
	wantQueueJobs(t, "released job, due at once", back, docs[1]+"/"+hooked)
	if back[0].Attempts != 0 {
		t.Fatalf("a release counted an attempt: %d", back[0].Attempts)
	}
}

func testQueueAckDuringPush(t *testing.T, s DeliveryStore) {
	ctx := context.Background()
	hooked, _, docs := queueFixture(t, s, 2, "https://dms.example/hook")
	jobs := queueClaim(t, s, "w1", qt0, 5, time.Minute)
	wantQueueJobs(t, "claim", jobs, docs[0]+"/"+hooked, docs[1]+"/"+hooked)
	// The recipient fetched and acknowledged the first document while its
	// push was in flight, and the sender recalled the second.
	ack := qt0.Add(time.Second)
	update := func(doc string, state gateway.DeliveryState) {
		err := s.UpdateDocument(ctx, doc, func(snap *gateway.DocumentSnapshot) (*gateway.DocumentChange, error) {
			for _, d := range snap.Deliveries {
				if d.Recipient == hooked {
					nd := *d
					nd.State, nd.UpdatedAt = state, ack
					if state == gateway.DeliveryAcknowledged {
						nd.AcknowledgedAt = &ack
					}
					return &gateway.DocumentChange{Deliveries: []*gateway.Delivery{&nd}}, nil
				}
			}
			return nil, fmt.Errorf("no delivery to %s", hooked)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	update(docs[0], gateway.DeliveryAcknowledged)
	update(docs[1], gateway.DeliveryRecalled)
	for i, want := range []gateway.DeliveryState{gateway.DeliveryAcknowledged, gateway.DeliveryRecalled} {
		if err := s.Succeed(ctx, jobs[i], qt0.Add(2*time.Second)); err != nil {
			t.Fatal(err)
		}
		if d := queueDelivery(t, s, docs[i], hooked); d.State != want || d.Attempts != 1 {
			t.Fatalf("delivery %d after the push = %+v, want state %s", i, d, want)
		}
		if err := s.Reported(ctx, jobs[i]); err != nil {
			t.Fatal(err)
		}
	}
	// A delivery acknowledged before its push was due is not pushed.
	queueSubmit(t, s, "doc_acked_first", code(1), []string{hooked}, qt0)
	update("doc_acked_first", gateway.DeliveryAcknowledged)
	wantQueueJobs(t, "acknowledged before the push", queueClaim(t, s, "w2", qt0.Add(time.Hour), 5, time.Minute))
}

func testQueueSecrets(t *testing.T, s DeliveryStore) {
	ctx := context.Background()
	hooked, _, _ := queueFixture(t, s, 1, "https://dms.example/hook")
	_, err := s.WebhookSecret(ctx, code(99))
	wantCode(t, err, gateway.ENOTFOUND, "secret of an unknown agency")
	_, err = s.RotateWebhookSecret(ctx, code(99), qt0, time.Hour)
	wantCode(t, err, gateway.ENOTFOUND, "rotate the secret of an unknown agency")

	first, err := s.WebhookSecret(ctx, hooked)
	if err != nil || len(first.Current) < 32 {
		t.Fatalf("WebhookSecret = %+v, %v", first, err)
	}
	if again, err := s.WebhookSecret(ctx, hooked); err != nil || !bytes.Equal(again.Current, first.Current) {
		t.Fatalf("the secret changed between reads: %v", err)
	}
	other, err := s.WebhookSecret(ctx, code(3))
	if err != nil || bytes.Equal(other.Current, first.Current) {
		t.Fatalf("two agencies share a secret (%v)", err)
	}
	rot, err := s.RotateWebhookSecret(ctx, hooked, qt0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(rot.Current, first.Current) || !bytes.Equal(rot.Previous, first.Current) {
		t.Fatal("rotation did not replace the secret and keep the old one as previous")
	}
	wantTime(t, "previous until", rot.PreviousUntil, qt0.Add(time.Hour))
	read, err := s.WebhookSecret(ctx, hooked)
	if err != nil || !bytes.Equal(read.Current, rot.Current) || !bytes.Equal(read.Previous, first.Current) {
		t.Fatalf("secret after rotation = %+v, %v", read, err)
	}
	wantTime(t, "stored previous until", read.PreviousUntil, qt0.Add(time.Hour))
	wantTime(t, "rotated at", read.CreatedAt, qt0)

	// During the grace period a push carries both secrets; after it, only
	// the new one.
	jobs := queueClaim(t, s, "w1", qt0.Add(time.Minute), 1, time.Minute)
	if len(jobs) != 1 || !bytes.Equal(jobs[0].Secret, rot.Current) || !bytes.Equal(jobs[0].PreviousSecret, first.Current) {
		t.Fatalf("job during the grace period: %+v", jobs)
	}
	jobs = queueClaim(t, s, "w2", qt0.Add(time.Hour), 1, time.Minute)
	if len(jobs) != 1 || !bytes.Equal(jobs[0].Secret, rot.Current) || jobs[0].PreviousSecret != nil {
		t.Fatalf("job after the grace period: %+v", jobs)
	}
}

// testQueueConcurrentClaims has many claimers race on one store: each job
// goes to exactly one of them.
func testQueueConcurrentClaims(t *testing.T, s DeliveryStore) {
	hooked, _, docs := queueFixture(t, s, 40, "https://dms.example/hook")
	got := queueClaimAll(t, []gateway.PushQueue{s, s, s, s, s, s})
	wantQueueOnce(t, got, docs, hooked)
}

// queueClaimAll has one goroutine per queue claim small batches until the queue
// is empty, recording every job as pushed, and returns how often each job
// was claimed.
func queueClaimAll(t *testing.T, qs []gateway.PushQueue) map[string]int {
	t.Helper()
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, len(qs))
	for i, q := range qs {
		wg.Go(func() {
			ctx := context.Background()
			for {
				jobs, err := q.Claim(ctx, fmt.Sprintf("w%d", i), qt0.Add(time.Hour), 3, time.Hour)
				if err != nil {
					errs <- err
					return
				}
				if len(jobs) == 0 {
					return
				}
				for _, j := range jobs {
					mu.Lock()
					got[j.DeliveryID()]++
					mu.Unlock()
					if err := q.Succeed(ctx, j, qt0.Add(time.Hour)); err != nil {
						errs <- err
						return
					}
					if err := q.Reported(ctx, j); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return got
}

func wantQueueOnce(t *testing.T, got map[string]int, docs []string, recipient string) {
	t.Helper()
	for _, d := range docs {
		if n := got[d+"/"+recipient]; n != 1 {
			t.Errorf("%s/%s: pushed %d times, want once", d, recipient, n)
		}
	}
	if len(got) != len(docs) {
		t.Errorf("%d distinct jobs pushed, want %d", len(got), len(docs))
	}
}

// ReplicaWorkers runs real push workers of two gateway replicas, one over a
// and one over b, until every document seed submitted is delivered. seed
// registers a recipient whose webhook is the given URL, submits n documents
// to it and returns the recipient and the documents' IDs; state reads the
// state of one document's delivery to that recipient. The workers live in
// gateway/delivery, which this package, like the stores it holds to account,
// does not import: the stores' tests hand in
// deliverytest.TestReplicaWorkers.
type ReplicaWorkers func(t *testing.T, a, b gateway.PushQueue,
	seed func(t *testing.T, webhook string, n int) (recipient string, docs []string),
	state func(t *testing.T, doc, recipient string) gateway.DeliveryState)

// TestDeliveryReplicas is the scale-out test: open returns two stores over
// one database, as two gateway replicas would have. Claims from both must
// hand out every job exactly once, and workers, run over both against one
// webhook receiver, must deliver every document exactly once.
func TestDeliveryReplicas(t *testing.T, open func(t *testing.T) (DeliveryStore, DeliveryStore), workers ReplicaWorkers) {
	t.Run("ClaimsOverOneDatabase", func(t *testing.T) {
		a, b := open(t)
		hooked, _, docs := queueFixture(t, a, 40, "https://dms.example/hook")
		got := queueClaimAll(t, []gateway.PushQueue{a, b, a, b})
		wantQueueOnce(t, got, docs, hooked)
	})
	t.Run("WorkersPushExactlyOnce", func(t *testing.T) {
		a, b := open(t)
		seed := func(t *testing.T, webhook string, n int) (string, []string) {
			hooked, _, docs := queueFixture(t, a, n, webhook)
			return hooked, docs
		}
		state := func(t *testing.T, doc, recipient string) gateway.DeliveryState {
			return queueDelivery(t, a, doc, recipient).State
		}
		workers(t, a, b, seed, state)
	})
}

// BenchmarkDeliveryQueue measures one job's way through the queue (claimed
// in batches of 10, recorded, reported) with four claimers at once; open
// returns an isolated, empty store.
func BenchmarkDeliveryQueue(b *testing.B, open func(b *testing.B) DeliveryStore) {
	s := open(b)
	ctx := context.Background()
	from, to := code(1), code(2)
	for _, a := range []*gateway.Agency{{Code: from, Name: "Sender"}, {Code: to, Name: "Pushed", Webhook: "https://dms.example/hook"}} {
		if err := s.CreateAgency(ctx, a); err != nil {
			b.Fatal(err)
		}
	}
	for i := range b.N {
		id := fmt.Sprintf("doc_bench_%07d", i)
		sub := &gateway.Submission{Document: &gateway.Document{ID: id, Envelope: gateway.Envelope{From: from, To: []string{to}, Subject: "x"},
			PDF: gateway.Part{SHA256: fmt.Sprintf("%064x", i)}, Attachments: []gateway.Part{}, State: gateway.DocumentActive, SubmittedAt: qt0},
			Deliveries: []*gateway.Delivery{{DocumentID: id, Recipient: to, State: gateway.DeliveryPending, UpdatedAt: qt0}}}
		if err := s.CreateDocument(ctx, sub); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for {
				jobs, err := s.Claim(ctx, fmt.Sprintf("bench%d", w), qt0.Add(time.Hour), 10, time.Hour)
				if err != nil {
					b.Error(err)
					return
				}
				if len(jobs) == 0 {
					return
				}
				for _, j := range jobs {
					if err := s.Succeed(ctx, j, qt0.Add(time.Hour)); err != nil {
						b.Error(err)
						return
					}
					if err := s.Reported(ctx, j); err != nil {
						b.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
