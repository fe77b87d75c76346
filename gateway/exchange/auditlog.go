package exchange

import (
	"context"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"docgate/gateway"
	"docgate/gateway/auditlog"
)

// appendLog puts one leaf per event of a committed change into the audit
// log and records each leaf's index on its event. It runs after the commit:
// the change and its receipts stand even when the log is unreachable, and
// the failure is logged, and BackfillLog appends those events later.
//
// Appends are serialised by the log (one transaction at a time on every
// replica), so appends that arrive while one runs wait and go together in
// the next (see logQueue): under load each submission no longer pays a log
// transaction of its own. Every caller still returns with its indexes set.
func (s *Service) appendLog(ctx context.Context, doc *gateway.Document, events []*gateway.Event) {
	if s.Log == nil || len(events) == 0 {
		return
	}
	var pdf [32]byte
	if b, err := hex.DecodeString(doc.PDF.SHA256); err == nil && len(b) == 32 {
		copy(pdf[:], b)
	}
	j := &logJob{doc: doc.ID, events: events, recs: make([]auditlog.LeafRecord, len(events)), done: make(chan struct{})}
	for i, e := range events {
		to := doc.Envelope.To
		if e.Recipient != "" {
			to = []string{e.Recipient}
		}
		j.recs[i] = auditlog.LeafRecord{DocumentID: doc.ID, From: doc.Envelope.From, To: to, Event: e.Type, PDFSHA256: pdf,
			Time: e.At, EvidenceID: e.ReceiptID}
	}
	s.logq.run(j, func(jobs []*logJob) { s.appendJobs(context.WithoutCancel(ctx), jobs) })
	if j.err != nil {
		s.logger().ErrorContext(ctx, "audit log append failed; these events have no log index", "document", doc.ID, "events", len(events), "err", j.err)
		return
	}
	for i, e := range events {
		idx := int64(j.first) + int64(i)
		e.LogIndex = &idx
	}
}

// appendJobs appends the leaves of jobs in one call, each job's leaves
// together and in order, and records all their indexes in one transaction.
func (s *Service) appendJobs(ctx context.Context, jobs []*logJob) {
	var recs []auditlog.LeafRecord
	for _, j := range jobs {
		recs = append(recs, j.recs...)
	}
	first, err := s.Log.Append(ctx, recs...)
	if err != nil {
		for _, j := range jobs {
			j.err = err
		}
		return
	}
	indexes := make(map[string]int64, len(recs))
	next := first
	for _, j := range jobs {
		j.first = next
		for i, e := range j.events {
			indexes[e.ReceiptID] = int64(next) + int64(i)
		}
		next += uint64(len(j.events))
	}
	// One transaction for all of them: a statement per event was a quarter of
	// a submit's time (issue 4). The leaves are in the log already: should
	// recording their indexes fail, the backfill would append every one of
	// them again, so a passing failure (a dropped connection, a failover)
	// gets two more tries first.
	err = s.Store.SetLogIndexes(ctx, indexes)
	for _, wait := range setIndexRetries {
		if err == nil {
			break
		}
		time.Sleep(wait)
		err = s.Store.SetLogIndexes(ctx, indexes)
	}
	if err != nil {
		s.logger().ErrorContext(ctx, "record audit log indexes", "first", first, "events", len(recs), "err", err)
		for _, j := range jobs {
			j.err = fmt.Errorf("record the indexes of leaves appended at %d: %w", first, err)
		}
	}
}

// setIndexRetries are the pauses before recording a batch's log indexes
// again after a failure.
var setIndexRetries = []time.Duration{50 * time.Millisecond, 250 * time.Millisecond}

// logJob is one change's events waiting to be appended.
type logJob struct {
	doc    string
	events []*gateway.Event
	recs   []auditlog.LeafRecord
	done   chan struct{} // closed when the job is done, or when it is to lead
	lead   bool          // set before done is closed: run the next append
	first  uint64        // set with err before done is closed
	err    error
}

// logQueue groups appends: a caller that finds no append running runs one
// for everything queued by then (up to maxLogJobs); callers that arrive
// meanwhile wait. When it is done, the leader hands the next append to the
// first caller still waiting, and returns: nobody appends for more than
// one batch, so no request is held up by a steady stream of others. No
// goroutine outlives a call, and a lone caller appends at once.
type logQueue struct {
	mu      sync.Mutex
	pending []*logJob
	running bool // an append is running or handed over; false only with nothing pending
}

// maxLogJobs bounds how many jobs go into one append.
const maxLogJobs = 256

func (q *logQueue) run(j *logJob, appendJobs func([]*logJob)) {
	q.mu.Lock()
	q.pending = append(q.pending, j)
	if q.running {
		q.mu.Unlock()
		<-j.done
		if !j.lead {
			return
		}
		q.mu.Lock()
	}
	// j leads, and is in this batch: it is either the only job (nothing
	// was running, so nothing was pending) or the first one waiting.
	q.running = true
	n := min(len(q.pending), maxLogJobs)
	jobs := q.pending[:n:n]
	q.pending = q.pending[n:]
	q.mu.Unlock()
	defer func() {
		// A panic in appendJobs fails this batch, and the queue still goes
		// on: the next waiter leads.
		r := recover()
		for _, d := range jobs {
			if r != nil {
				d.err = fmt.Errorf("audit log append panicked: %v", r)
			}
			if d != j {
				close(d.done)
			}
		}
		q.mu.Lock()
		if len(q.pending) > 0 {
			q.pending[0].lead = true
			close(q.pending[0].done)
		} else {
			q.pending, q.running = nil, false
		}
		q.mu.Unlock()
		if r != nil {
			panic(r)
		}
	}()
	appendJobs(jobs)
}

// logGrace is how old an event without a log index must be before the
// backfill takes it: the normal path appends right after its commit, so an
// event still unindexed after this long lost its append.
const logGrace = 5 * time.Minute

// BackfillLog appends the events whose append failed after their commit (a
// log outage) and returns how many it appended. Claims are leased in the
// database, so replicas running it together do not append an event twice.
func (s *Service) BackfillLog(ctx context.Context) (int, error) {
	if s.Log == nil {
		return 0, nil
	}
	now := s.now()
	events, err := s.Store.ClaimUnloggedEvents(ctx, now.Add(-logGrace), now, 5*time.Minute, 500)
	if err != nil || len(events) == 0 {
		return 0, err
	}
	byDoc := map[string][]*gateway.Event{}
	var order []string
	for _, e := range events {
		if byDoc[e.DocumentID] == nil {
			order = append(order, e.DocumentID)
		}
		byDoc[e.DocumentID] = append(byDoc[e.DocumentID], e)
	}
	n := 0
	for _, id := range order {
		doc, err := s.Store.Document(ctx, id)
		if err != nil {
			return n, err
		}
		s.appendLog(ctx, doc, byDoc[id])
		for _, e := range byDoc[id] {
			if e.LogIndex != nil {
				n++
			}
		}
	}
	return n, nil
}

// RunLogBackfill calls BackfillLog every interval until ctx ends.
func (s *Service) RunLogBackfill(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.BackfillLog(ctx); n > 0 || err != nil {
				s.logger().Info("audit log backfill", "appended", n, "err", err)
			}
		}
	}
}
