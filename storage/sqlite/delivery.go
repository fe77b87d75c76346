package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"docgate/gateway"
)

var (
	_ gateway.PushQueue      = (*Store)(nil)
	_ gateway.WebhookSecrets = (*Store)(nil)
)

// The two kinds of due job, as conditions on deliveries d joined with
// agencies a, and the condition that no claim holds the row; :now is the
// claim time.
const (
	dueReport = `d.push_outcome <> '' AND d.push_reported = 0`
	duePush   = `d.state = 'pending' AND d.push_outcome = '' AND a.webhook <> '' AND a.status = 'active'
		AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= :now)`
	claimFree = `(d.push_claimed_until IS NULL OR d.push_claimed_until <= :now)`
)

// Claim takes due push jobs in a write transaction: SQLite runs one at a
// time, across processes too, so two claimers never take the same row. The
// lease holds the job while it is pushed outside any transaction.
func (s *Store) Claim(ctx context.Context, worker string, at time.Time, n int, lease time.Duration) ([]*gateway.PushJob, error) {
	if n <= 0 {
		return nil, nil
	}
	now, until := formatTime(at), formatTime(at.Add(lease))
	claim := gateway.NewClaimToken(worker)
	// Polls mostly find nothing: ask the read pool first, so that an idle
	// worker never takes the single write lock the exchange needs.
	var found int
	err := s.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM deliveries d JOIN agencies a ON a.code = d.recipient
		WHERE (`+dueReport+`) AND `+claimFree+`) OR EXISTS (SELECT 1 FROM deliveries d JOIN agencies a ON a.code = d.recipient
		WHERE (`+duePush+`) AND `+claimFree+`)`, sql.Named("now", now)).Scan(&found)
	if err != nil {
		return nil, fmt.Errorf("look for push jobs: %w", translate(err))
	}
	if found == 0 {
		return nil, nil
	}
	var jobs []*gateway.PushJob
	err = s.WithTx(ctx, func(tx *sql.Tx) error {
		jobs = jobs[:0]
		// Outcomes waiting for their report first, then due pushes, each
		// on its partial index.
		left := n
		for _, due := range []string{dueReport, duePush} {
			res, err := tx.ExecContext(ctx, `UPDATE deliveries SET push_claim = :claim, push_claimed_until = :until
				WHERE seq IN (
					SELECT d.seq FROM deliveries d JOIN agencies a ON a.code = d.recipient
					WHERE (`+due+`) AND `+claimFree+`
					ORDER BY d.seq
					LIMIT :n)`, sql.Named("claim", claim), sql.Named("until", until), sql.Named("now", now), sql.Named("n", left))
			if err != nil {
				return fmt.Errorf("claim push jobs: %w", err)
			}
			got, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("claim push jobs: %w", err)
			}
			if left -= int(got); left <= 0 {
				break
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT d.document_id, d.recipient, d.push_outcome, d.attempts, d.last_error, a.webhook,
				doc.envelope, doc.pdf, doc.attachments, doc.submitted_at
			FROM deliveries d JOIN documents doc ON doc.id = d.document_id JOIN agencies a ON a.code = d.recipient
			WHERE d.push_claim = ? ORDER BY d.seq`, claim)
		if err != nil {
			return fmt.Errorf("claim push jobs: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			j := &gateway.PushJob{Claim: claim}
			var outcome, env, pdf, atts, submitted string
			if err := rows.Scan(&j.DocumentID, &j.Recipient, &outcome, &j.Attempts, &j.LastError, &j.Webhook,
				&env, &pdf, &atts, &submitted); err != nil {
				return fmt.Errorf("claim push jobs: %w", err)
			}
			j.Outcome = gateway.PushOutcome(outcome)
			if j.ClaimedUntil, err = parseTime(until); err != nil {
				return err
			}
			if j.SubmittedAt, err = parseTime(submitted); err != nil {
				return err
			}
			if err := decodeJobDocument(j, []byte(env), []byte(pdf), []byte(atts)); err != nil {
				return err
			}
			jobs = append(jobs, j)
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("claim push jobs: %w", err)
		}
		secrets := map[string]*gateway.WebhookSecret{}
		for _, j := range jobs {
			sec, ok := secrets[j.Recipient]
			if !ok {
				if sec, err = webhookSecret(ctx, tx, j.Recipient, at); err != nil {
					return err
				}
				secrets[j.Recipient] = sec
			}
			j.Secret = sec.Current
			if sec.Previous != nil && at.Before(sec.PreviousUntil) {
				j.PreviousSecret = sec.Previous
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return jobs, nil
}

func decodeJobDocument(j *gateway.PushJob, env, pdf, atts []byte) error {
	if err := json.Unmarshal(env, &j.Envelope); err != nil {
		return fmt.Errorf("stored envelope of %s: %w", j.DocumentID, err)
	}
	if err := json.Unmarshal(pdf, &j.PDF); err != nil {
		return fmt.Errorf("stored pdf part of %s: %w", j.DocumentID, err)
	}
	if err := json.Unmarshal(atts, &j.Attachments); err != nil {
		return fmt.Errorf("stored attachments of %s: %w", j.DocumentID, err)
	}
	return nil
}

// Succeed records a push the webhook accepted. A delivery the recipient
// acknowledged, or the sender recalled, while the push was in flight keeps
// that state: it says more than "delivered".
func (s *Store) Succeed(ctx context.Context, job *gateway.PushJob, at time.Time) error {
	return s.pushUpdate(ctx, job, "record push", `UPDATE deliveries SET push_outcome = 'delivered',
			state = CASE WHEN state = 'pending' THEN 'delivered' ELSE state END,
			attempts = attempts + 1, next_attempt_at = NULL, last_error = '', updated_at = ?
		WHERE document_id = ? AND recipient = ? AND push_claim = ? AND push_outcome = ''`, formatTime(at))
}

// Fail records a failed push: due again at next, or failed for good when
// next is zero.
func (s *Store) Fail(ctx context.Context, job *gateway.PushJob, reason string, at, next time.Time) error {
	if next.IsZero() {
		return s.pushUpdate(ctx, job, "record failed push", `UPDATE deliveries SET push_outcome = 'failed',
				state = CASE WHEN state = 'pending' THEN 'failed' ELSE state END,
				attempts = attempts + 1, next_attempt_at = NULL, last_error = ?, updated_at = ?
			WHERE document_id = ? AND recipient = ? AND push_claim = ? AND push_outcome = ''`, reason, formatTime(at))
	}
	return s.pushUpdate(ctx, job, "record failed push", `UPDATE deliveries SET attempts = attempts + 1,
			next_attempt_at = ?, last_error = ?, updated_at = ?, push_claim = '', push_claimed_until = NULL
		WHERE document_id = ? AND recipient = ? AND push_claim = ? AND push_outcome = ''`, formatTime(next), reason, formatTime(at))
}

// Reported marks the outcome reported and ends the claim.
func (s *Store) Reported(ctx context.Context, job *gateway.PushJob) error {
	return s.pushUpdate(ctx, job, "mark push reported", `UPDATE deliveries SET push_reported = 1, push_claim = '', push_claimed_until = NULL
		WHERE document_id = ? AND recipient = ? AND push_claim = ? AND push_outcome <> ''`)
}

// Release ends a claim without recording anything.
func (s *Store) Release(ctx context.Context, job *gateway.PushJob) error {
	err := s.pushUpdate(ctx, job, "release push", `UPDATE deliveries SET push_claim = '', push_claimed_until = NULL
		WHERE document_id = ? AND recipient = ? AND push_claim = ?`)
	if gateway.ErrorCode(err) == gateway.ECONFLICT {
		return nil
	}
	return err
}

// pushUpdate runs one statement on a claimed job: args, then document,
// recipient and claim last. No row changed means the claim is gone.
func (s *Store) pushUpdate(ctx context.Context, job *gateway.PushJob, what, q string, args ...any) error {
	res, err := s.write.ExecContext(ctx, q, append(args, job.DocumentID, job.Recipient, job.Claim)...)
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, job.DeliveryID(), translate(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, job.DeliveryID(), err)
	}
	if n == 0 {
		return gateway.Errorf(gateway.ECONFLICT, "%s %s: the claim expired and another worker took the job", what, job.DeliveryID())
	}
	return nil
}

// WebhookSecret returns the agency's secret, creating it the first time.
func (s *Store) WebhookSecret(ctx context.Context, agency string) (*gateway.WebhookSecret, error) {
	var sec *gateway.WebhookSecret
	err := s.WithTx(ctx, func(tx *sql.Tx) error {
		var err error
		sec, err = webhookSecret(ctx, tx, agency, now())
		return err
	})
	return sec, err
}

// RotateWebhookSecret replaces the secret, keeping the old one valid until
// at+grace.
func (s *Store) RotateWebhookSecret(ctx context.Context, agency string, at time.Time, grace time.Duration) (*gateway.WebhookSecret, error) {
	var sec *gateway.WebhookSecret
	err := s.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := webhookSecret(ctx, tx, agency, at)
		if err != nil {
			return err
		}
		sec = &gateway.WebhookSecret{Agency: agency, Current: newSecret(), Previous: old.Current,
			PreviousUntil: at.Add(grace).UTC().Truncate(time.Microsecond), CreatedAt: at.UTC().Truncate(time.Microsecond)}
		_, err = tx.ExecContext(ctx, `UPDATE webhook_secrets SET secret = ?, previous = ?, previous_until = ?, created_at = ?
			WHERE agency_code = ?`, sec.Current, sec.Previous, formatTime(sec.PreviousUntil), formatTime(sec.CreatedAt), agency)
		if err != nil {
			return fmt.Errorf("rotate webhook secret of %s: %w", agency, err)
		}
		return nil
	})
	return sec, err
}

// webhookSecret reads an agency's secret, creating a random one when it has
// none. tx is a write transaction, so nothing else writes between the read
// and the insert.
func webhookSecret(ctx context.Context, tx *sql.Tx, agency string, at time.Time) (*gateway.WebhookSecret, error) {
	sec := &gateway.WebhookSecret{Agency: agency}
	var until sql.NullString
	var created string
	err := tx.QueryRowContext(ctx, `SELECT secret, previous, previous_until, created_at FROM webhook_secrets WHERE agency_code = ?`,
		agency).Scan(&sec.Current, &sec.Previous, &until, &created)
	if errors.Is(err, sql.ErrNoRows) {
		sec.Current, sec.CreatedAt = newSecret(), at.UTC().Truncate(time.Microsecond)
		_, err := tx.ExecContext(ctx, `INSERT INTO webhook_secrets (agency_code, secret, created_at) VALUES (?, ?, ?)`,
			agency, sec.Current, formatTime(sec.CreatedAt))
		if isForeignKey(err) {
			return nil, gateway.Errorf(gateway.ENOTFOUND, "no agency %s", agency)
		} else if err != nil {
			return nil, fmt.Errorf("create webhook secret of %s: %w", agency, err)
		}
		return sec, nil
	} else if err != nil {
		return nil, fmt.Errorf("read webhook secret of %s: %w", agency, err)
	}
	if sec.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if until.Valid {
		if sec.PreviousUntil, err = parseTime(until.String); err != nil {
			return nil, err
		}
	}
	return sec, nil
}

// newSecret returns 32 random bytes: as strong as the HMAC-SHA-256 key
// they become.
func newSecret() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}
