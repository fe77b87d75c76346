package exchange

import (
	"context"
	"fmt"
	"io"

	"docgate/gateway"
)

// Inbox lists what waits for the calling agency (with f.All everything it
// received), newest first, narrowed by f's search. EINVALID.
func (s *Service) Inbox(ctx context.Context, f gateway.InboxFilter) ([]*gateway.InboxItem, error) {
	p, err := asAgency(ctx)
	if err != nil {
		return nil, err
	}
	if f.Limit < 0 || f.Limit > 1000 {
		return nil, gateway.Errorf(gateway.EINVALID, "limit must be from 1 to 1000")
	}
	if err := f.DocumentSearch.Validate(); err != nil {
		return nil, err
	}
	items, err := s.Store.Inbox(ctx, p.AgencyCode, f)
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []*gateway.InboxItem{}
	}
	return items, nil
}

// DocumentView is a document as its reader may see it: recipients see their
// own delivery, the sender and auditors all of them.
type DocumentView struct {
	*gateway.Document
	Deliveries []*gateway.Delivery `json:"deliveries"`
}

// Document returns a document with its verification report. ENOTFOUND for
// anyone but its sender, its recipients and auditors.
func (s *Service) Document(ctx context.Context, id string) (*DocumentView, error) {
	v, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &DocumentView{Document: v.doc, Deliveries: v.deliveries}
	if !v.sender && v.recipient != nil {
		out.Deliveries = []*gateway.Delivery{v.recipient}
	}
	return out, nil
}

// contentWithheld refuses (ECONFLICT) a recipient the content of a document
// its sender recalled; the sender and auditors still get it. Every way out
// of the document's bytes (Open, EdXML) asks it.
func (v *view) contentWithheld() error {
	if v.doc.State == gateway.DocumentRecalled && !v.sender && v.principal.Role != gateway.RoleAuditor {
		return gateway.Errorf(gateway.ECONFLICT, "document %s was recalled by its sender", v.doc.ID)
	}
	return nil
}

// Open streams a part of a document: n = -1 is the PDF, 0.. the
// attachments. The reader fails with EINTEGRITY at the end when the stored
// bytes no longer match the digest recorded at submission.
func (s *Service) Open(ctx context.Context, id string, n int) (io.ReadCloser, gateway.Part, error) {
	v, err := s.load(ctx, id)
	if err != nil {
		return nil, gateway.Part{}, err
	}
	if err := v.contentWithheld(); err != nil {
		return nil, gateway.Part{}, err
	}
	part := v.doc.PDF
	if n >= 0 {
		if n >= len(v.doc.Attachments) {
			return nil, gateway.Part{}, gateway.Errorf(gateway.ENOTFOUND, "document %s has %d attachments (numbered from 0); there is no %d", id, len(v.doc.Attachments), n)
		}
		part = v.doc.Attachments[n]
	}
	rc, info, err := s.Blobs.Get(ctx, part.SHA256)
	if err != nil {
		if gateway.ErrorCode(err) == gateway.ENOTFOUND {
			return nil, part, fmt.Errorf("blob %s of document %s is missing: %w", part.SHA256, id, gateway.Errorf(gateway.EINTEGRITY, "the stored bytes of this document are missing"))
		}
		return nil, part, err
	}
	if info.Size != part.Size {
		rc.Close()
		return nil, part, gateway.Errorf(gateway.EINTEGRITY, "the stored bytes of document %s do not match their recorded size", id)
	}
	return rc, part, nil
}

// TrailEntry is one event with its receipt's metadata.
type TrailEntry struct {
	*gateway.Event
	Receipt *gateway.Receipt `json:"receipt,omitempty"`
}

// Trail lists a document's events and receipts in order.
func (s *Service) Trail(ctx context.Context, id string) ([]*TrailEntry, error) {
	if _, err := s.load(ctx, id); err != nil {
		return nil, err
	}
	events, err := s.Store.Trail(ctx, id)
	if err != nil {
		return nil, err
	}
	rs, err := s.Store.Receipts(ctx, id)
	if err != nil {
		return nil, err
	}
	byID := map[string]*gateway.Receipt{}
	for _, r := range rs {
		byID[r.ID] = r
	}
	out := []*TrailEntry{}
	for _, e := range events {
		out = append(out, &TrailEntry{Event: e, Receipt: byID[e.ReceiptID]})
	}
	return out, nil
}

// Receipts lists a document's receipts (with their DER).
func (s *Service) Receipts(ctx context.Context, id string) ([]*gateway.Receipt, error) {
	if _, err := s.load(ctx, id); err != nil {
		return nil, err
	}
	rs, err := s.Store.Receipts(ctx, id)
	if rs == nil && err == nil {
		rs = []*gateway.Receipt{}
	}
	return rs, err
}

// Receipt returns one receipt of a document.
func (s *Service) Receipt(ctx context.Context, id, rid string) (*gateway.Receipt, error) {
	if _, err := s.load(ctx, id); err != nil {
		return nil, err
	}
	return s.Store.Receipt(ctx, id, rid)
}
