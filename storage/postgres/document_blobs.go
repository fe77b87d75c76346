package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
func referenceBlobs(ctx context.Context, tx pgx.Tx, d *gateway.Document) error {
	for _, h := range partDigests(d) {
		if _, err := tx.Exec(ctx, `INSERT INTO blobs (sha256, put_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, h, dbTime(d.SubmittedAt)); err != nil {
			return fmt.Errorf("reference blob %s: %w", h, err)
		}
		var deleting bool
		if err := tx.QueryRow(ctx, `SELECT deleting FROM blobs WHERE sha256 = $1 FOR SHARE`, h).Scan(&deleting); err != nil {
			return fmt.Errorf("reference blob %s: %w", h, err)
		}
		if deleting {
			return gateway.Errorf(gateway.ECONFLICT, "a part of the document is being removed from storage as unreferenced; submit again")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO document_parts (document_id, sha256) VALUES ($1, $2) ON CONFLICT DO NOTHING`, d.ID, h); err != nil {
			return fmt.Errorf("reference blob %s: %w", h, err)
		}
	}
	return nil
}

// MarkBlobs records blobs a submission is about to write. ECONFLICT when
// one is being deleted.
func (s *Store) MarkBlobs(ctx context.Context, digests []string, at time.Time) error {
	return s.WithTx(ctx, func(tx pgx.Tx) error {
		for _, h := range digests {
			tag, err := tx.Exec(ctx, `INSERT INTO blobs (sha256, put_at) VALUES ($1, $2)
				ON CONFLICT (sha256) DO UPDATE SET put_at = excluded.put_at WHERE NOT blobs.deleting`, h, dbTime(at))
			if err != nil {
				return fmt.Errorf("mark blob %s: %w", h, err)
			}
			if tag.RowsAffected() == 0 {
				return gateway.Errorf(gateway.ECONFLICT, "a part of the document is being removed from storage as unreferenced; submit again")
			}
		}
		return nil
	})
}

// ClaimOrphanBlobs marks unreferenced blobs unmarked since before as being
// deleted; rows another sweeper or a submission holds are skipped.
func (s *Store) ClaimOrphanBlobs(ctx context.Context, before time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.pool.Query(ctx, `UPDATE blobs SET deleting = true WHERE sha256 IN (
			SELECT b.sha256 FROM blobs b WHERE b.put_at < $1
			AND NOT EXISTS (SELECT 1 FROM document_parts p WHERE p.sha256 = b.sha256)
			ORDER BY b.put_at LIMIT $2 FOR UPDATE SKIP LOCKED)
		AND NOT EXISTS (SELECT 1 FROM document_parts p WHERE p.sha256 = blobs.sha256)
		RETURNING sha256`, dbTime(before), limit)
	if err != nil {
		return nil, fmt.Errorf("orphan blobs: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("orphan blobs: %w", translate(err))
	}
	return out, nil
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
