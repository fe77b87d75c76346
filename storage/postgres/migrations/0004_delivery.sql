-- Push delivery: the claim that holds a push for one worker, the outcome of
-- a finished push until its receipt is issued, and each agency's webhook
-- signing secret.
--
-- The queue is the deliveries table itself: a push is due while its delivery
-- is pending with no outcome and next_attempt_at has come (NULL = at once).
-- Workers claim rows with FOR UPDATE SKIP LOCKED and a lease
-- (push_claimed_until), so replicas share the work and a crashed replica's
-- jobs come back when its lease runs out.

ALTER TABLE deliveries
    ADD COLUMN push_claim         text NOT NULL DEFAULT '',
    ADD COLUMN push_claimed_until timestamptz,
    ADD COLUMN push_outcome       text NOT NULL DEFAULT '' CHECK (push_outcome IN ('', 'delivered', 'failed')),
    ADD COLUMN push_reported      boolean NOT NULL DEFAULT false;

CREATE INDEX deliveries_push_due ON deliveries (seq) WHERE state = 'pending' AND push_outcome = '';
CREATE INDEX deliveries_push_unreported ON deliveries (seq) WHERE push_outcome <> '' AND NOT push_reported;

-- The secret is kept as is, not hashed: the gateway needs it to sign. The
-- previous secret stays valid until previous_until so that a receiver can
-- switch over during a rotation.
CREATE TABLE webhook_secrets (
    agency_code    text COLLATE "C" PRIMARY KEY REFERENCES agencies (code),
    secret         bytea NOT NULL,
    previous       bytea,
    previous_until timestamptz,
    created_at     timestamptz NOT NULL
);
