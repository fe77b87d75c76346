package sqlite

import (
	"context"
	"fmt"
	"strings"

	"docgate/gateway"
)

// Search in SQLite
//
// The inbox and the sent box walk an index on (agency, seq) newest first and
// stop at the page's limit, so a search reads at most one agency's rows, and
// usually far fewer. Free text has no index: each word is looked for with
// instr() in lower() of the subject and the number/notation. SQLite's lower()
// folds ASCII letters only, so a query matches "Công Văn" as "công văn" but
// "ĐÔ" only as typed (the query gets the same ASCII-only folding, so that an
// exact substring always matches).

// searchText is the text a word of DocumentSearch.Q is looked for in.
const searchText = `lower(coalesce(json_extract(d.envelope, '$.number'), '') || '/' || coalesce(json_extract(d.envelope, '$.notation'), '') || ' ' || coalesce(json_extract(d.envelope, '$.subject'), ''))`

// dueDate is a document's due date as a Julian day number, NULL without one.
const dueDate = `julianday(json_extract(d.envelope, '$.dueDate'))`

// openDelivery holds for a delivery l whose recipient has not finished with
// the document and still may.
const openDelivery = `l.status NOT IN ('done', 'rejected') AND l.state <> 'recalled'`

type conds struct {
	where []string
	args  []any
}

func (c *conds) add(cond string, args ...any) {
	c.where = append(c.where, cond)
	c.args = append(c.args, args...)
}

func (c *conds) String() string { return strings.Join(c.where, " AND ") }

// documentConds adds the document-level part of a search on documents d.
func documentConds(c *conds, s *gateway.DocumentSearch) {
	for _, w := range s.Words() {
		c.add(`instr(`+searchText+`, ?) > 0`, lowerASCII(w))
	}
	if !s.Since.IsZero() {
		c.add(`d.submitted_at >= ?`, formatTime(s.Since))
	}
	if !s.Until.IsZero() {
		c.add(`d.submitted_at < ?`, formatTime(s.Until))
	}
	if !s.OverdueAt.IsZero() {
		c.add(dueDate+` < julianday(?) AND d.state <> 'recalled'`, formatTime(s.OverdueAt))
	}
}

// deliveryConds adds the delivery-level part of a search on deliveries l.
func deliveryConds(c *conds, s *gateway.DocumentSearch) {
	if s.Status == gateway.StatusNone {
		c.add(`l.status = ''`)
	} else if s.Status != "" {
		c.add(`l.status = ?`, string(s.Status))
	}
	if s.State != "" {
		c.add(`l.state = ?`, string(s.State))
	}
	if !s.OverdueAt.IsZero() {
		c.add(openDelivery)
	}
}

// lowerASCII folds the query the way SQLite's lower() folds the column.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// prefix is a LIKE pattern for codes starting with p.
func prefix(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(p) + "%"
}

func pageLimit(n int) int {
	if n <= 0 {
		return defaultInboxLimit
	}
	return min(n, maxInboxLimit)
}

// Inbox lists what waits for a recipient, or with f.All everything it
// received, newest first.
func (s *Store) Inbox(ctx context.Context, recipient string, f gateway.InboxFilter) ([]*gateway.InboxItem, error) {
	var c conds
	c.add(`l.recipient = ?`, recipient)
	if !f.All && f.Status == "" && f.State == "" {
		c.add(`l.state NOT IN ('acknowledged', 'recalled') AND d.state <> 'recalled'`)
	}
	if f.Before > 0 {
		c.add(`l.seq < ?`, f.Before)
	}
	if f.From != "" {
		c.add(`d.from_code LIKE ? ESCAPE '\'`, prefix(f.From))
	}
	documentConds(&c, &f.DocumentSearch)
	deliveryConds(&c, &f.DocumentSearch)
	rows, err := s.read.QueryContext(ctx, `SELECT l.seq, l.document_id, l.recipient, l.state, l.status, l.attempts, l.next_attempt_at,
		l.last_error, l.acknowledged_at, l.updated_at, d.id, d.envelope, d.pdf, d.attachments, d.verification, d.state, d.submitted_at
		FROM deliveries l JOIN documents d ON d.id = l.document_id
		WHERE `+c.String()+` ORDER BY l.seq DESC LIMIT ?`, append(c.args, pageLimit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("inbox of %s: %w", recipient, translate(err))
	}
	defer rows.Close()
	var out []*gateway.InboxItem
	for rows.Next() {
		var rd rawDelivery
		var rdoc rawDocument
		if err := rows.Scan(append(rd.dest(), rdoc.dest()...)...); err != nil {
			return nil, fmt.Errorf("inbox of %s: %w", recipient, err)
		}
		it := gateway.InboxItem{Cursor: rd.seq}
		var err error
		if it.Delivery, err = rd.decode(); err != nil {
			return nil, err
		}
		if it.Document, err = rdoc.decode(); err != nil {
			return nil, err
		}
		out = append(out, &it)
	}
	return out, rows.Err()
}

// Sent lists a sender's documents newest first, each with its deliveries.
func (s *Store) Sent(ctx context.Context, sender string, f gateway.SentFilter) ([]*gateway.SentItem, error) {
	var c conds
	c.add(`d.from_code = ?`, sender)
	if f.Before > 0 {
		c.add(`d.seq < ?`, f.Before)
	}
	documentConds(&c, &f.DocumentSearch)
	// The delivery conditions hold for one and the same delivery.
	var dc conds
	dc.add(`l.document_id = d.id`)
	if f.To != "" {
		dc.add(`l.recipient LIKE ? ESCAPE '\'`, prefix(f.To))
	}
	deliveryConds(&dc, &f.DocumentSearch)
	if len(dc.where) > 1 {
		c.add(`EXISTS (SELECT 1 FROM deliveries l WHERE `+dc.String()+`)`, dc.args...)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT d.seq, d.id, d.envelope, d.pdf, d.attachments, d.verification, d.state, d.submitted_at
		FROM documents d
		WHERE `+c.String()+` ORDER BY d.seq DESC LIMIT ?`, append(c.args, pageLimit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("sent box of %s: %w", sender, translate(err))
	}
	defer rows.Close()
	var out []*gateway.SentItem
	byID := map[string]*gateway.SentItem{}
	for rows.Next() {
		var rdoc rawDocument
		it := gateway.SentItem{Deliveries: []*gateway.Delivery{}}
		if err := rows.Scan(append([]any{&it.Cursor}, rdoc.dest()...)...); err != nil {
			return nil, fmt.Errorf("sent box of %s: %w", sender, err)
		}
		var err error
		if it.Document, err = rdoc.decode(); err != nil {
			return nil, err
		}
		out = append(out, &it)
		byID[it.Document.ID] = &it
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sent box of %s: %w", sender, translate(err))
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]any, 0, len(out))
	for _, it := range out {
		ids = append(ids, it.Document.ID)
	}
	drows, err := s.read.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE document_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) ORDER BY document_id, recipient`, ids...)
	if err != nil {
		return nil, fmt.Errorf("deliveries of the sent box of %s: %w", sender, translate(err))
	}
	defer drows.Close()
	for drows.Next() {
		_, d, err := scanDelivery(drows)
		if err != nil {
			return nil, fmt.Errorf("deliveries of the sent box of %s: %w", sender, err)
		}
		it := byID[d.DocumentID]
		it.Deliveries = append(it.Deliveries, d)
	}
	return out, drows.Err()
}
