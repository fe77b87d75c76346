package exchange

import (
	"context"

	"docgate/gateway"
)

// Sent lists the documents the calling agency sent, newest first, each with
// every recipient's delivery, narrowed by f's search. EINVALID, EFORBIDDEN
// for a principal that is not an agency.
func (s *Service) Sent(ctx context.Context, f gateway.SentFilter) ([]*gateway.SentItem, error) {
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
	items, err := s.Store.Sent(ctx, p.AgencyCode, f)
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []*gateway.SentItem{}
	}
	return items, nil
}
