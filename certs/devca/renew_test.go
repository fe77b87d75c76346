package devca_test

import (
	"os"
	"path/filepath"
	"testing"

	"docgate/certs"
	"docgate/certs/devca"
	"docgate/gateway/evidence"
)

func hasSealPolicy(t *testing.T, path string) bool {
	t.Helper()
	cs, err := certs.LoadCertificateFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range cs[0].Policies {
		if p.Equal(evidence.ReceiptSealPolicy) {
			return true
		}
	}
	return false
}

// TestRenewOldSeal: a development CA whose seal predates the receipt-seal
// policy gets a new seal with it, and keeps the old certificate for
// verifying what it signed; a current seal is left alone.
func TestRenewOldSeal(t *testing.T) {
	dir := t.TempDir()
	ca, err := devca.Init(dir, devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if renewed, _, err := ca.RenewOldSeal(); err != nil || renewed {
		t.Fatalf("a current seal: renewed=%v %v", renewed, err)
	}
	// An old seal: any certificate of the CA without the policy.
	old, err := ca.Issue(devca.IssueRequest{AgencyCode: "000.00.00.H41", OrgName: "docgate development"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := devca.EncodeKey(old.Key)
	if err != nil {
		t.Fatal(err)
	}
	seal := filepath.Join(dir, devca.SealCertFile)
	if err := os.WriteFile(filepath.Join(dir, devca.SealKeyFile), key, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(seal, devca.EncodeCert(old.Cert), 0o644); err != nil {
		t.Fatal(err)
	}
	renewed, kept, err := ca.RenewOldSeal()
	if err != nil || !renewed {
		t.Fatalf("an old seal: renewed=%v %v", renewed, err)
	}
	if !hasSealPolicy(t, seal) {
		t.Fatal("the renewed seal lacks the receipt-seal policy")
	}
	cs, err := certs.LoadCertificateFile(kept)
	if err != nil || !cs[0].Equal(old.Cert) {
		t.Fatalf("the old seal was not kept at %s: %v", kept, err)
	}
	if cert, _, err := ca.Seal(); err != nil || cert.Equal(old.Cert) {
		t.Fatalf("Seal after renewal: %v", err)
	}
}
