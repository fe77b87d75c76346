package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"docgate/gateway"
)

var _ gateway.DocumentStore = (*Store)(nil)

// Inbox page bounds: the default keeps a polling DMS cheap.
const (
	defaultInboxLimit = gateway.DefaultPageSize
	maxInboxLimit     = 1000
)

// CreateDocument writes a submission in one transaction. ECONFLICT, ENOTFOUND
// (Supersedes).
func (s *Store) CreateDocument(ctx context.Context, sub *gateway.Submission) error {
	d := sub.Document
	env, err := json.Marshal(d.Envelope)
	if err != nil {
		return fmt.Errorf("encode envelope: %w", err)
	}
	pdf, err := json.Marshal(d.PDF)
	if err != nil {
		return fmt.Errorf("encode pdf part: %w", err)
	}
	atts := d.Attachments
	if atts == nil {
		atts = []gateway.Part{}
	}
	attJSON, err := json.Marshal(atts)
	if err != nil {
		return fmt.Errorf("encode attachments: %w", err)
	}
	var report []byte
	if d.Verification != nil {
		if report, err = json.Marshal(d.Verification); err != nil {
			return fmt.Errorf("encode report: %w", err)
		}
	}
	var b batch
	b.exec(func(err error) error {
		switch {
		case isUnique(err):
			return gateway.Errorf(gateway.ECONFLICT, "message id %q was used before by %s", d.Envelope.MessageID, d.Envelope.From)
		case isForeignKey(err):
			return gateway.Errorf(gateway.ENOTFOUND, "sender %s is not registered", d.Envelope.From)
		}
		return fmt.Errorf("insert document %s: %w", d.ID, err)
	}, nil, `INSERT INTO documents (id, from_code, message_id, envelope, pdf, attachments, verification, state, submitted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		d.ID, d.Envelope.From, d.Envelope.MessageID, env, pdf, attJSON, report, string(d.State), dbTime(d.SubmittedAt))
	if sub.Supersedes != "" {
		b.exec(func(err error) error { return fmt.Errorf("supersede %s: %w", sub.Supersedes, err) },
			func(tag pgconn.CommandTag) error {
				if tag.RowsAffected() == 0 {
					return gateway.Errorf(gateway.ENOTFOUND, "document %s does not exist", sub.Supersedes)
				}
				return nil
			}, `UPDATE documents SET state = 'replaced' WHERE id = $1`, sub.Supersedes)
	}
	referenceBlobs(&b, d)
	for _, dl := range sub.Deliveries {
		insertDelivery(&b, dl)
	}
	writeTrail(&b, sub.Events, sub.Receipts)
	// An explicit transaction, not the batch's implicit one: the checks the
	// handlers make (a supersede that matched nothing, a blob being deleted)
	// must undo the statements the server ran without complaint.
	return s.WithTx(ctx, func(tx pgx.Tx) error { return b.send(ctx, tx) })
}

func insertDelivery(b *batch, d *gateway.Delivery) {
	b.exec(func(err error) error {
		switch {
		case isUnique(err):
			return gateway.Errorf(gateway.ECONFLICT, "recipient %s is listed twice", d.Recipient)
		case isForeignKey(err):
			return gateway.Errorf(gateway.ENOTFOUND, "recipient %s is not registered", d.Recipient)
		}
		return fmt.Errorf("insert delivery %s/%s: %w", d.DocumentID, d.Recipient, err)
	}, nil, `INSERT INTO deliveries (document_id, recipient, state, status, attempts, next_attempt_at, last_error, acknowledged_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		d.DocumentID, d.Recipient, string(d.State), string(d.Status), d.Attempts, nullTime(d.NextAttemptAt), d.LastError,
		nullTime(d.AcknowledgedAt), dbTime(d.UpdatedAt))
}

// writeTrail queues receipts before the events that name them.
func writeTrail(b *batch, events []*gateway.Event, receipts []*gateway.Receipt) {
	for _, r := range receipts {
		b.exec(func(err error) error {
			if isUnique(err) {
				return gateway.Errorf(gateway.ECONFLICT, "receipt %s exists", r.ID)
			}
			return fmt.Errorf("insert receipt %s: %w", r.ID, err)
		}, nil, `INSERT INTO receipts (id, document_id, event, cms, at, pending) VALUES ($1, $2, $3, $4, $5, $6)`,
			r.ID, r.DocumentID, r.Event, r.CMS, dbTime(r.At), r.Pending)
	}
	for _, e := range events {
		b.queryRow(func(row pgx.Row) error {
			err := row.Scan(&e.Seq)
			switch {
			case err == nil:
				return nil
			case isForeignKey(err):
				return gateway.Errorf(gateway.ENOTFOUND, "event of %s names a missing document or receipt", e.DocumentID)
			}
			return fmt.Errorf("insert event: %w", err)
		},
			`INSERT INTO events (document_id, type, actor, recipient, status, note, at, receipt_id, log_index)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq`,
			e.DocumentID, e.Type, e.Actor, e.Recipient, string(e.Status), e.Note, dbTime(e.At), nullString(e.ReceiptID), e.LogIndex)
	}
}

const documentColumns = `d.id, d.envelope, d.pdf, d.attachments, d.verification, d.state, d.submitted_at`

// rawDocument holds a documents row as scanned, so that one row can be
// scanned together with other tables' columns and decoded afterwards.
type rawDocument struct {
	id, state           string
	env, pdf, atts, rep []byte
	submitted           time.Time
}

func (r *rawDocument) dest() []any {
	return []any{&r.id, &r.env, &r.pdf, &r.atts, &r.rep, &r.state, &r.submitted}
}

func (r *rawDocument) decode() (*gateway.Document, error) {
	d := gateway.Document{ID: r.id, State: gateway.DocumentState(r.state), SubmittedAt: r.submitted.UTC()}
	if err := json.Unmarshal(r.env, &d.Envelope); err != nil {
		return nil, fmt.Errorf("stored envelope of %s: %w", d.ID, err)
	}
	if err := json.Unmarshal(r.pdf, &d.PDF); err != nil {
		return nil, fmt.Errorf("stored pdf part of %s: %w", d.ID, err)
	}
	if err := json.Unmarshal(r.atts, &d.Attachments); err != nil {
		return nil, fmt.Errorf("stored attachments of %s: %w", d.ID, err)
	}
	if r.rep != nil {
		d.Verification = &gateway.Report{}
		if err := json.Unmarshal(r.rep, d.Verification); err != nil {
			return nil, fmt.Errorf("stored report of %s: %w", d.ID, err)
		}
	}
	return &d, nil
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func documentBy(ctx context.Context, q querier, suffix string, args ...any) (*gateway.Document, error) {
	var r rawDocument
	err := q.QueryRow(ctx, `SELECT `+documentColumns+` FROM documents d WHERE `+suffix, args...).Scan(r.dest()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "no such document")
	} else if err != nil {
		return nil, fmt.Errorf("document: %w", translate(err))
	}
	return r.decode()
}

// Document returns one document. ENOTFOUND.
func (s *Store) Document(ctx context.Context, id string) (*gateway.Document, error) {
	return documentBy(ctx, s.pool, `d.id = $1`, id)
}

// DocumentByMessageID finds a sender's document by its idempotency key.
// ENOTFOUND.
func (s *Store) DocumentByMessageID(ctx context.Context, from, messageID string) (*gateway.Document, error) {
	if messageID == "" {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "no message id given")
	}
	return documentBy(ctx, s.pool, `d.from_code = $1 AND d.message_id = $2`, from, messageID)
}

const deliveryColumns = `l.seq, l.document_id, l.recipient, l.state, l.status, l.attempts, l.next_attempt_at, l.last_error, l.acknowledged_at, l.updated_at`

type rawDelivery struct {
	seq         int64
	d           gateway.Delivery
	next, acked *time.Time
	updated     time.Time
	state, stat string
}

func (r *rawDelivery) dest() []any {
	return []any{&r.seq, &r.d.DocumentID, &r.d.Recipient, &r.state, &r.stat, &r.d.Attempts, &r.next, &r.d.LastError, &r.acked, &r.updated}
}

func (r *rawDelivery) decode() *gateway.Delivery {
	d := r.d
	d.State, d.Status = gateway.DeliveryState(r.state), gateway.ProcessingStatus(r.stat)
	d.NextAttemptAt, d.AcknowledgedAt = utcPtr(r.next), utcPtr(r.acked)
	d.UpdatedAt = r.updated.UTC()
	return &d
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Deliveries lists a document's deliveries ordered by recipient.
func (s *Store) Deliveries(ctx context.Context, documentID string) ([]*gateway.Delivery, error) {
	return deliveries(ctx, s.pool, documentID, "")
}

func deliveries(ctx context.Context, q querier, documentID, lock string) ([]*gateway.Delivery, error) {
	rows, err := q.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries l WHERE l.document_id = $1 ORDER BY l.recipient`+lock, documentID)
	if err != nil {
		return nil, fmt.Errorf("deliveries of %s: %w", documentID, translate(err))
	}
	defer rows.Close()
	var out []*gateway.Delivery
	for rows.Next() {
		var r rawDelivery
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, fmt.Errorf("deliveries of %s: %w", documentID, err)
		}
		out = append(out, r.decode())
	}
	return out, translate(rows.Err())
}

// Trail lists a document's events in order.
func (s *Store) Trail(ctx context.Context, documentID string) ([]*gateway.Event, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, document_id, type, actor, recipient, status, note, at, receipt_id, log_index
		FROM events WHERE document_id = $1 ORDER BY seq`, documentID)
	if err != nil {
		return nil, fmt.Errorf("trail of %s: %w", documentID, translate(err))
	}
	defer rows.Close()
	var out []*gateway.Event
	for rows.Next() {
		var e gateway.Event
		var rid *string
		var status string
		if err := rows.Scan(&e.Seq, &e.DocumentID, &e.Type, &e.Actor, &e.Recipient, &status, &e.Note, &e.At, &rid, &e.LogIndex); err != nil {
			return nil, fmt.Errorf("trail of %s: %w", documentID, err)
		}
		e.Status, e.At = gateway.ProcessingStatus(status), e.At.UTC()
		if rid != nil {
			e.ReceiptID = *rid
		}
		out = append(out, &e)
	}
	return out, translate(rows.Err())
}

const receiptColumns = `id, document_id, event, cms, at, pending`

func scanReceipt(row pgx.Row) (*gateway.Receipt, error) {
	var r gateway.Receipt
	if err := row.Scan(&r.ID, &r.DocumentID, &r.Event, &r.CMS, &r.At, &r.Pending); err != nil {
		return nil, err
	}
	r.At = r.At.UTC()
	return &r, nil
}

func (s *Store) receipts(ctx context.Context, suffix string, args ...any) ([]*gateway.Receipt, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+receiptColumns+` FROM receipts WHERE `+suffix, args...)
	if err != nil {
		return nil, fmt.Errorf("receipts: %w", translate(err))
	}
	defer rows.Close()
	var out []*gateway.Receipt
	for rows.Next() {
		r, err := scanReceipt(rows)
		if err != nil {
			return nil, fmt.Errorf("receipts: %w", err)
		}
		out = append(out, r)
	}
	return out, translate(rows.Err())
}

// Receipts lists a document's receipts, oldest first.
func (s *Store) Receipts(ctx context.Context, documentID string) ([]*gateway.Receipt, error) {
	return s.receipts(ctx, `document_id = $1 ORDER BY seq`, documentID)
}

// Receipt returns one receipt of a document. ENOTFOUND.
func (s *Store) Receipt(ctx context.Context, documentID, receiptID string) (*gateway.Receipt, error) {
	r, err := scanReceipt(s.pool.QueryRow(ctx, `SELECT `+receiptColumns+` FROM receipts WHERE document_id = $1 AND id = $2`, documentID, receiptID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "document %s has no receipt %s", documentID, receiptID)
	} else if err != nil {
		return nil, fmt.Errorf("receipt %s: %w", receiptID, translate(err))
	}
	return r, nil
}

// UpdateDocument runs fn with the document row and its deliveries locked
// (FOR UPDATE), so that concurrent reports on one document, from any
// replica, take turns. ENOTFOUND.
func (s *Store) UpdateDocument(ctx context.Context, id string, fn func(*gateway.DocumentSnapshot) (*gateway.DocumentChange, error)) error {
	return s.WithTx(ctx, func(tx pgx.Tx) error {
		d, err := documentBy(ctx, tx, `d.id = $1 FOR UPDATE`, id)
		if err != nil {
			return err
		}
		ds, err := deliveries(ctx, tx, id, ` FOR UPDATE`)
		if err != nil {
			return err
		}
		snap := &gateway.DocumentSnapshot{Document: d, Deliveries: ds}
		if err := tx.QueryRow(ctx, `SELECT id FROM receipts WHERE document_id = $1 ORDER BY seq DESC LIMIT 1`, id).Scan(&snap.LastReceiptID); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("last receipt of %s: %w", id, err)
		}
		ch, err := fn(snap)
		if err != nil || ch == nil {
			return err
		}
		if ch.State != "" && ch.State != d.State {
			if _, err := tx.Exec(ctx, `UPDATE documents SET state = $1 WHERE id = $2`, string(ch.State), id); err != nil {
				if isCheck(err) {
					return gateway.Errorf(gateway.EINVALID, "unknown document state %q", ch.State)
				}
				return fmt.Errorf("update document %s: %w", id, err)
			}
		}
		for _, dl := range ch.Deliveries {
			tag, err := tx.Exec(ctx, `UPDATE deliveries SET state = $1, status = $2, attempts = $3, next_attempt_at = $4, last_error = $5,
				acknowledged_at = $6, updated_at = $7 WHERE document_id = $8 AND recipient = $9`,
				string(dl.State), string(dl.Status), dl.Attempts, nullTime(dl.NextAttemptAt), dl.LastError, nullTime(dl.AcknowledgedAt),
				dbTime(dl.UpdatedAt), id, dl.Recipient)
			if err != nil {
				if isCheck(err) {
					return gateway.Errorf(gateway.EINVALID, "unknown delivery state %q", dl.State)
				}
				return fmt.Errorf("update delivery %s/%s: %w", id, dl.Recipient, err)
			}
			if tag.RowsAffected() == 0 {
				return gateway.Errorf(gateway.ENOTFOUND, "%s is not a recipient of document %s", dl.Recipient, id)
			}
		}
		var b batch
		writeTrail(&b, ch.Events, ch.Receipts)
		return b.send(ctx, tx)
	})
}

// ReceiptsPendingTimestamp lists receipts waiting for a timestamp.
func (s *Store) ReceiptsPendingTimestamp(ctx context.Context, limit int) ([]*gateway.Receipt, error) {
	if limit <= 0 {
		limit = 100
	}
	return s.receipts(ctx, `pending ORDER BY seq LIMIT $1`, limit)
}

// SetReceiptCMS stores a timestamped CMS for a pending receipt. ENOTFOUND.
func (s *Store) SetReceiptCMS(ctx context.Context, id string, cms []byte) error {
	tag, err := s.pool.Exec(ctx, `UPDATE receipts SET cms = $1, pending = false WHERE id = $2`, cms, id)
	if err != nil {
		return fmt.Errorf("set receipt %s: %w", id, translate(err))
	}
	if tag.RowsAffected() == 0 {
		return gateway.Errorf(gateway.ENOTFOUND, "no receipt %s", id)
	}
	return nil
}

func nullTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := dbTime(*t)
	return &u
}

// SetLogIndex records the audit log index of a receipt's event. ENOTFOUND.
func (s *Store) SetLogIndex(ctx context.Context, receiptID string, index int64) error {
	tag, err := s.pool.Exec(ctx, `UPDATE events SET log_index = $1 WHERE receipt_id = $2`, index, receiptID)
	if err != nil {
		return fmt.Errorf("set log index of %s: %w", receiptID, translate(err))
	}
	if tag.RowsAffected() == 0 {
		return gateway.Errorf(gateway.ENOTFOUND, "no event with receipt %s", receiptID)
	}
	return nil
}

// SetLogIndexes records the audit log indexes of many receipts' events in one
// statement, one round trip: it updates nothing unless every receipt has an
// event, so a missing receipt writes nothing without a transaction around it.
// ENOTFOUND.
func (s *Store) SetLogIndexes(ctx context.Context, indexes map[string]int64) error {
	if len(indexes) == 0 {
		return nil
	}
	ids := make([]string, 0, len(indexes))
	idx := make([]int64, 0, len(indexes))
	for id, i := range indexes {
		ids = append(ids, id)
		idx = append(idx, i)
	}
	tag, err := s.pool.Exec(ctx, `WITH v AS (SELECT * FROM unnest($1::text[], $2::bigint[]) AS v(receipt_id, log_index))
		UPDATE events e SET log_index = v.log_index FROM v
		WHERE e.receipt_id = v.receipt_id
		AND (SELECT count(*) FROM events f JOIN v w ON f.receipt_id = w.receipt_id) = cardinality($1::text[])`, ids, idx)
	if err != nil {
		return fmt.Errorf("set log indexes of %d receipts: %w", len(ids), translate(err))
	}
	if tag.RowsAffected() == 0 {
		return gateway.Errorf(gateway.ENOTFOUND, "not every one of %d receipts has an event", len(ids))
	}
	return nil
}
