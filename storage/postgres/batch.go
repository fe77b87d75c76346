package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// batch queues the statements of one transaction and sends them in one round
// trip: a submission is about ten statements, and waiting for each answer in
// turn was most of CreateDocument's time. Each statement keeps its own error
// handling; the server stops at the first failure, and send returns that
// statement's error as its handler made it.
type batch struct {
	b pgx.Batch
}

// exec queues a statement. check, when set, judges its command tag; fail maps
// its error.
func (b *batch) exec(fail func(error) error, check func(pgconn.CommandTag) error, sql string, args ...any) {
	b.b.Queue(sql, args...).Fn = func(br pgx.BatchResults) error {
		tag, err := br.Exec()
		if err != nil {
			return fail(err)
		}
		if check != nil {
			return check(tag)
		}
		return nil
	}
}

// queryRow queues a statement that returns one row, handed to scan; the
// statement's own error comes out of the row's Scan, for scan to map.
func (b *batch) queryRow(scan func(pgx.Row) error, sql string, args ...any) {
	b.b.Queue(sql, args...).Fn = func(br pgx.BatchResults) error { return scan(br.QueryRow()) }
}

// batchSender is a transaction or the pool.
type batchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// send runs the queued statements on q. Sent to the pool rather than inside
// a transaction, they run in one implicit transaction, in one round trip
// with no BEGIN and COMMIT of their own; that transaction rolls back only
// when the server reports an error, not when a handler here does.
func (b *batch) send(ctx context.Context, q batchSender) error {
	if b.b.Len() == 0 {
		return nil
	}
	return translate(q.SendBatch(ctx, &b.b).Close())
}
