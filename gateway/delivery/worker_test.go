package delivery

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"docgate/gateway"
)

// fakeQueue records what workers do to jobs; it hands out the jobs given
// to it, once.
type fakeQueue struct {
	mu       sync.Mutex
	jobs     []*Job
	calls    []string
	next     time.Time
	lost     bool // every record call fails as if the lease ran out
	claimErr error
}

func (q *fakeQueue) log(format string, args ...any) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.calls = append(q.calls, fmt.Sprintf(format, args...))
}

func (q *fakeQueue) Claim(ctx context.Context, worker string, now time.Time, n int, lease time.Duration) ([]*Job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.claimErr != nil {
		return nil, q.claimErr
	}
	n = min(n, len(q.jobs))
	out := q.jobs[:n]
	q.jobs = q.jobs[n:]
	return out, nil
}

func (q *fakeQueue) record(call string) error {
	q.log("%s", call)
	if q.lost {
		return gateway.Errorf(gateway.ECONFLICT, "claim lost")
	}
	return nil
}

func (q *fakeQueue) Succeed(ctx context.Context, job *Job, at time.Time) error {
	return q.record(fmt.Sprintf("succeed %s %s", job.DocumentID, at.Format(time.TimeOnly)))
}

func (q *fakeQueue) Fail(ctx context.Context, job *Job, reason string, at, next time.Time) error {
	if next.IsZero() {
		return q.record(fmt.Sprintf("give up %s: %s", job.DocumentID, reason))
	}
	q.mu.Lock()
	q.next = next
	q.mu.Unlock()
	return q.record(fmt.Sprintf("retry %s at %s", job.DocumentID, next.Format(time.TimeOnly)))
}

func (q *fakeQueue) Reported(ctx context.Context, job *Job) error {
	return q.record("reported " + job.DocumentID)
}

func (q *fakeQueue) Release(ctx context.Context, job *Job) error {
	q.log("release %s", job.DocumentID)
	return nil
}

func (q *fakeQueue) wantCalls(t *testing.T, want ...string) {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	if !slices.Equal(q.calls, want) {
		t.Fatalf("queue calls:\n got %q\nwant %q", q.calls, want)
	}
}

// fakePusher answers with the errors given, in order (nil = accepted).
type fakePusher struct {
	mu      sync.Mutex
	answers []error
	pushed  []string
	block   chan struct{} // when set, a push waits for it
	started chan struct{}
}

func (p *fakePusher) Push(ctx context.Context, job *Job, at time.Time) error {
	if p.started != nil {
		p.started <- struct{}{}
	}
	if p.block != nil {
		<-p.block
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pushed = append(p.pushed, job.DocumentID)
	if len(p.answers) == 0 {
		return nil
	}
	err := p.answers[0]
	p.answers = p.answers[1:]
	return err
}

var clock0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func newTestWorkers(q Queue, p pusher) (*Workers, *[]string) {
	var hooks []string
	var mu sync.Mutex
	w := &Workers{
		Queue: q, Pusher: p, Batch: 10,
		Backoff: Backoff{Base: 30 * time.Second, Factor: 2, Cap: time.Hour, MaxAttempts: 3},
		Now:     func() time.Time { return clock0 },
		Rand:    func() float64 { return 0.5 },
		OnDelivered: func(_ context.Context, j *Job) error {
			mu.Lock()
			defer mu.Unlock()
			hooks = append(hooks, "delivered "+j.DocumentID)
			return nil
		},
		OnFailed: func(_ context.Context, j *Job, reason string) error {
			mu.Lock()
			defer mu.Unlock()
			hooks = append(hooks, "failed "+j.DocumentID+": "+reason)
			return nil
		},
	}
	return w, &hooks
}

func TestWorkerDelivers(t *testing.T) {
	q := &fakeQueue{jobs: []*Job{{DocumentID: "d1"}, {DocumentID: "d2"}}}
	w, hooks := newTestWorkers(q, &fakePusher{})
	n, err := w.Step(context.Background(), "w")
	if err != nil || n != 2 {
		t.Fatalf("Step = %d, %v", n, err)
	}
	q.wantCalls(t, "succeed d1 09:00:00", "reported d1", "succeed d2 09:00:00", "reported d2")
	if !slices.Equal(*hooks, []string{"delivered d1", "delivered d2"}) {
		t.Fatalf("hooks %q", *hooks)
	}
	if s := w.Stats.Snapshot(); s.Delivered != 2 || s.Retried != 0 || s.Failed != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// TestWorkerRetriesWithJitter checks the next attempt time against the
// injected clock and random source: attempt 2 failed, ceiling 30 s * 2 =
// 60 s, half of it drawn.
func TestWorkerRetriesWithJitter(t *testing.T) {
	q := &fakeQueue{jobs: []*Job{{DocumentID: "d1", Attempts: 1}}}
	w, hooks := newTestWorkers(q, &fakePusher{answers: []error{&PushError{Status: 503, Err: errors.New("x")}}})
	if _, err := w.Step(context.Background(), "w"); err != nil {
		t.Fatal(err)
	}
	q.wantCalls(t, "retry d1 at 09:00:30")
	if len(*hooks) != 0 {
		t.Fatalf("a retry ran a hook: %q", *hooks)
	}
	if s := w.Stats.Snapshot(); s.Retried != 1 || s.Delivered != 0 {
		t.Fatalf("stats %+v", s)
	}
	// A draw of 0 must still schedule a retry, not give up.
	q = &fakeQueue{jobs: []*Job{{DocumentID: "d1"}}}
	w, _ = newTestWorkers(q, &fakePusher{answers: []error{errors.New("refused")}})
	w.Rand = func() float64 { return 0 }
	w.Step(context.Background(), "w")
	if !q.next.After(clock0) {
		t.Fatalf("next attempt %s, want after %s", q.next, clock0)
	}
}

func TestWorkerGivesUpAfterLastAttempt(t *testing.T) {
	q := &fakeQueue{jobs: []*Job{{DocumentID: "d1", Attempts: 2}}}
	w, hooks := newTestWorkers(q, &fakePusher{answers: []error{&PushError{Status: 500, Err: errors.New("x")}}})
	w.Step(context.Background(), "w")
	q.wantCalls(t, "give up d1: webhook answered 500 Internal Server Error", "reported d1")
	if !slices.Equal(*hooks, []string{"failed d1: webhook answered 500 Internal Server Error"}) {
		t.Fatalf("hooks %q", *hooks)
	}
	if s := w.Stats.Snapshot(); s.Failed != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// TestWorkerReportsRecordedOutcome: a job claimed with its outcome already
// recorded (its worker stopped before the hook) runs the hook only.
func TestWorkerReportsRecordedOutcome(t *testing.T) {
	q := &fakeQueue{jobs: []*Job{{DocumentID: "d1", Outcome: OutcomeFailed, LastError: "timeout"}, {DocumentID: "d2", Outcome: OutcomeDelivered}}}
	p := &fakePusher{}
	w, hooks := newTestWorkers(q, p)
	w.Step(context.Background(), "w")
	if len(p.pushed) != 0 {
		t.Fatalf("pushed again: %v", p.pushed)
	}
	q.wantCalls(t, "reported d1", "reported d2")
	if !slices.Equal(*hooks, []string{"failed d1: timeout", "delivered d2"}) {
		t.Fatalf("hooks %q", *hooks)
	}
}

func TestWorkerHookErrorLeavesReportToLease(t *testing.T) {
	q := &fakeQueue{jobs: []*Job{{DocumentID: "d1"}}}
	w, _ := newTestWorkers(q, &fakePusher{})
	w.OnDelivered = func(context.Context, *Job) error { return errors.New("sealer down") }
	w.Step(context.Background(), "w")
	q.wantCalls(t, "succeed d1 09:00:00")
	if s := w.Stats.Snapshot(); s.HookErrors != 1 || s.Delivered != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestWorkerLostLease(t *testing.T) {
	q := &fakeQueue{jobs: []*Job{{DocumentID: "d1"}}, lost: true}
	w, hooks := newTestWorkers(q, &fakePusher{})
	w.Step(context.Background(), "w")
	if len(*hooks) != 0 {
		t.Fatalf("a hook ran for a job whose claim was lost: %q", *hooks)
	}
	if s := w.Stats.Snapshot(); s.LeaseLost != 1 || s.Delivered != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// TestWorkerStopsGracefully cancels while a push is in flight: that push is
// finished and recorded, and the jobs not started are released.
func TestWorkerStopsGracefully(t *testing.T) {
	q := &fakeQueue{jobs: []*Job{{DocumentID: "d1"}, {DocumentID: "d2"}, {DocumentID: "d3"}}}
	p := &fakePusher{block: make(chan struct{}), started: make(chan struct{}, 3)}
	w, hooks := newTestWorkers(q, p)
	w.Count = 1
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	<-p.started
	cancel()
	close(p.block)
	<-done
	q.wantCalls(t, "succeed d1 09:00:00", "reported d1", "release d2", "release d3")
	if !slices.Equal(*hooks, []string{"delivered d1"}) {
		t.Fatalf("hooks %q", *hooks)
	}
}

func TestWorkerRunStopsWhenIdle(t *testing.T) {
	q := &fakeQueue{claimErr: gateway.Errorf(gateway.EUNAVAILABLE, "down")}
	w, _ := newTestWorkers(q, &fakePusher{})
	w.Count, w.IdleMin, w.IdleMax = 3, time.Millisecond, 2*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	cancel()
	<-done
}

// TestWorkerSkipsJobsShortOfLease: a job whose lease was mostly used up by
// earlier pushes in its batch is released, not pushed, so that its push
// cannot outlive the claim.
func TestWorkerSkipsJobsShortOfLease(t *testing.T) {
	q := &fakeQueue{jobs: []*Job{
		{DocumentID: "d1", ClaimedUntil: clock0.Add(time.Minute)},
		{DocumentID: "d2", ClaimedUntil: clock0.Add(29 * time.Second)},
	}}
	p := &fakePusher{}
	w, _ := newTestWorkers(q, p)
	w.Lease = time.Minute
	w.Step(context.Background(), "w")
	q.wantCalls(t, "succeed d1 09:00:00", "reported d1", "release d2")
	if !slices.Equal(p.pushed, []string{"d1"}) {
		t.Fatalf("pushed %v", p.pushed)
	}
}
