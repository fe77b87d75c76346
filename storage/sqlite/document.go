package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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
	return s.WithTx(ctx, func(tx *sql.Tx) error {
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
		var report any
		if d.Verification != nil {
			b, err := json.Marshal(d.Verification)
			if err != nil {
				return fmt.Errorf("encode report: %w", err)
			}
			report = string(b)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO documents (id, from_code, message_id, envelope, pdf, attachments, verification, state, submitted_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.ID, d.Envelope.From, d.Envelope.MessageID, string(env), string(pdf), string(attJSON), report, string(d.State), formatTime(d.SubmittedAt))
		switch {
		case err == nil:
		case isUnique(err):
			return gateway.Errorf(gateway.ECONFLICT, "message id %q was used before by %s", d.Envelope.MessageID, d.Envelope.From)
		case isForeignKey(err):
			return gateway.Errorf(gateway.ENOTFOUND, "sender %s is not registered", d.Envelope.From)
		default:
			return fmt.Errorf("insert document %s: %w", d.ID, err)
		}
		if sub.Supersedes != "" {
			res, err := tx.ExecContext(ctx, `UPDATE documents SET state = 'replaced' WHERE id = ?`, sub.Supersedes)
			if err != nil {
				return fmt.Errorf("supersede %s: %w", sub.Supersedes, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return gateway.Errorf(gateway.ENOTFOUND, "document %s does not exist", sub.Supersedes)
			}
		}
		if err := referenceBlobs(ctx, tx, d); err != nil {
			return err
		}
		for _, dl := range sub.Deliveries {
			if err := insertDelivery(ctx, tx, dl); err != nil {
				return err
			}
		}
		return writeTrail(ctx, tx, sub.Events, sub.Receipts)
	})
}

func insertDelivery(ctx context.Context, tx *sql.Tx, d *gateway.Delivery) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO deliveries (document_id, recipient, state, status, attempts, next_attempt_at, last_error, acknowledged_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.DocumentID, d.Recipient, string(d.State), string(d.Status), d.Attempts, nullTime(d.NextAttemptAt), d.LastError,
		nullTime(d.AcknowledgedAt), formatTime(d.UpdatedAt))
	switch {
	case err == nil:
		return nil
	case isUnique(err):
		return gateway.Errorf(gateway.ECONFLICT, "recipient %s is listed twice", d.Recipient)
	case isForeignKey(err):
		return gateway.Errorf(gateway.ENOTFOUND, "recipient %s is not registered", d.Recipient)
	default:
		return fmt.Errorf("insert delivery %s/%s: %w", d.DocumentID, d.Recipient, err)
	}
}

// writeTrail inserts receipts before the events that name them.
func writeTrail(ctx context.Context, tx *sql.Tx, events []*gateway.Event, receipts []*gateway.Receipt) error {
	for _, r := range receipts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO receipts (id, document_id, event, cms, at, pending) VALUES (?, ?, ?, ?, ?, ?)`,
			r.ID, r.DocumentID, r.Event, r.CMS, formatTime(r.At), r.Pending); err != nil {
			if isUnique(err) {
				return gateway.Errorf(gateway.ECONFLICT, "receipt %s exists", r.ID)
			}
			return fmt.Errorf("insert receipt %s: %w", r.ID, err)
		}
	}
	for _, e := range events {
		res, err := tx.ExecContext(ctx, `INSERT INTO events (document_id, type, actor, recipient, status, note, at, receipt_id, log_index)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.DocumentID, e.Type, e.Actor, e.Recipient, string(e.Status), e.Note, formatTime(e.At), nullString(e.ReceiptID), e.LogIndex)
		if err != nil {
			if isForeignKey(err) {
				return gateway.Errorf(gateway.ENOTFOUND, "event of %s names a missing document or receipt", e.DocumentID)
			}
			return fmt.Errorf("insert event: %w", err)
		}
		if e.Seq, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("insert event: %w", err)
		}
	}
	return nil
}

const documentColumns = `id, envelope, pdf, attachments, verification, state, submitted_at`

// rawDocument holds a documents row as scanned, so that one row can be
// scanned together with other tables' columns and decoded afterwards.
type rawDocument struct {
	id, env, pdf, atts, state, submitted string
	report                               sql.NullString
}

func (r *rawDocument) dest() []any {
	return []any{&r.id, &r.env, &r.pdf, &r.atts, &r.report, &r.state, &r.submitted}
}

func (r *rawDocument) decode() (*gateway.Document, error) {
	d := gateway.Document{ID: r.id, State: gateway.DocumentState(r.state)}
	if err := json.Unmarshal([]byte(r.env), &d.Envelope); err != nil {
		return nil, fmt.Errorf("stored envelope of %s: %w", d.ID, err)
	}
	if err := json.Unmarshal([]byte(r.pdf), &d.PDF); err != nil {
		return nil, fmt.Errorf("stored pdf part of %s: %w", d.ID, err)
	}
	if err := json.Unmarshal([]byte(r.atts), &d.Attachments); err != nil {
		return nil, fmt.Errorf("stored attachments of %s: %w", d.ID, err)
	}
	if r.report.Valid {
		d.Verification = &gateway.Report{}
		if err := json.Unmarshal([]byte(r.report.String), d.Verification); err != nil {
			return nil, fmt.Errorf("stored report of %s: %w", d.ID, err)
		}
	}
	var err error
	if d.SubmittedAt, err = parseTime(r.submitted); err != nil {
		return nil, err
	}
	return &d, nil
}

func scanDocument(row rowScanner) (*gateway.Document, error) {
	var r rawDocument
	if err := row.Scan(r.dest()...); err != nil {
		return nil, err
	}
	return r.decode()
}

// Document returns one document. ENOTFOUND.
func (s *Store) Document(ctx context.Context, id string) (*gateway.Document, error) {
	return documentBy(ctx, s.read, `id = ?`, id)
}

// DocumentByMessageID finds a sender's document by its idempotency key.
// ENOTFOUND.
func (s *Store) DocumentByMessageID(ctx context.Context, from, messageID string) (*gateway.Document, error) {
	if messageID == "" {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "no message id given")
	}
	return documentBy(ctx, s.read, `from_code = ? AND message_id = ?`, from, messageID)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func documentBy(ctx context.Context, q querier, where string, args ...any) (*gateway.Document, error) {
	d, err := scanDocument(q.QueryRowContext(ctx, `SELECT `+documentColumns+` FROM documents WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "no such document")
	} else if err != nil {
		return nil, fmt.Errorf("document: %w", translate(err))
	}
	return d, nil
}

const deliveryColumns = `seq, document_id, recipient, state, status, attempts, next_attempt_at, last_error, acknowledged_at, updated_at`

// rawDelivery is rawDocument's counterpart for a deliveries row.
type rawDelivery struct {
	seq         int64
	d           gateway.Delivery
	next, acked sql.NullString
	updated     string
}

func (r *rawDelivery) dest() []any {
	return []any{&r.seq, &r.d.DocumentID, &r.d.Recipient, &r.d.State, &r.d.Status, &r.d.Attempts, &r.next, &r.d.LastError, &r.acked, &r.updated}
}

func (r *rawDelivery) decode() (*gateway.Delivery, error) {
	d := r.d
	var err error
	if d.NextAttemptAt, err = parseNullTime(r.next); err != nil {
		return nil, err
	}
	if d.AcknowledgedAt, err = parseNullTime(r.acked); err != nil {
		return nil, err
	}
	if d.UpdatedAt, err = parseTime(r.updated); err != nil {
		return nil, err
	}
	return &d, nil
}

func scanDelivery(row rowScanner) (int64, *gateway.Delivery, error) {
	var r rawDelivery
	if err := row.Scan(r.dest()...); err != nil {
		return 0, nil, err
	}
	d, err := r.decode()
	return r.seq, d, err
}

// Deliveries lists a document's deliveries ordered by recipient.
func (s *Store) Deliveries(ctx context.Context, documentID string) ([]*gateway.Delivery, error) {
	return deliveries(ctx, s.read, documentID)
}

func deliveries(ctx context.Context, q querier, documentID string) ([]*gateway.Delivery, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE document_id = ? ORDER BY recipient`, documentID)
	if err != nil {
		return nil, fmt.Errorf("deliveries of %s: %w", documentID, translate(err))
	}
	defer rows.Close()
	var out []*gateway.Delivery
	for rows.Next() {
		_, d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("deliveries of %s: %w", documentID, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Trail lists a document's events in order.
func (s *Store) Trail(ctx context.Context, documentID string) ([]*gateway.Event, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT seq, document_id, type, actor, recipient, status, note, at, receipt_id, log_index
		FROM events WHERE document_id = ? ORDER BY seq`, documentID)
	if err != nil {
		return nil, fmt.Errorf("trail of %s: %w", documentID, translate(err))
	}
	defer rows.Close()
	var out []*gateway.Event
	for rows.Next() {
		var e gateway.Event
		var at string
		var rid sql.NullString
		var li sql.NullInt64
		if err := rows.Scan(&e.Seq, &e.DocumentID, &e.Type, &e.Actor, &e.Recipient, &e.Status, &e.Note, &at, &rid, &li); err != nil {
			return nil, fmt.Errorf("trail of %s: %w", documentID, err)
		}
		if e.At, err = parseTime(at); err != nil {
			return nil, err
		}
		e.ReceiptID = rid.String
		if li.Valid {
			e.LogIndex = &li.Int64
		}
		out = append(out, &e)
	}
	return out, rows.Err()
}

const receiptColumns = `id, document_id, event, cms, at, pending`

func scanReceipt(row rowScanner) (*gateway.Receipt, error) {
	var r gateway.Receipt
	var at string
	if err := row.Scan(&r.ID, &r.DocumentID, &r.Event, &r.CMS, &at, &r.Pending); err != nil {
		return nil, err
	}
	var err error
	r.At, err = parseTime(at)
	return &r, err
}

func (s *Store) receipts(ctx context.Context, where string, args ...any) ([]*gateway.Receipt, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+receiptColumns+` FROM receipts WHERE `+where, args...)
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
	return out, rows.Err()
}

// Receipts lists a document's receipts, oldest first.
func (s *Store) Receipts(ctx context.Context, documentID string) ([]*gateway.Receipt, error) {
	return s.receipts(ctx, `document_id = ? ORDER BY seq`, documentID)
}

// Receipt returns one receipt of a document. ENOTFOUND.
func (s *Store) Receipt(ctx context.Context, documentID, receiptID string) (*gateway.Receipt, error) {
	r, err := scanReceipt(s.read.QueryRowContext(ctx, `SELECT `+receiptColumns+` FROM receipts WHERE document_id = ? AND id = ?`, documentID, receiptID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "document %s has no receipt %s", documentID, receiptID)
	} else if err != nil {
		return nil, fmt.Errorf("receipt %s: %w", receiptID, translate(err))
	}
	return r, nil
}

// UpdateDocument runs fn on the locked document. SQLite has no row locks; the
// write transaction (BEGIN IMMEDIATE) holds the file's write lock, which
// serialises every update at least as strictly. ENOTFOUND.
func (s *Store) UpdateDocument(ctx context.Context, id string, fn func(*gateway.DocumentSnapshot) (*gateway.DocumentChange, error)) error {
	return s.WithTx(ctx, func(tx *sql.Tx) error {
		d, err := documentBy(ctx, tx, `id = ?`, id)
		if err != nil {
			return err
		}
		ds, err := deliveries(ctx, tx, id)
		if err != nil {
			return err
		}
		snap := &gateway.DocumentSnapshot{Document: d, Deliveries: ds}
		if err := tx.QueryRowContext(ctx, `SELECT id FROM receipts WHERE document_id = ? ORDER BY seq DESC LIMIT 1`, id).Scan(&snap.LastReceiptID); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("last receipt of %s: %w", id, err)
		}
		ch, err := fn(snap)
		if err != nil || ch == nil {
			return err
		}
		if ch.State != "" && ch.State != d.State {
			if _, err := tx.ExecContext(ctx, `UPDATE documents SET state = ? WHERE id = ?`, string(ch.State), id); err != nil {
				if isCheck(err) {
					return gateway.Errorf(gateway.EINVALID, "unknown document state %q", ch.State)
				}
				return fmt.Errorf("update document %s: %w", id, err)
			}
		}
		for _, dl := range ch.Deliveries {
			res, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = ?, status = ?, attempts = ?, next_attempt_at = ?, last_error = ?,
				acknowledged_at = ?, updated_at = ? WHERE document_id = ? AND recipient = ?`,
				string(dl.State), string(dl.Status), dl.Attempts, nullTime(dl.NextAttemptAt), dl.LastError, nullTime(dl.AcknowledgedAt),
				formatTime(dl.UpdatedAt), id, dl.Recipient)
			if err != nil {
				if isCheck(err) {
					return gateway.Errorf(gateway.EINVALID, "unknown delivery state %q", dl.State)
				}
				return fmt.Errorf("update delivery %s/%s: %w", id, dl.Recipient, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return gateway.Errorf(gateway.ENOTFOUND, "%s is not a recipient of document %s", dl.Recipient, id)
			}
		}
		return writeTrail(ctx, tx, ch.Events, ch.Receipts)
	})
}

// ReceiptsPendingTimestamp lists receipts waiting for a timestamp.
func (s *Store) ReceiptsPendingTimestamp(ctx context.Context, limit int) ([]*gateway.Receipt, error) {
	if limit <= 0 {
		limit = 100
	}
	return s.receipts(ctx, `pending = 1 ORDER BY seq LIMIT ?`, limit)
}

// SetReceiptCMS stores a timestamped CMS for a pending receipt. ENOTFOUND.
func (s *Store) SetReceiptCMS(ctx context.Context, id string, cms []byte) error {
	res, err := s.write.ExecContext(ctx, `UPDATE receipts SET cms = ?, pending = 0 WHERE id = ?`, cms, id)
	if err != nil {
		return fmt.Errorf("set receipt %s: %w", id, translate(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return gateway.Errorf(gateway.ENOTFOUND, "no receipt %s", id)
	}
	return nil
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

func parseNullTime(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// SetLogIndex records the audit log index of a receipt's event. ENOTFOUND.
func (s *Store) SetLogIndex(ctx context.Context, receiptID string, index int64) error {
	res, err := s.write.ExecContext(ctx, `UPDATE events SET log_index = ? WHERE receipt_id = ?`, index, receiptID)
	if err != nil {
		return fmt.Errorf("set log index of %s: %w", receiptID, translate(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return gateway.Errorf(gateway.ENOTFOUND, "no event with receipt %s", receiptID)
	}
	return nil
}

// SetLogIndexes records the audit log indexes of many receipts' events in one
// transaction with one prepared statement; a missing receipt writes nothing.
// ENOTFOUND.
func (s *Store) SetLogIndexes(ctx context.Context, indexes map[string]int64) error {
	if len(indexes) == 0 {
		return nil
	}
	return s.WithTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE events SET log_index = ? WHERE receipt_id = ?`)
		if err != nil {
			return fmt.Errorf("prepare set log index: %w", err)
		}
		defer stmt.Close()
		for id, index := range indexes {
			res, err := stmt.ExecContext(ctx, index, id)
			if err != nil {
				return fmt.Errorf("set log index of %s: %w", id, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return gateway.Errorf(gateway.ENOTFOUND, "no event with receipt %s", id)
			}
		}
		return nil
	})
}
