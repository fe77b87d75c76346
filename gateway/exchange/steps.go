package exchange

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"docgate/gateway"
	"docgate/gateway/evidence"
)

// Acknowledge records that the calling recipient retrieved the document: the
// delivery leaves its inbox and the sender gets a ContentHandover receipt.
// Acknowledging twice returns the first receipt.
func (s *Service) Acknowledge(ctx context.Context, id string) (*gateway.Receipt, error) {
	p, err := asAgency(ctx)
	if err != nil {
		return nil, err
	}
	var out *gateway.Receipt
	var logged *loggedChange
	err = s.Store.UpdateDocument(ctx, id, func(snap *gateway.DocumentSnapshot) (*gateway.DocumentChange, error) {
		d := delivery(snap, p.AgencyCode)
		if d == nil {
			return nil, notFound(id)
		}
		switch d.State {
		case gateway.DeliveryRecalled:
			return nil, gateway.Errorf(gateway.ECONFLICT, "document %s was recalled by its sender", id)
		case gateway.DeliveryAcknowledged:
			return nil, nil
		}
		at := s.now()
		r, err := s.record(ctx, snap.Document, &stepInfo{event: gateway.EventContentHandover, actor: p.AgencyCode,
			recipient: p.AgencyCode, at: at, previous: snap.LastReceiptID})
		if err != nil {
			return nil, err
		}
		nd := *d
		nd.State, nd.AcknowledgedAt, nd.UpdatedAt = gateway.DeliveryAcknowledged, &at, at
		out, logged = r.receipt, &loggedChange{doc: snap.Document, events: []*gateway.Event{r.event}}
		return &gateway.DocumentChange{Deliveries: []*gateway.Delivery{&nd}, Events: []*gateway.Event{r.event}, Receipts: []*gateway.Receipt{r.receipt}}, nil
	})
	if gateway.ErrorCode(err) == gateway.ENOTFOUND {
		return nil, notFound(id)
	} else if err != nil {
		return nil, err
	}
	s.appendLogged(ctx, logged)
	if out == nil {
		return s.lastReceipt(ctx, id, gateway.EventContentHandover, p.AgencyCode)
	}
	return out, nil
}

func (s *Service) lastReceipt(ctx context.Context, id, event, recipient string) (*gateway.Receipt, error) {
	events, err := s.Store.Trail(ctx, id)
	if err != nil {
		return nil, err
	}
	for i := len(events) - 1; i >= 0; i-- {
		if e := events[i]; e.Type == event && e.Recipient == recipient && e.ReceiptID != "" {
			return s.Store.Receipt(ctx, id, e.ReceiptID)
		}
	}
	return nil, notFound(id)
}

func delivery(snap *gateway.DocumentSnapshot, recipient string) *gateway.Delivery {
	for _, d := range snap.Deliveries {
		if d.Recipient == recipient {
			return d
		}
	}
	return nil
}

// statusEvent names the evidence of a processing status.
func statusEvent(st gateway.ProcessingStatus) string {
	switch st {
	case gateway.StatusAccepted:
		return gateway.EventConsignmentAcceptance
	case gateway.StatusRejected:
		return gateway.EventConsignmentRejection
	}
	return gateway.EventStatus
}

// ReportStatus records the calling recipient's processing status (edXML
// status codes 01..06) under the rules of gateway.ValidTransition; the check
// and the write happen with the delivery locked, so concurrent reports take
// turns. A rejection needs a reason (note).
func (s *Service) ReportStatus(ctx context.Context, id string, st gateway.ProcessingStatus, note string) (*gateway.Receipt, error) {
	p, err := asAgency(ctx)
	if err != nil {
		return nil, err
	}
	note = strings.TrimSpace(note)
	if err := gateway.CheckText("note", note, 2000); err != nil {
		return nil, err
	}
	var out *gateway.Receipt
	var logged *loggedChange
	err = s.Store.UpdateDocument(ctx, id, func(snap *gateway.DocumentSnapshot) (*gateway.DocumentChange, error) {
		d := delivery(snap, p.AgencyCode)
		if d == nil {
			return nil, notFound(id)
		}
		if d.State == gateway.DeliveryRecalled || snap.Document.State == gateway.DocumentRecalled {
			return nil, gateway.Errorf(gateway.ECONFLICT, "document %s was recalled by its sender; no status can be reported", id)
		}
		if err := gateway.ValidTransition(d.Status, st, note); err != nil {
			return nil, err
		}
		at := s.now()
		info := &stepInfo{event: statusEvent(st), actor: p.AgencyCode, recipient: p.AgencyCode, status: st, note: note, at: at, previous: snap.LastReceiptID}
		if st == gateway.StatusRejected {
			info.reasons = []string{note}
		}
		r, err := s.record(ctx, snap.Document, info)
		if err != nil {
			return nil, err
		}
		nd := *d
		nd.Status, nd.UpdatedAt = st, at
		out, logged = r.receipt, &loggedChange{doc: snap.Document, events: []*gateway.Event{r.event}}
		return &gateway.DocumentChange{Deliveries: []*gateway.Delivery{&nd}, Events: []*gateway.Event{r.event}, Receipts: []*gateway.Receipt{r.receipt}}, nil
	})
	if gateway.ErrorCode(err) == gateway.ENOTFOUND {
		return nil, notFound(id)
	} else if err != nil {
		return nil, err
	}
	s.appendLogged(ctx, logged)
	return out, nil
}

// processed are the statuses after which a document can no longer be
// recalled: the recipient has taken it into its register.
var processed = map[gateway.ProcessingStatus]bool{
	gateway.StatusAccepted: true, gateway.StatusAssigned: true, gateway.StatusProcessing: true, gateway.StatusDone: true,
}

// Recall takes a document back: only its sender may, and only while no
// recipient has accepted it. It leaves every inbox; recipients still see it,
// recalled, in its trail.
func (s *Service) Recall(ctx context.Context, id, reason string) (*gateway.Receipt, error) {
	p, err := asAgency(ctx)
	if err != nil {
		return nil, err
	}
	if err := gateway.CheckText("reason", strings.TrimSpace(reason), 2000); err != nil {
		return nil, err
	}
	var out *gateway.Receipt
	var logged *loggedChange
	err = s.Store.UpdateDocument(ctx, id, func(snap *gateway.DocumentSnapshot) (*gateway.DocumentChange, error) {
		doc := snap.Document
		if doc.Envelope.From != p.AgencyCode {
			if delivery(snap, p.AgencyCode) != nil {
				return nil, gateway.Errorf(gateway.EFORBIDDEN, "only the sender %s can recall document %s", doc.Envelope.From, id)
			}
			return nil, notFound(id)
		}
		if doc.State == gateway.DocumentRecalled {
			return nil, gateway.Errorf(gateway.ECONFLICT, "document %s is recalled already", id)
		}
		for _, d := range snap.Deliveries {
			if processed[d.Status] {
				return nil, gateway.Errorf(gateway.ECONFLICT, "document %s cannot be recalled: %s has %s it", id, d.Recipient, d.Status)
			}
		}
		at := s.now()
		r, err := s.record(ctx, doc, &stepInfo{event: gateway.EventRecall, actor: p.AgencyCode, note: strings.TrimSpace(reason),
			at: at, previous: snap.LastReceiptID, reasons: nonEmpty(reason)})
		if err != nil {
			return nil, err
		}
		ch := &gateway.DocumentChange{State: gateway.DocumentRecalled, Events: []*gateway.Event{r.event}, Receipts: []*gateway.Receipt{r.receipt}}
		for _, d := range snap.Deliveries {
			nd := *d
			nd.State, nd.UpdatedAt = gateway.DeliveryRecalled, at
			ch.Deliveries = append(ch.Deliveries, &nd)
		}
		out, logged = r.receipt, &loggedChange{doc: doc, events: ch.Events}
		return ch, nil
	})
	if gateway.ErrorCode(err) == gateway.ENOTFOUND {
		return nil, notFound(id)
	} else if err != nil {
		return nil, err
	}
	s.appendLogged(ctx, logged)
	return out, nil
}

func nonEmpty(s string) []string {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	return []string{s}
}

// RestampPending adds the missing timestamp to receipts signed during a TSA
// outage and returns how many it completed. It stops when the TSA still
// does not answer (the next run tries again); a receipt that cannot take a
// timestamp for a reason of its own is left pending and reported, and the
// others go on.
func (s *Service) RestampPending(ctx context.Context) (int, error) {
	rs, err := s.Store.ReceiptsPendingTimestamp(ctx, 100)
	if err != nil {
		return 0, err
	}
	n := 0
	var failed []error
	for _, r := range rs {
		der, err := s.Sealer.Restamp(ctx, r.CMS)
		if errors.Is(err, evidence.ErrNoTimestamp) {
			return n, errors.Join(append(failed, err)...)
		} else if err != nil {
			failed = append(failed, fmt.Errorf("receipt %s of document %s: %w", r.ID, r.DocumentID, err))
			continue
		}
		if err := s.Store.SetReceiptCMS(ctx, r.ID, der); err != nil {
			return n, err
		}
		n++
	}
	return n, errors.Join(failed...)
}

// RunRestamper calls RestampPending every interval until ctx ends, so that
// the gateway recovers from a TSA outage by itself.
func (s *Service) RunRestamper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := s.RestampPending(ctx)
			if n > 0 {
				s.logger().Info("receipts timestamped after an outage", "count", n)
			}
			if err != nil && ctx.Err() == nil {
				s.logger().Warn("receipts still wait for their timestamp", "err", err)
			}
		}
	}
}

// loggedChange is what an update committed, for the audit log.
type loggedChange struct {
	doc    *gateway.Document
	events []*gateway.Event
}

func (s *Service) appendLogged(ctx context.Context, c *loggedChange) {
	if c != nil {
		s.appendLog(ctx, c.doc, c.events)
	}
}
