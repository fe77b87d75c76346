-- The agency registry and API credentials.
--
-- Times are TEXT in one fixed-width UTC form (2006-01-02T15:04:05.000000Z):
-- it sorts as the instants do, reads back exactly, and stays legible in the
-- sqlite3 shell. Codes compare as bytes (SQLite's BINARY collation), the same
-- order the PostgreSQL store uses.

CREATE TABLE agencies (
    code        TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    parent_code TEXT REFERENCES agencies (code),
    webhook     TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE INDEX agencies_parent_code ON agencies (parent_code, code);

CREATE TABLE agency_certificates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_code TEXT NOT NULL REFERENCES agencies (code),
    sha256      TEXT NOT NULL UNIQUE,
    subject     TEXT NOT NULL,
    not_before  TEXT NOT NULL,
    not_after   TEXT NOT NULL,
    der         BLOB NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE INDEX agency_certificates_agency_code ON agency_certificates (agency_code, id);

CREATE TABLE tokens (
    id          TEXT PRIMARY KEY NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'agency', 'auditor')),
    agency_code TEXT REFERENCES agencies (code),
    name        TEXT NOT NULL DEFAULT '',
    hash        BLOB NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE INDEX tokens_agency_code ON tokens (agency_code, created_at, id);
