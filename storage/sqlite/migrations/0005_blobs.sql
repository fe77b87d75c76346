-- Which blobs documents reference, so that an orphan sweeper can delete the
-- blobs a crash left between the blob store and the database without ever
-- deleting one a submission is about to reference.
--
-- A submission marks each blob (put_at = now) before it writes it; the
-- sweeper claims only blobs unreferenced and unmarked for a grace period,
-- setting deleting first, and a submission refuses to reference a blob
-- being deleted.

CREATE TABLE blobs (
    sha256   TEXT PRIMARY KEY,
    put_at   TEXT NOT NULL,
    deleting INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE document_parts (
    document_id TEXT NOT NULL REFERENCES documents (id),
    sha256      TEXT NOT NULL REFERENCES blobs (sha256),
    PRIMARY KEY (document_id, sha256)
);

CREATE INDEX document_parts_sha256 ON document_parts (sha256);

-- Documents stored before this migration keep their blobs.
INSERT OR IGNORE INTO blobs (sha256, put_at)
    SELECT json_extract(pdf, '$.sha256'), submitted_at FROM documents;
INSERT OR IGNORE INTO blobs (sha256, put_at)
    SELECT json_extract(a.value, '$.sha256'), d.submitted_at FROM documents d, json_each(d.attachments) a;
INSERT OR IGNORE INTO document_parts (document_id, sha256)
    SELECT id, json_extract(pdf, '$.sha256') FROM documents;
INSERT OR IGNORE INTO document_parts (document_id, sha256)
    SELECT d.id, json_extract(a.value, '$.sha256') FROM documents d, json_each(d.attachments) a;
