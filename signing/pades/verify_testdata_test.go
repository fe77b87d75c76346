package pades

import (
	"context"
	"encoding/pem"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"docgate/certs"
	"docgate/gateway"
	"docgate/signing/pdf"
)

var updateVerifyTestdata = flag.Bool("update-verify-testdata", false, "regenerate testdata/verify-*.pdf and the root they trust")

// The CLI's tests read these generated files: a document signed by a test
// agency, the same document changed after signing, and the root to trust.
// Regenerate with: go test ./signing/pades -run TestVerifyTestdata -update-verify-testdata
const (
	testdataSigned   = "testdata/verify-signed.pdf"
	testdataModified = "testdata/verify-modified.pdf"
	testdataRoot     = "testdata/verify-root.pem"
)

func TestVerifyTestdata(t *testing.T) {
	if *updateVerifyTestdata {
		p := vNewPKI(t)
		// The CRL is issued after the claimed signing time, so it covers the
		// signature for as long as the certificates are valid.
		signed := vSign(t, p, vBuildPDF(vDoc{}), vSignOpts{signingTime: time.Now().Add(-3 * time.Hour)})
		modified := vUpdate(t, signed, func(f *pdf.File, u *pdf.Update) {
			vMustSet(t, u, pdf.Ref{Num: 11}, pdf.NewStream(pdf.NewDict(), []byte("BT /F1 24 Tf 72 720 Td (Pay 1,000,000) Tj ET")))
		})
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string][]byte{
			testdataSigned: signed, testdataModified: modified,
			testdataRoot: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.root.Raw}),
		} {
			if err := os.WriteFile(filepath.FromSlash(name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	trust, err := certs.LoadTrustStore(testdataRoot)
	if err != nil {
		t.Fatalf("%v (regenerate with -update-verify-testdata)", err)
	}
	for name, want := range map[string]string{testdataSigned: gateway.VerdictValid, testdataModified: gateway.VerdictInvalid} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		rep := vMustVerify(t, b, trust)
		if rep.Document.Verdict != want {
			t.Errorf("%s: verdict %s, want %s: %+v", name, rep.Document.Verdict, want, rep)
		}
		// The files must keep their verdict for years: validate a year from now.
		later, err := (&Verifier{Trust: trust}).VerifyPDF(context.Background(), vBytes(b), int64(len(b)),
			gateway.VerifyOptions{Offline: true, At: time.Now().AddDate(1, 0, 0)})
		if err != nil || later.Document.Verdict != want {
			t.Errorf("%s a year from now: %v %+v", name, err, later)
		}
	}
}
