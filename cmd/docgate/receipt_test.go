package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"docgate/certs/devca"
	"docgate/gateway/evidence"
)

// TestReceiptVerifyWantsASeal: a receipt signed by a certificate under the
// trusted root that is no gateway seal is NOT valid (exit 1), unless the
// auditor pins that certificate with --seal, as for a seal from the
// operator's own CA.
func TestReceiptVerifyWantsASeal(t *testing.T) {
	dir := t.TempDir()
	ca, err := devca.Init(filepath.Join(dir, "pki"), devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := ca.Issue(devca.IssueRequest{AgencyCode: "000.00.00.H41", OrgName: "UBND tỉnh"})
	if err != nil {
		t.Fatal(err)
	}
	s := &evidence.Sealer{Signer: other.Key, Certificate: other.Cert, Chain: []*x509.Certificate{ca.Root()}}
	at := time.Now().UTC().Truncate(time.Millisecond)
	der, _, err := s.Seal(context.Background(), &evidence.Record{EvidenceID: evidence.NewID(), Event: "ConsignmentAcceptance",
		EventTime: at, SubmissionTime: at, DocumentID: "doc_1", Sender: "000.00.00.H41", Recipients: []string{"000.00.01.H41"},
		Subject: "s", Document: evidence.PartDigest{Name: "a.pdf", DigestMethod: "SHA-256", Digest: "ab"}})
	if err != nil {
		t.Fatal(err)
	}
	receipt, sealPEM := filepath.Join(dir, "r.p7s"), filepath.Join(dir, "other.crt")
	os.WriteFile(receipt, der, 0o644)
	os.WriteFile(sealPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: other.Cert.Raw}), 0o644)
	root := filepath.Join(dir, "pki", "root.crt")

	wantExit(t, nil, exitFailed, "not a gateway seal", "receipt", "verify", "--trust", root, receipt)
	mustRun(t, nil, "receipt", "verify", "--trust", root, "--seal", sealPEM, receipt)
	wantExit(t, nil, exitUsage, "--seal", "receipt", "verify", "--trust", root, "--seal", filepath.Join(dir, "missing.crt"), receipt)
}
