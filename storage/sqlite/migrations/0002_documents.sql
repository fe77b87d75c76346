-- Documents, their deliveries (one per recipient), the events of their trail
-- and the signed receipts of those events.
--
-- Envelope, parts and the verification report are kept as JSON: they are
-- read whole and never queried by field. The (from, message id) index makes
-- resubmission idempotent.

CREATE TABLE documents (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    from_code     TEXT NOT NULL REFERENCES agencies (code),
    message_id    TEXT NOT NULL DEFAULT '',
    envelope      TEXT NOT NULL,
    pdf           TEXT NOT NULL,
    attachments   TEXT NOT NULL,
    verification  TEXT,
    state         TEXT NOT NULL CHECK (state IN ('active', 'recalled', 'replaced')),
    submitted_at  TEXT NOT NULL
);

CREATE UNIQUE INDEX documents_message_id ON documents (from_code, message_id) WHERE message_id <> '';

CREATE TABLE deliveries (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id      TEXT NOT NULL REFERENCES documents (id),
    recipient        TEXT NOT NULL REFERENCES agencies (code),
    state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'acknowledged', 'recalled')),
    status           TEXT NOT NULL DEFAULT '',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT,
    last_error       TEXT NOT NULL DEFAULT '',
    acknowledged_at  TEXT,
    updated_at       TEXT NOT NULL,
    UNIQUE (document_id, recipient)
);

CREATE INDEX deliveries_inbox ON deliveries (recipient, seq);

CREATE TABLE receipts (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    document_id  TEXT NOT NULL REFERENCES documents (id),
    event        TEXT NOT NULL,
    cms          BLOB NOT NULL,
    at           TEXT NOT NULL,
    pending      INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX receipts_document ON receipts (document_id, seq);
CREATE INDEX receipts_pending ON receipts (seq) WHERE pending = 1;

CREATE TABLE events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id  TEXT NOT NULL REFERENCES documents (id),
    type         TEXT NOT NULL,
    actor        TEXT NOT NULL,
    recipient    TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    at           TEXT NOT NULL,
    receipt_id   TEXT REFERENCES receipts (id),
    log_index    INTEGER
);

CREATE INDEX events_document ON events (document_id, seq);
