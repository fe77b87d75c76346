-- The delivery log (gateway/auditlog): an append-only Merkle tree.
--
-- auditlog_head holds the committed size; an append rewrites it in the same
-- transaction as the leaves and nodes, so a reader that sees a size finds
-- every node below it. checkpoint is the largest signed checkpoint, so that
-- a restarted gateway still refuses to sign one that does not extend it.
-- Numbered 0003 to leave 0002 to the documents migration being written
-- alongside; the migrator applies whatever is missing, in order.

CREATE TABLE auditlog_head (
    log_id          INTEGER PRIMARY KEY NOT NULL CHECK (log_id = 1),
    size            INTEGER NOT NULL CHECK (size >= 0),
    checkpoint_size INTEGER,
    checkpoint      BLOB
);

INSERT INTO auditlog_head (log_id, size) VALUES (1, 0);

CREATE TABLE auditlog_leaves (
    idx  INTEGER PRIMARY KEY NOT NULL CHECK (idx >= 0),
    data BLOB NOT NULL
);

-- Node (level, idx) covers leaves [idx << level, (idx + 1) << level).
CREATE TABLE auditlog_nodes (
    level INTEGER NOT NULL CHECK (level >= 0 AND level < 64),
    idx   INTEGER NOT NULL CHECK (idx >= 0),
    hash  BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
