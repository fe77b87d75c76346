-- The agency registry and API credentials.
--
-- Codes use the "C" collation so that they sort (and keyset-paginate) by
-- bytes whatever the database's locale, the same order as the SQLite store.

CREATE TABLE agencies (
    code        text COLLATE "C" PRIMARY KEY,
    name        text NOT NULL,
    parent_code text COLLATE "C" REFERENCES agencies (code),
    webhook     text NOT NULL DEFAULT '',
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE INDEX agencies_parent_code ON agencies (parent_code, code);

CREATE TABLE agency_certificates (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_code text COLLATE "C" NOT NULL REFERENCES agencies (code),
    sha256      text NOT NULL UNIQUE,
    subject     text NOT NULL,
    not_before  timestamptz NOT NULL,
    not_after   timestamptz NOT NULL,
    der         bytea NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE INDEX agency_certificates_agency_code ON agency_certificates (agency_code, id);

CREATE TABLE tokens (
    id          text PRIMARY KEY,
    role        text NOT NULL CHECK (role IN ('admin', 'agency', 'auditor')),
    agency_code text COLLATE "C" REFERENCES agencies (code),
    name        text NOT NULL DEFAULT '',
    hash        bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);

CREATE INDEX tokens_agency_code ON tokens (agency_code, created_at, id);
