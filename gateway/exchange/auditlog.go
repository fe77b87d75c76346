package exchange

import (
	"context"
	"encoding/hex"
	"time"

	"docgate/gateway"
	"docgate/gateway/auditlog"
)

// appendLog puts one leaf per event of a committed change into the audit
// log and records each leaf's index on its event. It runs after the commit:
// the change and its receipts stand even when the log is unreachable, and
// the failure is logged, and BackfillLog appends those events later.
func (s *Service) appendLog(ctx context.Context, doc *gateway.Document, events []*gateway.Event) {
	if s.Log == nil || len(events) == 0 {
		return
	}
	var pdf [32]byte
	if b, err := hex.DecodeString(doc.PDF.SHA256); err == nil && len(b) == 32 {
		copy(pdf[:], b)
	}
	recs := make([]auditlog.LeafRecord, len(events))
	for i, e := range events {
		to := doc.Envelope.To
		if e.Recipient != "" {
			to = []string{e.Recipient}
		}
		recs[i] = auditlog.LeafRecord{DocumentID: doc.ID, From: doc.Envelope.From, To: to, Event: e.Type, PDFSHA256: pdf,
			Time: e.At, EvidenceID: e.ReceiptID}
	}
	first, err := s.Log.Append(context.WithoutCancel(ctx), recs...)
	if err != nil {
		s.logger().ErrorContext(ctx, "audit log append failed; these events have no log index", "document", doc.ID, "events", len(events), "err", err)
		return
	}
	indexes := make(map[string]int64, len(events))
	for i, e := range events {
		indexes[e.ReceiptID] = int64(first) + int64(i)
	}
	// One transaction for all of them: a statement per event was a quarter of
	// a submit's time (issue 4).
	if err := s.Store.SetLogIndexes(context.WithoutCancel(ctx), indexes); err != nil {
		s.logger().ErrorContext(ctx, "record audit log indexes", "document", doc.ID, "first", first, "events", len(events), "err", err)
		return
	}
	for _, e := range events {
		idx := indexes[e.ReceiptID]
		e.LogIndex = &idx
	}
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
