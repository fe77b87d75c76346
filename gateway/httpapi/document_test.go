package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"docgate/certs/devca"
	"docgate/gateway"
	"docgate/gateway/edxml"
	"docgate/gateway/evidence"
	"docgate/gateway/exchange"
	"docgate/gateway/httpapi"
	"docgate/signing/tsp"
	"docgate/storage/fsblob"
)

const (
	docSender = "000.00.00.H41"
	docRecip  = "000.00.01.H41"
	docOther  = "000.00.02.H41"
)

// reportVerifier is a gateway.Verifier that signs off every PDF as signed by
// one agency, or refuses as its fields say.
type reportVerifier struct {
	agency string
	broken bool
}

func (v *reportVerifier) VerifyPDF(ctx context.Context, r io.ReaderAt, size int64, _ gateway.VerifyOptions) (*gateway.Report, error) {
	sg := gateway.SignatureReport{Field: "Signature1", Kind: "signature", Intact: !v.broken, Indication: gateway.IndicationPassed, AgencyCode: v.agency}
	if v.broken {
		sg.Indication, sg.SubIndication = gateway.IndicationFailed, "HASH_FAILURE"
	}
	return &gateway.Report{Document: gateway.DocumentReport{Verdict: gateway.VerdictValid, Modification: gateway.ModificationNone},
		Signatures: []gateway.SignatureReport{sg}}, nil
}

type docEnv struct {
	*env
	ver                  *reportVerifier
	roots                *x509.CertPool
	sender, recip, other string
	auditor              string
	blobs                gateway.BlobStore
}

func mustDocEnv(t *testing.T) *docEnv {
	t.Helper()
	ca, err := devca.Init(t.TempDir(), devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tsaCert, tsaKey, _ := ca.TSA()
	sealCert, sealKey, err := ca.Seal()
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := fsblob.New(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	ver := &reportVerifier{agency: docSender}
	e := mustEnv(t, func(s *httpapi.Server) {
		s.Exchange = &exchange.Service{Store: s.Store, Blobs: blobs, Verifier: ver, Policy: exchange.DefaultPolicy, TempDir: t.TempDir(),
			Limits: exchange.Limits{MaxDocument: 64 << 10, MaxAttachment: 64 << 10, MaxAttachments: 4},
			Sealer: &evidence.Sealer{Signer: sealKey, Certificate: sealCert, Chain: []*x509.Certificate{ca.Root()},
				TSA: &tsp.Authority{Signer: tsaKey, Certificate: tsaCert, Policy: []int{1, 3, 6, 1, 4, 1, 99999, 1}}}}
	})
	roots := x509.NewCertPool()
	roots.AddCert(ca.Root())
	d := &docEnv{env: e, ver: ver, roots: roots, blobs: blobs}
	d.sender = e.mustCreate(t, docSender, "Sender", "")
	d.recip = e.mustCreate(t, docRecip, "Recipient", "")
	d.other = e.mustCreate(t, docOther, "Other", "")
	r := e.json(t, "POST", "/v1/tokens", e.admin, `{"role":"auditor","name":"audit"}`)
	d.auditor = mustDecode[struct {
		Secret string `json:"token"`
	}](t, r, 201).Secret
	return d
}

type mpPart struct {
	name, filename, contentType string
	body                        []byte
}

func multipartBody(t *testing.T, parts ...mpPart) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		cd := fmt.Sprintf(`form-data; name=%q`, p.name)
		if p.filename != "" {
			cd += fmt.Sprintf(`; filename=%q`, p.filename)
		}
		h.Set("Content-Disposition", cd)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.body)
	}
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

func envelopePart(t *testing.T, env map[string]any) mpPart {
	b, _ := json.Marshal(env)
	return mpPart{name: "envelope", contentType: "application/json", body: b}
}

func testPDF(tag string) []byte { return []byte("%PDF-1.7\n% " + tag + "\n%%EOF\n") }

func (d *docEnv) submit(t *testing.T, token string, parts ...mpPart) response {
	t.Helper()
	body, ct := multipartBody(t, parts...)
	return d.do(t, "POST", "/v1/documents", token, ct, body)
}

type submitted struct {
	ID           string            `json:"id"`
	SHA256       string            `json:"sha256"`
	Receipt      []byte            `json:"receipt"`
	ReceiptID    string            `json:"receiptId"`
	Verification *gateway.Report   `json:"verification"`
	Document     *gateway.Document `json:"document"`
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestDocumentLifecycleHTTP(t *testing.T) {
	d := mustDocEnv(t)
	pdf, annex := testPDF("one"), []byte("annex")
	env := map[string]any{"messageId": "m-1", "from": docSender, "to": []string{docRecip}, "subject": "Giấy mời", "number": "5"}
	r := d.submit(t, d.sender, envelopePart(t, env), mpPart{name: "document", filename: "doc.pdf", contentType: "application/pdf", body: pdf},
		mpPart{name: "attachment", filename: "annex.txt", contentType: "text/plain", body: annex})
	out := mustDecode[submitted](t, r, http.StatusCreated)
	if out.SHA256 != hexSum(pdf) || out.Verification == nil || len(out.Document.Attachments) != 1 {
		t.Fatalf("submit answer: %+v", out)
	}
	v, err := evidence.Verify(out.Receipt, d.roots)
	if err != nil || v.Record.Event != gateway.EventSubmissionAcceptance || v.Record.Document.Digest != hexSum(pdf) || v.Record.EvidenceID != out.ReceiptID {
		t.Fatalf("receipt: %v %+v", err, v)
	}
	// Same message id: the original, 200.
	r = d.submit(t, d.sender, envelopePart(t, env), mpPart{name: "document", body: testPDF("one")})
	again := mustDecode[submitted](t, r, http.StatusOK)
	if again.ID != out.ID || again.ReceiptID != out.ReceiptID {
		t.Fatalf("resubmission: %s/%s", again.ID, out.ID)
	}

	inbox := mustDecode[struct {
		Items []gateway.InboxItem `json:"items"`
	}](t, d.json(t, "GET", "/v1/inbox", d.recip, ""), 200)
	if len(inbox.Items) != 1 || inbox.Items[0].Document.ID != out.ID {
		t.Fatalf("inbox: %+v", inbox)
	}
	mustDecode[json.RawMessage](t, d.json(t, "GET", "/v1/documents/"+out.ID, d.auditor, ""), 200)
	mustProblem(t, d.json(t, "GET", "/v1/documents/"+out.ID, d.other, ""), 404, "no document")
	mustProblem(t, d.json(t, "GET", "/v1/documents/"+out.ID+"/content", d.other, ""), 404, "no document")

	r = d.json(t, "GET", "/v1/documents/"+out.ID+"/content", d.recip, "")
	if r.status != 200 || !bytes.Equal(r.body, pdf) || r.header.Get("X-Content-SHA256") != hexSum(pdf) || r.header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("content: %d %q %v", r.status, r.body, r.header)
	}
	r = d.json(t, "GET", "/v1/documents/"+out.ID+"/attachments/0", d.recip, "")
	if r.status != 200 || !bytes.Equal(r.body, annex) {
		t.Fatalf("attachment: %d %q", r.status, r.body)
	}
	mustProblem(t, d.json(t, "GET", "/v1/documents/"+out.ID+"/attachments/1", d.recip, ""), 404, "no 1")
	mustProblem(t, d.json(t, "GET", "/v1/documents/"+out.ID+"/attachments/x", d.recip, ""), 400, "numbered from 0")

	mustDecode[json.RawMessage](t, d.json(t, "POST", "/v1/documents/"+out.ID+"/ack", d.recip, ""), 200)
	mustProblem(t, d.json(t, "POST", "/v1/documents/"+out.ID+"/status", d.recip, `{"status":"rejected"}`), 400, "reason")
	mustProblem(t, d.json(t, "POST", "/v1/documents/"+out.ID+"/status", d.recip, `{"status":"received","extra":1}`), 400, "unknown field")
	mustDecode[json.RawMessage](t, d.json(t, "POST", "/v1/documents/"+out.ID+"/status", d.recip, `{"status":"rejected","note":"not ours"}`), 200)
	mustProblem(t, d.json(t, "POST", "/v1/documents/"+out.ID+"/status", d.recip, `{"status":"rejected","note":"again"}`), 409, "already rejected")
	mustProblem(t, d.json(t, "POST", "/v1/documents/"+out.ID+"/recall", d.recip, ""), 403, "only the sender")

	trail := mustDecode[struct {
		Events []struct {
			Type      string `json:"type"`
			ReceiptID string `json:"receiptId"`
		} `json:"events"`
	}](t, d.json(t, "GET", "/v1/documents/"+out.ID+"/trail", d.sender, ""), 200)
	var types []string
	for _, e := range trail.Events {
		types = append(types, e.Type)
	}
	if fmt.Sprint(types) != "[SubmissionAcceptance ContentConsignment ContentHandover ConsignmentRejection]" {
		t.Fatalf("trail: %v", types)
	}
	rs := mustDecode[struct {
		Receipts []struct {
			Receipt gateway.Receipt `json:"receipt"`
			CMS     []byte          `json:"cms"`
		} `json:"receipts"`
	}](t, d.json(t, "GET", "/v1/documents/"+out.ID+"/receipts", d.sender, ""), 200)
	if len(rs.Receipts) != 4 {
		t.Fatalf("%d receipts", len(rs.Receipts))
	}
	last := trail.Events[3].ReceiptID
	r = d.json(t, "GET", "/v1/documents/"+out.ID+"/receipts/"+last, d.recip, "")
	if r.status != 200 || !bytes.Equal(r.body, rs.Receipts[3].CMS) {
		t.Fatalf("receipt DER: %d", r.status)
	}
	if v, err := evidence.Verify(r.body, d.roots); err != nil || fmt.Sprint(v.Record.Reasons) != "[not ours]" {
		t.Fatalf("rejection receipt: %v %+v", err, v)
	}

	r = d.json(t, "GET", "/v1/documents/"+out.ID+"/edxml", d.auditor, "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/xml") || !bytes.Contains(r.body, []byte("Giấy mời")) {
		t.Fatalf("edxml: %d %s", r.status, r.body)
	}
	mustProblem(t, d.json(t, "GET", "/v1/documents/"+out.ID+"/edxml", d.other, ""), 404, "no document")
	r = d.json(t, "GET", "/v1/documents/"+out.ID+"/status/edxml", d.sender, "")
	if r.status != 200 || !bytes.Contains(r.body, []byte("not ours")) {
		t.Fatalf("status edxml: %d %s", r.status, r.body)
	}
}

// A recalled document's bytes are withheld from its recipients on every
// way out: the content and the edXML export alike, as a 409 problem.
func TestRecalledContentWithheldHTTP(t *testing.T) {
	d := mustDocEnv(t)
	env := map[string]any{"to": []string{docRecip}, "subject": "gửi nhầm"}
	out := mustDecode[submitted](t, d.submit(t, d.sender, envelopePart(t, env), mpPart{name: "document", body: testPDF("recalled")}), 201).Document
	if r := d.json(t, "POST", "/v1/documents/"+out.ID+"/recall", d.sender, `{"reason":"gửi nhầm"}`); r.status != 200 {
		t.Fatalf("recall: %d %s", r.status, r.body)
	}
	mustProblem(t, d.json(t, "GET", "/v1/documents/"+out.ID+"/content", d.recip, ""), 409, "recalled")
	mustProblem(t, d.json(t, "GET", "/v1/documents/"+out.ID+"/edxml", d.recip, ""), 409, "recalled")
	if r := d.json(t, "GET", "/v1/documents/"+out.ID+"/edxml", d.sender, ""); r.status != 200 || !bytes.Contains(r.body, []byte("gửi nhầm")) {
		t.Fatalf("the sender's edXML export of its recalled document: %d", r.status)
	}
}

func TestSubmitBadInputHTTP(t *testing.T) {
	d := mustDocEnv(t)
	good := map[string]any{"to": []string{docRecip}, "subject": "s"}
	doc := mpPart{name: "document", filename: "a.pdf", body: testPDF("x")}
	big := mpPart{name: "document", body: append(testPDF("big"), bytes.Repeat([]byte{'x'}, 70<<10)...)}
	tests := []struct {
		name   string
		token  func() string
		parts  []mpPart
		raw    string // a non-multipart body
		ctype  string // raw's Content-Type (default JSON)
		status int
		want   string
	}{
		{name: "not multipart", raw: `{"to":[]}`, status: 400, want: "multipart/form-data"},
		{name: "multipart/mixed", ctype: "multipart/mixed; boundary=x", raw: "--x\r\n\r\n{}\r\n--x--\r\n", status: 400, want: "multipart/form-data"},
		{name: "document first", parts: []mpPart{doc, envelopePart(t, good)}, status: 400, want: "first part must be the envelope"},
		{name: "no document", parts: []mpPart{envelopePart(t, good)}, status: 400, want: "PDF part is missing"},
		{name: "unknown envelope field", parts: []mpPart{{name: "envelope", body: []byte(`{"to":["` + docRecip + `"],"subject":"s","sender":"x"}`)}, doc}, status: 400, want: "unknown field"},
		{name: "malformed JSON", parts: []mpPart{{name: "envelope", body: []byte(`{"to":`)}, doc}, status: 400, want: "envelope"},
		{name: "a stray brace after the envelope", parts: []mpPart{{name: "envelope", body: []byte(`{"to":["` + docRecip + `"],"subject":"s"}}`)}, doc}, status: 400, want: "one JSON object expected"},
		{name: "envelope not UTF-8", parts: []mpPart{{name: "envelope", body: []byte(`{"to":["` + docRecip + `"],"subject":"s` + "\xff" + `"}`)}, doc}, status: 400, want: "not valid UTF-8"},
		{name: "a NUL in the subject", parts: []mpPart{{name: "envelope", body: []byte(`{"to":["` + docRecip + `"],"subject":"a\u0000b"}`)}, doc}, status: 400, want: "control character"},
		{name: "malformed edXML", parts: []mpPart{{name: "envelope", contentType: "application/xml", body: []byte(`<edXML:edXML><oops`)}, doc}, status: 400, want: "edXML"},
		{name: "envelope as image", parts: []mpPart{{name: "envelope", contentType: "image/png", body: []byte(`x`)}, doc}, status: 400, want: "application/json or application/xml"},
		{name: "from not the caller", parts: []mpPart{envelopePart(t, map[string]any{"from": docOther, "to": []string{docRecip}, "subject": "s"}), doc}, status: 403, want: "only as itself"},
		{name: "unknown recipient", parts: []mpPart{envelopePart(t, map[string]any{"to": []string{"000.07.07.H41"}, "subject": "s"}), doc}, status: 400, want: "000.07.07.H41 is not a registered"},
		{name: "oversized document", parts: []mpPart{envelopePart(t, good), big}, status: 413, want: "larger than"},
		{name: "stray part", parts: []mpPart{envelopePart(t, good), doc, {name: "extra", body: []byte("x")}}, status: 400, want: "unexpected part"},
		{name: "admin cannot send", token: func() string { return d.admin }, parts: []mpPart{envelopePart(t, good), doc}, status: 403, want: "agency"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token := d.sender
			if tc.token != nil {
				token = tc.token()
			}
			var r response
			if tc.ctype != "" {
				r = d.do(t, "POST", "/v1/documents", token, tc.ctype, []byte(tc.raw))
			} else if tc.raw != "" {
				r = d.json(t, "POST", "/v1/documents", token, tc.raw)
			} else {
				r = d.submit(t, token, tc.parts...)
			}
			mustProblem(t, r, tc.status, tc.want)
			for _, p := range tc.parts {
				if p.name == "document" {
					if _, err := d.blobs.Stat(context.Background(), hexSum(p.body)); gateway.ErrorCode(err) != gateway.ENOTFOUND {
						t.Fatalf("refused document stored: %v", err)
					}
				}
			}
		})
	}
	// A broken signature names the signature and the reason.
	d.ver.broken = true
	mustProblem(t, d.submit(t, d.sender, envelopePart(t, good), doc), 400, "Signature1 does not verify (TOTAL_FAILED/HASH_FAILURE)")
	items := mustDecode[struct {
		Items []json.RawMessage `json:"items"`
	}](t, d.json(t, "GET", "/v1/inbox", d.recip, ""), 200)
	if len(items.Items) != 0 {
		t.Fatalf("refused documents reached the inbox: %d", len(items.Items))
	}
}

func TestSubmitEdXMLEnvelope(t *testing.T) {
	d := mustDocEnv(t)
	var buf bytes.Buffer
	pkg := &edxml.Package{Header: edxml.MessageHeader{
		From: edxml.Organization{OrganID: docSender, OrganName: "Sender"}, To: []edxml.Organization{{OrganID: docRecip, OrganName: "Recipient"}},
		Code: edxml.Code{Number: "77", Notation: "UBND-VP"}, Subject: "Qua edXML", DocumentID: "000.00.00.H41,2026/11/24,77/UBND-VP"}}
	if err := edxml.Encode(&buf, pkg, nil); err != nil {
		t.Fatal(err)
	}
	r := d.submit(t, d.sender, mpPart{name: "envelope", contentType: "application/xml", body: buf.Bytes()}, mpPart{name: "document", body: testPDF("edxml")})
	out := mustDecode[submitted](t, r, 201)
	e := out.Document.Envelope
	if e.From != docSender || fmt.Sprint(e.To) != "["+docRecip+"]" || e.Subject != "Qua edXML" || e.Number != "77" || e.Notation != "UBND-VP" || e.MessageID != pkg.Header.DocumentID {
		t.Fatalf("envelope from edXML: %+v", e)
	}
}

// The inbox pages with ?before= and says where the next page starts.
func TestInboxPagesHTTP(t *testing.T) {
	d := mustDocEnv(t)
	for i := range 5 {
		env := map[string]any{"to": []string{docRecip}, "subject": fmt.Sprint("s", i)}
		mustDecode[submitted](t, d.submit(t, d.sender, envelopePart(t, env), mpPart{name: "document", body: testPDF(fmt.Sprint(i))}), 201)
	}
	var seen []string
	path := "/v1/inbox?limit=2"
	for range 5 {
		page := mustDecode[struct {
			Items []gateway.InboxItem `json:"items"`
			Next  string              `json:"next"`
		}](t, d.json(t, "GET", path, d.recip, ""), 200)
		for _, it := range page.Items {
			seen = append(seen, it.Document.Envelope.Subject)
		}
		if page.Next == "" {
			break
		}
		path = "/v1/inbox?limit=2&before=" + page.Next
	}
	if strings.Join(seen, ",") != "s4,s3,s2,s1,s0" {
		t.Fatalf("pages: %v", seen)
	}
	mustProblem(t, d.json(t, "GET", "/v1/inbox?before=x", d.recip, ""), 400, "cursor")
	mustProblem(t, d.json(t, "GET", "/v1/inbox", d.admin, ""), 403, "agency")
}

// TestDownloadCatchesCorruption changes a stored PDF behind the gateway's
// back: the download must not complete as if the bytes were the document.
func TestDownloadCatchesCorruption(t *testing.T) {
	d := mustDocEnv(t)
	pdf := testPDF("to be corrupted")
	env := map[string]any{"to": []string{docRecip}, "subject": "s"}
	out := mustDecode[submitted](t, d.submit(t, d.sender, envelopePart(t, env), mpPart{name: "document", body: pdf}), 201)

	path := d.blobs.(*fsblob.Store).Path(out.SHA256)
	bad := bytes.ToUpper(pdf) // same length, other bytes
	os.Chmod(path, 0o600)
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", d.srv.URL+"/v1/documents/"+out.ID+"/content", nil)
	req.Header.Set("Authorization", "Bearer "+d.recip)
	res, err := d.srv.Client().Do(req)
	if err != nil {
		return // cut before the headers: refused, as wanted
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode == 200 {
		t.Fatalf("a corrupted document was served whole (%d bytes, equal to the corruption: %v)", len(body), bytes.Equal(body, bad))
	}
}

// The type and name of a part are the sender's words: whatever they say,
// a part goes out as a file to save (Content-Disposition: attachment,
// nosniff, a sandbox policy), never as a page the browser would render on
// the gateway's origin, and the PDF as application/pdf.
func TestDownloadsAreAttachmentsHTTP(t *testing.T) {
	d := mustDocEnv(t)
	env := map[string]any{"to": []string{docRecip}, "subject": "s"}
	html := []byte("<html><script>alert(document.cookie)</script></html>")
	out := mustDecode[submitted](t, d.submit(t, d.sender, envelopePart(t, env),
		mpPart{name: "document", contentType: "text/html", body: testPDF("<script>alert(1)</script>")},
		mpPart{name: "attachment", contentType: "text/html", body: html}), 201).Document
	for path, wantType := range map[string]string{"/content": "application/pdf", "/attachments/0": "text/html"} {
		r := d.json(t, "GET", "/v1/documents/"+out.ID+path, d.recip, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		h := r.header
		if !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") || h.Get("Content-Type") != wantType {
			t.Errorf("%s served with Content-Type %q, Content-Disposition %q, nosniff %q, CSP %q", path,
				h.Get("Content-Type"), h.Get("Content-Disposition"), h.Get("X-Content-Type-Options"), h.Get("Content-Security-Policy"))
		}
	}
}

// Without ?limit= a page holds gateway.DefaultPageSize items, and a full
// one says where the next starts: the inbox and the sent box never stop
// silently at the default size.
func TestDefaultPageSaysThereIsMoreHTTP(t *testing.T) {
	d := mustDocEnv(t)
	n := gateway.DefaultPageSize + 1
	for i := range n {
		env := map[string]any{"to": []string{docRecip}, "subject": fmt.Sprint("s", i)}
		mustDecode[submitted](t, d.submit(t, d.sender, envelopePart(t, env), mpPart{name: "document", body: testPDF(fmt.Sprint(i))}), 201)
	}
	type page struct {
		Items []json.RawMessage `json:"items"`
		Next  string            `json:"next"`
	}
	for path, who := range map[string]string{"/v1/inbox": d.recip, "/v1/sent": d.sender} {
		first := mustDecode[page](t, d.json(t, "GET", path, who, ""), 200)
		if len(first.Items) != gateway.DefaultPageSize || first.Next == "" {
			t.Fatalf("%s: %d items, next %q; want %d and where the rest starts", path, len(first.Items), first.Next, gateway.DefaultPageSize)
		}
		rest := mustDecode[page](t, d.json(t, "GET", path+"?before="+first.Next, who, ""), 200)
		if len(rest.Items) != 1 || rest.Next != "" {
			t.Fatalf("%s second page: %d items, next %q; want the 1 left and no next", path, len(rest.Items), rest.Next)
		}
	}
}
