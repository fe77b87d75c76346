package postgres_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"docgate/gateway"
	"docgate/storage/storetest"
)

func TestDocumentStore(t *testing.T) {
	if os.Getenv(urlEnv) == "" {
		t.Skip(urlEnv + " is not set; set it to a PostgreSQL URL to test the PostgreSQL store")
	}
	storetest.TestDocumentStore(t, func(t *testing.T) gateway.Store {
		cfg, _ := freshSchema(t)
		return mustOpen(t, cfg)
	})
}

// TestBlobsMigrationKeepsOldDocuments applies migration 0005 to a database
// that already holds documents: their blobs must be recorded as referenced.
func TestBlobsMigrationKeepsOldDocuments(t *testing.T) {
	cfg, schema := freshSchema(t)
	ctx := context.Background()
	s := mustOpen(t, cfg)
	for _, a := range []string{"000.00.00.H41", "000.00.01.H41"} {
		if err := s.CreateAgency(ctx, &gateway.Agency{Code: a, Name: a}); err != nil {
			t.Fatal(err)
		}
	}
	pdf, att := strings.Repeat("a", 64), strings.Repeat("b", 64)
	err := s.CreateDocument(ctx, &gateway.Submission{Document: &gateway.Document{ID: "old", State: gateway.DocumentActive,
		SubmittedAt: time.Now().Add(-48 * time.Hour), Envelope: gateway.Envelope{From: "000.00.00.H41", To: []string{"000.00.01.H41"}, Subject: "s"},
		PDF: gateway.Part{SHA256: pdf}, Attachments: []gateway.Part{{SHA256: att}, {SHA256: pdf}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TABLE document_parts`, `DROP TABLE blobs`, `DELETE FROM schema_migrations WHERE version = 5`} {
		if _, err := s.Pool().Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s = mustOpen(t, cfg)
	if got, err := s.ClaimOrphanBlobs(ctx, time.Now(), time.Now(), 10); err != nil || len(got) != 0 {
		t.Fatalf("after the upgrade the old document's blobs are orphans: %v, %v", got, err)
	}
	var n int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM `+schema+`.document_parts WHERE document_id = 'old'`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("parts of the old document: %d, %v", n, err)
	}
}
