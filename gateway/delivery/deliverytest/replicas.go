// Package deliverytest runs push delivery's real workers against real
// queues: the stores' tests hand TestReplicaWorkers to
// storetest.TestDeliveryReplicas, which cannot run the workers itself because
// the storage suites import only package gateway. It is test code and must not
// be imported outside tests.
package deliverytest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"docgate/gateway"
	"docgate/gateway/delivery"
)

// TestReplicaWorkers is the scale-out test of the workers: a and b are two
// queues over one database, as two gateway replicas have. Each runs workers
// against one webhook receiver, which fails some first attempts; every
// document seed submits must be accepted by the receiver exactly once, end
// delivered (as state reads it) and be reported once. It has the shape of
// storetest.ReplicaWorkers.
func TestReplicaWorkers(t *testing.T, a, b gateway.PushQueue,
	seed func(t *testing.T, webhook string, n int) (recipient string, docs []string),
	state func(t *testing.T, doc, recipient string) gateway.DeliveryState) {
	var mu sync.Mutex
	accepted := map[string]int{}
	attempts := map[string]int{}
	var badSig int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id := r.Header.Get(delivery.HeaderDeliveryID)
		var p delivery.Payload
		if json.Unmarshal(body, &p) != nil || p.DeliveryID != id {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get(delivery.HeaderSignature) == "" {
			badSig++
		}
		attempts[id]++
		// The first attempt at documents whose id ends in 0, 3, 6 or 9
		// fails, so that retries race too.
		if attempts[id] == 1 && p.Document.ID[len(p.Document.ID)-1]%3 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		accepted[id]++
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	hooked, docs := seed(t, srv.URL+"/hook", 60)

	client := delivery.NewClient(delivery.TargetPolicy{AllowPrivate: true}, 5*time.Second, "https://gw.example")
	var reported sync.Map
	newWorkers := func(q delivery.Queue, name string) *delivery.Workers {
		return &delivery.Workers{
			Queue: q, Pusher: client, Count: 3, Batch: 4, Lease: time.Minute, Name: name,
			// Retries are due at once: the test is about claims, not waits.
			Backoff: delivery.Backoff{Base: time.Microsecond, Factor: 2, Cap: time.Microsecond, MaxAttempts: 5},
			IdleMin: time.Millisecond, IdleMax: 5 * time.Millisecond,
			Rand: func() float64 { return 0 },
			OnDelivered: func(_ context.Context, j *delivery.Job) error {
				if _, dup := reported.LoadOrStore(j.DeliveryID(), true); dup {
					return fmt.Errorf("%s reported twice", j.DeliveryID())
				}
				return nil
			},
		}
	}
	wa, wb := newWorkers(a, "replica-a"), newWorkers(b, "replica-b")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { wa.Run(ctx) })
	wg.Go(func() { wb.Run(ctx) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		done := 0
		for _, d := range docs {
			if state(t, d, hooked) == gateway.DeliveryDelivered {
				done++
			}
		}
		n := 0
		reported.Range(func(any, any) bool { n++; return true })
		if done == len(docs) && n == len(docs) {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			wg.Wait()
			t.Fatalf("after 30 s: %d of %d delivered, %d reported", done, len(docs), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	var ids []string
	for _, d := range docs {
		ids = append(ids, d+"/"+hooked)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if accepted[id] != 1 {
			t.Errorf("%s accepted %d times, want once", id, accepted[id])
		}
	}
	if badSig != 0 {
		t.Errorf("%d pushes without a signature", badSig)
	}
	sa, sb := wa.Stats.Snapshot(), wb.Stats.Snapshot()
	if sa.Delivered+sb.Delivered != int64(len(docs)) || sa.Failed+sb.Failed != 0 || sa.LeaseLost+sb.LeaseLost != 0 {
		t.Errorf("stats: a %+v, b %+v; want %d delivered in all", sa, sb, len(docs))
	}
	if sa.Delivered == 0 || sb.Delivered == 0 {
		t.Logf("one replica did all the work (a %d, b %d)", sa.Delivered, sb.Delivered)
	}
	retried := 0
	for _, d := range docs {
		if d[len(d)-1]%3 == 0 {
			retried++
		}
	}
	if got := sa.Retried + sb.Retried; got != int64(retried) {
		t.Errorf("retried %d pushes, want %d", got, retried)
	}
}
