-- Documents, their deliveries (one per recipient), the events of their trail
-- and the signed receipts of those events.
--
-- Envelope, parts and the verification report are kept as JSON: they are
-- read whole and never queried by field. The (from, message id) index makes
-- resubmission idempotent.

CREATE TABLE documents (
    seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id            text NOT NULL UNIQUE,
    from_code     text COLLATE "C" NOT NULL REFERENCES agencies (code),
    message_id    text NOT NULL DEFAULT '',
    envelope      jsonb NOT NULL,
    pdf           jsonb NOT NULL,
    attachments   jsonb NOT NULL,
    verification  jsonb,
    state         text NOT NULL CHECK (state IN ('active', 'recalled', 'replaced')),
    submitted_at  timestamptz NOT NULL
);

CREATE UNIQUE INDEX documents_message_id ON documents (from_code, message_id) WHERE message_id <> '';

CREATE TABLE deliveries (
    seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id      text NOT NULL REFERENCES documents (id),
    recipient        text COLLATE "C" NOT NULL REFERENCES agencies (code),
    state            text NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'acknowledged', 'recalled')),
    status           text NOT NULL DEFAULT '',
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    last_error       text NOT NULL DEFAULT '',
    acknowledged_at  timestamptz,
    updated_at       timestamptz NOT NULL,
    UNIQUE (document_id, recipient)
);

CREATE INDEX deliveries_inbox ON deliveries (recipient, seq);

CREATE TABLE receipts (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           text NOT NULL UNIQUE,
    document_id  text NOT NULL REFERENCES documents (id),
    event        text NOT NULL,
    cms          bytea NOT NULL,
    at           timestamptz NOT NULL,
    pending      boolean NOT NULL DEFAULT false
);

CREATE INDEX receipts_document ON receipts (document_id, seq);
CREATE INDEX receipts_pending ON receipts (seq) WHERE pending;

CREATE TABLE events (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id  text NOT NULL REFERENCES documents (id),
    type         text NOT NULL,
    actor        text NOT NULL,
    recipient    text NOT NULL DEFAULT '',
    status       text NOT NULL DEFAULT '',
    note         text NOT NULL DEFAULT '',
    at           timestamptz NOT NULL,
    receipt_id   text REFERENCES receipts (id),
    log_index    bigint
);

CREATE INDEX events_document ON events (document_id, seq);
