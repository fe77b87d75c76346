package postgres

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"docgate/gateway"
)

var (
	_ gateway.PushQueue      = (*Store)(nil)
	_ gateway.WebhookSecrets = (*Store)(nil)
)

// The two kinds of due job, as conditions on deliveries d joined with
// agencies a; $1 is the claim time.
const (
	dueReport = `d.push_outcome <> '' AND NOT d.push_reported`
	duePush   = `d.state = 'pending' AND d.push_outcome = '' AND a.webhook <> '' AND a.status = 'active'
		AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= $1)`
)

// Claim takes due push jobs with FOR UPDATE SKIP LOCKED: replicas claiming
// at the same moment each get different rows and never wait for one another.
// The lease, not the row lock, holds the job while it is pushed, since the
// push runs outside any transaction.
func (s *Store) Claim(ctx context.Context, worker string, at time.Time, n int, lease time.Duration) ([]*gateway.PushJob, error) {
	if n <= 0 {
		return nil, nil
	}
	at = dbTime(at)
	until := dbTime(at.Add(lease))
	claim := gateway.NewClaimToken(worker)
	var jobs []*gateway.PushJob
	err := s.WithTx(ctx, func(tx pgx.Tx) error {
		jobs = jobs[:0]
		// Outcomes waiting for their report first, then due pushes: two
		// queries, each on its partial index, rather than one OR that
		// would scan every pending delivery.
		for _, due := range []string{dueReport, duePush} {
			if len(jobs) >= n {
				break
			}
			rows, err := tx.Query(ctx, `WITH due AS (
					SELECT d.seq FROM deliveries d JOIN agencies a ON a.code = d.recipient
					WHERE `+due+`
					  AND (d.push_claimed_until IS NULL OR d.push_claimed_until <= $1)
					ORDER BY d.seq
					LIMIT $2
					FOR UPDATE OF d SKIP LOCKED)
				UPDATE deliveries d SET push_claim = $3, push_claimed_until = $4
				FROM due, documents doc, agencies a
				WHERE d.seq = due.seq AND doc.id = d.document_id AND a.code = d.recipient
				RETURNING d.document_id, d.recipient, d.push_outcome, d.attempts, d.last_error, a.webhook,
					doc.envelope, doc.pdf, doc.attachments, doc.submitted_at`, at, n-len(jobs), claim, until)
			if err != nil {
				return fmt.Errorf("claim push jobs: %w", err)
			}
			var env, pdf, atts []byte
			j := &gateway.PushJob{}
			var outcome string
			_, err = pgx.ForEachRow(rows, []any{&j.DocumentID, &j.Recipient, &outcome, &j.Attempts, &j.LastError, &j.Webhook,
				&env, &pdf, &atts, &j.SubmittedAt}, func() error {
				job := *j
				job.Claim, job.ClaimedUntil, job.Outcome, job.SubmittedAt = claim, until, gateway.PushOutcome(outcome), j.SubmittedAt.UTC()
				if err := decodeJobDocument(&job, env, pdf, atts); err != nil {
					return err
				}
				jobs = append(jobs, &job)
				return nil
			})
			if err != nil {
				return fmt.Errorf("claim push jobs: %w", err)
			}
		}
		// Recipients in code order: two replicas creating first secrets
		// for the same agencies then insert them in the same order.
		secrets := map[string]*gateway.WebhookSecret{}
		for _, job := range jobs {
			secrets[job.Recipient] = nil
		}
		for _, code := range slices.Sorted(maps.Keys(secrets)) {
			sec, err := webhookSecret(ctx, tx, code, at, false)
			if err != nil {
				return err
			}
			secrets[code] = sec
		}
		for _, job := range jobs {
			sec := secrets[job.Recipient]
			job.Secret = sec.Current
			if sec.Previous != nil && at.Before(sec.PreviousUntil) {
				job.PreviousSecret = sec.Previous
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
			attempts = attempts + 1, next_attempt_at = NULL, last_error = '', updated_at = $4
		WHERE document_id = $1 AND recipient = $2 AND push_claim = $3 AND push_outcome = ''`, dbTime(at))
}

// Fail records a failed push: due again at next, or failed for good when
// next is zero.
func (s *Store) Fail(ctx context.Context, job *gateway.PushJob, reason string, at, next time.Time) error {
	if next.IsZero() {
		return s.pushUpdate(ctx, job, "record failed push", `UPDATE deliveries SET push_outcome = 'failed',
				state = CASE WHEN state = 'pending' THEN 'failed' ELSE state END,
				attempts = attempts + 1, next_attempt_at = NULL, last_error = $5, updated_at = $4
			WHERE document_id = $1 AND recipient = $2 AND push_claim = $3 AND push_outcome = ''`, dbTime(at), reason)
	}
	return s.pushUpdate(ctx, job, "record failed push", `UPDATE deliveries SET attempts = attempts + 1,
			next_attempt_at = $5, last_error = $6, updated_at = $4, push_claim = '', push_claimed_until = NULL
		WHERE document_id = $1 AND recipient = $2 AND push_claim = $3 AND push_outcome = ''`, dbTime(at), dbTime(next), reason)
}

// Reported marks the outcome reported and ends the claim.
func (s *Store) Reported(ctx context.Context, job *gateway.PushJob) error {
	return s.pushUpdate(ctx, job, "mark push reported", `UPDATE deliveries SET push_reported = true, push_claim = '', push_claimed_until = NULL
		WHERE document_id = $1 AND recipient = $2 AND push_claim = $3 AND push_outcome <> ''`)
}

// Release ends a claim without recording anything.
func (s *Store) Release(ctx context.Context, job *gateway.PushJob) error {
	err := s.pushUpdate(ctx, job, "release push", `UPDATE deliveries SET push_claim = '', push_claimed_until = NULL
		WHERE document_id = $1 AND recipient = $2 AND push_claim = $3`)
	if gateway.ErrorCode(err) == gateway.ECONFLICT {
		return nil
	}
	return err
}

// pushUpdate runs one statement on a claimed job: $1 document, $2 recipient,
// $3 claim, then args. No row changed means the claim is gone.
func (s *Store) pushUpdate(ctx context.Context, job *gateway.PushJob, what, sql string, args ...any) error {
	tag, err := s.pool.Exec(ctx, sql, append([]any{job.DocumentID, job.Recipient, job.Claim}, args...)...)
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, job.DeliveryID(), translate(err))
	}
	if tag.RowsAffected() == 0 {
		return gateway.Errorf(gateway.ECONFLICT, "%s %s: the claim expired and another worker took the job", what, job.DeliveryID())
	}
	return nil
}

// WebhookSecret returns the agency's secret, creating it the first time.
func (s *Store) WebhookSecret(ctx context.Context, agency string) (*gateway.WebhookSecret, error) {
	var sec *gateway.WebhookSecret
	err := s.WithTx(ctx, func(tx pgx.Tx) error {
		var err error
		sec, err = webhookSecret(ctx, tx, agency, now(), false)
		return err
	})
	return sec, err
}

// RotateWebhookSecret replaces the secret, keeping the old one valid until
// at+grace.
func (s *Store) RotateWebhookSecret(ctx context.Context, agency string, at time.Time, grace time.Duration) (*gateway.WebhookSecret, error) {
	var sec *gateway.WebhookSecret
	err := s.WithTx(ctx, func(tx pgx.Tx) error {
		old, err := webhookSecret(ctx, tx, agency, at, true)
		if err != nil {
			return err
		}
		sec = &gateway.WebhookSecret{Agency: agency, Current: newSecret(), Previous: old.Current,
			PreviousUntil: dbTime(at.Add(grace)), CreatedAt: dbTime(at)}
		_, err = tx.Exec(ctx, `UPDATE webhook_secrets SET secret = $2, previous = $3, previous_until = $4, created_at = $5
			WHERE agency_code = $1`, agency, sec.Current, sec.Previous, sec.PreviousUntil, sec.CreatedAt)
		if err != nil {
			return fmt.Errorf("rotate webhook secret of %s: %w", agency, err)
		}
		return nil
	})
	return sec, err
}

// webhookSecret reads an agency's secret, creating a random one when it has
// none. With lock it also locks the row for the rest of tx (a rotation);
// claims read without locking, so that replicas never wait on each other.
func webhookSecret(ctx context.Context, tx pgx.Tx, agency string, at time.Time, lock bool) (*gateway.WebhookSecret, error) {
	q := `SELECT secret, previous, previous_until, created_at FROM webhook_secrets WHERE agency_code = $1`
	if lock {
		q += ` FOR UPDATE`
	}
	sec := &gateway.WebhookSecret{Agency: agency}
	var until *time.Time
	for range 2 {
		err := tx.QueryRow(ctx, q, agency).Scan(&sec.Current, &sec.Previous, &until, &sec.CreatedAt)
		if err == nil {
			sec.CreatedAt = sec.CreatedAt.UTC()
			if until != nil {
				sec.PreviousUntil = until.UTC()
			}
			return sec, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("read webhook secret of %s: %w", agency, err)
		}
		// A concurrent first use may insert too; DO NOTHING lets the first
		// secret win and the reread returns it.
		_, err = tx.Exec(ctx, `INSERT INTO webhook_secrets (agency_code, secret, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (agency_code) DO NOTHING`, agency, newSecret(), dbTime(at))
		if isForeignKey(err) {
			return nil, gateway.Errorf(gateway.ENOTFOUND, "no agency %s", agency)
		} else if err != nil {
			return nil, fmt.Errorf("create webhook secret of %s: %w", agency, err)
		}
	}
	return nil, gateway.Errorf(gateway.ENOTFOUND, "no agency %s", agency)
}

// newSecret returns 32 random bytes: as strong as the HMAC-SHA-256 key
// they become.
func newSecret() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}
