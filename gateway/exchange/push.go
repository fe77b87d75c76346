package exchange

import (
	"context"
	"strings"

	"docgate/gateway"
)

// pushedNote marks the ContentConsignment of a push, beside the one issued
// when the document entered the inbox.
const pushedNote = "pushed to the recipient's webhook"

// RecordPushed issues the ContentConsignment receipt of a push the
// recipient's webhook accepted. It is idempotent, as push delivery's hooks
// must be: a second call for the same delivery records nothing.
func (s *Service) RecordPushed(ctx context.Context, documentID, recipient string) error {
	return s.recordPush(ctx, documentID, recipient, gateway.EventContentConsignment, pushedNote, nil)
}

// RecordPushFailed issues the ContentConsignmentFailure receipt for the
// sender after the last push attempt failed, with the reason. Idempotent.
func (s *Service) RecordPushFailed(ctx context.Context, documentID, recipient, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		reason = "the recipient's webhook did not accept the push"
	}
	return s.recordPush(ctx, documentID, recipient, gateway.EventContentConsignmentFailure, reason, []string{reason})
}

func (s *Service) recordPush(ctx context.Context, documentID, recipient, event, note string, reasons []string) error {
	var logged *loggedChange
	err := s.Store.UpdateDocument(ctx, documentID, func(snap *gateway.DocumentSnapshot) (*gateway.DocumentChange, error) {
		if delivery(snap, recipient) == nil {
			return nil, gateway.Errorf(gateway.ENOTFOUND, "%s is not a recipient of document %s", recipient, documentID)
		}
		// The document's row is locked, so a concurrent call for the same
		// outcome waits here and then finds this one's event.
		events, err := s.Store.Trail(ctx, documentID)
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			if e.Type == event && e.Recipient == recipient && (event != gateway.EventContentConsignment || e.Note == pushedNote) {
				return nil, nil
			}
		}
		r, err := s.record(ctx, snap.Document, &stepInfo{event: event, actor: "gateway", recipient: recipient, note: note,
			reasons: reasons, at: s.now(), previous: snap.LastReceiptID})
		if err != nil {
			return nil, err
		}
		logged = &loggedChange{doc: snap.Document, events: []*gateway.Event{r.event}}
		return &gateway.DocumentChange{Events: []*gateway.Event{r.event}, Receipts: []*gateway.Receipt{r.receipt}}, nil
	})
	if err == nil {
		s.appendLogged(ctx, logged)
	}
	return err
}
