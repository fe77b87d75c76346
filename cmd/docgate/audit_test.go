package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"docgate/gateway"
	"docgate/gateway/auditlog"
	"docgate/storage/sqlite"
)

func auditRecord(i int, evidence string) auditlog.LeafRecord {
	return auditlog.LeafRecord{
		DocumentID: fmt.Sprintf("doc-%d", i),
		From:       "000.00.00.H41",
		To:         []string{"000.00.00.G22"},
		Event:      gateway.EventSubmissionAcceptance,
		PDFSHA256:  sha256.Sum256(fmt.Appendf(nil, "pdf %d", i)),
		Time:       time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
		EvidenceID: evidence + fmt.Sprint(i),
	}
}

// appendBeside appends records to the log of the gateway in dir through a
// second connection to its SQLite file and its own log key, as the exchange
// (or an intruder holding the key) would.
func appendBeside(t *testing.T, dir string, from, to int, evidence string) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(dir, "docgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	skey, err := os.ReadFile(filepath.Join(dir, "pki", logKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auditlog.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		t.Fatal(err)
	}
	var rs []auditlog.LeafRecord
	for i := from; i < to; i++ {
		rs = append(rs, auditRecord(i, evidence))
	}
	if _, err := auditlog.NewLog(s.AuditLog(), signer).Append(ctx, rs...); err != nil {
		t.Fatal(err)
	}
}

func mustAudit(t *testing.T, env map[string]string, want int, args ...string) (string, string) {
	t.Helper()
	code, out, errs := runDocgate(context.Background(), env, args...)
	if code != want {
		t.Fatalf("docgate %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errs)
	}
	return out, errs
}

// TestAuditCommands runs the audit commands against serve --dev, then
// rewrites the log's history behind the gateway's back, as someone with the
// database file and the log key could, and checks that an auditor holding an
// old checkpoint finds out.
func TestAuditCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	g := startGateway(t, dir)
	env := map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": g.admin}
	pub := filepath.Join(dir, "pki", logPubFile)
	work := t.TempDir()
	old := filepath.Join(work, "old.checkpoint")

	appendBeside(t, dir, 0, 10, "ev-")
	out, errs := mustAudit(t, env, exitOK, "audit", "checkpoint", "-o", old)
	if !strings.Contains(out, "size:   10") || !strings.Contains(errs, "trusts the gateway") {
		t.Fatalf("checkpoint without --key: %s / %s", out, errs)
	}
	out, errs = mustAudit(t, env, exitOK, "audit", "checkpoint", "--key", pub)
	if !strings.Contains(out, "verified: signed by "+defaultLogOrigin) || errs != "" {
		t.Fatalf("checkpoint --key: %s / %s", out, errs)
	}
	// A key that is not the log's: the checkpoint does not verify.
	_, otherKey, err := auditlog.GenerateKey(rand.Reader, defaultLogOrigin)
	if err != nil {
		t.Fatal(err)
	}
	_, errs = mustAudit(t, env, exitFailed, "audit", "checkpoint", "--key", otherKey)
	if !strings.Contains(errs, "AUDIT FAILED") || !strings.Contains(errs, "not signed by log key") {
		t.Fatalf("checkpoint with another key: %s", errs)
	}

	appendBeside(t, dir, 10, 15, "ev-")
	out, _ = mustAudit(t, env, exitOK, "audit", "consistency", old, "--key", pub)
	if !strings.Contains(out, "the log of 15 leaves extends your checkpoint of 10") {
		t.Fatalf("consistency: %s", out)
	}
	out, _ = mustAudit(t, env, exitOK, "audit", "prove", "3", "--key", pub, "-o", filepath.Join(work, "3.proof"))
	if !strings.Contains(out, "leaf 3 is in the log of 15 leaves") || !strings.Contains(out, "evidence: ev-3") {
		t.Fatalf("prove 3: %s", out)
	}
	proof, err := os.ReadFile(filepath.Join(work, "3.proof"))
	if err != nil || !strings.HasPrefix(string(proof), "c2sp.org/tlog-proof@v1\n") {
		t.Fatalf("saved proof: %v %q", err, proof)
	}
	out, _ = mustAudit(t, env, exitOK, "audit", "prove", "3", "--key", pub, "--checkpoint", old)
	if !strings.Contains(out, "leaf 3 is in the log of 10 leaves") {
		t.Fatalf("prove 3 against the saved checkpoint: %s", out)
	}

	// Usage errors and unreadable input exit 2; a refusal exits 1.
	garbage := filepath.Join(work, "garbage")
	os.WriteFile(garbage, []byte("not a checkpoint\n"), 0o644)
	mustAudit(t, env, exitUsage, "audit", "consistency", filepath.Join(work, "missing"), "--key", pub)
	mustAudit(t, env, exitUsage, "audit", "consistency", garbage, "--key", pub)
	mustAudit(t, env, exitUsage, "audit", "consistency", "--key", pub)
	mustAudit(t, env, exitUsage, "audit", "prove", "x", "--key", pub)
	mustAudit(t, env, exitUsage, "audit", "checkpoint", "--key", filepath.Join(work, "missing"))
	_, errs = mustAudit(t, env, exitFailed, "audit", "prove", "99", "--key", pub)
	if !strings.Contains(errs, "not below") {
		t.Fatalf("prove 99: %s", errs)
	}

	// Rewrite history: while the gateway is down, drop leaves 4 and up,
	// clear the checkpoint it kept, and append other records with the log
	// key. The forged tree is internally consistent and grows past the old
	// size; the restarted gateway knows no better and signs it.
	g.stop(t)
	db, err := sql.Open("sqlite", filepath.Join(dir, "docgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DELETE FROM auditlog_leaves WHERE idx >= 4`,
		`DELETE FROM auditlog_nodes WHERE (idx + 1) << level > 4`,
		`UPDATE auditlog_head SET size = 4, checkpoint = NULL, checkpoint_size = NULL`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	appendBeside(t, dir, 4, 20, "forged-")
	g = startGateway(t, dir)
	env["DOCGATE_SERVER"] = g.url

	mustAudit(t, env, exitOK, "audit", "checkpoint", "--key", pub) // the signature alone cannot tell
	_, errs = mustAudit(t, env, exitFailed, "audit", "consistency", old, "--key", pub)
	if !strings.Contains(errs, "AUDIT FAILED") || !strings.Contains(errs, "does NOT extend your checkpoint of 10") ||
		!strings.Contains(errs, "consistency from 10 to 20") {
		t.Fatalf("consistency after the rewrite: %s", errs)
	}
	_, errs = mustAudit(t, env, exitFailed, "audit", "prove", "5", "--key", pub, "--checkpoint", old)
	if !strings.Contains(errs, "leaf 5 is NOT proven") || !strings.Contains(errs, "does not lead to the signed root") {
		t.Fatalf("prove 5 against the saved checkpoint after the rewrite: %s", errs)
	}
	// Against a checkpoint signed now, the forged leaf proves: the key
	// signed the forged tree. Only a checkpoint kept from before shows it.
	mustAudit(t, env, exitOK, "audit", "prove", "5", "--key", pub)

	// A rollback below the saved size.
	g.stop(t)
	db, err = sql.Open("sqlite", filepath.Join(dir, "docgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DELETE FROM auditlog_leaves WHERE idx >= 6`,
		`DELETE FROM auditlog_nodes WHERE (idx + 1) << level > 6`,
		`UPDATE auditlog_head SET size = 6, checkpoint = NULL, checkpoint_size = NULL`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	g = startGateway(t, dir)
	env["DOCGATE_SERVER"] = g.url
	_, errs = mustAudit(t, env, exitFailed, "audit", "consistency", old, "--key", pub)
	if !strings.Contains(errs, "the log shrank from 10 to 6 leaves") {
		t.Fatalf("consistency after a rollback: %s", errs)
	}
}

// TestAuditGatewayRefusesTamperedLog: a stored hash changed while the
// gateway runs. The gateway itself refuses to sign a checkpoint that does
// not extend the one it signed, and the auditor's command fails with that.
func TestAuditGatewayRefusesTamperedLog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	g := startGateway(t, dir)
	env := map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": g.admin}
	pub := filepath.Join(dir, "pki", logPubFile)
	appendBeside(t, dir, 0, 8, "ev-")
	mustAudit(t, env, exitOK, "audit", "checkpoint", "--key", pub)

	db, err := sql.Open("sqlite", filepath.Join(dir, "docgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE auditlog_nodes SET hash = randomblob(32) WHERE level = 3 AND idx = 0`); err != nil {
		t.Fatal(err)
	}
	_, errs := mustAudit(t, env, exitFailed, "audit", "checkpoint", "--key", pub)
	if !strings.Contains(errs, "integrity check") || !strings.Contains(errs, "HTTP 500") {
		t.Fatalf("checkpoint of a tampered log: %s", errs)
	}
	if !strings.Contains(g.stderr.String(), "changed since this log signed it") {
		t.Fatalf("the gateway's log does not say what changed: %s", g.stderr)
	}
}

// TestAuditFull: the operator's full recomputation, run on the database
// file, names the leaf or node that was changed or deleted, including a leaf
// rewritten under its old hash, which no proof can see.
func TestAuditFull(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	g := startGateway(t, dir)
	env := map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": g.admin}
	pub := filepath.Join(dir, "pki", logPubFile)
	saved := filepath.Join(t.TempDir(), "saved.checkpoint")
	appendBeside(t, dir, 0, 8, "ev-")
	mustAudit(t, env, exitOK, "audit", "checkpoint", "--key", pub, "-o", saved)
	appendBeside(t, dir, 8, 12, "ev-")
	g.stop(t)

	out, _ := mustAudit(t, nil, exitOK, "audit", "full", "--data", dir) // the last checkpoint the gateway signed
	if !strings.Contains(out, "intact: the 8 stored leaves") {
		t.Fatalf("full: %s", out)
	}
	mustAudit(t, nil, exitOK, "audit", "full", "--data", dir, "--key", pub, saved)
	mustAudit(t, nil, exitUsage, "audit", "full", "--data", filepath.Join(dir, "missing"))

	// Each case adds to the damage of the ones before, in the order an
	// audit reads: leaves first, then the nodes they complete.
	r := auditRecord(5, "forged-")
	forged, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, sql, want string
		args            []any
	}{
		{"leaf rewritten", `UPDATE auditlog_leaves SET data = ? WHERE idx = 5`, "leaf 5: stored data does not match its stored hash", []any{forged}},
		{"leaf and hash rewritten", `UPDATE auditlog_nodes SET hash = ? WHERE level = 0 AND idx = 5`, "node 1/2 (leaves 4 to 5): stored hash does not match its children", []any{auditlog.LeafHash(forged)}},
		{"node deleted", `DELETE FROM auditlog_nodes WHERE level = 3 AND idx = 0`, "node 3/0 is not stored", nil},
		{"leaf deleted", `DELETE FROM auditlog_leaves WHERE idx = 2`, "leaf 2 is missing", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := sql.Open("sqlite", filepath.Join(dir, "docgate.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(tc.sql, tc.args...); err != nil {
				t.Fatal(err)
			}
			_, errs := mustAudit(t, nil, exitFailed, "audit", "full", "--data", dir, "--key", pub, saved)
			if !strings.Contains(errs, "AUDIT FAILED") || !strings.Contains(errs, tc.want) {
				t.Fatalf("full after %s: %s", tc.name, errs)
			}
		})
	}
}
