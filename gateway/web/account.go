package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"docgate/gateway"
	"docgate/gateway/exchange"
)

// authenticator turns an API token typed on the sign-in page into a
// principal and lists the agency registry; registry.Service is one.
type authenticator interface {
	// Authenticate returns EUNAUTHORIZED for a wrong, revoked or expired token.
	Authenticate(ctx context.Context, secret string) (*gateway.Principal, error)
	// Agencies lists agencies by code for any signed-in principal; next is
	// the After of the following page. EINVALID for a bad filter.
	Agencies(ctx context.Context, f gateway.AgencyFilter) (list []*gateway.Agency, next string, err error)
}

// exchangeReader is the part of the exchange use cases the signed-in pages
// read; exchange.Service is one. Each method decides who may see what, so
// the pages never do.
type exchangeReader interface {
	// Inbox returns EFORBIDDEN for a principal that is not an agency.
	Inbox(ctx context.Context, f gateway.InboxFilter) ([]*gateway.InboxItem, error)
	// Sent returns EFORBIDDEN for a principal that is not an agency.
	Sent(ctx context.Context, f gateway.SentFilter) ([]*gateway.SentItem, error)
	// Document, Trail and Receipt return ENOTFOUND for a document the
	// principal may not see.
	Document(ctx context.Context, id string) (*exchange.DocumentView, error)
	Trail(ctx context.Context, id string) ([]*exchange.TrailEntry, error)
	Receipt(ctx context.Context, id, rid string) (*gateway.Receipt, error)
	// Open streams the PDF (n = -1) or an attachment; the reader fails
	// with EINTEGRITY at the end when the stored bytes changed. ECONFLICT
	// for a recalled document.
	Open(ctx context.Context, id string, n int) (io.ReadCloser, gateway.Part, error)
	// Acknowledge and ReportStatus are the recipient's acts; ENOTFOUND for
	// a non-recipient, ECONFLICT for a recalled document or a status that
	// cannot follow the current one, EINVALID for a rejection without a
	// reason.
	Acknowledge(ctx context.Context, id string) (*gateway.Receipt, error)
	ReportStatus(ctx context.Context, id string, st gateway.ProcessingStatus, note string) (*gateway.Receipt, error)
}

var _ exchangeReader = (*exchange.Service)(nil)

// sessionCookie holds the API token of a signed-in clerk. It is HttpOnly
// (no script can read it) and SameSite=Strict (no other site's page can
// make the browser send it), and lives for a working day.
const (
	sessionCookie = "docgate_token"
	sessionMaxAge = 10 * time.Hour
	inboxPageSize = 50
)

func (p *Pages) routeAccount(r chi.Router) {
	r.Get("/login", p.handleLoginForm)
	r.Post("/login", p.handleLogin)
	r.Post("/logout", p.handleLogout)
	r.Get("/inbox", p.signedIn(p.handleInbox))
	r.Get("/sent", p.signedIn(p.handleSent))
	r.Get("/documents/{id}", p.signedIn(p.handleDocument))
	r.Get("/documents/{id}/receipts/{rid}", p.signedIn(p.handleReceiptDownload))
	r.Get("/documents/{id}/files/{n}", p.signedIn(p.handleFileDownload))
	r.Get("/documents/{id}/bundle", p.signedIn(p.handleBundleDownload))
	r.Post("/documents/{id}/ack", p.signedIn(p.handleAck))
	r.Post("/documents/{id}/status", p.signedIn(p.handleStatus))
	r.Get("/agencies", p.signedIn(p.handleAgencies))
}

// crossSite reports a form post from another site's page. Browsers mark
// every request with Sec-Fetch-Site; refusing cross-site posts stops another
// site from signing a clerk in as someone else or out.
func crossSite(r *http.Request) bool {
	return r.Header.Get("Sec-Fetch-Site") == "cross-site"
}

func (p *Pages) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, http.StatusOK, "login.html", p.newPage(w, r, "login.title"))
}

func (p *Pages) loginError(w http.ResponseWriter, r *http.Request, status int, key string) {
	pg := p.newPage(w, r, "login.title")
	pg.Error = pg.T(key)
	p.render(w, r, status, "login.html", pg)
}

func (p *Pages) handleLogin(w http.ResponseWriter, r *http.Request) {
	if crossSite(r) {
		p.loginError(w, r, http.StatusForbidden, "err.crosssite")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		p.loginError(w, r, http.StatusBadRequest, "err.badform")
		return
	}
	token := strings.TrimSpace(r.PostForm.Get("token"))
	if token == "" {
		p.loginError(w, r, http.StatusBadRequest, "login.empty")
		return
	}
	pr, err := p.Auth.Authenticate(r.Context(), token)
	switch {
	case gateway.ErrorCode(err) == gateway.EUNAUTHORIZED:
		p.loginError(w, r, http.StatusUnauthorized, "login.wrong")
		return
	case err != nil:
		id := requestID(w)
		p.Logger.ErrorContext(r.Context(), "sign in", "err", err, "request_id", id)
		pg := p.newPage(w, r, "login.title")
		pg.Error = pg.Tf("err.internal", id)
		p.render(w, r, http.StatusServiceUnavailable, "login.html", pg)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", MaxAge: int(sessionMaxAge.Seconds()),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
	next := "/inbox"
	if pr.Role != gateway.RoleAgency {
		// Only agencies have an inbox; others open documents by ID.
		next = "/verify"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (p *Pages) handleLogout(w http.ResponseWriter, r *http.Request) {
	if crossSite(r) {
		p.loginError(w, r, http.StatusForbidden, "err.crosssite")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// signedIn authenticates the session cookie on every request (a revoked
// token stops working at once) and hands the handler a context carrying
// the principal, as the API's middleware does for the use cases.
func (p *Pages) signedIn(h func(http.ResponseWriter, *http.Request, *page)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		pr, err := p.Auth.Authenticate(r.Context(), c.Value)
		if err != nil {
			if gateway.ErrorCode(err) != gateway.EUNAUTHORIZED {
				p.Logger.ErrorContext(r.Context(), "authenticate session", "err", err)
			}
			http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		// Pages with a clerk's documents must not be kept by shared caches
		// or the browser's back-forward cache after signing out.
		w.Header().Set("Cache-Control", "no-store")
		pg := p.newPage(w, r, "inbox.title")
		pg.User = pr
		h(w, r.WithContext(gateway.NewContextWithPrincipal(r.Context(), pr)), pg)
	}
}

// useCaseError renders an error from the exchange as a page: the 4xx
// words of the use case, or a request ID for anything else.
func (p *Pages) useCaseError(w http.ResponseWriter, r *http.Request, pg *page, err error) {
	switch gateway.ErrorCode(err) {
	case gateway.ENOTFOUND:
		pg.Title = pg.T("err.notfound.h")
		pg.Error = pg.T("doc.notfound")
		p.render(w, r, http.StatusNotFound, "error.html", pg)
	case gateway.EFORBIDDEN:
		pg.Title = pg.T("err.title")
		pg.Error = pg.T("inbox.forbidden")
		p.render(w, r, http.StatusForbidden, "error.html", pg)
	case gateway.EINVALID, gateway.ECONFLICT:
		pg.Title = pg.T("err.title")
		pg.Error = gateway.ErrorMessage(err)
		status := http.StatusBadRequest
		if gateway.ErrorCode(err) == gateway.ECONFLICT {
			status = http.StatusConflict
		}
		p.render(w, r, status, "error.html", pg)
	default:
		id := requestID(w)
		p.Logger.ErrorContext(r.Context(), "page use case", "err", err, "path", r.URL.Path, "request_id", id)
		pg.Title = pg.T("err.title")
		pg.Error = pg.Tf("err.internal", id)
		p.render(w, r, http.StatusInternalServerError, "error.html", pg)
	}
}

// inboxSearch is the filter form of the inbox and the sent box: words in
// the number, notation or subject, the sender's (inbox) or a recipient's
// (sent box) code or its prefix, for a province's units, and overdue only.
// The exchange searches in the store, so a search pages like the box.
type inboxSearch struct {
	Q       string
	From    string // the inbox's sender, the sent box's recipient
	Overdue bool
}

func readSearch(r *http.Request) inboxSearch {
	q := r.URL.Query()
	return inboxSearch{Q: strings.TrimSpace(q.Get("q")), From: strings.TrimSpace(q.Get("from")), Overdue: q.Get("overdue") == "1"}
}

func (s *inboxSearch) Active() bool { return s.Q != "" || s.From != "" || s.Overdue }

// filter is the store's search for the form; overdue means due before now.
func (s *inboxSearch) filter(now time.Time) gateway.DocumentSearch {
	f := gateway.DocumentSearch{Q: s.Q}
	if s.Overdue {
		f.OverdueAt = now
	}
	return f
}

// olderLink is the box's next page, keeping the search.
func (s *inboxSearch) olderLink(path string, cursor int64) string {
	q := url.Values{"before": {strconv.FormatInt(cursor, 10)}}
	if s.Q != "" {
		q.Set("q", s.Q)
	}
	if s.From != "" {
		q.Set("from", s.From)
	}
	if s.Overdue {
		q.Set("overdue", "1")
	}
	return path + "?" + q.Encode()
}

// readBefore reads the page cursor; EINVALID.
func readBefore(r *http.Request) (int64, error) {
	b := r.URL.Query().Get("before")
	if b == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(b, 10, 64)
	if err != nil || n <= 0 {
		return 0, gateway.Errorf(gateway.EINVALID, "before must be a positive number")
	}
	return n, nil
}

// inboxRow is one document in the inbox, in words.
type inboxRow struct {
	ID       string
	Number   string
	Subject  string
	From     string
	Type     string
	Received string
	Due      string
	Overdue  bool
	State    string
	Verdict  string
	Class    string
	Urgent   bool
}

func (p *Pages) handleInbox(w http.ResponseWriter, r *http.Request, pg *page) {
	pg.Title = pg.T("inbox.title")
	before, err := readBefore(r)
	if err != nil {
		p.useCaseError(w, r, pg, err)
		return
	}
	search := readSearch(r)
	now := time.Now()
	f := gateway.InboxFilter{Before: before, Limit: inboxPageSize, From: search.From, DocumentSearch: search.filter(now)}
	items, err := p.Exchange.Inbox(r.Context(), f)
	if err != nil {
		p.useCaseError(w, r, pg, err)
		return
	}
	pg.Search = &search
	for _, it := range items {
		d := it.Document
		row := inboxRow{
			ID: d.ID, Number: number(d.Envelope), Subject: d.Envelope.Subject, From: d.Envelope.From, Type: d.Envelope.Type,
			Received: shortTime(d.SubmittedAt), Urgent: d.Envelope.Urgency != "" && d.Envelope.Urgency != "normal",
		}
		if it.Delivery != nil {
			row.State = lookupOr(pg, "delivery."+string(it.Delivery.State), string(it.Delivery.State))
		}
		if due := d.Envelope.DueDate; due != nil {
			row.Due = due.In(vietnam).Format("02/01/2006")
			row.Overdue = due.Before(now)
		}
		if d.Verification != nil {
			row.Verdict = lookup(pg, "verdict.", d.Verification.Document.Verdict)
			row.Class = classOr(verdictClass, d.Verification.Document.Verdict, "warn")
		}
		pg.Inbox = append(pg.Inbox, row)
	}
	if len(items) == inboxPageSize {
		pg.Older = search.olderLink("/inbox", items[len(items)-1].Cursor)
	}
	p.render(w, r, http.StatusOK, "inbox.html", pg)
}

// documentView is a document's page: the envelope, each delivery, the
// timeline of events with their receipts, and the signature report.
type documentView struct {
	ID        string
	Number    string
	Subject   string
	From      string
	To        string
	Type      string
	Urgency   string
	Due       string
	Signer    string
	Content   string
	State     string
	Submitted string
	PDFName   string
	PDFSize   string
	PDFSHA256 string
	PDFLink   string
	Files     []fileRow
	// BundleLink downloads the offline evidence bundle; empty when the
	// gateway has no audit log to prove the receipts against.
	BundleLink string
	// The signed-in agency's own delivery when it is a recipient: the
	// page then offers its acts.
	Mine       *deliveryRow
	CanAck     bool
	Statuses   []statusOption
	Done       string // what the last act did, from the redirect
	Deliveries []deliveryRow
	Timeline   []timelineRow
}

type statusOption struct{ Value, Label string }

// reportable lists the statuses a recipient reports, in the order they
// happen; the exchange decides which may follow which.
var reportable = []gateway.ProcessingStatus{
	gateway.StatusReceived, gateway.StatusAccepted, gateway.StatusAssigned,
	gateway.StatusProcessing, gateway.StatusDone, gateway.StatusRejected,
}

type fileRow struct {
	Name, Size, SHA256, Link string
}

type deliveryRow struct {
	Recipient    string
	State        string
	Status       string
	Acknowledged string
	LastError    string
}

type timelineRow struct {
	At        string
	Event     string
	Code      string
	Actor     string
	Recipient string
	Status    string
	Note      string
	Receipt   string // download link
	Pending   bool
	LogIndex  string
	Class     string
}

var negativeEvents = map[string]bool{
	gateway.EventSubmissionRejection: true, gateway.EventContentConsignmentFailure: true,
	gateway.EventConsignmentRejection: true, gateway.EventRecall: true,
}

func (p *Pages) handleDocument(w http.ResponseWriter, r *http.Request, pg *page) {
	id := chi.URLParam(r, "id")
	doc, err := p.Exchange.Document(r.Context(), id)
	if err != nil {
		p.useCaseError(w, r, pg, err)
		return
	}
	trail, err := p.Exchange.Trail(r.Context(), id)
	if err != nil {
		p.useCaseError(w, r, pg, err)
		return
	}
	e := doc.Envelope
	dv := &documentView{
		ID: doc.ID, Number: number(e), Subject: e.Subject, From: e.From, To: strings.Join(e.To, ", "), Type: e.Type,
		Signer: e.Signer, Content: e.Content, State: lookupOr(pg, "docstate."+string(doc.State), string(doc.State)),
		Submitted: vnTime(pg, doc.SubmittedAt), PDFName: doc.PDF.Name, PDFSize: humanBytes(doc.PDF.Size), PDFSHA256: doc.PDF.SHA256,
	}
	dv.PDFLink = "/documents/" + url.PathEscape(doc.ID) + "/files/pdf"
	if p.Bundles != nil {
		dv.BundleLink = "/documents/" + url.PathEscape(doc.ID) + "/bundle"
	}
	for i, a := range doc.Attachments {
		dv.Files = append(dv.Files, fileRow{Name: a.Name, Size: humanBytes(a.Size), SHA256: a.SHA256,
			Link: "/documents/" + url.PathEscape(doc.ID) + "/files/" + strconv.Itoa(i)})
	}
	if e.Urgency != "" {
		dv.Urgency = lookupOr(pg, "urgency."+e.Urgency, e.Urgency)
	}
	if e.DueDate != nil {
		dv.Due = e.DueDate.In(vietnam).Format("02/01/2006")
	}
	for _, d := range doc.Deliveries {
		row := deliveryRow{Recipient: d.Recipient, State: lookupOr(pg, "delivery."+string(d.State), string(d.State)), LastError: d.LastError}
		if d.Status != "" {
			row.Status = lookupOr(pg, "status."+string(d.Status), string(d.Status))
		}
		if d.AcknowledgedAt != nil {
			row.Acknowledged = vnTime(pg, *d.AcknowledgedAt)
		}
		dv.Deliveries = append(dv.Deliveries, row)
		if pg.User != nil && pg.User.Role == gateway.RoleAgency && d.Recipient == pg.User.AgencyCode && d.State != gateway.DeliveryRecalled {
			mine := row
			dv.Mine = &mine
			dv.CanAck = d.State != gateway.DeliveryAcknowledged
			for _, st := range reportable {
				dv.Statuses = append(dv.Statuses, statusOption{string(st), pg.T("status." + string(st))})
			}
		}
	}
	switch r.URL.Query().Get("done") {
	case "ack":
		dv.Done = pg.T("act.acked")
	case "status":
		dv.Done = pg.T("act.reported")
	}
	for _, t := range trail {
		row := timelineRow{
			At: vnTime(pg, t.At), Code: t.Type, Event: lookupOr(pg, "event."+t.Type, t.Type), Actor: t.Actor,
			Recipient: t.Recipient, Note: t.Note, Class: "ok",
		}
		if negativeEvents[t.Type] {
			row.Class = "bad"
		}
		if t.Status != "" {
			row.Status = lookupOr(pg, "status."+string(t.Status), string(t.Status))
		}
		if t.Receipt != nil {
			row.Receipt = "/documents/" + url.PathEscape(doc.ID) + "/receipts/" + url.PathEscape(t.Receipt.ID)
			row.Pending = t.Receipt.Pending
		}
		if t.LogIndex != nil {
			row.LogIndex = strconv.FormatInt(*t.LogIndex, 10)
		}
		dv.Timeline = append(dv.Timeline, row)
	}
	pg.Title = dv.Subject
	pg.Document = dv
	if doc.Verification != nil {
		pg.Report = newReportView(pg, doc.Verification, doc.PDF.Name, doc.PDF.Size, doc.PDF.SHA256)
	}
	p.render(w, r, http.StatusOK, "document.html", pg)
}

// handleReceiptDownload serves one receipt as the DER file an auditor
// checks offline (docgate receipt verify, openssl cms) or on /verify.
func (p *Pages) handleReceiptDownload(w http.ResponseWriter, r *http.Request, pg *page) {
	id, rid := chi.URLParam(r, "id"), chi.URLParam(r, "rid")
	rc, err := p.Exchange.Receipt(r.Context(), id, rid)
	if err != nil {
		p.useCaseError(w, r, pg, err)
		return
	}
	if len(rc.CMS) == 0 {
		p.useCaseError(w, r, pg, errors.New("receipt "+rid+" has no CMS bytes"))
		return
	}
	name := rc.Event + "-" + rc.ID + ".p7s"
	w.Header().Set("Content-Type", "application/pkcs7-signature")
	w.Header().Set("Content-Disposition", `attachment; filename="`+safeFileName(name)+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(rc.CMS)))
	w.Write(rc.CMS)
}

// handleAck records that the signed-in recipient retrieved the document.
func (p *Pages) handleAck(w http.ResponseWriter, r *http.Request, pg *page) {
	if crossSite(r) {
		p.useCaseError(w, r, pg, gateway.Errorf(gateway.EFORBIDDEN, "cross-site"))
		return
	}
	id := chi.URLParam(r, "id")
	if _, err := p.Exchange.Acknowledge(r.Context(), id); err != nil {
		pg.Back = "/documents/" + url.PathEscape(id)
		p.useCaseError(w, r, pg, err)
		return
	}
	// Post/redirect/get: reloading the page does not repeat the act.
	http.Redirect(w, r, "/documents/"+url.PathEscape(id)+"?done=ack", http.StatusSeeOther)
}

// handleStatus reports the signed-in recipient's processing status.
func (p *Pages) handleStatus(w http.ResponseWriter, r *http.Request, pg *page) {
	if crossSite(r) {
		p.useCaseError(w, r, pg, gateway.Errorf(gateway.EFORBIDDEN, "cross-site"))
		return
	}
	id := chi.URLParam(r, "id")
	pg.Back = "/documents/" + url.PathEscape(id)
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		p.useCaseError(w, r, pg, gateway.Errorf(gateway.EINVALID, "%s", pg.T("err.badform")))
		return
	}
	st := gateway.ProcessingStatus(r.PostForm.Get("status"))
	if _, err := p.Exchange.ReportStatus(r.Context(), id, st, r.PostForm.Get("note")); err != nil {
		p.useCaseError(w, r, pg, err)
		return
	}
	http.Redirect(w, r, "/documents/"+url.PathEscape(id)+"?done=status", http.StatusSeeOther)
}

// handleFileDownload streams the PDF (n = "pdf") or attachment n of a
// document, as the API's /content does. Downloading is not acknowledging:
// the retrieval receipt stays the DMS's (or the CLI's) explicit act.
func (p *Pages) handleFileDownload(w http.ResponseWriter, r *http.Request, pg *page) {
	id, ns := chi.URLParam(r, "id"), chi.URLParam(r, "n")
	n := -1
	if ns != "pdf" {
		var err error
		if n, err = strconv.Atoi(ns); err != nil || n < 0 {
			p.useCaseError(w, r, pg, gateway.Errorf(gateway.ENOTFOUND, "no file %q", ns))
			return
		}
	}
	rc, part, err := p.Exchange.Open(r.Context(), id, n)
	if err != nil {
		p.useCaseError(w, r, pg, err)
		return
	}
	defer rc.Close()
	ct := part.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.FormatInt(part.Size, 10))
	w.Header().Set("Content-Disposition", `attachment; filename="`+safeFileName(part.Name)+`"`)
	if _, err := io.Copy(w, rc); err != nil {
		// The status is sent; cutting the connection makes the browser
		// report a failed download instead of keeping a file that does
		// not match its digest.
		p.Logger.ErrorContext(r.Context(), "page download", "err", err, "document", id, "part", ns)
		panic(http.ErrAbortHandler)
	}
}

// safeFileName keeps what is safe in a Content-Disposition filename.
func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
}

func number(e gateway.Envelope) string {
	switch {
	case e.Number != "" && e.Notation != "":
		return e.Number + "/" + e.Notation
	case e.Number != "":
		return e.Number
	}
	return e.Notation
}

func shortTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(vietnam).Format("02/01/2006 15:04")
}

// agencyPageSize keeps the registry page readable; a province has 400+
// units, so the page filters by parent and pages on.
const agencyPageSize = 100

type directoryRow struct {
	Code, Name, Parent, Status, Since string
	Active                            bool
}

// agenciesView is the registry page: the filter as given and one page.
type agenciesView struct {
	Parent string
	Status string
	Rows   []directoryRow
	Next   string
}

// handleAgencies lists the registry so a clerk can look up whose code is
// whose; filters are a GET form, so the page works without scripts and a
// filtered list can be bookmarked.
func (p *Pages) handleAgencies(w http.ResponseWriter, r *http.Request, pg *page) {
	pg.Title = pg.T("agencies.title")
	q := r.URL.Query()
	f := gateway.AgencyFilter{ParentCode: strings.TrimSpace(q.Get("parent")), Status: gateway.AgencyStatus(q.Get("status")),
		After: q.Get("after"), Limit: agencyPageSize}
	list, next, err := p.Auth.Agencies(r.Context(), f)
	if err != nil {
		p.useCaseError(w, r, pg, err)
		return
	}
	v := &agenciesView{Parent: f.ParentCode, Status: string(f.Status)}
	for _, a := range list {
		v.Rows = append(v.Rows, directoryRow{
			Code: a.Code, Name: a.Name, Parent: a.ParentCode, Active: a.Status == gateway.AgencyActive,
			Status: lookupOr(pg, "agency."+string(a.Status), string(a.Status)), Since: shortTime(a.CreatedAt),
		})
	}
	if next != "" {
		nq := url.Values{"after": {next}}
		if f.ParentCode != "" {
			nq.Set("parent", f.ParentCode)
		}
		if f.Status != "" {
			nq.Set("status", string(f.Status))
		}
		v.Next = "/agencies?" + nq.Encode()
	}
	pg.Agencies = v
	p.render(w, r, http.StatusOK, "agencies.html", pg)
}
