-- Which blobs documents reference, so that an orphan sweeper can delete the
-- blobs a crash left between the blob store and the database without ever
-- deleting one a submission is about to reference.
--
-- A submission marks each blob (put_at = now) before it writes it; the
-- sweeper claims only blobs unreferenced and unmarked for a grace period,
-- setting deleting first, and a submission refuses to reference a blob
-- being deleted.

CREATE TABLE blobs (
    sha256   text PRIMARY KEY,
    put_at   timestamptz NOT NULL,
    deleting boolean NOT NULL DEFAULT false
);

CREATE TABLE document_parts (
    document_id text NOT NULL REFERENCES documents (id),
    sha256      text NOT NULL REFERENCES blobs (sha256),
    PRIMARY KEY (document_id, sha256)
);

CREATE INDEX document_parts_sha256 ON document_parts (sha256);

-- Documents stored before this migration keep their blobs.
INSERT INTO blobs (sha256, put_at)
    SELECT pdf->>'sha256', submitted_at FROM documents
    UNION SELECT a->>'sha256', d.submitted_at FROM documents d, jsonb_array_elements(d.attachments) a
    ON CONFLICT DO NOTHING;
INSERT INTO document_parts (document_id, sha256)
    SELECT id, pdf->>'sha256' FROM documents
    UNION SELECT d.id, a->>'sha256' FROM documents d, jsonb_array_elements(d.attachments) a
    ON CONFLICT DO NOTHING;
