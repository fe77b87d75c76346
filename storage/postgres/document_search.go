package postgres

import (
	"context"
	"fmt"
	"strings"

	"docgate/gateway"
)

// Search in PostgreSQL
//
// The inbox and the sent box walk an index on (agency, seq) newest first and
// stop at the page's limit, so a search reads at most one agency's rows, and
// usually far fewer. Free text has no index: each word is matched with
// ILIKE against the subject and the number/notation. ILIKE folds case by the
// database's LC_CTYPE: with a UTF-8 locale (en_US.UTF-8, C.UTF-8 on
// PostgreSQL 17+ builtin) "ĐÔ" matches "đô"; with the C locale only ASCII
// letters fold. An exact substring always matches. Diacritics are never
// ignored: "cong van" does not find "công văn".

// searchText is the text a word of DocumentSearch.Q is looked for in.
const searchText = `(coalesce(d.envelope->>'number', '') || '/' || coalesce(d.envelope->>'notation', '') || ' ' || coalesce(d.envelope->>'subject', ''))`

// dueDate is a document's due date, NULL without one.
const dueDate = `(d.envelope->>'dueDate')::timestamptz`

// openDelivery holds for a delivery l whose recipient has not finished with
// the document and still may.
const openDelivery = `l.status NOT IN ('done', 'rejected') AND l.state <> 'recalled'`

// conds builds a WHERE clause together with its arguments; arg numbers the
// placeholders.
type conds struct {
	where []string
	args  []any
}

func (c *conds) arg(v any) string {
	c.args = append(c.args, v)
	return fmt.Sprintf("$%d", len(c.args))
}

func (c *conds) add(cond string) { c.where = append(c.where, cond) }

func (c *conds) String() string { return strings.Join(c.where, " AND ") }

// documentConds adds the document-level part of a search on documents d.
func documentConds(c *conds, s *gateway.DocumentSearch) {
	for _, w := range s.Words() {
		c.add(searchText + ` ILIKE ` + c.arg("%"+escapeLike(w)+"%"))
	}
	if !s.Since.IsZero() {
		c.add(`d.submitted_at >= ` + c.arg(dbTime(s.Since)))
	}
	if !s.Until.IsZero() {
		c.add(`d.submitted_at < ` + c.arg(dbTime(s.Until)))
	}
	if !s.OverdueAt.IsZero() {
		c.add(dueDate + ` < ` + c.arg(dbTime(s.OverdueAt)) + ` AND d.state <> 'recalled'`)
	}
}

// deliveryConds adds the delivery-level part of a search on deliveries l.
func deliveryConds(c *conds, s *gateway.DocumentSearch) {
	if s.Status == gateway.StatusNone {
		c.add(`l.status = ''`)
	} else if s.Status != "" {
		c.add(`l.status = ` + c.arg(string(s.Status)))
	}
	if s.State != "" {
		c.add(`l.state = ` + c.arg(string(s.State)))
	}
	if !s.OverdueAt.IsZero() {
		c.add(openDelivery)
	}
}

// escapeLike quotes LIKE's wildcards and its default escape character.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
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
	// The deliveries' conditions go in a subquery, the documents' outside:
	// the planner cannot estimate how many documents ILIKE or a due date
	// keeps, and when it guesses few it reads the whole documents table
	// instead of the recipient's index. OFFSET 0 keeps the subquery whole
	// (a fence) when there are document conditions to misjudge.
	var c conds
	c.add(`l.recipient = ` + c.arg(recipient))
	waiting := !f.All && f.Status == "" && f.State == ""
	if waiting {
		c.add(`l.state NOT IN ('acknowledged', 'recalled')`)
	}
	if f.Before > 0 {
		c.add(`l.seq < ` + c.arg(f.Before))
	}
	deliveryConds(&c, &f.DocumentSearch)
	lwhere := c.String()
	c.where = nil
	if f.From != "" {
		c.add(`d.from_code LIKE ` + c.arg(escapeLike(f.From)+"%"))
	}
	documentConds(&c, &f.DocumentSearch)
	fence := ""
	if len(c.where) > 0 {
		fence = " OFFSET 0"
	}
	if waiting {
		c.add(`d.state <> 'recalled'`)
	}
	dwhere := "true"
	if len(c.where) > 0 {
		dwhere = c.String()
	}
	limit := c.arg(pageLimit(f.Limit))
	// Ordering by recipient too, which is fixed, matches deliveries_inbox.
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryColumns+`, `+documentColumns+`
		FROM (SELECT * FROM deliveries l WHERE `+lwhere+` ORDER BY l.recipient DESC, l.seq DESC`+fence+`) l
		JOIN documents d ON d.id = l.document_id
		WHERE `+dwhere+` ORDER BY l.recipient DESC, l.seq DESC LIMIT `+limit, c.args...)
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
		doc, err := rdoc.decode()
		if err != nil {
			return nil, err
		}
		out = append(out, &gateway.InboxItem{Cursor: rd.seq, Delivery: rd.decode(), Document: doc})
	}
	return out, translate(rows.Err())
}

// Sent lists a sender's documents newest first, each with its deliveries.
func (s *Store) Sent(ctx context.Context, sender string, f gateway.SentFilter) ([]*gateway.SentItem, error) {
	var c conds
	c.add(`d.from_code = ` + c.arg(sender))
	if f.Before > 0 {
		c.add(`d.seq < ` + c.arg(f.Before))
	}
	documentConds(&c, &f.DocumentSearch)
	// The delivery conditions hold for one and the same delivery; they
	// share c's numbering.
	dc := conds{args: c.args}
	dc.add(`l.document_id = d.id`)
	if f.To != "" {
		dc.add(`l.recipient LIKE ` + dc.arg(escapeLike(f.To)+"%"))
	}
	deliveryConds(&dc, &f.DocumentSearch)
	c.args = dc.args
	if len(dc.where) > 1 {
		c.add(`EXISTS (SELECT 1 FROM deliveries l WHERE ` + dc.String() + `)`)
	}
	limit := c.arg(pageLimit(f.Limit))
	// Ordering by the sender too, which is fixed, matches documents_from_seq
	// rather than tempting the planner to walk the primary key backwards
	// past every other agency's documents.
	rows, err := s.pool.Query(ctx, `SELECT d.seq, `+documentColumns+`
		FROM documents d WHERE `+c.String()+` ORDER BY d.from_code DESC, d.seq DESC LIMIT `+limit, c.args...)
	if err != nil {
		return nil, fmt.Errorf("sent box of %s: %w", sender, translate(err))
	}
	defer rows.Close()
	var out []*gateway.SentItem
	byID := map[string]*gateway.SentItem{}
	var ids []string
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
		ids = append(ids, it.Document.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sent box of %s: %w", sender, translate(err))
	}
	if len(out) == 0 {
		return out, nil
	}
	drows, err := s.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries l
		WHERE l.document_id = ANY($1) ORDER BY l.document_id, l.recipient`, ids)
	if err != nil {
		return nil, fmt.Errorf("deliveries of the sent box of %s: %w", sender, translate(err))
	}
	defer drows.Close()
	for drows.Next() {
		var rd rawDelivery
		if err := drows.Scan(rd.dest()...); err != nil {
			return nil, fmt.Errorf("deliveries of the sent box of %s: %w", sender, err)
		}
		d := rd.decode()
		byID[d.DocumentID].Deliveries = append(byID[d.DocumentID].Deliveries, d)
	}
	return out, translate(drows.Err())
}
