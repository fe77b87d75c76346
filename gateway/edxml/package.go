package edxml

import (
	"time"

	"docgate/gateway"
)

// Namespace is the XML namespace of QCVN 102:2016 elements.
const Namespace = "http://www.mic.gov.vn/TBT/QCVN_102_2016"

// Package is an edXML package: the message header, the trace of hops the
// package took, the business information, the header's signature, the
// manifest of the body and the metadata of the attachments. The attachments'
// bytes are not part of it: the reader streams them to Options.Attachment and
// Encode takes them as readers.
type Package struct {
	Header      MessageHeader
	Trace       []TraceHeader
	Business    *Business // the Bussiness element of TraceHeaderList; nil when absent
	Signature   []byte    // the header's XML-DSig Signature element, raw and NOT verified
	References  []Reference
	Attachments []AttachmentInfo
}

// MessageHeader is the registry data of an official document.
type MessageHeader struct {
	From         Organization
	To           []Organization
	Code         Code
	Promulgation PromulgationInfo
	DocumentType DocumentType
	Subject      string
	Content      string
	Signer       SignerInfo
	DueDate      time.Time // zero when absent
	ToPlaces     []string
	Other        OtherInfo
	ResponseFor  []ResponseFor
	SteeringType string // 0/1 as written; its meaning is unconfirmed
	DocumentID   string // {OrganId},{yyyy/MM/dd},{number}/{notation} by convention, kept as written
}

// Organization is a sender or recipient. OrganID is kept exactly as written:
// real packages carry codes in more than one shape (see StandardCode).
type Organization struct {
	OrganID              string
	OrganizationInCharge string
	OrganName            string
	OrganAdd             string
	Email                string
	Telephone            string
	Fax                  string
	Website              string
}

// Code is the document's registry number and notation (7816 / VPCP-TTĐT).
type Code struct {
	Number   string
	Notation string
}

// PromulgationInfo says where and when the document was issued.
type PromulgationInfo struct {
	Place string
	Date  time.Time // a date at midnight, Vietnam time; zero when absent
}

// DocumentType is the kind of document; numbers differ between SDKs, so
// they are kept as written alongside the name.
type DocumentType struct {
	Type       string
	TypeDetail string
	TypeName   string
}

// SignerInfo names the person who signed the document.
type SignerInfo struct {
	Competence string
	Position   string
	FullName   string
}

// OtherInfo carries the remaining registry fields, kept as written.
type OtherInfo struct {
	Priority             string
	SphereOfPromulgation string
	TyperNotation        string
	PromulgationAmount   string
	PageAmount           string
	Direction            string
	Appendixes           []string
}

// ResponseFor names the document a message answers.
type ResponseFor struct {
	OrganID          string
	Code             string
	PromulgationDate time.Time
	DocumentID       string
}

// TraceHeader is one hop of the package.
type TraceHeader struct {
	OrganID   string
	Timestamp time.Time
}

// Business says what the package does to earlier documents (new, recall,
// update, replace) and who handled it.
type Business struct {
	Type         gateway.BusinessType // from BussinessDocType 0..3
	Reason       string
	DocumentInfo *BusinessDocumentInfo // nil when absent
	DocumentID   string
	Staff        StaffInfo
	Paper        string
	Replacements []ReplacementInfo
}

// BusinessDocumentInfo says which parts of an update changed. Its children
// are not settled across SDKs (unconfirmed); the reader keeps the ones below.
type BusinessDocumentInfo struct {
	DocumentInfo     string
	DocumentReceiver string
	Receivers        []string // ReceiverList/Receiver/OrganId
}

// ReplacementInfo names a document replaced by this one and the agencies it
// went to.
type ReplacementInfo struct {
	DocumentID string
	OrganIDs   []string // OrganIdList/OrganId
}

// StaffInfo names the clerk who handled a package or a status.
type StaffInfo struct {
	Department string
	Staff      string
	Mobile     string
	Email      string
}

// Reference is an entry of the body manifest.
type Reference struct {
	ContentID      string
	ContentType    string
	Description    string
	AttachmentName string
}

// AttachmentInfo describes an attachment of AttachmentEncoded. Fields the
// Attachment element leaves empty are filled from the manifest Reference
// with the same ContentID.
type AttachmentInfo struct {
	ContentID   string
	Name        string
	ContentType string
	Description string
	Size        int64 // decoded bytes; set by the reader, ignored by the writer
}

// Status is an edXML status message: a recipient's report on a document it
// received.
type Status struct {
	ResponseFor ResponseFor
	From        Organization
	Staff       StaffInfo
	Code        string // StatusCode as written, e.g. "01"
	Description string
	Timestamp   time.Time
}

// AddAttachment lists an attachment and its manifest Reference together,
// the way the writer's readers expect to find them.
func (p *Package) AddAttachment(att AttachmentInfo) {
	p.Attachments = append(p.Attachments, att)
	p.References = append(p.References, Reference{
		ContentID:      att.ContentID,
		ContentType:    att.ContentType,
		Description:    att.Description,
		AttachmentName: att.Name,
	})
}
