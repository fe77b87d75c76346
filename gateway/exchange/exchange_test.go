package exchange_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"docgate/certs/devca"
	"docgate/gateway"
	"docgate/gateway/evidence"
	"docgate/gateway/exchange"
	"docgate/signing/tsp"
	"docgate/storage/fsblob"
	"docgate/storage/postgres"
	"docgate/storage/s3"
	"docgate/storage/sqlite"
)

const (
	sender    = "000.00.00.H41"
	recipB    = "000.00.01.H41"
	recipC    = "000.00.02.H41"
	suspended = "000.00.03.H41"
	stranger  = "000.00.04.H41"
)

// fakeVerifier returns the report its function builds; it records the bytes
// it was shown so that tests can check the PDF reached it whole.
type fakeVerifier struct {
	report func(pdf []byte) *gateway.Report
	err    error
}

func (f *fakeVerifier) VerifyPDF(ctx context.Context, r io.ReaderAt, size int64, _ gateway.VerifyOptions) (*gateway.Report, error) {
	if f.err != nil {
		return nil, f.err
	}
	b := make([]byte, size)
	if _, err := r.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return f.report(b), nil
}

// signedBy is the report of a PDF with one good signature by agency code.
func signedBy(code string) func([]byte) *gateway.Report {
	return func([]byte) *gateway.Report {
		return &gateway.Report{
			Document:   gateway.DocumentReport{Verdict: gateway.VerdictValid, Modification: gateway.ModificationNone, Revisions: 2},
			Signatures: []gateway.SignatureReport{{Field: "Signature1", Kind: "signature", Intact: true, Indication: gateway.IndicationPassed, Signer: "CN=Clerk", AgencyCode: code}},
		}
	}
}

type fixture struct {
	svc   *exchange.Service
	store gateway.Store
	blobs gateway.BlobStore
	ver   *fakeVerifier
	roots *x509.CertPool
	tsa   *tsp.Authority
	ca    *devca.CA
}

func openStores(t testing.TB) (gateway.Store, gateway.BlobStore) {
	t.Helper()
	ctx := context.Background()
	var store gateway.Store
	if url := os.Getenv("DOCGATE_TEST_DATABASE_URL"); url != "" {
		var b [8]byte
		rand.Read(b[:])
		schema := "t_" + hex.EncodeToString(b[:])
		adminExec(t, url, `CREATE SCHEMA `+schema)
		t.Cleanup(func() { adminExec(t, url, `DROP SCHEMA `+schema+` CASCADE`) })
		cfg, err := pgxpool.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = schema
		cfg.MaxConns = 4
		s, err := postgres.OpenConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		store = s
	} else {
		s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "docgate.db"))
		if err != nil {
			t.Fatal(err)
		}
		store = s
	}
	t.Cleanup(func() { store.Close() })
	var blobs gateway.BlobStore
	if ep := os.Getenv("DOCGATE_TEST_S3_ENDPOINT"); ep != "" {
		var b [6]byte
		rand.Read(b[:])
		s, err := s3.New(ctx, s3.Config{Endpoint: ep, AccessKey: os.Getenv("DOCGATE_TEST_S3_ACCESS_KEY"),
			SecretKey: os.Getenv("DOCGATE_TEST_S3_SECRET_KEY"), Bucket: "exchange-" + hex.EncodeToString(b[:]),
			// As serve sets it: blobs of unknown size are staged locally,
			// not through a temporary object and a server-side copy.
			SpoolDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		blobs = s
	} else {
		b, err := fsblob.New(filepath.Join(t.TempDir(), "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		blobs = b
	}
	return store, blobs
}

func adminExec(t testing.TB, url, sql string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureCA(t, "")
}

// newFixtureCA is newFixture with the dev CA's CRL and OCSP URLs under
// baseURL.
func newFixtureCA(t testing.TB, baseURL string) *fixture {
	t.Helper()
	store, blobs := openStores(t)
	ctx := context.Background()
	for _, a := range []gateway.Agency{
		{Code: sender, Name: "Văn phòng"}, {Code: recipB, Name: "Sở B"}, {Code: recipC, Name: "Sở C"},
		{Code: suspended, Name: "Sở D", Status: gateway.AgencySuspended}, {Code: stranger, Name: "Sở E"},
	} {
		if err := store.CreateAgency(ctx, &a); err != nil {
			t.Fatal(err)
		}
	}
	ca, err := devca.Init(t.TempDir(), devca.Options{BaseURL: baseURL})
	if err != nil {
		t.Fatal(err)
	}
	tsaCert, tsaKey, _ := ca.TSA()
	sealCert, sealKey, err := ca.Seal()
	if err != nil {
		t.Fatal(err)
	}
	tsa := &tsp.Authority{Signer: tsaKey, Certificate: tsaCert, Policy: []int{1, 3, 6, 1, 4, 1, 99999, 1}}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Root())
	ver := &fakeVerifier{report: signedBy(sender)}
	svc := &exchange.Service{
		Store: store, Blobs: blobs, Verifier: ver, Policy: exchange.DefaultPolicy, TempDir: t.TempDir(),
		Sealer: &evidence.Sealer{Signer: sealKey, Certificate: sealCert, Chain: []*x509.Certificate{ca.Root()}, TSA: tsa},
	}
	return &fixture{svc: svc, store: store, blobs: blobs, ver: ver, roots: roots, tsa: tsa, ca: ca}
}

func as(code string) context.Context {
	return gateway.NewContextWithPrincipal(context.Background(), &gateway.Principal{Role: gateway.RoleAgency, AgencyCode: code})
}

func asRole(r gateway.Role) context.Context {
	return gateway.NewContextWithPrincipal(context.Background(), &gateway.Principal{Role: r})
}

func pdfBytes(tag string) []byte {
	return []byte("%PDF-1.7\n1 0 obj <<>> endobj\n% " + tag + "\ntrailer <<>>\n%%EOF\n")
}

type uploads []*exchange.Upload

func (u *uploads) Next() (*exchange.Upload, error) {
	if len(*u) == 0 {
		return nil, io.EOF
	}
	x := (*u)[0]
	*u = (*u)[1:]
	return x, nil
}

func envelope(to ...string) gateway.Envelope {
	return gateway.Envelope{From: sender, To: to, Subject: "Về việc thử nghiệm", Number: "12"}
}

func (f *fixture) submit(t *testing.T, env gateway.Envelope, pdf []byte, atts ...[]byte) *exchange.Submitted {
	t.Helper()
	out, err := f.trySubmit(env, pdf, atts...)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return out
}

func (f *fixture) trySubmit(env gateway.Envelope, pdf []byte, atts ...[]byte) (*exchange.Submitted, error) {
	var us uploads
	for i, a := range atts {
		us = append(us, &exchange.Upload{Name: fmt.Sprintf("annex%d.txt", i), ContentType: "text/plain", Body: bytes.NewReader(a)})
	}
	return f.svc.Submit(as(env.From), env, &exchange.Upload{Name: "doc.pdf", Body: bytes.NewReader(pdf)}, &us)
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func wantCode(t *testing.T, err error, code, what string) {
	t.Helper()
	if got := gateway.ErrorCode(err); got != code {
		t.Fatalf("%s: got %q (%v), want %q", what, got, err, code)
	}
}

func inboxIDs(t *testing.T, f *fixture, code string) []string {
	t.Helper()
	items, err := f.svc.Inbox(as(code), gateway.InboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range items {
		ids = append(ids, it.Document.ID)
	}
	return ids
}

func verifyReceipt(t *testing.T, f *fixture, r *gateway.Receipt) *evidence.Record {
	t.Helper()
	v, err := evidence.Verify(r.CMS, f.roots)
	if err != nil {
		t.Fatalf("receipt %s: %v", r.ID, err)
	}
	if v.Record.EvidenceID != r.ID || v.Record.Event != r.Event || v.Record.DocumentID != r.DocumentID {
		t.Fatalf("receipt %s holds %+v", r.ID, v.Record)
	}
	if v.TimestampTime.IsZero() && !r.Pending {
		t.Fatalf("receipt %s has no timestamp but is not marked pending", r.ID)
	}
	return v.Record
}

func readAll(t *testing.T, rc io.ReadCloser) []byte {
	t.Helper()
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSubmitFetchAckStatus(t *testing.T) {
	f := newFixture(t)
	pdf, annex := pdfBytes("main"), []byte("annex bytes")
	out := f.submit(t, envelope(recipB, recipC), pdf, annex)
	if !out.Created || out.Document.PDF.SHA256 != sum(pdf) || out.Document.Attachments[0].SHA256 != sum(annex) {
		t.Fatalf("submitted: %+v", out.Document)
	}
	rec := verifyReceipt(t, f, out.Receipt)
	if rec.Event != gateway.EventSubmissionAcceptance || rec.Document.Digest != sum(pdf) || len(rec.Attachments) != 1 ||
		rec.Attachments[0].Digest != sum(annex) || rec.Sender != sender || fmt.Sprint(rec.Recipients) != fmt.Sprint([]string{recipB, recipC}) ||
		rec.Subject != "Về việc thử nghiệm" || rec.Number != "12" {
		t.Fatalf("submission evidence: %+v", rec)
	}
	id := out.Document.ID

	if ids := inboxIDs(t, f, recipB); fmt.Sprint(ids) != fmt.Sprint([]string{id}) {
		t.Fatalf("inbox of B: %v", ids)
	}
	if ids := inboxIDs(t, f, sender); len(ids) != 0 {
		t.Fatalf("sender's own inbox: %v", ids)
	}

	// Who sees the document.
	for _, ctx := range []context.Context{as(sender), as(recipB), as(recipC), asRole(gateway.RoleAuditor)} {
		if _, err := f.svc.Document(ctx, id); err != nil {
			t.Fatalf("document as %v: %v", gateway.PrincipalFromContext(ctx), err)
		}
	}
	for _, ctx := range []context.Context{as(stranger), asRole(gateway.RoleAdmin)} {
		_, err := f.svc.Document(ctx, id)
		wantCode(t, err, gateway.ENOTFOUND, "document seen by an outsider")
		_, _, err = f.svc.Open(ctx, id, -1)
		wantCode(t, err, gateway.ENOTFOUND, "content fetched by an outsider")
		_, err = f.svc.Trail(ctx, id)
		wantCode(t, err, gateway.ENOTFOUND, "trail seen by an outsider")
	}
	v, _ := f.svc.Document(as(recipB), id)
	if len(v.Deliveries) != 1 || v.Deliveries[0].Recipient != recipB || v.Verification == nil {
		t.Fatalf("recipient's view: %+v", v)
	}

	rc, part, err := f.svc.Open(as(recipB), id, -1)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, rc); !bytes.Equal(got, pdf) || part.SHA256 != sum(pdf) {
		t.Fatal("fetched PDF differs from the one sent")
	}
	rc, _, err = f.svc.Open(as(recipB), id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, rc); !bytes.Equal(got, annex) {
		t.Fatal("fetched attachment differs")
	}
	_, _, err = f.svc.Open(as(recipB), id, 1)
	wantCode(t, err, gateway.ENOTFOUND, "attachment past the end")

	ack, err := f.svc.Acknowledge(as(recipB), id)
	if err != nil {
		t.Fatal(err)
	}
	if r := verifyReceipt(t, f, ack); r.Event != gateway.EventContentHandover || fmt.Sprint(r.Recipients) != "["+recipB+"]" {
		t.Fatalf("handover evidence: %+v", r)
	}
	again, err := f.svc.Acknowledge(as(recipB), id)
	if err != nil || again.ID != ack.ID {
		t.Fatalf("second ack: %v, %v; want the first receipt %s", again, err, ack.ID)
	}
	if ids := inboxIDs(t, f, recipB); len(ids) != 0 {
		t.Fatalf("acknowledged document still in B's inbox: %v", ids)
	}
	if ids := inboxIDs(t, f, recipC); len(ids) != 1 {
		t.Fatalf("C's inbox: %v", ids)
	}
	_, err = f.svc.Acknowledge(as(stranger), id)
	wantCode(t, err, gateway.ENOTFOUND, "ack by an outsider")
	_, err = f.svc.Acknowledge(as(sender), id)
	wantCode(t, err, gateway.ENOTFOUND, "ack by the sender")

	for _, st := range []gateway.ProcessingStatus{gateway.StatusReceived, gateway.StatusAccepted, gateway.StatusDone} {
		r, err := f.svc.ReportStatus(as(recipB), id, st, "")
		if err != nil {
			t.Fatalf("status %s: %v", st, err)
		}
		if rec := verifyReceipt(t, f, r); rec.Status != string(st) {
			t.Fatalf("status evidence: %+v", rec)
		}
	}

	trail, err := f.svc.Trail(as(sender), id)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	prev := ""
	for _, e := range trail {
		types = append(types, e.Type)
		rs, err := f.svc.Receipt(asRole(gateway.RoleAuditor), id, e.ReceiptID)
		if err != nil {
			t.Fatal(err)
		}
		if r := verifyReceipt(t, f, rs); r.Previous != prev {
			t.Fatalf("evidence %s names previous %q, want %q", r.EvidenceID, r.Previous, prev)
		}
		prev = e.ReceiptID
	}
	want := []string{gateway.EventSubmissionAcceptance, gateway.EventContentConsignment, gateway.EventContentConsignment,
		gateway.EventContentHandover, gateway.EventStatus, gateway.EventConsignmentAcceptance, gateway.EventStatus}
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Fatalf("trail: %v, want %v", types, want)
	}
	rs, _ := f.svc.Receipts(as(recipC), id)
	if len(rs) != len(want) {
		t.Fatalf("%d receipts, want %d", len(rs), len(want))
	}
}

func TestIdempotentResubmission(t *testing.T) {
	f := newFixture(t)
	env := envelope(recipB)
	env.MessageID = "dms-42"
	first := f.submit(t, env, pdfBytes("a"))
	second := f.submit(t, env, pdfBytes("a"))
	if second.Created || second.Document.ID != first.Document.ID || second.Receipt.ID != first.Receipt.ID ||
		!bytes.Equal(second.Receipt.CMS, first.Receipt.CMS) {
		t.Fatalf("resubmission: created=%v id %s/%s receipt %s/%s", second.Created, second.Document.ID, first.Document.ID, second.Receipt.ID, first.Receipt.ID)
	}
	if ids := inboxIDs(t, f, recipB); len(ids) != 1 {
		t.Fatalf("inbox after a resubmission: %v", ids)
	}

	// The same message id for what is plainly another document is refused:
	// returning the original would tell the sender it was sent.
	for name, change := range map[string]func(*gateway.Envelope){
		"subject":    func(e *gateway.Envelope) { e.Subject = "another matter" },
		"number":     func(e *gateway.Envelope) { e.Number = "43" },
		"recipients": func(e *gateway.Envelope) { e.To = []string{recipB, recipC} },
	} {
		other := env
		change(&other)
		_, err := f.svc.Submit(as(sender), other, &exchange.Upload{Name: "b.pdf", Body: bytes.NewReader(pdfBytes("b"))}, exchange.NoUploads{})
		if gateway.ErrorCode(err) != gateway.ECONFLICT || !strings.Contains(err.Error(), first.Document.ID) || !strings.Contains(err.Error(), name) {
			t.Errorf("message id reused with another %s: %v, want ECONFLICT naming %s", name, err, first.Document.ID)
		}
	}
	// Nor is a corrected PDF under the same id and envelope: the sender
	// would think the correction was sent.
	_, err := f.svc.Submit(as(sender), env, &exchange.Upload{Name: "a.pdf", Body: bytes.NewReader(pdfBytes("a, corrected"))}, exchange.NoUploads{})
	if gateway.ErrorCode(err) != gateway.ECONFLICT || !strings.Contains(err.Error(), "another PDF") {
		t.Errorf("message id reused with another PDF: %v, want ECONFLICT", err)
	}
	if ids := inboxIDs(t, f, recipB); len(ids) != 1 {
		t.Fatalf("inbox after refused reuses: %v", ids)
	}
}

func TestSubmitRefusals(t *testing.T) {
	unsigned := func([]byte) *gateway.Report {
		return &gateway.Report{Document: gateway.DocumentReport{Verdict: gateway.VerdictUnsigned, Modification: gateway.ModificationNone}}
	}
	tampered := func(b []byte) *gateway.Report {
		r := signedBy(sender)(b)
		r.Signatures[0].Intact, r.Signatures[0].Indication, r.Signatures[0].SubIndication = false, gateway.IndicationFailed, "HASH_FAILURE"
		return r
	}
	untrusted := func(b []byte) *gateway.Report {
		r := signedBy(sender)(b)
		r.Signatures[0].Indication, r.Signatures[0].SubIndication = gateway.IndicationIndeterminate, "NO_CERTIFICATE_CHAIN_FOUND"
		return r
	}
	illegal := func(b []byte) *gateway.Report {
		r := signedBy(sender)(b)
		r.Document.Modification, r.Document.Changes = gateway.ModificationIllegal, []string{"page 1 content replaced"}
		return r
	}
	big := bytes.Repeat([]byte("x"), 2048)
	tests := []struct {
		name   string
		env    func() gateway.Envelope
		caller string
		report func([]byte) *gateway.Report
		pdf    []byte
		atts   [][]byte
		code   string
		msg    string
	}{
		{name: "from not the caller", caller: recipB, code: gateway.EFORBIDDEN, msg: "only as itself"},
		{name: "unknown recipient", env: func() gateway.Envelope { return envelope(recipB, "000.09.09.H41") }, code: gateway.EINVALID, msg: "000.09.09.H41 is not a registered"},
		{name: "suspended recipient", env: func() gateway.Envelope { return envelope(suspended) }, code: gateway.EINVALID, msg: "suspended"},
		{name: "no subject", env: func() gateway.Envelope { e := envelope(recipB); e.Subject = ""; return e }, code: gateway.EINVALID, msg: "subject"},
		{name: "unsigned", report: unsigned, code: gateway.EINVALID, msg: "not signed"},
		{name: "tampered", report: tampered, code: gateway.EINVALID, msg: "Signature1 does not verify (TOTAL_FAILED/HASH_FAILURE)"},
		{name: "untrusted", report: untrusted, code: gateway.EINVALID, msg: "NO_CERTIFICATE_CHAIN_FOUND"},
		{name: "illegal change", report: illegal, code: gateway.EINVALID, msg: "page 1 content replaced"},
		{name: "another agency's signature", report: signedBy(recipC), code: gateway.EINVALID, msg: "not a certificate of " + sender},
		{name: "not a PDF", pdf: []byte("hello"), code: gateway.EINVALID, msg: "not a PDF"},
		{name: "empty PDF", pdf: []byte{}, code: gateway.EINVALID, msg: "empty"},
		{name: "oversized PDF", pdf: append(pdfBytes("big"), big...), code: gateway.ETOOLARGE, msg: "document is larger"},
		{name: "oversized attachment", atts: [][]byte{[]byte("ok"), big}, code: gateway.ETOOLARGE, msg: "attachment 1"},
		{name: "too many attachments", atts: [][]byte{{1}, {2}, {3}, {4}}, code: gateway.ETOOLARGE, msg: "at most 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.svc.Limits = exchange.Limits{MaxDocument: 1024, MaxAttachment: 1024, MaxAttachments: 3}
			if tc.report != nil {
				f.ver.report = tc.report
			}
			env := envelope(recipB)
			if tc.env != nil {
				env = tc.env()
			}
			pdf := pdfBytes(tc.name)
			if tc.pdf != nil {
				pdf = tc.pdf
			}
			caller := sender
			if tc.caller != "" {
				caller = tc.caller
			}
			var us uploads
			for _, a := range tc.atts {
				us = append(us, &exchange.Upload{Name: "a.txt", Body: bytes.NewReader(a)})
			}
			_, err := f.svc.Submit(as(caller), env, &exchange.Upload{Name: "doc.pdf", Body: bytes.NewReader(pdf)}, &us)
			wantCode(t, err, tc.code, tc.name)
			if !strings.Contains(gateway.ErrorMessage(err), tc.msg) {
				t.Fatalf("message %q does not say %q", gateway.ErrorMessage(err), tc.msg)
			}
			// Nothing stored: no inbox entry, no blob.
			if ids := inboxIDs(t, f, recipB); len(ids) != 0 {
				t.Fatalf("refused document in the inbox: %v", ids)
			}
			for _, b := range append([][]byte{pdf}, tc.atts...) {
				if _, err := f.blobs.Stat(context.Background(), sum(b)); gateway.ErrorCode(err) != gateway.ENOTFOUND {
					t.Fatalf("a part of a refused document was stored: %v", err)
				}
			}
		})
	}
}

func TestPolicy(t *testing.T) {
	f := newFixture(t)
	// A certificate registered to the sender counts even without an agency
	// code in it.
	der := []byte("not really a certificate, only its digest matters here")
	if err := f.store.AddAgencyCertificate(context.Background(), &gateway.AgencyCertificate{AgencyCode: sender, SHA256: sum(der),
		Subject: "CN=Seal", DER: der}); err != nil {
		t.Fatal(err)
	}
	f.ver.report = func(b []byte) *gateway.Report {
		r := signedBy("")(b)
		r.Signatures[0].CertificateSHA256 = strings.ToUpper(sum(der))
		return r
	}
	f.submit(t, envelope(recipB), pdfBytes("registered"))

	// A deployment that does not require signatures still refuses broken ones.
	f.svc.Policy = exchange.Policy{}
	f.ver.report = func([]byte) *gateway.Report { return &gateway.Report{} }
	f.submit(t, envelope(recipB), pdfBytes("unsigned ok"))
	f.ver.report = func(b []byte) *gateway.Report {
		r := signedBy(recipC)(b)
		r.Signatures[0].Intact = false
		return r
	}
	_, err := f.trySubmit(envelope(recipB), pdfBytes("broken"))
	wantCode(t, err, gateway.EINVALID, "broken signature under a lax policy")

	// An unreadable PDF is the client's problem.
	f.ver.err = gateway.Errorf(gateway.EINVALID, "no xref table")
	_, err = f.trySubmit(envelope(recipB), pdfBytes("unreadable"))
	wantCode(t, err, gateway.EINVALID, "unreadable PDF")
}

func TestStatusTransitions(t *testing.T) {
	f := newFixture(t)
	id := f.submit(t, envelope(recipB, recipC), pdfBytes("s")).Document.ID
	_, err := f.svc.ReportStatus(as(recipB), id, gateway.StatusRejected, " ")
	wantCode(t, err, gateway.EINVALID, "rejection without a reason")
	_, err = f.svc.ReportStatus(as(recipB), id, "filed", "")
	wantCode(t, err, gateway.EINVALID, "unknown status")
	_, err = f.svc.ReportStatus(as(stranger), id, gateway.StatusReceived, "")
	wantCode(t, err, gateway.ENOTFOUND, "status from an outsider")

	r, err := f.svc.ReportStatus(as(recipB), id, gateway.StatusRejected, "wrong recipient")
	if err != nil {
		t.Fatal(err)
	}
	if rec := verifyReceipt(t, f, r); rec.Event != gateway.EventConsignmentRejection || fmt.Sprint(rec.Reasons) != "[wrong recipient]" {
		t.Fatalf("rejection evidence: %+v", rec)
	}
	_, err = f.svc.ReportStatus(as(recipB), id, gateway.StatusRejected, "again")
	wantCode(t, err, gateway.ECONFLICT, "second rejection")
	_, err = f.svc.ReportStatus(as(recipB), id, gateway.StatusAccepted, "")
	wantCode(t, err, gateway.ECONFLICT, "accept after reject")

	if _, err := f.svc.ReportStatus(as(recipC), id, gateway.StatusProcessing, ""); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.ReportStatus(as(recipC), id, gateway.StatusReceived, "")
	wantCode(t, err, gateway.ECONFLICT, "going back")
}

func TestRecall(t *testing.T) {
	f := newFixture(t)
	id := f.submit(t, envelope(recipB, recipC), pdfBytes("r")).Document.ID
	_, err := f.svc.Recall(as(recipB), id, "")
	wantCode(t, err, gateway.EFORBIDDEN, "recall by a recipient")
	_, err = f.svc.Recall(as(stranger), id, "")
	wantCode(t, err, gateway.ENOTFOUND, "recall by an outsider")
	if _, err := f.svc.ReportStatus(as(recipB), id, gateway.StatusReceived, ""); err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.Recall(as(sender), id, "sent by mistake")
	if err != nil {
		t.Fatal(err)
	}
	if rec := verifyReceipt(t, f, r); rec.Event != gateway.EventRecall {
		t.Fatalf("recall evidence: %+v", rec)
	}
	if ids := inboxIDs(t, f, recipB); len(ids) != 0 {
		t.Fatalf("recalled document in the inbox: %v", ids)
	}
	_, err = f.svc.Acknowledge(as(recipB), id)
	wantCode(t, err, gateway.ECONFLICT, "ack of a recalled document")
	_, err = f.svc.ReportStatus(as(recipC), id, gateway.StatusReceived, "")
	wantCode(t, err, gateway.ECONFLICT, "status of a recalled document")
	_, err = f.svc.Recall(as(sender), id, "")
	wantCode(t, err, gateway.ECONFLICT, "second recall")
	_, _, err = f.svc.Open(as(recipB), id, -1)
	wantCode(t, err, gateway.ECONFLICT, "recipient fetching a recalled document")
	// The edXML export carries the same bytes, so it is withheld the same way.
	var pkg bytes.Buffer
	err = f.svc.EdXML(as(recipB), id, &pkg)
	wantCode(t, err, gateway.ECONFLICT, "recipient exporting a recalled document as edXML")
	if pkg.Len() != 0 {
		t.Fatalf("the refused edXML export wrote %d bytes", pkg.Len())
	}
	for _, ctx := range []context.Context{as(sender), asRole(gateway.RoleAuditor)} {
		rc, _, err := f.svc.Open(ctx, id, -1)
		if err != nil {
			t.Fatalf("the sender and auditors still read a recalled document: %v", err)
		}
		rc.Close()
		if err := f.svc.EdXML(ctx, id, io.Discard); err != nil {
			t.Fatalf("the sender and auditors still export a recalled document: %v", err)
		}
	}
	// The recipient still sees that it was recalled.
	if v, err := f.svc.Document(as(recipB), id); err != nil || v.State != gateway.DocumentRecalled {
		t.Fatalf("recipient's view of a recalled document: %+v, %v", v, err)
	}

	id2 := f.submit(t, envelope(recipB), pdfBytes("r2")).Document.ID
	if _, err := f.svc.ReportStatus(as(recipB), id2, gateway.StatusAccepted, ""); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Recall(as(sender), id2, "")
	wantCode(t, err, gateway.ECONFLICT, "recall after acceptance")
}

func TestReplace(t *testing.T) {
	f := newFixture(t)
	orig := f.submit(t, envelope(recipB), pdfBytes("v1")).Document.ID
	env := envelope(recipB)
	env.Business, env.Replaces = gateway.BusinessReplace, orig
	f.submit(t, env, pdfBytes("v2"))
	if d, _ := f.store.Document(context.Background(), orig); d.State != gateway.DocumentReplaced {
		t.Fatalf("original state %s, want replaced", d.State)
	}
	if ids := inboxIDs(t, f, recipB); len(ids) != 2 {
		t.Fatalf("recipients see both: inbox %v", ids)
	}
	_, err := f.trySubmit(env, pdfBytes("v3"))
	wantCode(t, err, gateway.ECONFLICT, "replacing a replaced document")

	other := f.submit(t, gateway.Envelope{From: sender, To: []string{recipC}, Subject: "x"}, pdfBytes("o")).Document.ID
	f.ver.report = signedBy(recipB)
	env = gateway.Envelope{From: recipB, To: []string{recipC}, Subject: "y", Business: gateway.BusinessUpdate, Replaces: other}
	_, err = f.svc.Submit(as(recipB), env, &exchange.Upload{Body: bytes.NewReader(pdfBytes("u"))}, exchange.NoUploads{})
	wantCode(t, err, gateway.EINVALID, "updating another sender's document")
}

type downTSA struct{}

func (downTSA) Timestamp(context.Context, []byte, crypto.Hash) ([]byte, error) {
	return nil, errors.New("tsa down")
}

func TestTSAOutage(t *testing.T) {
	f := newFixture(t)
	f.svc.Sealer.TSA = downTSA{}
	out := f.submit(t, envelope(recipB), pdfBytes("outage"))
	if !out.Receipt.Pending {
		t.Fatal("receipt signed without a timestamp is not marked pending")
	}
	verifyReceipt(t, f, out.Receipt)
	n, err := f.svc.RestampPending(context.Background())
	if err == nil || n != 0 {
		t.Fatalf("restamp with the TSA still down: n=%d err=%v", n, err)
	}
	f.svc.Sealer.TSA = f.tsa
	if n, err := f.svc.RestampPending(context.Background()); err != nil || n != 2 {
		t.Fatalf("restamp: n=%d err=%v, want 2", n, err)
	}
	rs, _ := f.svc.Receipts(as(sender), out.Document.ID)
	for _, r := range rs {
		v, err := evidence.Verify(r.CMS, f.roots)
		if err != nil || v.TimestampTime.IsZero() || r.Pending {
			t.Fatalf("receipt %s after restamp: pending=%v %v", r.ID, r.Pending, err)
		}
	}
}

// brokenPendingStore puts a pending receipt whose CMS takes no timestamp
// first in line.
type brokenPendingStore struct{ gateway.Store }

func (s brokenPendingStore) ReceiptsPendingTimestamp(ctx context.Context, limit int) ([]*gateway.Receipt, error) {
	rs, err := s.Store.ReceiptsPendingTimestamp(ctx, limit)
	return append([]*gateway.Receipt{{ID: "rcp_broken", DocumentID: "doc_x", CMS: []byte("not a CMS"), Pending: true}}, rs...), err
}

// TestRestampPastABrokenReceipt: a pending receipt that cannot take a
// timestamp for a reason of its own is reported and passed over; it does
// not keep the others pending for ever, as a TSA outage stopping the run
// would.
func TestRestampPastABrokenReceipt(t *testing.T) {
	f := newFixture(t)
	f.svc.Sealer.TSA = downTSA{}
	out := f.submit(t, envelope(recipB), pdfBytes("outage, then a broken receipt"))
	f.svc.Sealer.TSA = f.tsa
	f.svc.Store = brokenPendingStore{f.svc.Store}
	n, err := f.svc.RestampPending(context.Background())
	if n != 2 || err == nil || !strings.Contains(err.Error(), "rcp_broken") {
		t.Fatalf("restamp: n=%d err=%v; want the 2 real receipts done and rcp_broken reported", n, err)
	}
	rs, _ := f.svc.Receipts(as(sender), out.Document.ID)
	for _, r := range rs {
		if r.Pending {
			t.Fatalf("receipt %s still pending", r.ID)
		}
	}
}

// TestTextNoStoreKeeps: text a database cannot keep (a NUL byte, invalid
// UTF-8) or that no one should see (control characters) is refused with
// EINVALID wherever a caller writes it, and nothing is stored.
func TestTextNoStoreKeeps(t *testing.T) {
	f := newFixture(t)
	env := envelope(recipB)
	env.Subject = "a\x00b"
	_, err := f.trySubmit(env, pdfBytes("nul"))
	wantCode(t, err, gateway.EINVALID, "a subject with a NUL byte")
	if ids := inboxIDs(t, f, recipB); len(ids) != 0 {
		t.Fatalf("a refused submission reached the inbox: %v", ids)
	}
	id := f.submit(t, envelope(recipB), pdfBytes("ok")).Document.ID
	_, err = f.svc.ReportStatus(as(recipB), id, gateway.StatusRejected, "sai\x00thẩm quyền")
	wantCode(t, err, gateway.EINVALID, "a status note with a NUL byte")
	_, err = f.svc.Recall(as(sender), id, "bad \xff")
	wantCode(t, err, gateway.EINVALID, "a recall reason in invalid UTF-8")
	trail, err := f.svc.Trail(as(sender), id)
	if err != nil || len(trail) != 2 {
		t.Fatalf("trail after the refusals: %d events, %v; want the 2 of the submission", len(trail), err)
	}
}
