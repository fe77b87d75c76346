package auditlog

import (
	"bytes"
	"context"
	"fmt"

	"docgate/gateway"
)

// CheckpointStorage is implemented by a Storage that also keeps the largest
// checkpoint the log has signed; see gateway.AuditLogCheckpointStorage.
type CheckpointStorage = gateway.AuditLogCheckpointStorage

// lastSigned returns the largest checkpoint this Log or, through a
// CheckpointStorage, any Log on the same storage has signed; Root is nil
// when there is none. EINTEGRITY when two checkpoints of one size disagree.
func (l *Log) lastSigned(ctx context.Context) (Checkpoint, error) {
	l.mu.Lock()
	last := l.last
	l.mu.Unlock()
	cs, ok := l.store.(CheckpointStorage)
	if !ok {
		return last, nil
	}
	signed, err := cs.LastCheckpoint(ctx)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("read the last signed checkpoint: %w", err)
	}
	if signed == nil {
		return last, nil
	}
	// The body ends at the blank line before the signatures. Its signature
	// is not checked: the stored copy only raises the bar a new checkpoint
	// must clear, and whoever could forge it could as well delete it.
	i := bytes.Index(signed, []byte("\n\n"))
	if i < 0 {
		return Checkpoint{}, gateway.Errorf(gateway.EINTEGRITY, "the stored last signed checkpoint is not a signed note")
	}
	kept, err := ParseCheckpoint(string(signed[:i+1]))
	if err != nil {
		return Checkpoint{}, gateway.Errorf(gateway.EINTEGRITY, "the stored last signed checkpoint is malformed: %s", gateway.ErrorMessage(err))
	}
	switch {
	case last.Root == nil || kept.Size > last.Size:
		return kept, nil
	case kept.Size == last.Size && !bytes.Equal(kept.Root, last.Root):
		return Checkpoint{}, gateway.Errorf(gateway.EINTEGRITY, "two checkpoints of %d leaves with different roots were signed", kept.Size)
	}
	return last, nil
}

// saveSigned keeps signed in a CheckpointStorage when it is larger than any
// this Log saved, so that an unchanged log costs no write per checkpoint.
func (l *Log) saveSigned(ctx context.Context, size uint64, signed []byte) error {
	cs, ok := l.store.(CheckpointStorage)
	if !ok {
		return nil
	}
	l.mu.Lock()
	saved := l.saved
	l.mu.Unlock()
	if size <= saved {
		return nil
	}
	if err := cs.SaveCheckpoint(ctx, size, signed); err != nil {
		return fmt.Errorf("keep the checkpoint of %d: %w", size, err)
	}
	l.mu.Lock()
	l.saved = max(l.saved, size)
	l.mu.Unlock()
	return nil
}
