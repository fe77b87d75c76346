package auditlog

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"docgate/gateway"
	"github.com/transparency-dev/merkle/compact"
)

// NodeID names a node of the tree: Level 0 holds leaf hashes, and the node
// (Level, Index) covers leaves [Index<<Level, (Index+1)<<Level). In SQL it is
// two integer columns and the primary key.
type NodeID = compact.NodeID

// Node is a stored node hash.
type Node struct {
	ID   NodeID
	Hash []byte // 32 bytes
}

// Storage keeps the log: the leaf data and the hash of every perfect subtree
// (every node whose leaves have all been appended). Those nodes are immutable
// once written, so the root at any size, an inclusion proof and a
// consistency proof each read O(log n) of them, and an append writes about
// two per leaf.
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
// Implementations: MemoryStorage here, for tests; storage/sqlite and
// storage/postgres are to follow, and auditlogtest.TestStorage is the
// conformance suite each must pass.
type Storage interface {
	// Size returns the number of leaves committed. EUNAVAILABLE.
	Size(ctx context.Context) (uint64, error)
	// ReadNodes returns the hashes of ids, in order, in one round trip. A
	// node that is not stored is EINTERNAL (the log is corrupt, or the caller
	// asked beyond the committed size). EUNAVAILABLE.
	ReadNodes(ctx context.Context, ids []NodeID) ([][]byte, error)
	// ReadLeaves returns the data of leaves [begin, end). EINVALID when the
	// range is not within the committed size. EUNAVAILABLE.
	ReadLeaves(ctx context.Context, begin, end uint64) ([][]byte, error)
	// Append calls fn with the log locked for appending and commits what fn
	// wrote when it returns nil; when it returns an error nothing is
	// committed and Append returns that error. EUNAVAILABLE.
	Append(ctx context.Context, fn func(ctx context.Context, tx AppendTx) error) error
}

// AppendTx is the view of the log inside Storage.Append.
type AppendTx interface {
	// Size returns the committed number of leaves; under the lock it cannot
	// change until the callback returns.
	Size(ctx context.Context) (uint64, error)
	// ReadNodes is Storage.ReadNodes inside the lock.
	ReadNodes(ctx context.Context, ids []NodeID) ([][]byte, error)
	// Write adds leaves at indexes first, first+1, ... and the nodes their
	// appending completed; the size becomes first+len(leaves) on commit. It
	// is called at most once per callback, with first equal to Size.
	// ECONFLICT when a node or leaf exists already with another value, or
	// first is not the size.
	Write(ctx context.Context, first uint64, leaves [][]byte, nodes []Node) error
}

// MemoryStorage is a Storage in memory, for tests and benchmarks. It counts
// node reads so that tests can check what an operation costs.
type MemoryStorage struct {
	appendMu sync.Mutex // serialises Append callbacks, like the head row lock in SQL

	mu       sync.RWMutex
	levels   [][]byte // levels[l] holds the hashes of level l, 32 bytes each, by index
	leafData []byte   // all leaf data, concatenated
	leafEnd  []int    // leafEnd[i] is where leaf i's data ends in leafData
	size     uint64

	nodeReads atomic.Int64
	readCalls atomic.Int64
}

var _ Storage = (*MemoryStorage)(nil)

// NewMemoryStorage returns an empty log.
func NewMemoryStorage() *MemoryStorage { return &MemoryStorage{} }

// ReadStats returns how many node hashes have been read, and in how many
// ReadNodes calls (round trips, in a database).
func (m *MemoryStorage) ReadStats() (nodes, calls int64) {
	return m.nodeReads.Load(), m.readCalls.Load()
}

// Size implements Storage.
func (m *MemoryStorage) Size(ctx context.Context) (uint64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.size, nil
}

// ReadNodes implements Storage.
func (m *MemoryStorage) ReadNodes(ctx context.Context, ids []NodeID) ([][]byte, error) {
	m.readCalls.Add(1)
	m.nodeReads.Add(int64(len(ids)))
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([][]byte, len(ids))
	for i, id := range ids {
		if id.Level >= uint(len(m.levels)) || id.Index >= uint64(len(m.levels[id.Level])/32) {
			return nil, gateway.Errorf(gateway.EINTERNAL, "node %d/%d is not stored", id.Level, id.Index)
		}
		off := id.Index * 32
		out[i] = append([]byte(nil), m.levels[id.Level][off:off+32]...)
	}
	return out, nil
}

// ReadLeaves implements Storage.
func (m *MemoryStorage) ReadLeaves(ctx context.Context, begin, end uint64) ([][]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if begin > end || end > m.size {
		return nil, gateway.Errorf(gateway.EINVALID, "leaves [%d, %d) are not within the log's %d", begin, end, m.size)
	}
	out := make([][]byte, 0, end-begin)
	for i := begin; i < end; i++ {
		start := 0
		if i > 0 {
			start = m.leafEnd[i-1]
		}
		out = append(out, append([]byte(nil), m.leafData[start:m.leafEnd[i]]...))
	}
	return out, nil
}

// Append implements Storage.
func (m *MemoryStorage) Append(ctx context.Context, fn func(ctx context.Context, tx AppendTx) error) error {
	m.appendMu.Lock()
	defer m.appendMu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	tx := &memoryTx{m: m}
	if err := fn(ctx, tx); err != nil {
		return err
	}
	if !tx.written {
		return nil
	}
	return m.commit(tx)
}

// commit applies a transaction's writes, all or nothing.
func (m *MemoryStorage) commit(tx *memoryTx) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if tx.first != m.size {
		return gateway.Errorf(gateway.ECONFLICT, "append at %d, but the log holds %d leaves", tx.first, m.size)
	}
	// Nodes complete left to right, so each must be the next of its level.
	next := make([]uint64, 0, 64)
	for _, l := range m.levels {
		next = append(next, uint64(len(l)/32))
	}
	for _, n := range tx.nodes {
		if len(n.Hash) != 32 {
			return gateway.Errorf(gateway.EINVALID, "node %d/%d: hash of %d bytes", n.ID.Level, n.ID.Index, len(n.Hash))
		}
		for uint(len(next)) <= n.ID.Level {
			next = append(next, 0)
		}
		if n.ID.Index != next[n.ID.Level] {
			return gateway.Errorf(gateway.ECONFLICT, "node %d/%d written out of order (next is %d)", n.ID.Level, n.ID.Index, next[n.ID.Level])
		}
		next[n.ID.Level]++
	}
	for _, n := range tx.nodes {
		for uint(len(m.levels)) <= n.ID.Level {
			m.levels = append(m.levels, nil)
		}
		m.levels[n.ID.Level] = append(m.levels[n.ID.Level], n.Hash...)
	}
	for _, d := range tx.leaves {
		m.leafData = append(m.leafData, d...)
		m.leafEnd = append(m.leafEnd, len(m.leafData))
	}
	m.size += uint64(len(tx.leaves))
	return nil
}

type memoryTx struct {
	m       *MemoryStorage
	written bool
	first   uint64
	leaves  [][]byte
	nodes   []Node
}

func (t *memoryTx) Size(ctx context.Context) (uint64, error) { return t.m.Size(ctx) }

func (t *memoryTx) ReadNodes(ctx context.Context, ids []NodeID) ([][]byte, error) {
	return t.m.ReadNodes(ctx, ids)
}

func (t *memoryTx) Write(ctx context.Context, first uint64, leaves [][]byte, nodes []Node) error {
	if t.written {
		return fmt.Errorf("memory storage: write called twice in one append")
	}
	t.written, t.first, t.leaves, t.nodes = true, first, leaves, nodes
	return nil
}
