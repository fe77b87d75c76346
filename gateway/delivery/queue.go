package delivery

import "docgate/gateway"

// The queue's contract lives in package gateway, so that the stores that
// implement it import only the domain; these names keep this package's
// callers reading as before.
type (
	// Outcome is what became of a push; see gateway.PushOutcome.
	Outcome = gateway.PushOutcome
	// Job is one delivery claimed by a worker; see gateway.PushJob.
	Job = gateway.PushJob
	// Queue is the database side of push delivery; see gateway.PushQueue.
	Queue = gateway.PushQueue
	// Secret is an agency's webhook signing secret; see
	// gateway.WebhookSecret.
	Secret = gateway.WebhookSecret
	// Secrets lets an operator read and rotate webhook secrets; see
	// gateway.WebhookSecrets.
	Secrets = gateway.WebhookSecrets
)

// Outcomes of a push; see gateway.PushOutcome.
const (
	OutcomeNone      = gateway.PushOutcomeNone
	OutcomeDelivered = gateway.PushOutcomeDelivered
	OutcomeFailed    = gateway.PushOutcomeFailed
)
