// Package delivery pushes documents to recipients that registered a webhook:
// a signed POST that tells the recipient's DMS a document waits in its inbox,
// retried with exponential backoff and full jitter, and reported to the
// sender when every attempt failed.
//
// The work queue lives in the database (the Queue interface, implemented by
// storage/postgres with FOR UPDATE SKIP LOCKED and by storage/sqlite with its
// single writer), so any number of gateway replicas can run workers over one
// database: a job is claimed with a lease, and a replica that dies mid-push
// only delays the job until its lease expires. A push repeated after such a
// crash carries the same Docgate-Delivery-Id, so the receiver can drop the
// duplicate.
//
// Webhook targets are checked twice: when an agency registers one
// (TargetPolicy.CheckURL) and again on every dial (TargetPolicy.Control), so
// that a DNS name that later resolves to a private address cannot reach the
// gateway's own network.
//
// The package must not know about SQL or HTTP routing, and it issues no
// receipts itself: OnDelivered and OnFailed hand the outcome to whoever
// records evidence (the exchange).
package delivery
