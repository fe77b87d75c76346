package auditlog

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"docgate/gateway"
	"github.com/transparency-dev/merkle/compact"
)

// The storage contract lives in package gateway, so that the stores that
// implement it import only the domain; these names keep this package's
// callers reading as before.
type (
	// NodeID names a node of the tree; see gateway.AuditLogNodeID.
	NodeID = gateway.AuditLogNodeID
	// Node is a stored node hash.
	Node = gateway.AuditLogNode
	// Storage keeps the log; see gateway.AuditLogStorage.
	Storage = gateway.AuditLogStorage
	// AppendTx is the view of the log inside Storage.Append.
	AppendTx = gateway.AuditLogAppendTx
)

// nodeID converts the tree library's node ID to the one Storage takes.
func nodeID(id compact.NodeID) NodeID {
	return NodeID{Level: uint64(id.Level), Index: id.Index}
}

// nodeIDs converts a list of node IDs for Storage.ReadNodes.
func nodeIDs(ids []compact.NodeID) []NodeID {
	out := make([]NodeID, len(ids))
	for i, id := range ids {
		out[i] = nodeID(id)
	}
	return out
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
		if id.Level >= uint64(len(m.levels)) || id.Index >= uint64(len(m.levels[id.Level])/32) {
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
		for uint64(len(next)) <= n.ID.Level {
			next = append(next, 0)
		}
		if n.ID.Index != next[n.ID.Level] {
			return gateway.Errorf(gateway.ECONFLICT, "node %d/%d written out of order (next is %d)", n.ID.Level, n.ID.Index, next[n.ID.Level])
		}
		next[n.ID.Level]++
	}
	for _, n := range tx.nodes {
		for uint64(len(m.levels)) <= n.ID.Level {
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
