package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"
)

// PushOutcome is what became of a push to a recipient's webhook.
type PushOutcome string

const (
	// PushOutcomeNone: the push is still due.
	PushOutcomeNone PushOutcome = ""
	// PushOutcomeDelivered: the webhook answered 2xx.
	PushOutcomeDelivered PushOutcome = "delivered"
	// PushOutcomeFailed: every attempt failed.
	PushOutcomeFailed PushOutcome = "failed"
)

// PushJob is one delivery claimed by a push worker (gateway/delivery):
// either a push that is due (Outcome empty) or a push whose outcome is
// recorded but whose hook (OnDelivered, OnFailed) has not yet run, because
// the worker that recorded it stopped before it could.
type PushJob struct {
	DocumentID string
	Recipient  string
	// Claim identifies this claim; every later call on the job must present
	// it, so that a worker whose lease expired cannot overwrite the work of
	// the worker that claimed the job after it.
	Claim        string
	ClaimedUntil time.Time
	Outcome      PushOutcome
	// Attempts counts the pushes recorded before this claim.
	Attempts  int
	LastError string
	// Webhook is the recipient's URL as registered when the job was
	// claimed.
	Webhook string
	// Secret signs the push; PreviousSecret, while not nil, is the secret
	// it replaced, still accepted by the receiver during a rotation.
	Secret         []byte
	PreviousSecret []byte

	// What the push announces.
	Envelope    Envelope
	PDF         Part
	Attachments []Part
	SubmittedAt time.Time
}

// DeliveryID is the idempotency key of a push: the same for every attempt
// at delivering one document to one recipient.
func (j *PushJob) DeliveryID() string { return j.DocumentID + "/" + j.Recipient }

// NewClaimToken returns a random claim identifier for a PushJob; stores call
// it so that every claim is distinct even when one worker claims a job twice.
func NewClaimToken(worker string) string {
	var b [8]byte
	rand.Read(b[:])
	return worker + ":" + hex.EncodeToString(b[:])
}

// PushQueue is the database side of push delivery (gateway/delivery).
// Implementations: storage/postgres, storage/sqlite (conformance suite in
// storage/storetest/delivery.go).
//
// A job is due when its delivery is pending, its recipient is active and has
// a webhook, and its next attempt time has come (or was never set); or when
// its outcome is recorded but not reported. Either way no unexpired claim may
// hold it.
type PushQueue interface {
	// Claim takes up to n due jobs, oldest first, for worker, until
	// now+lease. Jobs another replica holds are skipped, not waited for.
	// EUNAVAILABLE.
	Claim(ctx context.Context, worker string, now time.Time, n int, lease time.Duration) ([]*PushJob, error)
	// Succeed records a push the webhook accepted: the delivery becomes
	// delivered (unless the recipient acknowledged it or the sender recalled
	// it meanwhile) and its outcome waits to be reported. The claim is kept
	// for the report. ECONFLICT when the claim was lost.
	Succeed(ctx context.Context, job *PushJob, at time.Time) error
	// Fail records a failed push. With a non-zero next the job is due again
	// at next and the claim is released; with a zero next the delivery
	// becomes failed and its outcome waits to be reported, claim kept.
	// ECONFLICT when the claim was lost.
	Fail(ctx context.Context, job *PushJob, reason string, at, next time.Time) error
	// Reported marks a recorded outcome reported and releases the claim.
	// ECONFLICT when the claim was lost.
	Reported(ctx context.Context, job *PushJob) error
	// Release gives a claimed job back untouched, due at once. Releasing a
	// job whose claim was lost is not an error.
	Release(ctx context.Context, job *PushJob) error
}

// WebhookSecret is an agency's webhook signing secret.
type WebhookSecret struct {
	Agency  string
	Current []byte
	// Previous is the secret Current replaced, still sent beside it until
	// PreviousUntil so that a receiver can switch without losing pushes.
	Previous      []byte
	PreviousUntil time.Time
	CreatedAt     time.Time
}

// WebhookSecrets lets an operator read and rotate webhook secrets.
// Implemented by both stores beside PushQueue.
type WebhookSecrets interface {
	// WebhookSecret returns the agency's secret, creating one the first
	// time. ENOTFOUND (no such agency).
	WebhookSecret(ctx context.Context, agency string) (*WebhookSecret, error)
	// RotateWebhookSecret replaces the agency's secret with a new random
	// one; the old one stays valid until at+grace. ENOTFOUND.
	RotateWebhookSecret(ctx context.Context, agency string, at time.Time, grace time.Duration) (*WebhookSecret, error)
}
