package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"docgate/gateway"
	"docgate/gateway/exchange"
	"docgate/gateway/web"
)

// fakeAuth knows a fixed set of tokens; revoke takes one away, as an
// operator would.
type fakeAuth struct {
	mu       sync.Mutex
	tokens   map[string]*gateway.Principal
	agencies []*gateway.Agency // ordered by code
}

func (a *fakeAuth) Authenticate(_ context.Context, secret string) (*gateway.Principal, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if p, ok := a.tokens[secret]; ok {
		return p, nil
	}
	return nil, gateway.Errorf(gateway.EUNAUTHORIZED, "unknown token")
}

// Agencies pages through a fixed registry as registry.Service does.
func (a *fakeAuth) Agencies(ctx context.Context, f gateway.AgencyFilter) ([]*gateway.Agency, string, error) {
	if gateway.PrincipalFromContext(ctx) == nil {
		return nil, "", gateway.Errorf(gateway.EUNAUTHORIZED, "sign in")
	}
	if f.ParentCode != "" && strings.Count(f.ParentCode, ".") != 3 {
		return nil, "", gateway.Errorf(gateway.EINVALID, "parent: %q is not an agency code", f.ParentCode)
	}
	var out []*gateway.Agency
	for _, ag := range a.agencies {
		if ag.Code > f.After && (f.ParentCode == "" || ag.ParentCode == f.ParentCode) && (f.Status == "" || ag.Status == f.Status) {
			out = append(out, ag)
		}
	}
	if len(out) > f.Limit {
		return out[:f.Limit], out[f.Limit-1].Code, nil
	}
	return out, "", nil
}

func (a *fakeAuth) revoke(secret string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.tokens, secret)
}

// fakeExchange holds one document from H41 to H14 and answers as the
// exchange's rules do: only an agency has an inbox, only the sender, the
// recipients and auditors see the document.
type fakeExchange struct {
	mu         sync.Mutex
	lastFilter gateway.InboxFilter
	// lastSentFilter is the sent box's (sent_test.go).
	lastSentFilter gateway.SentFilter
	delivery       gateway.Delivery // the recipient's, changed by its acts
	doc            *gateway.Document
	trail          []*exchange.TrailEntry
	receipt        *gateway.Receipt
}

func (f *fakeExchange) mayRead(ctx context.Context) bool {
	p := gateway.PrincipalFromContext(ctx)
	return p != nil && (p.Role == gateway.RoleAuditor || p.AgencyCode == f.doc.Envelope.From || p.AgencyCode == f.doc.Envelope.To[0])
}

func (f *fakeExchange) Inbox(ctx context.Context, filter gateway.InboxFilter) ([]*gateway.InboxItem, error) {
	f.mu.Lock()
	f.lastFilter = filter
	f.mu.Unlock()
	p := gateway.PrincipalFromContext(ctx)
	if p == nil || p.Role != gateway.RoleAgency {
		return nil, gateway.Errorf(gateway.EFORBIDDEN, "only agencies have an inbox")
	}
	if p.AgencyCode != f.doc.Envelope.To[0] {
		return []*gateway.InboxItem{}, nil
	}
	return []*gateway.InboxItem{{Cursor: 9, Document: f.doc, Delivery: &gateway.Delivery{Recipient: p.AgencyCode, State: gateway.DeliveryPending}}}, nil
}

func (f *fakeExchange) Document(ctx context.Context, id string) (*exchange.DocumentView, error) {
	if id != f.doc.ID || !f.mayRead(ctx) {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "no document %s", id)
	}
	f.mu.Lock()
	d := f.delivery
	f.mu.Unlock()
	return &exchange.DocumentView{Document: f.doc, Deliveries: []*gateway.Delivery{&d}}, nil
}

func (f *fakeExchange) recipient(ctx context.Context, id string) error {
	p := gateway.PrincipalFromContext(ctx)
	if id != f.doc.ID || p == nil || p.AgencyCode != f.delivery.Recipient {
		return gateway.Errorf(gateway.ENOTFOUND, "no document %s", id)
	}
	return nil
}

func (f *fakeExchange) Acknowledge(ctx context.Context, id string) (*gateway.Receipt, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.recipient(ctx, id); err != nil {
		return nil, err
	}
	at := time.Now()
	f.delivery.State, f.delivery.AcknowledgedAt = gateway.DeliveryAcknowledged, &at
	return f.receipt, nil
}

// ReportStatus follows the domain's transition rules, as the exchange does.
func (f *fakeExchange) ReportStatus(ctx context.Context, id string, st gateway.ProcessingStatus, note string) (*gateway.Receipt, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.recipient(ctx, id); err != nil {
		return nil, err
	}
	if err := gateway.ValidTransition(f.delivery.Status, st, note); err != nil {
		return nil, err
	}
	f.delivery.Status = st
	return f.receipt, nil
}

func (f *fakeExchange) Trail(ctx context.Context, id string) ([]*exchange.TrailEntry, error) {
	if id != f.doc.ID || !f.mayRead(ctx) {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "no document %s", id)
	}
	return f.trail, nil
}

// pdfBytes is what the fake stores for the document; a test can make the
// stored bytes fail their digest at the end of the stream.
var pdfBytes = []byte("%PDF-1.7\nthe stored document\n%%EOF\n")

type failingAtEnd struct{ io.Reader }

func (f failingAtEnd) Read(p []byte) (int, error) {
	n, err := f.Reader.Read(p)
	if err == io.EOF {
		return n, gateway.Errorf(gateway.EINTEGRITY, "digest mismatch")
	}
	return n, err
}

func (f *fakeExchange) Open(ctx context.Context, id string, n int) (io.ReadCloser, gateway.Part, error) {
	if id != f.doc.ID || !f.mayRead(ctx) {
		return nil, gateway.Part{}, gateway.Errorf(gateway.ENOTFOUND, "no document %s", id)
	}
	switch n {
	case -1:
		return io.NopCloser(bytes.NewReader(pdfBytes)), gateway.Part{Name: "cv 7816.pdf", ContentType: "application/pdf", Size: int64(len(pdfBytes))}, nil
	case 0:
		return io.NopCloser(failingAtEnd{bytes.NewReader(pdfBytes)}), gateway.Part{Name: "phu-luc.pdf", ContentType: "application/pdf", Size: int64(len(pdfBytes))}, nil
	}
	return nil, gateway.Part{}, gateway.Errorf(gateway.ENOTFOUND, "no attachment %d", n)
}

func (f *fakeExchange) Receipt(ctx context.Context, id, rid string) (*gateway.Receipt, error) {
	if id != f.doc.ID || rid != f.receipt.ID || !f.mayRead(ctx) {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "no receipt %s", rid)
	}
	return f.receipt, nil
}

const (
	tokenH14     = "dg_recipient_clerk"
	tokenAuditor = "dg_auditor"
	tokenOther   = "dg_other_agency"
)

func mustAccountEnv(t *testing.T) (*env, *fakeAuth, *fakeExchange) {
	t.Helper()
	at := time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)
	due := at.Add(48 * time.Hour)
	idx := int64(17)
	doc := &gateway.Document{
		ID: "doc_7816", State: gateway.DocumentActive, SubmittedAt: at,
		Envelope: gateway.Envelope{From: "000.00.00.H41", To: []string{"000.00.00.H14"}, Number: "7816", Notation: "UBND-VP",
			Subject: "Về việc <i>kiểm tra</i> công tác văn thư", Type: "Công văn", Urgency: "urgent", DueDate: &due, Signer: "Nguyễn Văn An"},
		PDF: gateway.Part{Name: "cv7816.pdf", ContentType: "application/pdf", SHA256: strings.Repeat("c3", 32), Size: 123456},
		Verification: &gateway.Report{Document: gateway.DocumentReport{Verdict: gateway.VerdictValid, Modification: gateway.ModificationNone, Revisions: 2},
			Signatures: []gateway.SignatureReport{{Field: "Signature1", Kind: "signature", Intact: true, Indication: gateway.IndicationPassed,
				Coverage: "ENTIRE_FILE", Modification: "NONE", Organization: "UBND tỉnh Bắc Ninh", AgencyCode: "000.00.00.H41", Revision: 2}}},
	}
	rc := &gateway.Receipt{ID: "ev_abc", DocumentID: doc.ID, Event: gateway.EventContentHandover, CMS: []byte{0x30, 0x82, 0x01, 0x02, 9, 9}, At: at.Add(time.Hour)}
	acked := at.Add(time.Hour)
	fx := &fakeExchange{doc: doc, receipt: rc,
		delivery: gateway.Delivery{DocumentID: doc.ID, Recipient: "000.00.00.H14", State: gateway.DeliveryAcknowledged, Status: gateway.StatusAccepted, AcknowledgedAt: &acked},
		trail: []*exchange.TrailEntry{
			{Event: &gateway.Event{Seq: 1, DocumentID: doc.ID, Type: gateway.EventSubmissionAcceptance, Actor: "000.00.00.H41", At: at, ReceiptID: "ev_sub"},
				Receipt: &gateway.Receipt{ID: "ev_sub", Event: gateway.EventSubmissionAcceptance, Pending: true}},
			{Event: &gateway.Event{Seq: 2, DocumentID: doc.ID, Type: gateway.EventContentHandover, Actor: "000.00.00.H14", Recipient: "000.00.00.H14",
				At: at.Add(time.Hour), ReceiptID: rc.ID, LogIndex: &idx}, Receipt: rc},
			{Event: &gateway.Event{Seq: 3, DocumentID: doc.ID, Type: gateway.EventConsignmentRejection, Actor: "000.00.00.H14", Recipient: "000.00.00.H14",
				Status: gateway.StatusRejected, Note: "Sai thẩm quyền", At: at.Add(2 * time.Hour)}},
		}}
	auth := &fakeAuth{tokens: map[string]*gateway.Principal{
		tokenH14:     {Role: gateway.RoleAgency, AgencyCode: "000.00.00.H14"},
		tokenOther:   {Role: gateway.RoleAgency, AgencyCode: "000.00.00.H56"},
		tokenAuditor: {Role: gateway.RoleAuditor},
	}}
	// A province with 120 units below it, one suspended.
	auth.agencies = append(auth.agencies, &gateway.Agency{Code: "000.00.00.H14", Name: "UBND tỉnh Hải Dương", Status: gateway.AgencyActive, CreatedAt: at})
	for i := 0; i < 120; i++ {
		st := gateway.AgencyActive
		if i == 7 {
			st = gateway.AgencySuspended
		}
		auth.agencies = append(auth.agencies, &gateway.Agency{Code: fmt.Sprintf("000.%02d.%02d.H41", i/10, i%10), Name: fmt.Sprintf("Đơn vị %d <b>", i),
			ParentCode: "000.00.00.H41", Status: st, CreatedAt: at})
	}
	auth.agencies = append(auth.agencies, &gateway.Agency{Code: "000.00.00.H41", Name: "UBND tỉnh Bắc Ninh", Status: gateway.AgencyActive, CreatedAt: at})
	sort.Slice(auth.agencies, func(i, j int) bool { return auth.agencies[i].Code < auth.agencies[j].Code })
	e := &env{fake: &fakeVerifier{}, tmp: t.TempDir()}
	p := &web.Pages{Verifier: e.fake, Auth: auth, Exchange: fx, TempDir: e.tmp, Logger: slog.New(slog.DiscardHandler)}
	e.srv = httptest.NewServer(p.Handler())
	t.Cleanup(e.srv.Close)
	return e, auth, fx
}

// noRedirect is a client that shows redirects instead of following them.
func noRedirect(e *env) *http.Client {
	c := *e.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func (e *env) send(t *testing.T, method, path, token string, form url.Values, header ...string) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.AddCookie(&http.Cookie{Name: "docgate_token", Value: token})
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := noRedirect(e).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}
}

func TestSignInAndOut(t *testing.T) {
	e, _, _ := mustAccountEnv(t)
	cases := []struct {
		name   string
		token  string
		header []string
		status int
		want   string
	}{
		{"empty", "", nil, 400, "Hãy nhập mã truy cập"},
		{"wrong", "dg_nope", nil, 401, "Mã truy cập không đúng"},
		{"from another site", tokenH14, []string{"Sec-Fetch-Site", "cross-site"}, 403, "trang web khác"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.send(t, "POST", "/login", "", url.Values{"token": {tc.token}}, tc.header...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d", r.status, tc.status)
			}
			mustContain(t, r.body, tc.want, `id="login-form"`)
			if strings.Contains(r.header.Get("Set-Cookie"), "docgate_token=dg") {
				t.Error("a failed sign-in set the session cookie")
			}
		})
	}
	r := e.send(t, "POST", "/login", "", url.Values{"token": {" " + tokenH14 + " "}}, "Sec-Fetch-Site", "same-origin")
	if r.status != 303 || r.header.Get("Location") != "/inbox" {
		t.Fatalf("sign in: %d to %q", r.status, r.header.Get("Location"))
	}
	c := r.header.Get("Set-Cookie")
	for _, want := range []string{"docgate_token=" + tokenH14, "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(c, want) {
			t.Errorf("session cookie %q lacks %s", c, want)
		}
	}
	if r := e.send(t, "POST", "/login", "", url.Values{"token": {tokenAuditor}}); r.header.Get("Location") != "/verify" {
		t.Errorf("an auditor is sent to %q", r.header.Get("Location"))
	}
	r = e.send(t, "POST", "/logout", tokenH14, url.Values{})
	if r.status != 303 || r.header.Get("Location") != "/login" || !strings.Contains(r.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("sign out: %d %q %q", r.status, r.header.Get("Location"), r.header.Get("Set-Cookie"))
	}
}

func TestInboxAndDocument(t *testing.T) {
	e, auth, _ := mustAccountEnv(t)
	if r := e.send(t, "GET", "/inbox", "", nil); r.status != 303 || r.header.Get("Location") != "/login" {
		t.Errorf("inbox without a session: %d %q", r.status, r.header.Get("Location"))
	}
	r := e.send(t, "GET", "/inbox", tokenH14, nil)
	if r.status != 200 {
		t.Fatalf("inbox: %d %s", r.status, r.body)
	}
	mustContain(t, r.body, "Hộp thư đến", "7816/UBND-VP", "Về việc &lt;i&gt;kiểm tra&lt;/i&gt; công tác văn thư", `href="/documents/doc_7816"`,
		"000.00.00.H41", "20/11/2026 08:00", "22/11/2026", "quá hạn", "khẩn", "HỢP LỆ", "Chờ tải về", `id="who">000.00.00.H14<`, `id="logout"`)
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("inbox Cache-Control %q", r.header.Get("Cache-Control"))
	}
	if r := e.send(t, "GET", "/inbox", tokenOther, nil, "Accept-Language", "en"); !strings.Contains(r.body, "Nothing is waiting") {
		t.Errorf("another agency's inbox is not empty: %d", r.status)
	}
	if r := e.send(t, "GET", "/inbox", tokenAuditor, nil, "Accept-Language", "en"); r.status != 403 || !strings.Contains(r.body, "Only an agency") {
		t.Errorf("auditor inbox: %d", r.status)
	}
	if r := e.send(t, "GET", "/inbox?before=x", tokenH14, nil); r.status != 400 {
		t.Errorf("bad cursor: %d", r.status)
	}

	r = e.send(t, "GET", "/documents/doc_7816", tokenH14, nil)
	if r.status != 200 {
		t.Fatalf("document: %d %s", r.status, r.body)
	}
	mustContain(t, r.body, "Lịch sử văn bản", "Cổng đã nhận văn bản gửi đi", "Cơ quan nhận đã tải văn bản", "Cơ quan nhận từ chối văn bản",
		"Sai thẩm quyền", "chưa có dấu thời gian", "sổ nhật ký, mục 17", `href="/documents/doc_7816/receipts/ev_abc"`,
		"Đã tiếp nhận, vào sổ", "Đã tải về", "Khẩn", strings.Repeat("c3", 32), `data-verdict="VALID"`, "UBND tỉnh Bắc Ninh", "tl tl-bad", `href="/documents/doc_7816/files/pdf"`)
	// The timeline keeps the trail's order.
	if a, b := strings.Index(r.body, "Cổng đã nhận văn bản gửi đi"), strings.Index(r.body, "Cơ quan nhận đã tải văn bản"); a < 0 || b < a {
		t.Error("the timeline is out of order")
	}
	if r := e.send(t, "GET", "/documents/doc_7816", tokenOther, nil); r.status != 404 {
		t.Errorf("another agency sees the document: %d", r.status)
	}
	if r := e.send(t, "GET", "/documents/doc_7816", tokenAuditor, nil); r.status != 200 {
		t.Errorf("an auditor cannot see the document: %d", r.status)
	}

	r = e.send(t, "GET", "/documents/doc_7816/receipts/ev_abc", tokenH14, nil)
	if r.status != 200 || r.body != string([]byte{0x30, 0x82, 0x01, 0x02, 9, 9}) || r.header.Get("Content-Type") != "application/pkcs7-signature" ||
		!strings.Contains(r.header.Get("Content-Disposition"), `filename="ContentHandover-ev_abc.p7s"`) {
		t.Errorf("receipt download: %d %q %q", r.status, r.header.Get("Content-Type"), r.header.Get("Content-Disposition"))
	}
	if r := e.send(t, "GET", "/documents/doc_7816/receipts/ev_nope", tokenH14, nil); r.status != 404 {
		t.Errorf("unknown receipt: %d", r.status)
	}

	// Files: the PDF streams with its name; a stream that fails its digest
	// at the end is cut off, never delivered as if whole.
	r = e.send(t, "GET", "/documents/doc_7816/files/pdf", tokenH14, nil)
	if r.status != 200 || r.body != string(pdfBytes) || !strings.Contains(r.header.Get("Content-Disposition"), `filename="cv_7816.pdf"`) {
		t.Errorf("pdf download: %d %q", r.status, r.header.Get("Content-Disposition"))
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/documents/doc_7816/files/0", nil)
	req.AddCookie(&http.Cookie{Name: "docgate_token", Value: tokenH14})
	if res, err := e.srv.Client().Do(req); err == nil {
		_, err = io.ReadAll(res.Body)
		res.Body.Close()
		if err == nil {
			t.Error("a download that failed its digest arrived whole")
		}
	}
	for _, path := range []string{"/documents/doc_7816/files/7", "/documents/doc_7816/files/-1", "/documents/doc_7816/files/x"} {
		if r := e.send(t, "GET", path, tokenH14, nil); r.status != 404 {
			t.Errorf("%s: %d", path, r.status)
		}
	}
	if r := e.send(t, "GET", "/documents/doc_7816/files/pdf", tokenOther, nil); r.status != 404 {
		t.Errorf("another agency downloads the document: %d", r.status)
	}

	// A revoked token stops working at once, and the cookie is cleared.
	auth.revoke(tokenH14)
	r = e.send(t, "GET", "/inbox", tokenH14, nil)
	if r.status != 303 || r.header.Get("Location") != "/login" || !strings.Contains(r.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("revoked token: %d %q %q", r.status, r.header.Get("Location"), r.header.Get("Set-Cookie"))
	}
}

// TestAccountPagesOff: without Auth and Exchange the signed-in pages do not
// exist and the header offers no sign-in.
func TestAccountPagesOff(t *testing.T) {
	e := mustEnv(t, 0)
	for _, path := range []string{"/login", "/inbox", "/documents/doc_1"} {
		if r := e.get(t, path); r.status != 404 {
			t.Errorf("%s: %d", path, r.status)
		}
	}
	if strings.Contains(e.get(t, "/").body, `id="nav-login"`) {
		t.Error("the header offers a sign-in that does not exist")
	}
}

func TestAgencyDirectory(t *testing.T) {
	e, _, _ := mustAccountEnv(t)
	if r := e.send(t, "GET", "/agencies", "", nil); r.status != 303 {
		t.Errorf("directory without a session: %d", r.status)
	}
	r := e.send(t, "GET", "/agencies", tokenH14, nil)
	if r.status != 200 {
		t.Fatalf("directory: %d %s", r.status, r.body)
	}
	mustContain(t, r.body, "Danh bạ cơ quan", "000.00.00.H14", "UBND tỉnh Hải Dương", "Đơn vị 0 &lt;b&gt;", `id="agencies-next"`)
	if n := strings.Count(r.body, "<tr>") - 1; n != 100 {
		t.Errorf("first page has %d rows, want 100", n)
	}
	// The next page carries on after the last code shown, filters kept.
	r = e.send(t, "GET", "/agencies?parent=000.00.00.H41", tokenH14, nil)
	i := strings.Index(r.body, `href="/agencies?after=`)
	if i < 0 {
		t.Fatal("no next link on a filtered first page")
	}
	next := r.body[i+len(`href="`):]
	next = strings.ReplaceAll(next[:strings.Index(next, `"`)], "&amp;", "&")
	if !strings.Contains(next, "parent=000.00.00.H41") {
		t.Errorf("the next link drops the filter: %s", next)
	}
	r = e.send(t, "GET", next, tokenH14, nil)
	if n := strings.Count(r.body, "<tr>") - 1; n != 20 || strings.Contains(r.body, "UBND tỉnh Bắc Ninh") || strings.Contains(r.body, `id="agencies-next"`) {
		t.Errorf("second page: %d rows", n)
	}
	r = e.send(t, "GET", "/agencies?status=suspended", tokenH14, nil, "Accept-Language", "en")
	if n := strings.Count(r.body, "<tr>") - 1; n != 1 || !strings.Contains(r.body, "000.00.07.H41") || !strings.Contains(r.body, "Suspended") {
		t.Errorf("suspended filter: %d rows", n)
	}
	if r := e.send(t, "GET", "/agencies?parent=nonsense", tokenH14, nil); r.status != 400 || !strings.Contains(r.body, "is not an agency code") {
		t.Errorf("bad parent: %d", r.status)
	}
	if r := e.send(t, "GET", "/agencies?parent=000.99.99.H41", tokenH14, nil); !strings.Contains(r.body, "Không có cơ quan nào khớp") {
		t.Errorf("empty result: %d", r.status)
	}
}

// The inbox's search goes to the exchange, which searches in the store
// (storage/storetest checks what matches); the page passes it on whole,
// shows it in the form and keeps it on the next page's link.
func TestInboxSearch(t *testing.T) {
	e, _, fx := mustAccountEnv(t)
	last := func() gateway.InboxFilter {
		fx.mu.Lock()
		defer fx.mu.Unlock()
		return fx.lastFilter
	}
	cases := []struct {
		query   string
		q, from string
		overdue bool
	}{
		{"q=ki%E1%BB%83m+tra", "kiểm tra", "", false},
		{"q=+KI%E1%BB%82M+V%C4%82N+TH%C6%AF+", "KIỂM VĂN THƯ", "", false},
		{"from=000.00.00.H41", "", "000.00.00.H41", false},
		{"overdue=1", "", "", true},
		{"q=7816&from=000.00.00.H56&overdue=1", "7816", "000.00.00.H56", true},
	}
	for _, tc := range cases {
		r := e.send(t, "GET", "/inbox?"+tc.query, tokenH14, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d", tc.query, r.status)
		}
		f := last()
		if f.Q != tc.q || f.From != tc.from || f.OverdueAt.IsZero() == tc.overdue || f.Limit != 50 || f.All {
			t.Errorf("%s: the page asked for %+v", tc.query, f)
		}
	}
	// The form shows what was searched for.
	r := e.send(t, "GET", "/inbox?q=%3Cb%3E&overdue=1", tokenH14, nil)
	mustContain(t, r.body, `value="&lt;b&gt;"`, "checked", `href="/inbox" class="btn secondary"`)
	// Without a search the inbox pages as usual.
	e.send(t, "GET", "/inbox?before=30", tokenH14, nil)
	if f := last(); f.Limit != 50 || f.Before != 30 || f.Q != "" || !f.OverdueAt.IsZero() {
		t.Errorf("plain inbox asked for %+v", f)
	}
}

func TestRecipientActs(t *testing.T) {
	e, _, fx := mustAccountEnv(t)
	fx.mu.Lock()
	fx.delivery.State, fx.delivery.Status, fx.delivery.AcknowledgedAt = gateway.DeliveryPending, "", nil
	fx.mu.Unlock()

	r := e.send(t, "GET", "/documents/doc_7816", tokenH14, nil)
	mustContain(t, r.body, `id="actions"`, `action="/documents/doc_7816/ack"`, `id="status-form"`, "Chờ tải về")
	// Neither the sender nor an auditor is offered the recipient's acts.
	if r := e.send(t, "GET", "/documents/doc_7816", tokenAuditor, nil); strings.Contains(r.body, `id="actions"`) {
		t.Error("an auditor is offered the recipient's acts")
	}

	if r := e.send(t, "POST", "/documents/doc_7816/ack", tokenH14, url.Values{}, "Sec-Fetch-Site", "cross-site"); r.status != 403 {
		t.Errorf("cross-site acknowledge: %d", r.status)
	}
	if fx.delivery.State != gateway.DeliveryPending {
		t.Fatal("a cross-site post acknowledged")
	}
	r = e.send(t, "POST", "/documents/doc_7816/ack", tokenH14, url.Values{}, "Sec-Fetch-Site", "same-origin")
	if r.status != 303 || r.header.Get("Location") != "/documents/doc_7816?done=ack" {
		t.Fatalf("acknowledge: %d %q", r.status, r.header.Get("Location"))
	}
	r = e.send(t, "GET", "/documents/doc_7816?done=ack", tokenH14, nil)
	mustContain(t, r.body, "Đã xác nhận nhận văn bản", "Đã tải về")
	if strings.Contains(r.body, `action="/documents/doc_7816/ack"`) {
		t.Error("acknowledging is still offered after acknowledging")
	}

	// A rejection needs a reason; the exchange's words come back with a
	// way back to the document.
	r = e.send(t, "POST", "/documents/doc_7816/status", tokenH14, url.Values{"status": {"rejected"}, "note": {" "}}, "Accept-Language", "en")
	if r.status != 400 {
		t.Errorf("rejection without reason: %d", r.status)
	}
	mustContain(t, r.body, "a rejection needs a reason", `href="/documents/doc_7816"`, "Back to the document")
	for _, st := range []string{"received", "accepted", "processing"} {
		r = e.send(t, "POST", "/documents/doc_7816/status", tokenH14, url.Values{"status": {st}})
		if r.status != 303 || r.header.Get("Location") != "/documents/doc_7816?done=status" {
			t.Fatalf("status %s: %d", st, r.status)
		}
	}
	if fx.delivery.Status != gateway.StatusProcessing {
		t.Errorf("status is %q", fx.delivery.Status)
	}
	r = e.send(t, "POST", "/documents/doc_7816/status", tokenH14, url.Values{"status": {"rejected"}, "note": {"Sai thẩm quyền"}})
	if r.status != 409 || !strings.Contains(r.body, "can no longer be rejected") {
		t.Errorf("late rejection: %d", r.status)
	}
	if r := e.send(t, "POST", "/documents/doc_7816/status", tokenOther, url.Values{"status": {"done"}}); r.status != 404 {
		t.Errorf("another agency reports a status: %d", r.status)
	}
	if r := e.send(t, "POST", "/documents/doc_7816/ack", "", url.Values{}); r.status != 303 || r.header.Get("Location") != "/login" {
		t.Errorf("acknowledge without a session: %d", r.status)
	}
}
