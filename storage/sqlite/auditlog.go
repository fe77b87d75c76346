package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"

	"docgate/gateway"
)

// AuditLog keeps the delivery log's tree in this store's file. Appends are
// serialised by SQLite's single writer: every one is a BEGIN IMMEDIATE
// transaction on the one write connection, so callbacks never overlap in
// this process, and another process on the same file waits for the lock.
// Readers use the read pool and, in WAL mode, see only committed appends.
type AuditLog struct {
	s *Store
}

var (
	_ gateway.AuditLogStorage           = (*AuditLog)(nil)
	_ gateway.AuditLogCheckpointStorage = (*AuditLog)(nil)
)

// AuditLog returns the log storage kept in this store.
func (s *Store) AuditLog() *AuditLog { return &AuditLog{s: s} }

// logQueryer is what reads need of a pool or a transaction, so that the same
// helpers serve readers and the append callback.
type logQueryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// logReadChunk bounds the nodes asked for in one statement: each costs two
// bound parameters, and SQLite allows 32766. Proofs need far fewer and take
// one round trip; only Audit's batches are split.
const logReadChunk = 4096

// logWriteChunk is how many rows one INSERT carries.
const logWriteChunk = 256

// Size implements gateway.AuditLogStorage.
func (a *AuditLog) Size(ctx context.Context) (uint64, error) {
	return logSize(ctx, a.s.read)
}

func logSize(ctx context.Context, q logQueryer) (uint64, error) {
	var size int64
	if err := q.QueryRowContext(ctx, `SELECT size FROM auditlog_head WHERE log_id = 1`).Scan(&size); err != nil {
		return 0, fmt.Errorf("read audit log size: %w", unavailable(err))
	}
	return uint64(size), nil
}

// ReadNodes implements gateway.AuditLogStorage.
func (a *AuditLog) ReadNodes(ctx context.Context, ids []gateway.AuditLogNodeID) ([][]byte, error) {
	return readLogNodes(ctx, a.s.read, ids)
}

func readLogNodes(ctx context.Context, q logQueryer, ids []gateway.AuditLogNodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for begin := 0; begin < len(ids); begin += logReadChunk {
		end := min(begin+logReadChunk, len(ids))
		if err := readLogNodeChunk(ctx, q, ids[begin:end], out[begin:end]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func readLogNodeChunk(ctx context.Context, q logQueryer, ids []gateway.AuditLogNodeID, out [][]byte) error {
	type key struct {
		level uint64
		idx   uint64
	}
	at := make(map[key][]int, len(ids))
	var b strings.Builder
	b.WriteString(`SELECT level, idx, hash FROM auditlog_nodes WHERE (level, idx) IN (VALUES `)
	args := make([]any, 0, 2*len(ids))
	for i, id := range ids {
		if id.Index > math.MaxInt64 {
			return gateway.Errorf(gateway.EINTERNAL, "audit log node %d/%d is beyond what the store indexes", id.Level, id.Index)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?)")
		args = append(args, int64(id.Level), int64(id.Index))
		k := key{id.Level, id.Index}
		at[k] = append(at[k], i)
	}
	b.WriteString(`)`)
	rows, err := q.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return fmt.Errorf("read audit log nodes: %w", unavailable(err))
	}
	defer rows.Close()
	for rows.Next() {
		var level, idx int64
		var hash []byte
		if err := rows.Scan(&level, &idx, &hash); err != nil {
			return fmt.Errorf("read audit log nodes: %w", err)
		}
		for _, i := range at[key{uint64(level), uint64(idx)}] {
			out[i] = hash
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read audit log nodes: %w", unavailable(err))
	}
	for i, h := range out {
		if h == nil {
			return gateway.Errorf(gateway.EINTERNAL, "audit log node %d/%d is not stored", ids[i].Level, ids[i].Index)
		}
	}
	return nil
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
	rows, err := a.s.read.QueryContext(ctx,
		`SELECT idx, data FROM auditlog_leaves WHERE idx >= ? AND idx < ? ORDER BY idx`, int64(begin), int64(end))
	if err != nil {
		return nil, fmt.Errorf("read audit log leaves: %w", unavailable(err))
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var data []byte
		if err := rows.Scan(&idx, &data); err != nil {
			return nil, fmt.Errorf("read audit log leaves: %w", err)
		}
		if want := begin + uint64(len(out)); uint64(idx) != want {
			return nil, missingLogLeaf(want)
		}
		out = append(out, data)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read audit log leaves: %w", unavailable(err))
	}
	if uint64(len(out)) != end-begin {
		return nil, missingLogLeaf(begin + uint64(len(out)))
	}
	return out, nil
}

func missingLogLeaf(idx uint64) error {
	return gateway.Errorf(gateway.EINTEGRITY, "audit log leaf %d is missing from storage below the committed size", idx)
}

// Append implements gateway.AuditLogStorage.
func (a *AuditLog) Append(ctx context.Context, fn func(ctx context.Context, tx gateway.AuditLogAppendTx) error) error {
	return a.s.WithTx(ctx, func(tx *sql.Tx) error {
		return fn(ctx, &logAppendTx{tx: tx})
	})
}

// logAppendTx is the log inside an append's write transaction.
type logAppendTx struct {
	tx      *sql.Tx
	written bool
}

func (t *logAppendTx) Size(ctx context.Context) (uint64, error) { return logSize(ctx, t.tx) }

func (t *logAppendTx) ReadNodes(ctx context.Context, ids []gateway.AuditLogNodeID) ([][]byte, error) {
	return readLogNodes(ctx, t.tx, ids)
}

func (t *logAppendTx) Write(ctx context.Context, first uint64, leaves [][]byte, nodes []gateway.AuditLogNode) error {
	if t.written {
		return fmt.Errorf("audit log: write called twice in one append")
	}
	t.written = true
	size, err := logSize(ctx, t.tx)
	if err != nil {
		return err
	}
	if first != size {
		return gateway.Errorf(gateway.ECONFLICT, "append at %d, but the log holds %d leaves", first, size)
	}
	newSize := first + uint64(len(leaves))
	if newSize > math.MaxInt64 || newSize < first {
		return gateway.Errorf(gateway.EINVALID, "the audit log cannot grow beyond 2^63 leaves")
	}
	for _, n := range nodes {
		if len(n.Hash) != gateway.AuditLogHashSize {
			return gateway.Errorf(gateway.EINVALID, "node %d/%d: hash of %d bytes", n.ID.Level, n.ID.Index, len(n.Hash))
		}
		if n.ID.Index > math.MaxInt64 {
			return gateway.Errorf(gateway.EINVALID, "node %d/%d is beyond what the store indexes", n.ID.Level, n.ID.Index)
		}
	}
	err = insertLogRows(ctx, t.tx, `INSERT INTO auditlog_leaves (idx, data) VALUES `, "(?, ?)", len(leaves),
		func(i int, args []any) []any { return append(args, int64(first)+int64(i), leaves[i]) })
	if err != nil {
		return logConflictOr(err, "audit log leaves")
	}
	err = insertLogRows(ctx, t.tx, `INSERT INTO auditlog_nodes (level, idx, hash) VALUES `, "(?, ?, ?)", len(nodes),
		func(i int, args []any) []any {
			return append(args, int64(nodes[i].ID.Level), int64(nodes[i].ID.Index), nodes[i].Hash)
		})
	if err != nil {
		return logConflictOr(err, "audit log nodes")
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE auditlog_head SET size = ? WHERE log_id = 1`, int64(newSize)); err != nil {
		return fmt.Errorf("update audit log size: %w", err)
	}
	return nil
}

// insertLogRows inserts n rows in statements of logWriteChunk rows; row appends the
// arguments of row i.
func insertLogRows(ctx context.Context, tx *sql.Tx, head, tuple string, n int, row func(i int, args []any) []any) error {
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for begin := 0; begin < n; begin += logWriteChunk {
		end := min(begin+logWriteChunk, n)
		args := make([]any, 0, (end-begin)*strings.Count(tuple, "?"))
		for i := begin; i < end; i++ {
			args = row(i, args)
		}
		query := head + strings.Repeat(tuple+", ", end-begin-1) + tuple
		if end-begin < logWriteChunk {
			if _, err := tx.ExecContext(ctx, query, args...); err != nil {
				return err
			}
			continue
		}
		// Full chunks share one prepared statement: a large append would
		// otherwise compile the same SQL once per chunk.
		if full == nil {
			st, err := tx.PrepareContext(ctx, query)
			if err != nil {
				return err
			}
			full = st
		}
		if _, err := full.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// logConflictOr makes a primary-key violation ECONFLICT: a leaf or node that
// exists already is never rewritten.
func logConflictOr(err error, what string) error {
	if isUnique(err) {
		return fmt.Errorf("%w: %w", gateway.Errorf(gateway.ECONFLICT, "%s exist already and are never rewritten", what), err)
	}
	return fmt.Errorf("write %s: %w", what, err)
}

// LastCheckpoint implements gateway.AuditLogCheckpointStorage.
func (a *AuditLog) LastCheckpoint(ctx context.Context) ([]byte, error) {
	var signed []byte
	err := a.s.read.QueryRowContext(ctx, `SELECT checkpoint FROM auditlog_head WHERE log_id = 1`).Scan(&signed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the last audit log checkpoint: %w", unavailable(err))
	}
	return signed, nil
}

// SaveCheckpoint implements gateway.AuditLogCheckpointStorage.
func (a *AuditLog) SaveCheckpoint(ctx context.Context, size uint64, signed []byte) error {
	if size > math.MaxInt64 {
		return gateway.Errorf(gateway.EINVALID, "checkpoint size %d is beyond what the store indexes", size)
	}
	_, err := a.s.write.ExecContext(ctx, `UPDATE auditlog_head SET checkpoint_size = ?, checkpoint = ?
		WHERE log_id = 1 AND (checkpoint_size IS NULL OR checkpoint_size < ?)`, int64(size), signed, int64(size))
	if err != nil {
		return fmt.Errorf("keep the audit log checkpoint: %w", translate(err))
	}
	return nil
}
