package postgres

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"docgate/gateway"
)

// AuditLog keeps the delivery log's tree in this database. Appends from any
// number of replicas are serialised by a row lock on auditlog_head, taken
// first in every append transaction; readers take no lock and read only
// below the committed size, where nothing is ever rewritten.
type AuditLog struct {
	s *Store
}

var (
	_ gateway.AuditLogStorage           = (*AuditLog)(nil)
	_ gateway.AuditLogCheckpointStorage = (*AuditLog)(nil)
)

// AuditLog returns the log storage kept in this store.
func (s *Store) AuditLog() *AuditLog { return &AuditLog{s: s} }

// logQuerier is what reads need of the pool or a transaction.
type logQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Size implements gateway.AuditLogStorage.
func (a *AuditLog) Size(ctx context.Context) (uint64, error) {
	return logSize(ctx, a.s.pool, "")
}

// logSize reads the committed size; lock is "" or "FOR UPDATE".
func logSize(ctx context.Context, q logQuerier, lock string) (uint64, error) {
	var size int64
	if err := q.QueryRow(ctx, `SELECT size FROM auditlog_head WHERE log_id = 1 `+lock).Scan(&size); err != nil {
		return 0, fmt.Errorf("read audit log size: %w", translate(err))
	}
	return uint64(size), nil
}

// ReadNodes implements gateway.AuditLogStorage.
func (a *AuditLog) ReadNodes(ctx context.Context, ids []gateway.AuditLogNodeID) ([][]byte, error) {
	return readLogNodes(ctx, a.s.pool, ids)
}

// readLogNodes asks for all ids in one statement, as two parallel arrays.
func readLogNodes(ctx context.Context, q logQuerier, ids []gateway.AuditLogNodeID) ([][]byte, error) {
	type key struct {
		level int16
		idx   int64
	}
	levels := make([]int16, len(ids))
	idxs := make([]int64, len(ids))
	at := make(map[key][]int, len(ids))
	for i, id := range ids {
		if id.Index > math.MaxInt64 || id.Level >= 64 {
			return nil, gateway.Errorf(gateway.EINTERNAL, "audit log node %d/%d is beyond what the store indexes", id.Level, id.Index)
		}
		levels[i], idxs[i] = int16(id.Level), int64(id.Index)
		k := key{levels[i], idxs[i]}
		at[k] = append(at[k], i)
	}
	out := make([][]byte, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT n.level, n.idx, n.hash
		FROM unnest($1::smallint[], $2::bigint[]) AS q (level, idx)
		JOIN auditlog_nodes n ON n.level = q.level AND n.idx = q.idx`, levels, idxs)
	if err != nil {
		return nil, fmt.Errorf("read audit log nodes: %w", translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var k key
		var hash []byte
		if err := rows.Scan(&k.level, &k.idx, &hash); err != nil {
			return nil, fmt.Errorf("read audit log nodes: %w", translate(err))
		}
		for _, i := range at[k] {
			out[i] = hash
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read audit log nodes: %w", translate(err))
	}
	for i, h := range out {
		if h == nil {
			return nil, gateway.Errorf(gateway.EINTERNAL, "audit log node %d/%d is not stored", ids[i].Level, ids[i].Index)
		}
	}
	return out, nil
}

// ReadLeaves implements gateway.AuditLogStorage. A leaf missing below the
// committed size can only have been deleted behind the log's back: EINTEGRITY.
func (a *AuditLog) ReadLeaves(ctx context.Context, begin, end uint64) ([][]byte, error) {
	size, err := a.Size(ctx)
	if err != nil {
		return nil, err
	}
	if begin > end || end > size {
		return nil, gateway.Errorf(gateway.EINVALID, "leaves [%d, %d) are not within the log's %d", begin, end, size)
	}
	out := make([][]byte, 0, end-begin)
	if begin == end {
		return out, nil
	}
	rows, err := a.s.pool.Query(ctx, `SELECT idx, data FROM auditlog_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx`,
		int64(begin), int64(end))
	if err != nil {
		return nil, fmt.Errorf("read audit log leaves: %w", translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var data []byte
		if err := rows.Scan(&idx, &data); err != nil {
			return nil, fmt.Errorf("read audit log leaves: %w", translate(err))
		}
		if want := begin + uint64(len(out)); uint64(idx) != want {
			return nil, missingLogLeaf(want)
		}
		out = append(out, data)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read audit log leaves: %w", translate(err))
	}
	if uint64(len(out)) != end-begin {
		return nil, missingLogLeaf(begin + uint64(len(out)))
	}
	return out, nil
}

func missingLogLeaf(idx uint64) error {
	return gateway.Errorf(gateway.EINTEGRITY, "audit log leaf %d is missing from storage below the committed size", idx)
}

// Append implements gateway.AuditLogStorage. The head row is locked before
// fn runs, so callbacks on every replica run one at a time. The lock is held
// until the commit, so an append takes few round trips: the size read with
// the lock is the size, and the leaves, the nodes and the new size go
// together.
func (a *AuditLog) Append(ctx context.Context, fn func(ctx context.Context, tx gateway.AuditLogAppendTx) error) error {
	return a.s.WithTx(ctx, func(tx pgx.Tx) error {
		size, err := logSize(ctx, tx, "FOR UPDATE")
		if err != nil {
			return fmt.Errorf("lock the audit log: %w", err)
		}
		return fn(ctx, &logAppendTx{tx: tx, size: size})
	})
}

// logAppendTx is the log inside an append's transaction, with the head locked.
type logAppendTx struct {
	tx      pgx.Tx
	size    uint64 // read under the lock
	written bool
}

func (t *logAppendTx) Size(context.Context) (uint64, error) { return t.size, nil }

func (t *logAppendTx) ReadNodes(ctx context.Context, ids []gateway.AuditLogNodeID) ([][]byte, error) {
	return readLogNodes(ctx, t.tx, ids)
}

func (t *logAppendTx) Write(ctx context.Context, first uint64, leaves [][]byte, nodes []gateway.AuditLogNode) error {
	if t.written {
		return fmt.Errorf("audit log: write called twice in one append")
	}
	t.written = true
	if first != t.size {
		return gateway.Errorf(gateway.ECONFLICT, "append at %d, but the log holds %d leaves", first, t.size)
	}
	newSize := first + uint64(len(leaves))
	if newSize > math.MaxInt64 || newSize < first {
		return gateway.Errorf(gateway.EINVALID, "the audit log cannot grow beyond 2^63 leaves")
	}
	leafIdx := make([]int64, len(leaves))
	for i := range leaves {
		leafIdx[i] = int64(first) + int64(i)
	}
	levels, idxs, hashes := make([]int16, len(nodes)), make([]int64, len(nodes)), make([][]byte, len(nodes))
	for i, n := range nodes {
		if len(n.Hash) != gateway.AuditLogHashSize {
			return gateway.Errorf(gateway.EINVALID, "node %d/%d: hash of %d bytes", n.ID.Level, n.ID.Index, len(n.Hash))
		}
		if n.ID.Index > math.MaxInt64 || n.ID.Level >= 64 {
			return gateway.Errorf(gateway.EINVALID, "node %d/%d is beyond what the store indexes", n.ID.Level, n.ID.Index)
		}
		levels[i], idxs[i], hashes[i] = int16(n.ID.Level), int64(n.ID.Index), n.Hash
	}
	var b batch
	b.exec(func(err error) error { return logConflictOr(err, "audit log leaves") }, nil,
		`INSERT INTO auditlog_leaves (idx, data) SELECT * FROM unnest($1::bigint[], $2::bytea[])`, leafIdx, leaves)
	if len(nodes) > 0 {
		b.exec(func(err error) error { return logConflictOr(err, "audit log nodes") }, nil,
			`INSERT INTO auditlog_nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])`,
			levels, idxs, hashes)
	}
	b.exec(func(err error) error { return fmt.Errorf("update audit log size: %w", translate(err)) }, nil,
		`UPDATE auditlog_head SET size = $1 WHERE log_id = 1`, int64(newSize))
	return b.send(ctx, t.tx)
}

// logConflictOr makes a unique violation ECONFLICT: a leaf or node that exists
// already is never rewritten.
func logConflictOr(err error, what string) error {
	if isUnique(err) {
		return fmt.Errorf("%w: %w", gateway.Errorf(gateway.ECONFLICT, "%s exist already and are never rewritten", what), err)
	}
	return fmt.Errorf("write %s: %w", what, translate(err))
}

// LastCheckpoint implements gateway.AuditLogCheckpointStorage.
func (a *AuditLog) LastCheckpoint(ctx context.Context) ([]byte, error) {
	var signed []byte
	if err := a.s.pool.QueryRow(ctx, `SELECT checkpoint FROM auditlog_head WHERE log_id = 1`).Scan(&signed); err != nil {
		return nil, fmt.Errorf("read the last audit log checkpoint: %w", translate(err))
	}
	return signed, nil
}

// SaveCheckpoint implements gateway.AuditLogCheckpointStorage. Replicas
// racing to save keep the larger checkpoint, whichever commits last.
func (a *AuditLog) SaveCheckpoint(ctx context.Context, size uint64, signed []byte) error {
	if size > math.MaxInt64 {
		return gateway.Errorf(gateway.EINVALID, "checkpoint size %d is beyond what the store indexes", size)
	}
	_, err := a.s.pool.Exec(ctx, `UPDATE auditlog_head SET checkpoint_size = $1, checkpoint = $2
		WHERE log_id = 1 AND (checkpoint_size IS NULL OR checkpoint_size < $1)`, int64(size), signed)
	if err != nil {
		return fmt.Errorf("keep the audit log checkpoint: %w", translate(err))
	}
	return nil
}
