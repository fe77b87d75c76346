package sqlite_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"docgate/gateway"
	"docgate/gateway/auditlog"
	"docgate/gateway/auditlog/auditlogtest"
)

func TestAuditLogStorage(t *testing.T) {
	auditlogtest.TestStorage(t, func(t *testing.T) gateway.AuditLogStorage {
		s := mustOpen(t, filepath.Join(t.TempDir(), "docgate.db"))
		t.Cleanup(func() { s.Close() })
		return s.AuditLog()
	})
}

// logKeys is one log key pair, shared by the Logs a test opens so that they
// are the same log across "restarts".
type logKeys struct {
	signer string
	v      *auditlog.Verifier
}

func mustLogKeys(tb testing.TB) logKeys {
	tb.Helper()
	skey, vkey, err := auditlog.GenerateKey(rand.Reader, "sqlite.test/log")
	if err != nil {
		tb.Fatal(err)
	}
	v, err := auditlog.NewLogVerifier(vkey)
	if err != nil {
		tb.Fatal(err)
	}
	return logKeys{signer: skey, v: v}
}

func (k logKeys) open(tb testing.TB, s gateway.AuditLogStorage) *auditlog.Log {
	tb.Helper()
	signer, err := auditlog.NewSigner(k.signer)
	if err != nil {
		tb.Fatal(err)
	}
	return auditlog.NewLog(s, signer)
}

func leafRecord(i int) auditlog.LeafRecord {
	return auditlog.LeafRecord{
		DocumentID: fmt.Sprintf("doc-%d", i),
		From:       "000.00.00.H41",
		To:         []string{"000.00.00.G22"},
		Event:      gateway.EventSubmissionAcceptance,
		PDFSHA256:  sha256.Sum256(fmt.Appendf(nil, "pdf %d", i)),
		Time:       time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
		EvidenceID: fmt.Sprintf("ev-%d", i),
	}
}

func leafData(i int) []byte {
	r := leafRecord(i)
	d, err := r.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return d
}

func mustAppend(tb testing.TB, l *auditlog.Log, from, to int) {
	tb.Helper()
	var rs []auditlog.LeafRecord
	for i := from; i < to; i++ {
		rs = append(rs, leafRecord(i))
	}
	if _, err := l.Append(context.Background(), rs...); err != nil {
		tb.Fatal(err)
	}
}

// rawDB opens the file behind the gateway's back, as an intruder with
// access to the disk would.
func rawDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func mustExec(tb testing.TB, db *sql.DB, query string, args ...any) {
	tb.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
}

// TestAuditLogRestartRefusesRollback: a checkpoint signed before a restart
// binds the log after it. The tables are rolled back while the gateway is
// down; the new process must refuse to sign the shorter or forked tree.
func TestAuditLogRestartRefusesRollback(t *testing.T) {
	ctx := context.Background()
	keys := mustLogKeys(t)
	for _, tc := range []struct {
		name   string
		tamper func(db *sql.DB)
		want   string
	}{
		{"rolled back", func(db *sql.DB) {
			mustExec(t, db, `DELETE FROM auditlog_leaves WHERE idx >= 5`)
			mustExec(t, db, `DELETE FROM auditlog_nodes WHERE (idx + 1) << level > 5`)
			mustExec(t, db, `UPDATE auditlog_head SET size = 5`)
		}, "rolled back"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "docgate.db")
			s := mustOpen(t, path)
			l := keys.open(t, s.AuditLog())
			mustAppend(t, l, 0, 10)
			if _, err := l.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
			s.Close()

			tc.tamper(rawDB(t, path))

			s = mustOpen(t, path)
			defer s.Close()
			l = keys.open(t, s.AuditLog())
			_, err := l.Checkpoint(ctx)
			if gateway.ErrorCode(err) != gateway.EINTEGRITY || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("checkpoint after the tables were rolled back: got %v, want EINTEGRITY (%s)", err, tc.want)
			}
		})
	}
}

// TestAuditLogRestartRefusesFork rebuilds the tail of the log with other
// leaves while the gateway is down: same size, a different root.
func TestAuditLogRestartRefusesFork(t *testing.T) {
	ctx := context.Background()
	keys := mustLogKeys(t)
	path := filepath.Join(t.TempDir(), "docgate.db")
	s := mustOpen(t, path)
	l := keys.open(t, s.AuditLog())
	mustAppend(t, l, 0, 8)
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()

	db := rawDB(t, path)
	mustExec(t, db, `DELETE FROM auditlog_nodes WHERE (idx + 1) << level > 6`)
	mustExec(t, db, `DELETE FROM auditlog_leaves WHERE idx >= 6`)
	mustExec(t, db, `UPDATE auditlog_head SET size = 6`)
	db.Close()

	s = mustOpen(t, path)
	defer s.Close()
	l = keys.open(t, s.AuditLog())
	mustAppend(t, l, 100, 102) // two other leaves in place of 6 and 7
	_, err := l.Checkpoint(ctx)
	if gateway.ErrorCode(err) != gateway.EINTEGRITY || !strings.Contains(err.Error(), "changed since this log signed it") {
		t.Fatalf("checkpoint of a forked tree of the same size: got %v, want EINTEGRITY", err)
	}
	// Growing past the fork does not launder it.
	mustAppend(t, l, 102, 110)
	if _, err := l.Checkpoint(ctx); gateway.ErrorCode(err) != gateway.EINTEGRITY {
		t.Fatalf("checkpoint of a grown fork: got %v, want EINTEGRITY", err)
	}
}

// TestAuditLogRestartKeepsSigning: an untouched log signs on after a restart,
// and the kept checkpoint follows the largest one signed.
func TestAuditLogRestartKeepsSigning(t *testing.T) {
	ctx := context.Background()
	keys := mustLogKeys(t)
	path := filepath.Join(t.TempDir(), "docgate.db")
	s := mustOpen(t, path)
	l := keys.open(t, s.AuditLog())
	mustAppend(t, l, 0, 3)
	first, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = mustOpen(t, path)
	defer s.Close()
	l = keys.open(t, s.AuditLog())
	mustAppend(t, l, 3, 7)
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := s.AuditLog().LastCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(kept) != string(cp) {
		t.Fatalf("kept checkpoint:\n%s\nwant the latest:\n%s", kept, cp)
	}
	proof, err := l.ConsistencyProof(ctx, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.v.VerifyConsistency(first, cp, proof); err != nil {
		t.Fatal(err)
	}
}

// TestAuditLogTamperDetected rewrites history in the file with raw SQL after
// a checkpoint was saved, and checks that the audit, or an inclusion or
// consistency proof against the saved checkpoint, names what changed.
func TestAuditLogTamperDetected(t *testing.T) {
	ctx := context.Background()
	keys := mustLogKeys(t)
	const n = 21
	forged, _ := leafData(1000), error(nil)
	for _, tc := range []struct {
		name   string
		tamper func(db *sql.DB)
		// audit is what auditlog.Audit must report.
		audit string
		// proofFails says some leaf's inclusion proof against the saved
		// checkpoint must fail too.
		proofFails bool
	}{
		{"leaf data changed", func(db *sql.DB) {
			mustExec(t, db, `UPDATE auditlog_leaves SET data = ? WHERE idx = 4`, forged)
		}, "leaf 4: stored data does not match its stored hash", false},
		{"leaf and its hash changed", func(db *sql.DB) {
			mustExec(t, db, `UPDATE auditlog_leaves SET data = ? WHERE idx = 4`, forged)
			mustExec(t, db, `UPDATE auditlog_nodes SET hash = ? WHERE level = 0 AND idx = 4`, auditlog.LeafHash(forged))
		}, "node 1/2 (leaves 4 to 5): stored hash does not match its children", true},
		{"leaf deleted", func(db *sql.DB) {
			mustExec(t, db, `DELETE FROM auditlog_leaves WHERE idx = 4`)
		}, "leaf 4 is missing", false},
		{"inner node changed", func(db *sql.DB) {
			mustExec(t, db, `UPDATE auditlog_nodes SET hash = randomblob(32) WHERE level = 2 AND idx = 1`)
		}, "node 2/1 (leaves 4 to 7)", true},
		{"node deleted", func(db *sql.DB) {
			mustExec(t, db, `DELETE FROM auditlog_nodes WHERE level = 3 AND idx = 0`)
		}, "node 3/0 is not stored", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "docgate.db")
			s := mustOpen(t, path)
			defer s.Close()
			l := keys.open(t, s.AuditLog())
			mustAppend(t, l, 0, n)
			saved, err := l.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := auditlog.Audit(ctx, s.AuditLog(), keys.v, saved); err != nil {
				t.Fatalf("audit before tampering: %v", err)
			}

			tc.tamper(rawDB(t, path))
			mustAppend(t, l, n, n+3) // the gateway carries on

			err = auditlog.Audit(ctx, s.AuditLog(), keys.v, saved)
			if err == nil || !strings.Contains(err.Error(), tc.audit) {
				t.Fatalf("audit after tampering: got %v, want it to say %q", err, tc.audit)
			}
			// An auditor holding the saved checkpoint checks every receipt's
			// leaf against it. Proofs read only nodes, so a leaf rewritten
			// under its intact hash is Audit's to find; anything else breaks
			// the proof of some leaf.
			var failed []string
			for i := range n {
				path, err := l.InclusionProof(ctx, uint64(i), n)
				if err == nil {
					_, err = keys.v.VerifyInclusion(saved, leafData(i), uint64(i), path)
				}
				if err != nil {
					failed = append(failed, fmt.Sprintf("leaf %d: %v", i, err))
				}
			}
			if tc.proofFails != (len(failed) > 0) {
				t.Fatalf("inclusion proofs against the saved checkpoint: %d failed, want failures: %v\n%s",
					len(failed), tc.proofFails, strings.Join(failed, "\n"))
			}
			if len(failed) > 0 {
				t.Logf("%d of %d inclusion proofs fail, first: %s", len(failed), n, failed[0])
			}
		})
	}
}

// TestAuditLogCheckpointsWhileAppending: replicas sign checkpoints while
// others append. A checkpoint another replica signed after this one read
// the size is no rollback; none of them may refuse.
func TestAuditLogCheckpointsWhileAppending(t *testing.T) {
	ctx := context.Background()
	keys := mustLogKeys(t)
	s := mustOpen(t, filepath.Join(t.TempDir(), "docgate.db"))
	defer s.Close()
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		l := keys.open(t, s.AuditLog())
		for i := range 60 {
			if _, err := l.Append(ctx, leafRecord(i)); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for range 3 {
		l := keys.open(t, s.AuditLog())
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := l.Checkpoint(ctx); err != nil {
					t.Errorf("checkpoint while appending: %v", err)
					return
				}
				if _, err := l.Prove(ctx, 0); err != nil && gateway.ErrorCode(err) != gateway.EINVALID {
					t.Errorf("prove while appending: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}
