package exchange

import (
	"context"
	"encoding/hex"

	"docgate/gateway"
	"docgate/gateway/auditlog"
)

// appendLog puts one leaf per event of a committed change into the audit
// log and records each leaf's index on its event. It runs after the commit:
// the change and its receipts stand even when the log is unreachable, and
// the failure is logged with what was not appended (a backfill of events
// without a log index is not built yet).
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
	for i, e := range events {
		idx := int64(first) + int64(i)
		if err := s.Store.SetLogIndex(context.WithoutCancel(ctx), e.ReceiptID, idx); err != nil {
			s.logger().ErrorContext(ctx, "record audit log index", "document", doc.ID, "receipt", e.ReceiptID, "index", idx, "err", err)
			continue
		}
		e.LogIndex = &idx
	}
}
