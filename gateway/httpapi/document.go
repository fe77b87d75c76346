package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"docgate/gateway"
	"docgate/gateway/edxml"
	"docgate/gateway/exchange"
)

func (s *Server) routeDocuments(r chi.Router) {
	r.Post("/v1/documents", s.handleSubmit)
	r.Get("/v1/inbox", s.handleInbox)
	r.Get("/v1/sent", s.handleSent)
	r.Get("/v1/documents/{id}", s.handleGetDocument)
	r.Get("/v1/documents/{id}/content", s.handleContent)
	r.Get("/v1/documents/{id}/attachments/{n}", s.handleAttachment)
	r.Post("/v1/documents/{id}/ack", s.handleAck)
	r.Post("/v1/documents/{id}/status", s.handleStatus)
	r.Post("/v1/documents/{id}/recall", s.handleRecall)
	r.Get("/v1/documents/{id}/trail", s.handleTrail)
	r.Get("/v1/documents/{id}/receipts", s.handleReceipts)
	r.Get("/v1/documents/{id}/receipts/{rid}", s.handleReceipt)
	r.Get("/v1/documents/{id}/edxml", s.handleEdXML)
	r.Get("/v1/documents/{id}/status/edxml", s.handleStatusEdXML)
}

// exchange returns the use cases, or ENOTIMPL on a server wired without
// them (tests of other resources).
func (s *Server) exchange() (*exchange.Service, error) {
	if s.Exchange == nil {
		return nil, gateway.Errorf(gateway.ENOTIMPL, "this gateway does not exchange documents")
	}
	return s.Exchange, nil
}

// maxEnvelope bounds the envelope part: an edXML header with a thousand
// recipients fits easily.
const maxEnvelope = 8 << 20

// submitResponse is the body of a 201 (or, for a message id used before, a
// 200) answer to POST /v1/documents.
type submitResponse struct {
	ID           string            `json:"id"`
	SHA256       string            `json:"sha256"`
	Receipt      []byte            `json:"receipt"` // base64 DER CMS
	ReceiptID    string            `json:"receiptId"`
	Verification *gateway.Report   `json:"verification,omitempty"`
	Document     *gateway.Document `json:"document"`
}

func (s *Server) handleSubmit(w http.ResponseWriter, r *http.Request) {
	ex, err := s.exchange()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.submit(w, r, ex)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if out.Created {
		status = http.StatusCreated
	}
	w.Header().Set("Location", "/v1/documents/"+out.Document.ID)
	s.writeJSON(w, r, status, submitResponse{ID: out.Document.ID, SHA256: out.Document.PDF.SHA256, Receipt: out.Receipt.CMS,
		ReceiptID: out.Receipt.ID, Verification: out.Document.Verification, Document: out.Document})
}

// submit reads the multipart body part by part, as it arrives: the envelope
// first, then the document, then the attachments, each streamed on to the
// use case. Nothing is parsed into memory beyond the envelope.
func (s *Server) submit(w http.ResponseWriter, r *http.Request, ex *exchange.Service) (*exchange.Submitted, error) {
	if p := gateway.PrincipalFromContext(r.Context()); p == nil || p.Role != gateway.RoleAgency {
		return nil, gateway.Errorf(gateway.EFORBIDDEN, "only an agency's token can send documents")
	}
	lim := ex.Bounds()
	r.Body = http.MaxBytesReader(w, r.Body, maxEnvelope+lim.MaxDocument+int64(lim.MaxAttachments)*lim.MaxAttachment+1<<20)
	mr, err := multipartReader(r)
	if err != nil {
		return nil, err
	}
	part, err := nextPart(mr)
	if err != nil {
		return nil, err
	}
	if part == nil || part.FormName() != "envelope" {
		return nil, gateway.Errorf(gateway.EINVALID, "the first part must be the envelope (JSON or edXML), before the document")
	}
	env, err := readEnvelope(part)
	if err != nil {
		return nil, err
	}
	part, err = nextPart(mr)
	if err != nil {
		return nil, err
	}
	if part == nil || part.FormName() != "document" {
		return nil, gateway.Errorf(gateway.EINVALID, "document: the PDF part is missing; send it as the part named document, right after the envelope")
	}
	pdf := &exchange.Upload{Name: part.FileName(), ContentType: part.Header.Get("Content-Type"), Body: bodyReader{part}}
	return ex.Submit(r.Context(), env, pdf, &attachmentParts{mr: mr})
}

// multipartReader reads the body's parts through a large buffer: the
// multipart reader asks for at most 4 KiB at a time, which read straight from
// the connection was a system call per 4 KiB of every upload.
func multipartReader(r *http.Request) (*multipart.Reader, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	// Only form-data: a part's name (envelope, document, attachment) is
	// its Content-Disposition's, which other multipart types do not carry.
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, gateway.Errorf(gateway.EINVALID, "the body must be multipart/form-data with the parts envelope, document and attachment")
	}
	return multipart.NewReader(bufio.NewReaderSize(r.Body, uploadBuffer), params["boundary"]), nil
}

// uploadBuffer is how much of an upload is read from the connection at once.
const uploadBuffer = 256 << 10

// nextPart returns the next part, nil at the end.
func nextPart(mr *multipart.Reader) (*multipart.Part, error) {
	p, err := mr.NextPart()
	if errors.Is(err, io.EOF) {
		return nil, nil
	} else if err != nil {
		return nil, bodyError(err)
	}
	return p, nil
}

// bodyError says what went wrong with the request body in terms the client
// can fix.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return gateway.Errorf(gateway.ETOOLARGE, "the request is larger than %d bytes", mbe.Limit)
	}
	return gateway.Errorf(gateway.EINVALID, "malformed multipart body: %v", err)
}

// bodyReader turns body errors into client errors as the use case reads.
type bodyReader struct{ r io.Reader }

func (b bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		return n, bodyError(err)
	}
	return n, err
}

// attachmentParts hands the remaining parts to the use case one by one.
type attachmentParts struct{ mr *multipart.Reader }

func (a *attachmentParts) Next() (*exchange.Upload, error) {
	p, err := nextPart(a.mr)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, io.EOF
	}
	if p.FormName() != "attachment" {
		return nil, gateway.Errorf(gateway.EINVALID, "unexpected part %q; after the document only parts named attachment may follow", p.FormName())
	}
	return &exchange.Upload{Name: p.FileName(), ContentType: p.Header.Get("Content-Type"), Body: bodyReader{p}}, nil
}

// readEnvelope decodes the envelope part: JSON by default, an edXML package
// when the part says it is XML.
func readEnvelope(p *multipart.Part) (gateway.Envelope, error) {
	mt := ""
	if ct := p.Header.Get("Content-Type"); ct != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			return gateway.Envelope{}, gateway.Errorf(gateway.EINVALID, "envelope: unreadable content type %q", ct)
		}
	}
	body := bodyReader{io.LimitReader(p, maxEnvelope+1)}
	switch {
	case mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
		return edxmlEnvelope(body)
	case mt == "" || mt == "application/json" || mt == "text/plain":
		b, err := io.ReadAll(body)
		if err != nil {
			return gateway.Envelope{}, err
		}
		if len(b) > maxEnvelope {
			return gateway.Envelope{}, gateway.Errorf(gateway.ETOOLARGE, "envelope is larger than %d bytes", maxEnvelope)
		}
		return decodeEnvelope(b)
	default:
		return gateway.Envelope{}, gateway.Errorf(gateway.EINVALID, "envelope: content type must be application/json or application/xml (edXML), not %q", mt)
	}
}

// decodeEnvelope reads a JSON envelope strictly: unknown fields are typos.
func decodeEnvelope(b []byte) (gateway.Envelope, error) {
	var env gateway.Envelope
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD, and the
	// altered subject would then be signed into the receipt.
	if !utf8.Valid(b) {
		return env, gateway.Errorf(gateway.EINVALID, "envelope: the JSON is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return env, gateway.Errorf(gateway.EINVALID, "envelope: %s", gateway.ErrorMessage(decodeError(err, maxEnvelope)))
	}
	// More reports false before a stray } or ]: ask for the end itself.
	if _, err := dec.Token(); err != io.EOF {
		return env, gateway.Errorf(gateway.EINVALID, "envelope: one JSON object expected, found more after it")
	}
	return env, nil
}

// edxmlEnvelope takes the envelope fields of an edXML package. The files
// travel as the multipart document and attachment parts, so a package that
// carries them inline is refused rather than half read.
func edxmlEnvelope(r io.Reader) (gateway.Envelope, error) {
	pkg, err := edxml.ParsePackage(r, edxml.Options{
		MaxHeaderBytes: maxEnvelope,
		Attachment: func(att edxml.AttachmentInfo, _ io.Reader) error {
			return gateway.Errorf(gateway.EINVALID, "envelope: the edXML package carries the attachment %q inline; send files as the document and attachment parts", att.Name)
		},
	})
	if err != nil {
		if code := gateway.ErrorCode(err); code == gateway.EINVALID || code == gateway.ETOOLARGE {
			return gateway.Envelope{}, gateway.Errorf(code, "envelope (edXML): %s", gateway.ErrorMessage(err))
		}
		return gateway.Envelope{}, err
	}
	e := pkg.Envelope()
	env := gateway.Envelope{MessageID: e.DocumentID, From: e.From, To: e.To, Subject: e.Subject, Number: e.CodeNumber,
		Notation: e.CodeNotation, Type: e.DocumentType, Signer: e.Signer, Business: e.Business, Content: e.Content}
	if !e.DueDate.IsZero() {
		due := e.DueDate
		env.DueDate = &due
	}
	if env.Business != "" && env.Business != gateway.BusinessNew {
		env.Replaces = e.Refers
	}
	return env, nil
}

// inboxResponse is the body of GET /v1/inbox.
type inboxResponse struct {
	Items []*gateway.InboxItem `json:"items"`
	// Next is the value of ?before= for the next page; absent on the last.
	Next string `json:"next,omitempty"`
}

func (s *Server) handleInbox(w http.ResponseWriter, r *http.Request) {
	ex, err := s.exchange()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var f gateway.InboxFilter
	q := r.URL.Query()
	if f.Before, f.Limit, err = parsePage(q); err != nil {
		s.writeError(w, r, err)
		return
	}
	if f.DocumentSearch, err = parseSearch(q, time.Now()); err != nil {
		s.writeError(w, r, err)
		return
	}
	f.From = q.Get("from")
	switch v := q.Get("all"); v {
	case "", "false", "0":
	case "true", "1":
		f.All = true
	default:
		s.writeError(w, r, gateway.Errorf(gateway.EINVALID, "all must be true or false"))
		return
	}
	items, err := ex.Inbox(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := inboxResponse{Items: items}
	if len(items) == pageSize(f.Limit) {
		out.Next = strconv.FormatInt(items[len(items)-1].Cursor, 10)
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

func (s *Server) handleGetDocument(w http.ResponseWriter, r *http.Request) {
	ex, err := s.exchange()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := ex.Document(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, v)
}

func (s *Server) handleContent(w http.ResponseWriter, r *http.Request) {
	s.download(w, r, -1)
}

func (s *Server) handleAttachment(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(chi.URLParam(r, "n"))
	if err != nil || n < 0 {
		s.writeError(w, r, gateway.Errorf(gateway.EINVALID, "attachment number must be 0 or more (attachments are numbered from 0)"))
		return
	}
	s.download(w, r, n)
}

// download streams a part. The blob store's reader checks the bytes against
// their digest and fails at the end on a mismatch; by then the headers are
// out, so the connection is cut instead, and the client sees a short body
// rather than bytes it could mistake for the document.
func (s *Server) download(w http.ResponseWriter, r *http.Request, n int) {
	ex, err := s.exchange()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rc, part, err := ex.Open(r.Context(), chi.URLParam(r, "id"), n)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer rc.Close()
	// The type and name are the sender's words: the bytes go out as a file
	// to save, never as a page the browser renders on this origin (a
	// text/html "attachment" would otherwise run its scripts here for any
	// recipient signed in by client certificate).
	h := w.Header()
	ct := part.ContentType
	if n < 0 {
		ct = "application/pdf" // checked to be one at submission
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.FormatInt(part.Size, 10))
	h.Set("X-Content-SHA256", part.SHA256)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	disp := map[string]string{}
	if part.Name != "" {
		disp["filename"] = part.Name
	}
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", disp))
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, rc); err != nil {
		s.Logger.ErrorContext(r.Context(), "download cut off", "err", err, "sha256", part.SHA256, "request_id", RequestID(r.Context()))
		panic(http.ErrAbortHandler)
	}
}

// receiptResponse answers the steps that produce one receipt.
type receiptResponse struct {
	Receipt *gateway.Receipt `json:"receipt"`
	CMS     []byte           `json:"cms"` // base64 DER
}

func (s *Server) writeReceipt(w http.ResponseWriter, r *http.Request, rc *gateway.Receipt) {
	s.writeJSON(w, r, http.StatusOK, receiptResponse{Receipt: rc, CMS: rc.CMS})
}

func (s *Server) handleAck(w http.ResponseWriter, r *http.Request) {
	ex, err := s.exchange()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rc, err := ex.Acknowledge(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeReceipt(w, r, rc)
}

// statusRequest is the body of POST /v1/documents/{id}/status.
type statusRequest struct {
	Status gateway.ProcessingStatus `json:"status"`
	Note   string                   `json:"note"`
}

// Validate checks presence; the use case checks the transition.
func (q *statusRequest) Validate() error {
	if q.Status == "" {
		return gateway.Errorf(gateway.EINVALID, "status is required: received, rejected, accepted, assigned, processing or done")
	}
	return nil
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	ex, err := s.exchange()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var q statusRequest
	if err := s.decodeJSON(w, r, &q); err != nil {
		s.writeError(w, r, err)
		return
	}
	rc, err := ex.ReportStatus(r.Context(), chi.URLParam(r, "id"), q.Status, q.Note)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeReceipt(w, r, rc)
}

// recallRequest is the optional body of POST /v1/documents/{id}/recall.
type recallRequest struct {
	Reason string `json:"reason"`
}

// Validate bounds the reason.
func (q *recallRequest) Validate() error {
	if len(q.Reason) > 2000 {
		return gateway.Errorf(gateway.EINVALID, "reason is longer than 2000 bytes")
	}
	return nil
}

func (s *Server) handleRecall(w http.ResponseWriter, r *http.Request) {
	ex, err := s.exchange()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var q recallRequest
	if err := s.decodeOptionalJSON(w, r, &q); err != nil {
		s.writeError(w, r, err)
		return
	}
	rc, err := ex.Recall(r.Context(), chi.URLParam(r, "id"), q.Reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeReceipt(w, r, rc)
}

// trailResponse is the body of GET /v1/documents/{id}/trail.
type trailResponse struct {
	Events []*exchange.TrailEntry `json:"events"`
}

func (s *Server) handleTrail(w http.ResponseWriter, r *http.Request) {
	ex, err := s.exchange()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := ex.Trail(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, trailResponse{Events: t})
}

// receiptsResponse is the body of GET /v1/documents/{id}/receipts.
type receiptsResponse struct {
	Receipts []receiptResponse `json:"receipts"`
}

func (s *Server) handleReceipts(w http.ResponseWriter, r *http.Request) {
	ex, err := s.exchange()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rs, err := ex.Receipts(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := receiptsResponse{Receipts: []receiptResponse{}}
	for _, rc := range rs {
		out.Receipts = append(out.Receipts, receiptResponse{Receipt: rc, CMS: rc.CMS})
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

// handleReceipt serves one receipt as DER, the form openssl and `docgate
// receipt verify` read.
func (s *Server) handleReceipt(w http.ResponseWriter, r *http.Request) {
	ex, err := s.exchange()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rc, err := ex.Receipt(r.Context(), chi.URLParam(r, "id"), chi.URLParam(r, "rid"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pkcs7-mime; smime-type=signed-data")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": rc.ID + ".p7s"}))
	w.Header().Set("Content-Length", strconv.Itoa(len(rc.CMS)))
	w.Write(rc.CMS)
}

// handleEdXML streams the document as an edXML package. The package is
// written as the blobs are read, so a failure past the first bytes can only
// cut the connection.
func (s *Server) handleEdXML(w http.ResponseWriter, r *http.Request) {
	ex, err := s.exchange()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id := chi.URLParam(r, "id")
	// The headers go out with the first byte: a refusal before it (not
	// found, recalled) is still an ordinary problem+json answer.
	out := &firstWrite{w: w, start: func() {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": id + ".edxml"}))
	}}
	if err := ex.EdXML(r.Context(), id, out); err != nil {
		if out.start != nil {
			s.writeError(w, r, err)
			return
		}
		s.Logger.ErrorContext(r.Context(), "edXML export cut off", "err", err, "document", id, "request_id", RequestID(r.Context()))
		panic(http.ErrAbortHandler)
	}
}

// firstWrite calls start before the first byte goes to w; start is nil once
// it has.
type firstWrite struct {
	w     io.Writer
	start func()
}

func (f *firstWrite) Write(p []byte) (int, error) {
	if f.start != nil {
		f.start()
		f.start = nil
	}
	return f.w.Write(p)
}

// handleStatusEdXML answers the latest status as an edXML status message;
// ?recipient= picks a delivery for the sender and auditors.
func (s *Server) handleStatusEdXML(w http.ResponseWriter, r *http.Request) {
	ex, err := s.exchange()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := ex.StatusEdXML(r.Context(), chi.URLParam(r, "id"), r.URL.Query().Get("recipient"), &buf); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Write(buf.Bytes())
}
