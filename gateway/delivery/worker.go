package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"docgate/gateway"
)

// Stats counts what the workers did since they started; the server exports
// it as metrics. Safe for concurrent use.
type Stats struct {
	Delivered atomic.Int64 // pushes a webhook accepted
	Retried   atomic.Int64 // failed attempts that will be retried
	Failed    atomic.Int64 // pushes that failed for good
	LeaseLost atomic.Int64 // jobs whose claim expired under a slow worker
	HookErrs  atomic.Int64 // OnDelivered/OnFailed errors (retried after the lease)
}

// StatsSnapshot is Stats read at one moment.
type StatsSnapshot struct {
	Delivered, Retried, Failed, LeaseLost, HookErrors int64
}

// Snapshot reads the counters.
func (s *Stats) Snapshot() StatsSnapshot {
	return StatsSnapshot{Delivered: s.Delivered.Load(), Retried: s.Retried.Load(), Failed: s.Failed.Load(),
		LeaseLost: s.LeaseLost.Load(), HookErrors: s.HookErrs.Load()}
}

// pusher sends one push; *Client is the real one.
type pusher interface {
	Push(ctx context.Context, job *Job, at time.Time) error
}

// Workers push due jobs. Set the fields, then call Run; Queue and Pusher are
// required.
type Workers struct {
	Queue  Queue
	Pusher pusher
	// Count is the number of worker goroutines (default 4).
	Count int
	// Batch is how many jobs a worker claims at once (default 8).
	Batch int
	// Lease is how long a claim holds a job (default 2 min). Half of it
	// must exceed a push's timeout: a job is only pushed with half its
	// lease left, so a push never outlives its claim and no other replica
	// pushes it meanwhile.
	Lease   time.Duration
	Backoff Backoff
	// IdleMin and IdleMax bound the wait between polls of an empty queue:
	// it doubles from IdleMin to IdleMax while there is nothing to do, and
	// falls back to IdleMin as soon as there is (defaults 0.5 s and 5 s:
	// an idle poll is one indexed query, and a push should follow its
	// document within seconds).
	IdleMin, IdleMax time.Duration
	// Name tells replicas apart in claims and logs (default host name and
	// process id).
	Name string
	// OnDelivered is called after a webhook accepted a push, OnFailed
	// after the last attempt failed, with the last reason. An error is
	// retried (after the lease) until the hook succeeds, so hooks must be
	// idempotent: the exchange issues the ContentConsignment or
	// ContentConsignmentFailure receipt here, once.
	OnDelivered func(ctx context.Context, job *Job) error
	OnFailed    func(ctx context.Context, job *Job, reason string) error
	// Now and Rand are the clock and the jitter source (uniform in [0, 1));
	// tests inject them.
	Now    func() time.Time
	Rand   func() float64
	Logger *slog.Logger
	Stats  Stats
}

func (w *Workers) now() time.Time {
	if w.Now != nil {
		return w.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

func (w *Workers) rand() float64 {
	if w.Rand != nil {
		return w.Rand()
	}
	return mrand.Float64()
}

func (w *Workers) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Logger
}

func (w *Workers) lease() time.Duration {
	if w.Lease <= 0 {
		return 2 * time.Minute
	}
	return w.Lease
}

func (w *Workers) name() string {
	if w.Name != "" {
		return w.Name
	}
	h, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", h, os.Getpid())
}

// Run starts the workers and returns when ctx ends and every worker has
// finished its push in flight and given back the jobs it had claimed but not
// started.
func (w *Workers) Run(ctx context.Context) {
	n := w.Count
	if n <= 0 {
		n = 4
	}
	base := w.name()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { w.loop(ctx, fmt.Sprintf("%s#%d", base, i)) })
	}
	wg.Wait()
}

func (w *Workers) loop(ctx context.Context, worker string) {
	idleMin, idleMax := w.IdleMin, w.IdleMax
	if idleMin <= 0 {
		idleMin = 500 * time.Millisecond
	}
	if idleMax <= 0 {
		idleMax = 5 * time.Second
	}
	idleMax = max(idleMax, idleMin)
	idle := idleMin
	for ctx.Err() == nil {
		n, err := w.Step(ctx, worker)
		if err != nil && ctx.Err() == nil {
			w.logger().Warn("push delivery: claim jobs", "worker", worker, "err", err)
		}
		if n > 0 && err == nil {
			idle = idleMin
			continue
		}
		// Jitter the idle wait too, so that replicas started together do
		// not poll in step.
		t := time.NewTimer(idle/2 + time.Duration(w.rand()*float64(idle/2)))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		idle = min(idle*2, idleMax)
	}
}

// Step claims up to Batch jobs for worker and works them one after another;
// it returns how many it claimed. When ctx ends it finishes the job in hand
// and releases the rest.
func (w *Workers) Step(ctx context.Context, worker string) (int, error) {
	batch := w.Batch
	if batch <= 0 {
		batch = 8
	}
	jobs, err := w.Queue.Claim(ctx, worker, w.now(), batch, w.lease())
	if err != nil {
		return 0, err
	}
	for i, job := range jobs {
		if ctx.Err() != nil {
			w.release(jobs[i:])
			break
		}
		// Slow pushes earlier in the batch may have eaten this job's lease;
		// with less than half of it left, a push could outlive the claim
		// and another replica could push it too. Give it back instead.
		if !job.ClaimedUntil.IsZero() && w.now().After(job.ClaimedUntil.Add(-w.lease()/2)) {
			w.release([]*Job{job})
			continue
		}
		w.work(ctx, job)
	}
	return len(jobs), nil
}

// release gives unstarted jobs back (on shutdown, or with too little lease
// left), so that another worker need not wait for their leases to expire.
func (w *Workers) release(jobs []*Job) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, j := range jobs {
		if err := w.Queue.Release(ctx, j); err != nil {
			w.logger().Warn("push delivery: release job", "delivery", j.DeliveryID(), "err", err)
		}
	}
}

// work pushes one job and records the result. Once a push has started it is
// finished and recorded even if ctx ends meanwhile: stopping half-way would
// leave a push the receiver saw but the gateway did not record.
func (w *Workers) work(ctx context.Context, job *Job) {
	ctx = context.WithoutCancel(ctx)
	log := w.logger().With("delivery", job.DeliveryID(), "attempt", job.Attempts+1)
	if job.Outcome == OutcomeNone {
		at := w.now()
		perr := w.Pusher.Push(ctx, job, at)
		at = w.now()
		if perr == nil {
			if err := w.Queue.Succeed(ctx, job, at); err != nil {
				w.lost(log, "record delivered push", err)
				return
			}
			w.Stats.Delivered.Add(1)
			log.Info("document pushed to recipient")
			job.Outcome = OutcomeDelivered
		} else {
			reason := perr.Error()
			job.LastError = reason
			delay, again := w.Backoff.Delay(job.Attempts+1, w.rand())
			var next time.Time
			if again {
				next = at.Add(delay)
				if delay <= 0 {
					// A zero next means "final" to the queue.
					next = at.Add(time.Microsecond)
				}
			}
			if err := w.Queue.Fail(ctx, job, reason, at, next); err != nil {
				w.lost(log, "record failed push", err)
				return
			}
			if again {
				w.Stats.Retried.Add(1)
				log.Info("push failed; will retry", "reason", reason, "err", errors.Unwrap(perr), "next", next)
				return
			}
			w.Stats.Failed.Add(1)
			log.Warn("push failed for good; the document stays in the recipient's inbox", "reason", reason, "err", errors.Unwrap(perr))
			job.Outcome = OutcomeFailed
		}
	}
	w.report(ctx, log, job)
}

// report runs the hook for a recorded outcome, then marks it reported. A
// hook error leaves the claim to expire, so the report is retried after the
// lease without a busy loop.
func (w *Workers) report(ctx context.Context, log *slog.Logger, job *Job) {
	var err error
	switch job.Outcome {
	case OutcomeDelivered:
		if w.OnDelivered != nil {
			err = w.OnDelivered(ctx, job)
		}
	case OutcomeFailed:
		if w.OnFailed != nil {
			err = w.OnFailed(ctx, job, job.LastError)
		}
	}
	if err != nil {
		w.Stats.HookErrs.Add(1)
		log.Warn("push delivery: report outcome; retrying after the lease", "outcome", job.Outcome, "err", err)
		return
	}
	if err := w.Queue.Reported(ctx, job); err != nil {
		w.lost(log, "mark outcome reported", err)
	}
}

func (w *Workers) lost(log *slog.Logger, what string, err error) {
	if gateway.ErrorCode(err) == gateway.ECONFLICT {
		w.Stats.LeaseLost.Add(1)
		log.Warn("push delivery: the job's lease expired before it was recorded; another worker has it", "step", what)
		return
	}
	log.Warn("push delivery: "+what, "err", err)
}
