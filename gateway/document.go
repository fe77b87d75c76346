package gateway

import (
	"strings"
	"time"
	"unicode/utf8"
)

// BusinessType says what a document does to earlier ones (edXML
// BussinessDocType).
type BusinessType string

const (
	BusinessNew     BusinessType = "new"
	BusinessRecall  BusinessType = "recall"
	BusinessUpdate  BusinessType = "update"
	BusinessReplace BusinessType = "replace"
)

// Envelope is what the sender says about a document: who it is from and to,
// and the registry data of an official document.
type Envelope struct {
	MessageID string       `json:"messageId,omitempty"` // the sender's idempotency key
	From      string       `json:"from"`
	To        []string     `json:"to"`
	Subject   string       `json:"subject"`
	Number    string       `json:"number,omitempty"`   // CodeNumber, e.g. 7816
	Notation  string       `json:"notation,omitempty"` // CodeNotation, e.g. VPCP-TTĐT
	Type      string       `json:"type,omitempty"`     // document type, e.g. "Công văn"
	Urgency   string       `json:"urgency,omitempty"`  // normal, urgent, express, flash
	DueDate   *time.Time   `json:"dueDate,omitempty"`
	Signer    string       `json:"signer,omitempty"`
	Business  BusinessType `json:"business,omitempty"`
	Replaces  string       `json:"replaces,omitempty"` // id of the document this one replaces or updates
	Content   string       `json:"content,omitempty"`  // summary
}

// Urgency levels accepted in an envelope.
var urgencies = map[string]bool{"": true, "normal": true, "urgent": true, "express": true, "flash": true}

// Validate checks the envelope's own fields. Whether the recipients exist and
// whether From is the caller are the use case's questions.
func (e *Envelope) Validate(rule AgencyCodeRule) error {
	if err := rule.Validate(e.From); err != nil {
		return Errorf(EINVALID, "from: %s", ErrorMessage(err))
	}
	if len(e.To) == 0 {
		return Errorf(EINVALID, "to: at least one recipient is required")
	}
	if len(e.To) > 1000 {
		return Errorf(EINVALID, "to: at most 1000 recipients per document")
	}
	seen := map[string]bool{}
	for _, to := range e.To {
		if err := rule.Validate(to); err != nil {
			return Errorf(EINVALID, "to: %s", ErrorMessage(err))
		}
		if to == e.From {
			return Errorf(EINVALID, "to: %s is the sender", to)
		}
		if seen[to] {
			return Errorf(EINVALID, "to: %s is listed twice", to)
		}
		seen[to] = true
	}
	if strings.TrimSpace(e.Subject) == "" {
		return Errorf(EINVALID, "subject is required")
	}
	for name, v := range map[string]string{"messageId": e.MessageID, "subject": e.Subject, "number": e.Number,
		"notation": e.Notation, "type": e.Type, "signer": e.Signer, "content": e.Content} {
		limit := 1000
		if name == "content" {
			limit = 20000
		}
		if err := CheckText(name, v, limit); err != nil {
			return err
		}
	}
	if !urgencies[e.Urgency] {
		return Errorf(EINVALID, "urgency must be one of normal, urgent, express, flash")
	}
	switch e.Business {
	case "", BusinessNew:
	case BusinessRecall, BusinessUpdate, BusinessReplace:
		if e.Replaces == "" {
			return Errorf(EINVALID, "replaces: a %s must name the document it refers to", e.Business)
		}
	default:
		return Errorf(EINVALID, "business must be one of new, recall, update, replace")
	}
	return nil
}

// CheckText refuses (EINVALID) a text field that is not UTF-8, holds a
// control character other than tab, newline and carriage return (a NUL
// byte no database keeps in text), or is longer than limit bytes.
func CheckText(field, v string, limit int) error {
	if !utf8.ValidString(v) {
		return Errorf(EINVALID, "%s is not valid UTF-8", field)
	}
	for _, r := range v {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return Errorf(EINVALID, "%s holds the control character %U", field, r)
		}
	}
	if len(v) > limit {
		return Errorf(EINVALID, "%s is longer than %d bytes", field, limit)
	}
	return nil
}

// Part is one stored file of a document: the PDF or an attachment.
type Part struct {
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
}

// DocumentState is the sender-side life of a document.
type DocumentState string

const (
	DocumentActive   DocumentState = "active"
	DocumentRecalled DocumentState = "recalled"
	DocumentReplaced DocumentState = "replaced"
)

// Document is a submitted official document.
type Document struct {
	ID           string        `json:"id"`
	Envelope     Envelope      `json:"envelope"`
	PDF          Part          `json:"document"`
	Attachments  []Part        `json:"attachments"`
	Verification *Report       `json:"verification,omitempty"`
	State        DocumentState `json:"state"`
	SubmittedAt  time.Time     `json:"submittedAt"`
}

// ProcessingStatus is what a recipient reports (edXML status codes 01..06).
type ProcessingStatus string

const (
	StatusReceived   ProcessingStatus = "received"   // 01
	StatusRejected   ProcessingStatus = "rejected"   // 02, reason required
	StatusAccepted   ProcessingStatus = "accepted"   // 03
	StatusAssigned   ProcessingStatus = "assigned"   // 04
	StatusProcessing ProcessingStatus = "processing" // 05
	StatusDone       ProcessingStatus = "done"       // 06
)

// statusRank orders the statuses a recipient moves through; a report may skip
// forward, never go back. Rejected and done are final.
var statusRank = map[ProcessingStatus]int{
	"": 0, StatusReceived: 1, StatusAccepted: 2, StatusAssigned: 3, StatusProcessing: 4, StatusDone: 5, StatusRejected: 5,
}

// ValidTransition reports whether a recipient at status from may report to,
// with a message saying why not.
func ValidTransition(from, to ProcessingStatus, reason string) error {
	rt, ok := statusRank[to]
	if !ok || to == "" {
		return Errorf(EINVALID, "status must be one of received, rejected, accepted, assigned, processing, done")
	}
	if to == StatusRejected && strings.TrimSpace(reason) == "" {
		return Errorf(EINVALID, "a rejection needs a reason (note)")
	}
	if from == StatusRejected || from == StatusDone {
		return Errorf(ECONFLICT, "the document is already %s; no further status can be reported", from)
	}
	if to == StatusRejected && from != "" && from != StatusReceived {
		return Errorf(ECONFLICT, "a document already %s can no longer be rejected", from)
	}
	if rt <= statusRank[from] {
		return Errorf(ECONFLICT, "status %s cannot follow %s", to, from)
	}
	return nil
}

// DeliveryState is where a document stands with one recipient.
type DeliveryState string

const (
	DeliveryPending      DeliveryState = "pending"      // in the inbox; push (if any) not yet done
	DeliveryDelivered    DeliveryState = "delivered"    // pushed to the recipient's endpoint
	DeliveryFailed       DeliveryState = "failed"       // push failed after every retry (still in the inbox)
	DeliveryAcknowledged DeliveryState = "acknowledged" // downloaded and acknowledged
	DeliveryRecalled     DeliveryState = "recalled"
)

// Delivery is one document for one recipient.
type Delivery struct {
	DocumentID     string           `json:"documentId"`
	Recipient      string           `json:"recipient"`
	State          DeliveryState    `json:"state"`
	Status         ProcessingStatus `json:"status,omitempty"`
	Attempts       int              `json:"attempts"`
	NextAttemptAt  *time.Time       `json:"nextAttemptAt,omitempty"`
	LastError      string           `json:"lastError,omitempty"`
	AcknowledgedAt *time.Time       `json:"acknowledgedAt,omitempty"`
	UpdatedAt      time.Time        `json:"updatedAt"`
}

// Evidence events (ETSI EN 319 522 names, kept so that auditors recognise
// them).
const (
	EventSubmissionAcceptance      = "SubmissionAcceptance"
	EventSubmissionRejection       = "SubmissionRejection"
	EventContentConsignment        = "ContentConsignment"
	EventContentConsignmentFailure = "ContentConsignmentFailure"
	EventContentHandover           = "ContentHandover"
	EventConsignmentAcceptance     = "ConsignmentAcceptance"
	EventConsignmentRejection      = "ConsignmentRejection"
	EventStatus                    = "ProcessingStatus" // docgate's own: received/assigned/processing/done
	EventRecall                    = "Recall"
)

// Event is one step in a document's trail. Every event carries a receipt.
type Event struct {
	Seq        int64            `json:"seq"`
	DocumentID string           `json:"documentId"`
	Type       string           `json:"type"`
	Actor      string           `json:"actor"`               // agency code, or "gateway"
	Recipient  string           `json:"recipient,omitempty"` // the delivery it concerns
	Status     ProcessingStatus `json:"status,omitempty"`
	Note       string           `json:"note,omitempty"`
	At         time.Time        `json:"at"`
	ReceiptID  string           `json:"receiptId,omitempty"`
	LogIndex   *int64           `json:"logIndex,omitempty"`
}

// Receipt is signed evidence of an event: a DER CMS SignedData whose content
// is the JSON evidence record.
type Receipt struct {
	ID         string    `json:"id"`
	DocumentID string    `json:"documentId"`
	Event      string    `json:"event"`
	CMS        []byte    `json:"-"`
	At         time.Time `json:"at"`
	// Pending is set while the receipt waits for its signature timestamp
	// (the timestamp authority was down when it was signed).
	Pending bool `json:"timestampPending,omitempty"`
}
