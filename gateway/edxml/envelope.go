package edxml

import (
	"time"

	"docgate/gateway"
)

// Envelope is what the exchange needs from a package, in neutral terms: the
// exchange maps it onto the gateway's domain types. Codes are kept exactly as
// written in the package; StandardCode says which have the standard shape.
type Envelope struct {
	From              string
	To                []string
	CodeNumber        string
	CodeNotation      string
	Subject           string
	Content           string
	DocumentType      string // the type's name when given, else its number
	PromulgationPlace string
	PromulgationDate  time.Time
	Signer            string // the signer's full name
	SignerPosition    string
	DueDate           time.Time
	Priority          string
	Business          gateway.BusinessType
	DocumentID        string // the package's own DocumentId
	Refers            string // for a recall, update or replace: the document it acts on
	SteeringType      string
	Attachments       []AttachmentInfo
}

// Envelope extracts the fields the exchange uses. For a recall, update or
// replace, Refers is the Bussiness DocumentId, else the first replaced
// document, else the package's own DocumentId (a recall carries the id of
// the document it takes back).
func (p *Package) Envelope() Envelope {
	h := &p.Header
	e := Envelope{
		From:              h.From.OrganID,
		CodeNumber:        h.Code.Number,
		CodeNotation:      h.Code.Notation,
		Subject:           h.Subject,
		Content:           h.Content,
		DocumentType:      h.DocumentType.TypeName,
		PromulgationPlace: h.Promulgation.Place,
		PromulgationDate:  h.Promulgation.Date,
		Signer:            h.Signer.FullName,
		SignerPosition:    h.Signer.Position,
		DueDate:           h.DueDate,
		Priority:          h.Other.Priority,
		Business:          gateway.BusinessNew,
		DocumentID:        h.DocumentID,
		SteeringType:      h.SteeringType,
		Attachments:       append([]AttachmentInfo(nil), p.Attachments...),
	}
	if e.DocumentType == "" {
		e.DocumentType = h.DocumentType.Type
	}
	for _, to := range h.To {
		e.To = append(e.To, to.OrganID)
	}
	if b := p.Business; b != nil && b.Type != "" {
		e.Business = b.Type
		if b.Type != gateway.BusinessNew {
			switch {
			case b.DocumentID != "":
				e.Refers = b.DocumentID
			case len(b.Replacements) > 0 && b.Replacements[0].DocumentID != "":
				e.Refers = b.Replacements[0].DocumentID
			default:
				e.Refers = h.DocumentID
			}
		}
	}
	return e
}

// StandardCode reports whether an agency code has the standard hierarchical
// shape AAA.BB.CC.DDD (e.g. 000.00.00.H41). Packages in the field also carry
// shorter legacy codes such as 28.22.H17, which the reader keeps as written.
func StandardCode(code string) bool {
	return gateway.AgencyCodeRule{}.Validate(code) == nil
}
