package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"docgate/gateway"
)

// partDigests lists the distinct blobs of a document.
func partDigests(d *gateway.Document) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range append([]gateway.Part{d.PDF}, d.Attachments...) {
		if p.SHA256 != "" && !seen[p.SHA256] {
			seen[p.SHA256] = true
			out = append(out, p.SHA256)
		}
	}
	return out
}

// referenceBlobs records that a document references its blobs, refusing
// blobs the sweeper is deleting.
func referenceBlobs(ctx context.Context, tx *sql.Tx, d *gateway.Document) error {
	for _, h := range partDigests(d) {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO blobs (sha256, put_at) VALUES (?, ?)`, h, formatTime(d.SubmittedAt)); err != nil {
			return fmt.Errorf("reference blob %s: %w", h, err)
		}
		var deleting bool
		if err := tx.QueryRowContext(ctx, `SELECT deleting FROM blobs WHERE sha256 = ?`, h).Scan(&deleting); err != nil {
			return fmt.Errorf("reference blob %s: %w", h, err)
		}
		if deleting {
			return gateway.Errorf(gateway.ECONFLICT, "a part of the document is being removed from storage as unreferenced; submit again")
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO document_parts (document_id, sha256) VALUES (?, ?)`, d.ID, h); err != nil {
			return fmt.Errorf("reference blob %s: %w", h, err)
		}
	}
	return nil
}

// MarkBlobs records blobs a submission is about to write. ECONFLICT when
// one is being deleted.
func (s *Store) MarkBlobs(ctx context.Context, digests []string, at time.Time) error {
	return s.WithTx(ctx, func(tx *sql.Tx) error {
		for _, h := range digests {
			res, err := tx.ExecContext(ctx, `INSERT INTO blobs (sha256, put_at) VALUES (?, ?)
				ON CONFLICT (sha256) DO UPDATE SET put_at = excluded.put_at WHERE blobs.deleting = 0`, h, formatTime(at))
			if err != nil {
				return fmt.Errorf("mark blob %s: %w", h, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return gateway.Errorf(gateway.ECONFLICT, "a part of the document is being removed from storage as unreferenced; submit again")
			}
		}
		return nil
	})
}

// ClaimOrphanBlobs marks unreferenced blobs neither marked nor claimed since
// before as being deleted, claimed at now. The single writer keeps it from
// racing a submission or another claim.
func (s *Store) ClaimOrphanBlobs(ctx context.Context, before, now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []string
	err := s.WithTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT b.sha256 FROM blobs b WHERE b.put_at < ?
			AND NOT EXISTS (SELECT 1 FROM document_parts p WHERE p.sha256 = b.sha256) ORDER BY b.put_at LIMIT ?`, formatTime(before), limit)
		if err != nil {
			return fmt.Errorf("orphan blobs: %w", err)
		}
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				rows.Close()
				return fmt.Errorf("orphan blobs: %w", err)
			}
			out = append(out, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("orphan blobs: %w", err)
		}
		for _, h := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE blobs SET deleting = 1, put_at = ? WHERE sha256 = ?`, formatTime(now), h); err != nil {
				return fmt.Errorf("claim orphan blob %s: %w", h, err)
			}
		}
		return nil
	})
	return out, err
}

// ReleaseBlob ends a claim without a delete.
func (s *Store) ReleaseBlob(ctx context.Context, digest string, at time.Time) error {
	if _, err := s.write.ExecContext(ctx, `UPDATE blobs SET deleting = 0, put_at = ? WHERE sha256 = ? AND deleting = 1`, formatTime(at), digest); err != nil {
		return fmt.Errorf("release blob %s: %w", digest, translate(err))
	}
	return nil
}

// ForgetBlob drops a deleted blob's record unless it is referenced.
func (s *Store) ForgetBlob(ctx context.Context, digest string) error {
	_, err := s.write.ExecContext(ctx, `DELETE FROM blobs WHERE sha256 = ? AND deleting = 1
		AND NOT EXISTS (SELECT 1 FROM document_parts p WHERE p.sha256 = blobs.sha256)`, digest)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("forget blob %s: %w", digest, translate(err))
	}
	return nil
}

// ClaimUnloggedEvents leases events without a log index. The single
// writer keeps two claimers apart.
func (s *Store) ClaimUnloggedEvents(ctx context.Context, before, now time.Time, lease time.Duration, limit int) ([]*gateway.Event, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []*gateway.Event
	err := s.WithTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT seq, document_id, type, actor, recipient, status, note, at, receipt_id FROM events
			WHERE log_index IS NULL AND at < ? AND (log_claimed_until IS NULL OR log_claimed_until < ?) ORDER BY seq LIMIT ?`,
			formatTime(before), formatTime(now), limit)
		if err != nil {
			return fmt.Errorf("unlogged events: %w", err)
		}
		for rows.Next() {
			var e gateway.Event
			var at string
			var rid sql.NullString
			if err := rows.Scan(&e.Seq, &e.DocumentID, &e.Type, &e.Actor, &e.Recipient, &e.Status, &e.Note, &at, &rid); err != nil {
				rows.Close()
				return fmt.Errorf("unlogged events: %w", err)
			}
			if e.At, err = parseTime(at); err != nil {
				rows.Close()
				return err
			}
			e.ReceiptID = rid.String
			out = append(out, &e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("unlogged events: %w", err)
		}
		for _, e := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE events SET log_claimed_until = ? WHERE seq = ?`, formatTime(now.Add(lease)), e.Seq); err != nil {
				return fmt.Errorf("claim event %d: %w", e.Seq, err)
			}
		}
		return nil
	})
	return out, err
}
