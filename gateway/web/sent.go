package web

import (
	"net/http"
	"time"

	"docgate/gateway"
)

// sentRow is one document of the sent box, in words, with where it stands
// with each recipient.
type sentRow struct {
	ID         string
	Number     string
	Subject    string
	Sent       string
	Due        string
	Overdue    bool
	Recalled   bool
	Recipients []sentRecipient
}

// sentRecipient is one delivery of a sent document.
type sentRecipient struct {
	Code   string
	State  string
	Status string
	Class  string // ok when done, bad when rejected or failed, else none
}

// deliveryClass colours a recipient's delivery in the sent box.
func deliveryClass(d *gateway.Delivery) string {
	switch {
	case d.Status == gateway.StatusDone:
		return "ok"
	case d.Status == gateway.StatusRejected || d.State == gateway.DeliveryFailed:
		return "bad"
	}
	return ""
}

func (p *Pages) handleSent(w http.ResponseWriter, r *http.Request, pg *page) {
	pg.Title = pg.T("sent.title")
	before, err := readBefore(r)
	if err != nil {
		p.useCaseError(w, r, pg, err)
		return
	}
	search := readSearch(r)
	now := time.Now()
	items, err := p.Exchange.Sent(r.Context(), gateway.SentFilter{Before: before, Limit: inboxPageSize, To: search.From, DocumentSearch: search.filter(now)})
	if err != nil {
		p.useCaseError(w, r, pg, err)
		return
	}
	pg.Search = &search
	pg.Sent = []sentRow{}
	for _, it := range items {
		d := it.Document
		row := sentRow{ID: d.ID, Number: number(d.Envelope), Subject: d.Envelope.Subject, Sent: shortTime(d.SubmittedAt),
			Recalled: d.State == gateway.DocumentRecalled}
		open := false
		for _, l := range it.Deliveries {
			rc := sentRecipient{Code: l.Recipient, State: lookupOr(pg, "delivery."+string(l.State), string(l.State)), Class: deliveryClass(l)}
			if l.Status != "" {
				rc.Status = lookupOr(pg, "status."+string(l.Status), string(l.Status))
			}
			open = open || (l.Status != gateway.StatusDone && l.Status != gateway.StatusRejected && l.State != gateway.DeliveryRecalled)
			row.Recipients = append(row.Recipients, rc)
		}
		if due := d.Envelope.DueDate; due != nil {
			row.Due = due.In(vietnam).Format("02/01/2006")
			row.Overdue = open && !row.Recalled && due.Before(now)
		}
		pg.Sent = append(pg.Sent, row)
	}
	if len(items) == inboxPageSize {
		pg.Older = search.olderLink("/sent", items[len(items)-1].Cursor)
	}
	p.render(w, r, http.StatusOK, "sent.html", pg)
}
