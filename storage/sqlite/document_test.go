package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"docgate/gateway"
	"docgate/storage/storetest"
)

func TestDocumentStore(t *testing.T) {
	storetest.TestDocumentStore(t, func(t *testing.T) gateway.Store {
		s := mustOpen(t, filepath.Join(t.TempDir(), "docgate.db"))
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestBlobsMigrationKeepsOldDocuments applies migration 0005 to a database
// that already holds documents, as an upgrade does: their blobs must be
// recorded as referenced, or the orphan sweeper would delete them.
func TestBlobsMigrationKeepsOldDocuments(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "docgate.db")
	s := mustOpen(t, path)
	for _, a := range []string{"000.00.00.H41", "000.00.01.H41"} {
		if err := s.CreateAgency(ctx, &gateway.Agency{Code: a, Name: a}); err != nil {
			t.Fatal(err)
		}
	}
	pdf, att := strings.Repeat("a", 64), strings.Repeat("b", 64)
	at := time.Now().Add(-48 * time.Hour)
	err := s.CreateDocument(ctx, &gateway.Submission{Document: &gateway.Document{ID: "old", State: gateway.DocumentActive, SubmittedAt: at,
		Envelope: gateway.Envelope{From: "000.00.00.H41", To: []string{"000.00.01.H41"}, Subject: "s"},
		PDF:      gateway.Part{SHA256: pdf}, Attachments: []gateway.Part{{SHA256: att}}}})
	if err != nil {
		t.Fatal(err)
	}
	// Back to the schema before 0005, with the document in it.
	err = s.WithTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DROP TABLE document_parts`, `DROP TABLE blobs`, `DELETE FROM schema_migrations WHERE version = 5`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = mustOpen(t, path)
	defer s.Close()
	if got, err := s.ClaimOrphanBlobs(ctx, time.Now(), time.Now(), 10); err != nil || len(got) != 0 {
		t.Fatalf("after the upgrade the old document's blobs are orphans: %v, %v", got, err)
	}
	var n int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM document_parts WHERE document_id = 'old'`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("parts of the old document: %d, %v", n, err)
	}
}
