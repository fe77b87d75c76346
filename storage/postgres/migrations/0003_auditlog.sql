-- The delivery log (gateway/auditlog): an append-only Merkle tree shared by
-- every replica.
--
-- An append locks the one auditlog_head row (SELECT ... FOR UPDATE), writes
-- leaves and nodes and the new size, and commits: appends from all replicas
-- queue on that row, and a reader that sees a size finds every node below
-- it. checkpoint is the largest signed checkpoint, so that no replica, after
-- a restart either, signs one that does not extend it. Numbered 0003 to leave
-- 0002 to the documents migration written alongside; the migrator applies
-- whatever is missing, in order.

CREATE TABLE auditlog_head (
    log_id          integer PRIMARY KEY CHECK (log_id = 1),
    size            bigint NOT NULL CHECK (size >= 0),
    checkpoint_size bigint,
    checkpoint      bytea
);

INSERT INTO auditlog_head (log_id, size) VALUES (1, 0);

CREATE TABLE auditlog_leaves (
    idx  bigint PRIMARY KEY CHECK (idx >= 0),
    data bytea NOT NULL
);

-- Node (level, idx) covers leaves [idx << level, (idx + 1) << level).
CREATE TABLE auditlog_nodes (
    level smallint NOT NULL CHECK (level >= 0 AND level < 64),
    idx   bigint NOT NULL CHECK (idx >= 0),
    hash  bytea NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);
