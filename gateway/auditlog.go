package gateway

import "context"

// AuditLogHashSize is the size of every hash in the audit log (SHA-256).
const AuditLogHashSize = 32

// AuditLogNodeID names a node of the audit log's Merkle tree: Level 0 holds
// leaf hashes, and the node (Level, Index) covers leaves
// [Index<<Level, (Index+1)<<Level). In SQL it is two integer columns and the
// primary key. gateway/auditlog converts it to and from the tree library's
// own node ID, so that stores need not import that library.
type AuditLogNodeID struct {
	Level uint64
	Index uint64
}

// AuditLogNode is a stored node hash.
type AuditLogNode struct {
	ID   AuditLogNodeID
	Hash []byte // AuditLogHashSize bytes
}

// AuditLogStorage keeps the audit log (gateway/auditlog): the leaf data and
// the hash of every perfect subtree (every node whose leaves have all been
// appended). Those nodes are immutable once written, so the root at any size,
// an inclusion proof and a consistency proof each read O(log n) of them, and
// an append writes about two per leaf.
//
// Concurrency: several gateway replicas append to one log. Append must
// serialise its callbacks across all of them (in PostgreSQL: a row lock on
// the log's head row with SELECT ... FOR UPDATE, or an advisory lock) and
// commit the leaves, the nodes and the new size atomically. Readers take no
// lock: they read the committed size and then only nodes below it, which
// nobody rewrites.
//
// A schema that fits (PostgreSQL; SQLite alike with BLOB and INTEGER):
//
//	auditlog_head   (log_id int PRIMARY KEY, size bigint NOT NULL)   -- locked FOR UPDATE by Append
//	auditlog_leaves (idx bigint PRIMARY KEY, data bytea NOT NULL)
//	auditlog_nodes  (level smallint, idx bigint, hash bytea NOT NULL, PRIMARY KEY (level, idx))
//
// Indexes stay below 2^63, so signed 64-bit columns hold them. ReadNodes is
// one query (for example WHERE (level, idx) IN (...) or = ANY of two arrays),
// and Write one COPY or multi-row INSERT per table.
//
// Implementations: auditlog.MemoryStorage, for tests; storage/sqlite and
// storage/postgres. gateway/auditlog/auditlogtest.TestStorage is the
// conformance suite each must pass.
type AuditLogStorage interface {
	// Size returns the number of leaves committed. EUNAVAILABLE.
	Size(ctx context.Context) (uint64, error)
	// ReadNodes returns the hashes of ids, in order, in one round trip. A
	// node that is not stored is EINTERNAL (the log is corrupt, or the caller
	// asked beyond the committed size). EUNAVAILABLE.
	ReadNodes(ctx context.Context, ids []AuditLogNodeID) ([][]byte, error)
	// ReadLeaves returns the data of leaves [begin, end). EINVALID when the
	// range is not within the committed size. EUNAVAILABLE.
	ReadLeaves(ctx context.Context, begin, end uint64) ([][]byte, error)
	// Append calls fn with the log locked for appending and commits what fn
	// wrote when it returns nil; when it returns an error nothing is
	// committed and Append returns that error. EUNAVAILABLE.
	Append(ctx context.Context, fn func(ctx context.Context, tx AuditLogAppendTx) error) error
}

// AuditLogAppendTx is the view of the log inside AuditLogStorage.Append.
type AuditLogAppendTx interface {
	// Size returns the committed number of leaves; under the lock it cannot
	// change until the callback returns.
	Size(ctx context.Context) (uint64, error)
	// ReadNodes is AuditLogStorage.ReadNodes inside the lock.
	ReadNodes(ctx context.Context, ids []AuditLogNodeID) ([][]byte, error)
	// Write adds leaves at indexes first, first+1, ... and the nodes their
	// appending completed; the size becomes first+len(leaves) on commit. It
	// is called at most once per callback, with first equal to Size.
	// ECONFLICT when a node or leaf exists already with another value, or
	// first is not the size.
	Write(ctx context.Context, first uint64, leaves [][]byte, nodes []AuditLogNode) error
}

// AuditLogCheckpointStorage is implemented by an AuditLogStorage that also
// keeps the largest checkpoint the log has signed. An auditlog.Log remembers
// that checkpoint in memory only; kept beside the tree, it survives a restart
// and is shared by every replica, so none of them signs a checkpoint that does
// not extend one any of them signed before, even after the tables were rolled
// back while the gateway was down.
type AuditLogCheckpointStorage interface {
	// LastCheckpoint returns the signed checkpoint kept with the largest
	// size, or nil when none was. EUNAVAILABLE.
	LastCheckpoint(ctx context.Context) ([]byte, error)
	// SaveCheckpoint keeps signed, a checkpoint of size leaves, unless one of
	// the same or a larger size is kept already. EUNAVAILABLE.
	SaveCheckpoint(ctx context.Context, size uint64, signed []byte) error
}
