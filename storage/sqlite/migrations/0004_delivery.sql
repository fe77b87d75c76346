-- Push delivery: the claim that holds a push for one worker, the outcome of
-- a finished push until its receipt is issued, and each agency's webhook
-- signing secret.
--
-- The queue is the deliveries table itself: a push is due while its delivery
-- is pending with no outcome and next_attempt_at has come (NULL = at once).
-- Claims are taken in a write transaction, which SQLite runs one at a time,
-- with a lease (push_claimed_until) so that a crashed process's jobs come
-- back when its lease runs out.

ALTER TABLE deliveries ADD COLUMN push_claim TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN push_claimed_until TEXT;
ALTER TABLE deliveries ADD COLUMN push_outcome TEXT NOT NULL DEFAULT '' CHECK (push_outcome IN ('', 'delivered', 'failed'));
ALTER TABLE deliveries ADD COLUMN push_reported INTEGER NOT NULL DEFAULT 0;

CREATE INDEX deliveries_push_due ON deliveries (seq) WHERE state = 'pending' AND push_outcome = '';
CREATE INDEX deliveries_push_unreported ON deliveries (seq) WHERE push_outcome <> '' AND push_reported = 0;

-- The secret is kept as is, not hashed: the gateway needs it to sign. The
-- previous secret stays valid until previous_until so that a receiver can
-- switch over during a rotation.
CREATE TABLE webhook_secrets (
    agency_code    TEXT PRIMARY KEY REFERENCES agencies (code),
    secret         BLOB NOT NULL,
    previous       BLOB,
    previous_until TEXT,
    created_at     TEXT NOT NULL
);
