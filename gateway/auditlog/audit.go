package auditlog

import (
	"bytes"
	"context"
	"fmt"

	"docgate/gateway"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
)

// auditChunk is how many leaves Audit reads per round trip.
const auditChunk = 4096

// Audit recomputes the whole tree from the leaf data in store, up to the
// size of a signed checkpoint, and checks every stored node on the way and
// the root against the checkpoint. Proofs read only nodes, so a leaf whose
// data was rewritten under an intact hash is found only this way. It costs
// O(n): it is the operator's and the auditor's periodic check, not a
// per-request one. The checkpoint's signature is verified first.
// EINTEGRITY names the first leaf or node that does not match;
// ErrVerification or EINVALID for the checkpoint.
func Audit(ctx context.Context, store Storage, v *Verifier, checkpoint []byte) error {
	sc, err := v.OpenCheckpoint(checkpoint)
	if err != nil {
		return err
	}
	size, err := store.Size(ctx)
	if err != nil {
		return fmt.Errorf("read log size: %w", err)
	}
	if size < sc.Size {
		return gateway.Errorf(gateway.EINTEGRITY, "audit log holds %d leaves, fewer than the %d of the checkpoint", size, sc.Size)
	}
	rf := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	r := rf.NewEmptyRange(0)
	var ids []NodeID
	var want [][]byte
	visit := func(id compact.NodeID, h []byte) {
		ids = append(ids, nodeID(id))
		want = append(want, h)
	}
	for begin := uint64(0); begin < sc.Size; begin += auditChunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(begin+auditChunk, sc.Size)
		leaves, err := store.ReadLeaves(ctx, begin, end)
		if err != nil {
			return fmt.Errorf("read leaves [%d, %d): %w", begin, end, err)
		}
		if uint64(len(leaves)) != end-begin {
			return gateway.Errorf(gateway.EINTEGRITY, "audit log returned %d leaves for [%d, %d)", len(leaves), begin, end)
		}
		ids, want = ids[:0], want[:0]
		for _, d := range leaves {
			if err := r.Append(LeafHash(d), visit); err != nil {
				return fmt.Errorf("recompute leaf %d: %w", r.End(), err)
			}
		}
		got, err := store.ReadNodes(ctx, ids)
		if err != nil {
			return fmt.Errorf("read nodes of [%d, %d): %w", begin, end, err)
		}
		for i, id := range ids {
			if bytes.Equal(got[i], want[i]) {
				continue
			}
			if id.Level == 0 {
				return gateway.Errorf(gateway.EINTEGRITY, "audit log leaf %d: stored data does not match its stored hash", id.Index)
			}
			return gateway.Errorf(gateway.EINTEGRITY, "audit log node %d/%d (leaves %d to %d): stored hash does not match its children",
				id.Level, id.Index, id.Index<<id.Level, (id.Index+1)<<id.Level-1)
		}
	}
	root := rfc6962.DefaultHasher.EmptyRoot()
	if sc.Size > 0 {
		if root, err = r.GetRootHash(nil); err != nil {
			return fmt.Errorf("recompute root: %w", err)
		}
	}
	if !bytes.Equal(root, sc.Root) {
		return gateway.Errorf(gateway.EINTEGRITY, "audit log leaves [0, %d) do not hash to the signed checkpoint's root: history was rewritten", sc.Size)
	}
	return nil
}
