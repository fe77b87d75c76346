package web

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"docgate/gateway/evidence"
)

// maxReceipt bounds a receipt read into memory: evidence.Verify takes the
// whole DER, and a real receipt (record, seal chain, timestamp token) is a
// few kilobytes, so anything near this is not a receipt.
const maxReceipt = 1 << 20

// receiptView is a verified (or rejected) receipt put into words.
type receiptView struct {
	Valid       bool
	Class       string
	Title       string
	Text        string
	Problem     string // why it is not valid, from the verifier
	FileName    string
	Event       string
	EventCode   string
	EventText   string
	EventTime   string
	Submitted   string
	DocumentID  string
	MessageID   string
	Sender      string
	Recipients  string
	Number      string
	Subject     string
	DocName     string
	DocDigest   string
	Attachments []evidence.PartDigest
	Status      string
	Reasons     []string
	Issuer      string
	Policy      string
	EvidenceID  string
	Previous    string
	Signer      string
	Timestamp   string
	TSA         string
	NoTimestamp bool
}

// looksLikeDER says whether the upload may be a receipt: DER CMS starts with
// a SEQUENCE tag (0x30) and a long-form length.
func looksLikeDER(r io.ReaderAt) bool {
	var b [2]byte
	if n, _ := r.ReadAt(b[:], 0); n < 2 {
		return false
	}
	return b[0] == 0x30 && b[1] >= 0x80
}

// handleReceipt verifies a receipt spooled to f against ReceiptRoots.
func (p *Pages) handleReceipt(w http.ResponseWriter, r *http.Request, f *os.File, name string, size int64) {
	if p.ReceiptRoots == nil {
		p.formError(w, r, http.StatusUnprocessableEntity, "err.noreceipts", name)
		return
	}
	if size > maxReceipt {
		p.formError(w, r, http.StatusUnsupportedMediaType, "err.notpdf", name)
		return
	}
	der := make([]byte, size)
	if _, err := f.ReadAt(der, 0); err != nil && !errors.Is(err, io.EOF) {
		id := requestID(w)
		p.Logger.ErrorContext(r.Context(), "read spooled receipt", "err", err, "request_id", id)
		p.formError(w, r, http.StatusInternalServerError, "err.internal", id)
		return
	}
	v, err := evidence.VerifyWith(der, evidence.VerifyOptions{Roots: p.ReceiptRoots, Seals: p.ReceiptSeals})
	if errors.Is(err, evidence.ErrUnreadable) {
		p.formError(w, r, http.StatusUnprocessableEntity, "err.receipt.unreadable", name)
		return
	}
	pg := p.newPage(w, r, "receipt.title")
	rv := &receiptView{FileName: name}
	pg.Receipt = rv
	if err != nil {
		// A receipt that parses but fails is an answer, not an error: the
		// auditor needs to read why.
		rv.Class, rv.Title, rv.Text = "bad", pg.T("receipt.invalid"), pg.T("receipt.invalid.text")
		rv.Problem = err.Error()
		p.render(w, r, http.StatusOK, "receipt.html", pg)
		return
	}
	rec := v.Record
	*rv = receiptView{
		Valid: true, Class: "ok", Title: pg.T("receipt.valid"), Text: pg.T("receipt.valid.text"), FileName: name,
		EventCode: rec.Event, Event: lookupOr(pg, "event."+rec.Event, rec.Event), EventText: lookupOr(pg, "event."+rec.Event+".text", ""),
		EventTime: vnTime(pg, rec.EventTime), Submitted: vnTime(pg, rec.SubmissionTime),
		DocumentID: rec.DocumentID, MessageID: rec.MessageID, Sender: rec.Sender, Recipients: strings.Join(rec.Recipients, ", "),
		Number: rec.Number, Subject: rec.Subject, DocName: rec.Document.Name, DocDigest: rec.Document.Digest,
		Attachments: rec.Attachments, Status: rec.Status, Reasons: rec.Reasons, Issuer: rec.Issuer, Policy: rec.PolicyID,
		EvidenceID: rec.EvidenceID, Previous: rec.Previous, Signer: v.Signer.Subject.String(),
	}
	if v.TimestampTime.IsZero() {
		rv.NoTimestamp = true
	} else {
		rv.Timestamp = vnTime(pg, v.TimestampTime)
		rv.TSA = v.TSA.Subject.String()
	}
	p.render(w, r, http.StatusOK, "receipt.html", pg)
}

func vnTime(pg *page, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(vietnam).Format("02/01/2006 15:04:05") + " (" + pg.T("sig.vntime") + ", UTC+07:00)"
}
