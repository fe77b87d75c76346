package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

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

// referenceBlobs records that a document references its blobs. The blob row
// is read FOR SHARE, so a sweeper claiming it (FOR UPDATE) either waits for
// this transaction, and then sees the reference, or has claimed it first,
// and then this one sees deleting and refuses.
func referenceBlobs(b *batch, d *gateway.Document) {
	for _, h := range partDigests(d) {
		fail := func(err error) error { return fmt.Errorf("reference blob %s: %w", h, err) }
		b.exec(fail, nil, `INSERT INTO blobs (sha256, put_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, h, dbTime(d.SubmittedAt))
		b.queryRow(func(row pgx.Row) error {
			var deleting bool
			if err := row.Scan(&deleting); err != nil {
				return fail(err)
			}
			if deleting {
				return gateway.Errorf(gateway.ECONFLICT, "a part of the document is being removed from storage as unreferenced; submit again")
			}
			return nil
		}, `SELECT deleting FROM blobs WHERE sha256 = $1 FOR SHARE`, h)
		b.exec(fail, nil, `INSERT INTO document_parts (document_id, sha256) VALUES ($1, $2) ON CONFLICT DO NOTHING`, d.ID, h)
	}
}

// MarkBlobs records blobs a submission is about to write. ECONFLICT when
// one is being deleted. The statements go in one round trip, in the batch's
// implicit transaction: when one blob is being deleted the others' marks
// may stand, which only keeps them from the sweeper a while longer.
func (s *Store) MarkBlobs(ctx context.Context, digests []string, at time.Time) error {
	var b batch
	for _, h := range digests {
		b.exec(func(err error) error { return fmt.Errorf("mark blob %s: %w", h, err) }, func(tag pgconn.CommandTag) error {
			if tag.RowsAffected() == 0 {
				return gateway.Errorf(gateway.ECONFLICT, "a part of the document is being removed from storage as unreferenced; submit again")
			}
			return nil
		}, `INSERT INTO blobs (sha256, put_at) VALUES ($1, $2)
			ON CONFLICT (sha256) DO UPDATE SET put_at = excluded.put_at WHERE NOT blobs.deleting`, h, dbTime(at))
	}
	return b.send(ctx, s.pool)
}

// ClaimOrphanBlobs marks unreferenced blobs neither marked nor claimed since
// before as being deleted, claimed at now; rows another sweeper or a
// submission holds are skipped, and a claim keeps other sweepers off until
// it is as old as a mark must be.
func (s *Store) ClaimOrphanBlobs(ctx context.Context, before, now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.pool.Query(ctx, `UPDATE blobs SET deleting = true, put_at = $3 WHERE sha256 IN (
			SELECT b.sha256 FROM blobs b WHERE b.put_at < $1
			AND NOT EXISTS (SELECT 1 FROM document_parts p WHERE p.sha256 = b.sha256)
			ORDER BY b.put_at LIMIT $2 FOR UPDATE SKIP LOCKED)
		AND NOT EXISTS (SELECT 1 FROM document_parts p WHERE p.sha256 = blobs.sha256)
		RETURNING sha256`, dbTime(before), limit, dbTime(now))
	if err != nil {
		return nil, fmt.Errorf("orphan blobs: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("orphan blobs: %w", translate(err))
	}
	return out, nil
}

// ReleaseBlob ends a claim without a delete.
func (s *Store) ReleaseBlob(ctx context.Context, digest string, at time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE blobs SET deleting = false, put_at = $2 WHERE sha256 = $1 AND deleting`, digest, dbTime(at)); err != nil {
		return fmt.Errorf("release blob %s: %w", digest, translate(err))
	}
	return nil
}

// ForgetBlob drops a deleted blob's record unless it is referenced.
func (s *Store) ForgetBlob(ctx context.Context, digest string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM blobs WHERE sha256 = $1 AND deleting
		AND NOT EXISTS (SELECT 1 FROM document_parts p WHERE p.sha256 = blobs.sha256)`, digest)
	if err != nil {
		return fmt.Errorf("forget blob %s: %w", digest, translate(err))
	}
	return nil
}

// ClaimUnloggedEvents leases events without a log index, skipping rows
// another replica is claiming.
func (s *Store) ClaimUnloggedEvents(ctx context.Context, before, now time.Time, lease time.Duration, limit int) ([]*gateway.Event, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.pool.Query(ctx, `UPDATE events SET log_claimed_until = $3 WHERE seq IN (
			SELECT seq FROM events WHERE log_index IS NULL AND at < $1 AND (log_claimed_until IS NULL OR log_claimed_until < $2)
			ORDER BY seq LIMIT $4 FOR UPDATE SKIP LOCKED)
		RETURNING seq, document_id, type, actor, recipient, status, note, at, receipt_id`,
		dbTime(before), dbTime(now), dbTime(now.Add(lease)), limit)
	if err != nil {
		return nil, fmt.Errorf("unlogged events: %w", translate(err))
	}
	defer rows.Close()
	var out []*gateway.Event
	for rows.Next() {
		var e gateway.Event
		var status string
		var rid *string
		if err := rows.Scan(&e.Seq, &e.DocumentID, &e.Type, &e.Actor, &e.Recipient, &status, &e.Note, &e.At, &rid); err != nil {
			return nil, fmt.Errorf("unlogged events: %w", err)
		}
		e.Status, e.At = gateway.ProcessingStatus(status), e.At.UTC()
		if rid != nil {
			e.ReceiptID = *rid
		}
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("unlogged events: %w", translate(err))
	}
	slices.SortFunc(out, func(a, b *gateway.Event) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}
