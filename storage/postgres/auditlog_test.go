package postgres_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"docgate/gateway"
	"docgate/gateway/auditlog"
	"docgate/gateway/auditlog/auditlogtest"
)

func TestAuditLogStorage(t *testing.T) {
	if os.Getenv(urlEnv) == "" {
		t.Skip(urlEnv + " is not set; set it to a PostgreSQL URL to test the PostgreSQL audit log storage")
	}
	auditlogtest.TestStorage(t, func(t *testing.T) gateway.AuditLogStorage {
		cfg, _ := freshSchema(t)
		return mustOpen(t, cfg).AuditLog()
	})
}

func logRecord(i int) []byte {
	r := auditlog.LeafRecord{
		DocumentID: fmt.Sprintf("doc-%d", i),
		From:       "000.00.00.H41",
		To:         []string{"000.00.00.G22"},
		Event:      gateway.EventSubmissionAcceptance,
		PDFSHA256:  sha256.Sum256(fmt.Appendf(nil, "pdf %d", i)),
		Time:       time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
		EvidenceID: fmt.Sprintf("ev-%d", i),
	}
	d, err := r.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return d
}

// mustAuditLog opens the log in a store of cfg with one key for every call,
// as replicas or restarts of one gateway would.
func mustAuditLog(t *testing.T, cfg *pgxpool.Config, skey string) *auditlog.Log {
	t.Helper()
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return auditlog.NewLog(mustOpen(t, cfg).AuditLog(), signer)
}

// TestAuditLogTamperAndRestart rewrites history with raw SQL behind the
// gateway's back: Audit names the changed leaf, and a freshly started
// replica refuses to sign over a rollback of what another one signed.
func TestAuditLogTamperAndRestart(t *testing.T) {
	ctx := context.Background()
	cfg, schema := freshSchema(t)
	skey, vkey, err := auditlog.GenerateKey(rand.Reader, "postgres.test/log")
	if err != nil {
		t.Fatal(err)
	}
	v, err := auditlog.NewLogVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	l := mustAuditLog(t, cfg, skey)
	var data [][]byte
	for i := range 13 {
		data = append(data, logRecord(i))
	}
	if _, err := l.AppendData(ctx, data); err != nil {
		t.Fatal(err)
	}
	saved, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	store := mustOpen(t, cfg)
	if err := auditlog.Audit(ctx, store.AuditLog(), v, saved); err != nil {
		t.Fatalf("audit before tampering: %v", err)
	}

	url := os.Getenv(urlEnv)
	admin(t, url, `UPDATE `+schema+`.auditlog_leaves SET data = '\x01'::bytea || data WHERE idx = 7`)
	err = auditlog.Audit(ctx, store.AuditLog(), v, saved)
	if gateway.ErrorCode(err) != gateway.EINTEGRITY || !strings.Contains(err.Error(), "leaf 7: stored data does not match") {
		t.Fatalf("audit after changing leaf 7: got %v", err)
	}
	admin(t, url, `DELETE FROM `+schema+`.auditlog_leaves WHERE idx = 3`)
	err = auditlog.Audit(ctx, store.AuditLog(), v, saved)
	if gateway.ErrorCode(err) != gateway.EINTEGRITY || !strings.Contains(err.Error(), "leaf 3 is missing") {
		t.Fatalf("audit after deleting leaf 3: got %v", err)
	}
	admin(t, url, `UPDATE `+schema+`.auditlog_nodes SET hash = sha256(hash) WHERE level = 1 AND idx = 0`)
	path, err := store.AuditLog().ReadNodes(ctx, []gateway.AuditLogNodeID{{Level: 1, Index: 0}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.InclusionProof(ctx, 2, 13)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyInclusion(saved, data[2], 2, p); err == nil {
		t.Fatalf("inclusion of leaf 2 verifies against the saved checkpoint with node 1/0 changed to %x", path[0])
	}

	// Roll the log back to 10 leaves; another replica, started afresh,
	// must not sign it.
	admin(t, url, `DELETE FROM `+schema+`.auditlog_nodes WHERE (idx + 1) << level > 10`)
	admin(t, url, `DELETE FROM `+schema+`.auditlog_leaves WHERE idx >= 10`)
	admin(t, url, `UPDATE `+schema+`.auditlog_head SET size = 10`)
	replica := mustAuditLog(t, cfg, skey)
	if _, err := replica.Checkpoint(ctx); gateway.ErrorCode(err) != gateway.EINTEGRITY || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("a new replica signed over a rollback: %v", err)
	}
}
