package auditlog

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"docgate/gateway"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// maxBatch bounds one Append so that a single call cannot hold the log's
// append lock for long or build an unbounded transaction.
const maxBatch = 100_000

// Log appends records to the tree kept in a Storage and serves signed
// checkpoints and proofs. Any number of replicas can share one Storage; the
// state a Log keeps is the last checkpoint it signed, to refuse to sign one
// that does not extend it, and the roots its last append ended with, to
// start the next from them when no other replica appended in between. A Log
// is safe for concurrent use.
type Log struct {
	store  Storage
	signer note.Signer
	rf     *compact.RangeFactory

	mu sync.Mutex
	// last is the largest checkpoint this Log has signed (Root nil before
	// the first). Every later one must extend it: C2SP forbids a log to sign
	// two inconsistent checkpoints, and storage that was rolled back or
	// edited would otherwise make it do exactly that.
	last Checkpoint
	// saved is the size of the largest checkpoint this Log kept in a
	// CheckpointStorage (see persist.go).
	saved uint64
	// tip is the compact range this Log's last append committed: when the
	// next append finds the log still that size (no other replica appended
	// in between), it starts from these roots instead of reading them back.
	// Stored nodes never change, so equal size means equal roots — unless
	// the database lost commits (a failover to a replica that lagged) and
	// other replicas grew the log back to that very size; the tip is
	// trusted for tipMaxAge only, far less than such a failover takes.
	tip struct {
		size   uint64
		hashes [][]byte
		at     time.Time
	}
	now func() time.Time
}

// tipMaxAge is how long after an append its roots start the next one.
// Under load appends come milliseconds apart; a quiet log reads its roots
// back, which costs one query.
const tipMaxAge = time.Second

// NewLog returns the log kept in store and signed by signer, whose key name
// is the log's origin.
func NewLog(store Storage, signer note.Signer) *Log {
	return &Log{
		store:  store,
		signer: signer,
		rf:     &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren},
		now:    time.Now,
	}
}

// Origin is the first line of the log's checkpoints.
func (l *Log) Origin() string { return l.signer.Name() }

// Append adds one leaf per record, in order, and returns the index of the
// first. Records are encoded and hashed before the append lock is taken;
// inside it the call reads O(log n) nodes and writes about two per record.
// EINVALID for a record that does not validate or too many records.
func (l *Log) Append(ctx context.Context, records ...LeafRecord) (uint64, error) {
	data := make([][]byte, len(records))
	for i := range records {
		d, err := records[i].MarshalBinary()
		if err != nil {
			return 0, fmt.Errorf("record %d: %w", i, err)
		}
		data[i] = d
	}
	return l.AppendData(ctx, data)
}

// AppendData appends leaves whose data is already canonically encoded (see
// LeafRecord.MarshalBinary) and returns the index of the first. EINVALID.
func (l *Log) AppendData(ctx context.Context, data [][]byte) (uint64, error) {
	if len(data) == 0 {
		return 0, gateway.Errorf(gateway.EINVALID, "nothing to append")
	}
	if len(data) > maxBatch {
		return 0, gateway.Errorf(gateway.EINVALID, "%d leaves in one append, at most %d", len(data), maxBatch)
	}
	hashes := make([][]byte, len(data))
	for i, d := range data {
		hashes[i] = LeafHash(d)
	}
	var first, end uint64
	var roots [][]byte
	err := l.store.Append(ctx, func(ctx context.Context, tx AppendTx) error {
		size, err := tx.Size(ctx)
		if err != nil {
			return fmt.Errorf("read log size: %w", err)
		}
		r, err := l.tipRange(size)
		if r == nil && err == nil {
			r, err = l.rangeAt(ctx, tx.ReadNodes, size)
		}
		if err != nil {
			return err
		}
		// Every node the append completes is reported once, leaves first;
		// those are exactly the perfect subtrees Storage keeps.
		nodes := make([]Node, 0, 2*len(hashes)+64)
		visit := func(id compact.NodeID, h []byte) { nodes = append(nodes, Node{ID: nodeID(id), Hash: h}) }
		for _, h := range hashes {
			if err := r.Append(h, visit); err != nil {
				return fmt.Errorf("append leaf %d: %w", r.End(), err)
			}
		}
		first = size
		if err := tx.Write(ctx, size, data, nodes); err != nil {
			return fmt.Errorf("write %d leaves at %d: %w", len(data), size, err)
		}
		end, roots = r.End(), r.Hashes()
		return nil
	})
	if err != nil {
		l.setTip(0, nil)
		return 0, fmt.Errorf("append to audit log: %w", err)
	}
	l.setTip(end, roots)
	return first, nil
}

// tipRange is the compact range of the first size leaves if this Log's last
// append ended there less than tipMaxAge ago, else nil.
func (l *Log) tipRange(size uint64) (*compact.Range, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tip.hashes == nil || l.tip.size != size || l.now().Sub(l.tip.at) > tipMaxAge {
		return nil, nil
	}
	return l.rf.NewRange(0, size, slices.Clone(l.tip.hashes))
}

// setTip remembers the compact range a committed append ended with; nil
// forgets it.
func (l *Log) setTip(size uint64, hashes [][]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tip.size, l.tip.hashes, l.tip.at = size, hashes, l.now()
}

// rangeAt loads the compact range [0, size): the roots of the perfect
// subtrees that make up the tree, at most one per level.
func (l *Log) rangeAt(ctx context.Context, read func(context.Context, []NodeID) ([][]byte, error), size uint64) (*compact.Range, error) {
	hashes, err := read(ctx, nodeIDs(compact.RangeNodes(0, size, nil)))
	if err != nil {
		return nil, fmt.Errorf("read compact range of %d: %w", size, err)
	}
	r, err := l.rf.NewRange(0, size, hashes)
	if err != nil {
		return nil, fmt.Errorf("compact range of %d: %w", size, err)
	}
	return r, nil
}

// Size returns the number of leaves in the log. EUNAVAILABLE.
func (l *Log) Size(ctx context.Context) (uint64, error) {
	size, err := l.store.Size(ctx)
	if err != nil {
		return 0, fmt.Errorf("read log size: %w", err)
	}
	return size, nil
}

// checkSize fails with EINVALID when treeSize is beyond the log.
func (l *Log) checkSize(ctx context.Context, treeSize uint64) error {
	size, err := l.Size(ctx)
	if err != nil {
		return err
	}
	if treeSize > size {
		return gateway.Errorf(gateway.EINVALID, "tree size %d is beyond the log's %d leaves", treeSize, size)
	}
	return nil
}

// Root returns the root hash of the tree of the first treeSize leaves, at
// O(log n) node reads. EINVALID when treeSize is beyond the log.
func (l *Log) Root(ctx context.Context, treeSize uint64) ([]byte, error) {
	if err := l.checkSize(ctx, treeSize); err != nil {
		return nil, err
	}
	return l.root(ctx, treeSize)
}

func (l *Log) root(ctx context.Context, size uint64) ([]byte, error) {
	if size == 0 {
		return rfc6962.DefaultHasher.EmptyRoot(), nil
	}
	r, err := l.rangeAt(ctx, l.store.ReadNodes, size)
	if err != nil {
		return nil, err
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		return nil, fmt.Errorf("root of %d: %w", size, err)
	}
	return root, nil
}

// Checkpoint signs and returns a checkpoint of the log at its current size.
// EINTEGRITY when storage no longer extends the last checkpoint this Log
// signed (rolled back or edited): it refuses to sign a fork.
func (l *Log) Checkpoint(ctx context.Context) ([]byte, error) {
	signed, _, err := l.checkpointNow(ctx)
	return signed, err
}

// checkpointNow signs a checkpoint at the log's current size and returns it
// with that size. The last signed checkpoint is read before the size: sizes
// only grow, so a size read after it is smaller only when storage was rolled
// back, never because another goroutine or replica signed a larger
// checkpoint in between.
func (l *Log) checkpointNow(ctx context.Context) ([]byte, uint64, error) {
	last, err := l.lastSigned(ctx)
	if err != nil {
		return nil, 0, err
	}
	size, err := l.Size(ctx)
	if err != nil {
		return nil, 0, err
	}
	root, err := l.root(ctx, size)
	if err != nil {
		return nil, 0, err
	}
	if err := l.checkExtends(ctx, last, size, root); err != nil {
		return nil, 0, err
	}
	signed, err := SignCheckpoint(Checkpoint{Origin: l.Origin(), Size: size, Root: root}, l.signer)
	if err != nil {
		return nil, 0, err
	}
	if err := l.saveSigned(ctx, size, signed); err != nil {
		return nil, 0, err
	}
	l.mu.Lock()
	if l.last.Root == nil || size > l.last.Size {
		l.last = Checkpoint{Origin: l.Origin(), Size: size, Root: root}
	}
	l.mu.Unlock()
	return signed, size, nil
}

// checkExtends fails with EINTEGRITY unless the tree of size leaves with
// this root extends last, the last checkpoint signed. It costs one
// consistency proof, O(log n) reads, and nothing when the size is unchanged.
func (l *Log) checkExtends(ctx context.Context, last Checkpoint, size uint64, root []byte) error {
	switch {
	case last.Root == nil:
		return nil
	case size < last.Size:
		return gateway.Errorf(gateway.EINTEGRITY, "audit log storage holds %d leaves, but this log signed a checkpoint of %d: it was rolled back", size, last.Size)
	case size == last.Size:
		if !bytes.Equal(root, last.Root) {
			return gateway.Errorf(gateway.EINTEGRITY, "audit log root at %d changed since this log signed it", size)
		}
		return nil
	}
	p, err := l.ConsistencyProof(ctx, last.Size, size)
	if err != nil {
		return err
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, last.Size, size, p, last.Root, root); err != nil {
		return gateway.Errorf(gateway.EINTEGRITY, "audit log at %d does not extend the checkpoint of %d this log signed: stored hashes changed", size, last.Size)
	}
	return nil
}

// InclusionProof returns the RFC 9162 inclusion proof of leaf index in the
// tree of treeSize leaves, at O(log n) node reads in one round trip.
// EINVALID when index >= treeSize or treeSize is beyond the log.
func (l *Log) InclusionProof(ctx context.Context, index, treeSize uint64) ([][]byte, error) {
	if index >= treeSize {
		return nil, gateway.Errorf(gateway.EINVALID, "leaf index %d is not below tree size %d", index, treeSize)
	}
	if err := l.checkSize(ctx, treeSize); err != nil {
		return nil, err
	}
	nodes, err := proof.Inclusion(index, treeSize)
	if err != nil {
		return nil, gateway.Errorf(gateway.EINVALID, "inclusion proof: %s", err)
	}
	return l.fetch(ctx, nodes)
}

// ConsistencyProof returns the RFC 9162 proof that the tree of from leaves
// is a prefix of the tree of to leaves, at O(log n) node reads in one round
// trip. EINVALID when from > to or to is beyond the log.
func (l *Log) ConsistencyProof(ctx context.Context, from, to uint64) ([][]byte, error) {
	if from > to {
		return nil, gateway.Errorf(gateway.EINVALID, "consistency from %d to %d: a log never shrinks", from, to)
	}
	if err := l.checkSize(ctx, to); err != nil {
		return nil, err
	}
	nodes, err := proof.Consistency(from, to)
	if err != nil {
		return nil, gateway.Errorf(gateway.EINVALID, "consistency proof: %s", err)
	}
	return l.fetch(ctx, nodes)
}

// fetch reads the stored nodes a proof needs and folds the ephemeral ones
// (roots of incomplete subtrees on the right edge) into single hashes.
func (l *Log) fetch(ctx context.Context, nodes proof.Nodes) ([][]byte, error) {
	hashes, err := l.store.ReadNodes(ctx, nodeIDs(nodes.IDs))
	if err != nil {
		return nil, fmt.Errorf("read proof nodes: %w", err)
	}
	p, err := nodes.Rehash(hashes, rfc6962.DefaultHasher.HashChildren)
	if err != nil {
		return nil, fmt.Errorf("rehash proof: %w", err)
	}
	return p, nil
}

// Leaf returns the encoded record of leaf index. EINVALID when there is no
// such leaf.
func (l *Log) Leaf(ctx context.Context, index uint64) ([]byte, error) {
	leaves, err := l.store.ReadLeaves(ctx, index, index+1)
	if err != nil {
		return nil, fmt.Errorf("read leaf %d: %w", index, err)
	}
	return leaves[0], nil
}

// Prove returns a self-contained proof that leaf index is in the log: a
// checkpoint signed now and the inclusion path to its root. Receipts carry
// it so that an auditor can check them offline. EINVALID when there is no
// such leaf.
func (l *Log) Prove(ctx context.Context, index uint64) (*Proof, error) {
	size, err := l.Size(ctx)
	if err != nil {
		return nil, err
	}
	if index >= size {
		return nil, gateway.Errorf(gateway.EINVALID, "leaf index %d is not below the log's %d leaves", index, size)
	}
	cp, size, err := l.checkpointNow(ctx)
	if err != nil {
		return nil, err
	}
	path, err := l.InclusionProof(ctx, index, size)
	if err != nil {
		return nil, err
	}
	return &Proof{Index: index, Path: path, Checkpoint: cp}, nil
}
