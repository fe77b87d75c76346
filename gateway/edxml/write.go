package edxml

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"docgate/gateway"
)

// Encode writes pkg as an edXML package: every element edXML:-prefixed, dates
// as yyyy/MM/dd and timestamps as yyyy/MM/dd HH:mm:ss in Vietnam time, text
// trimmed, and bodies[i] base64-encoded (76-character lines) as the content
// of pkg.Attachments[i], read as it is written so that no attachment is held
// in memory. pkg.Signature, if set, is copied as it is; it will not verify
// over the new bytes. Errors: EINVALID when pkg lacks a required field, has a
// value XML cannot carry, or len(bodies) differs from len(pkg.Attachments);
// otherwise the error of w or of a body, wrapped.
func Encode(w io.Writer, pkg *Package, bodies []io.Reader) error {
	if err := pkg.Validate(); err != nil {
		return err
	}
	if len(bodies) != len(pkg.Attachments) {
		return gateway.Errorf(gateway.EINVALID, "%d attachment bodies for %d attachments: give one body per attachment", len(bodies), len(pkg.Attachments))
	}
	seen := map[string]bool{}
	for i, a := range pkg.Attachments {
		if strings.TrimSpace(a.ContentID) == "" {
			return gateway.Errorf(gateway.EINVALID, "attachment %d has no ContentID", i+1)
		}
		if seen[a.ContentID] {
			return gateway.Errorf(gateway.EINVALID, "attachment ContentID %q is used twice", a.ContentID)
		}
		seen[a.ContentID] = true
	}
	if len(pkg.Signature) > 0 {
		if err := checkSignature(pkg.Signature); err != nil {
			return err
		}
	}
	x := &xw{w: bufio.NewWriter(w)}
	x.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	x.raw(`<edXML:edXML xmlns:edXML="` + Namespace + `">` + "\n")
	x.depth = 1
	x.open("edXMLEnvelope")
	x.open("edXMLHeader")
	x.messageHeader(&pkg.Header)
	if len(pkg.Trace) > 0 || pkg.Business != nil {
		x.open("TraceHeaderList")
		for _, t := range pkg.Trace {
			x.open("TraceHeader")
			x.leaf("OrganId", t.OrganID)
			x.leaf("Timestamp", formatTimestamp(t.Timestamp))
			x.close("TraceHeader")
		}
		if b := pkg.Business; b != nil {
			x.business(b)
		}
		x.close("TraceHeaderList")
	}
	if len(pkg.Signature) > 0 {
		x.indent()
		x.raw(string(bytes.TrimSpace(pkg.Signature)))
		x.raw("\n")
	}
	x.close("edXMLHeader")
	x.open("edXMLBody")
	x.indent()
	x.raw(`<edXML:edXMLManifest version="1.0">` + "\n")
	x.depth++
	for _, r := range pkg.References {
		x.open("Reference")
		x.leaf("ContentId", r.ContentID)
		x.leaf("ContentType", r.ContentType)
		x.leaf("Description", r.Description)
		x.leaf("AttachmentName", r.AttachmentName)
		x.close("Reference")
	}
	x.close("edXMLManifest")
	x.close("edXMLBody")
	x.close("edXMLEnvelope")
	if len(pkg.Attachments) > 0 {
		x.open("AttachmentEncoded")
		for i, a := range pkg.Attachments {
			x.open("Attachment")
			x.leaf("ContentId", a.ContentID)
			x.leaf("AttachmentName", a.Name)
			x.leaf("Description", a.Description)
			x.leaf("ContentType", a.ContentType)
			x.indent()
			x.raw("<edXML:ContentTransferEncoded>\n")
			if x.err == nil {
				if err := x.base64(bodies[i]); err != nil {
					return fmt.Errorf("encode attachment %q: %w", a.ContentID, err)
				}
			}
			x.raw("\n")
			x.indent()
			x.raw("</edXML:ContentTransferEncoded>\n")
			x.close("Attachment")
		}
		x.close("AttachmentEncoded")
	}
	x.depth = 0
	x.raw("</edXML:edXML>\n")
	return x.flush()
}

// EncodeStatus writes st as an edXML status message, with the status fields
// in MessageHeader as the national hub's examples have them. Errors:
// EINVALID when st fails Validate, has no Timestamp or has a value XML cannot
// carry; otherwise the error of w, wrapped.
func EncodeStatus(w io.Writer, st *Status) error {
	if err := st.Validate(); err != nil {
		return err
	}
	if st.Timestamp.IsZero() {
		return gateway.Errorf(gateway.EINVALID, "Timestamp is required: when the status was reached")
	}
	code := strings.TrimSpace(st.Code)
	if len(code) == 1 {
		code = "0" + code
	}
	x := &xw{w: bufio.NewWriter(w)}
	x.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	x.raw(`<edXML:edXML xmlns:edXML="` + Namespace + `">` + "\n")
	x.depth = 1
	x.open("edXMLEnvelope")
	x.open("edXMLHeader")
	x.open("MessageHeader")
	x.organization("From", &st.From)
	x.responseFor(&st.ResponseFor)
	if st.Staff != (StaffInfo{}) {
		x.staff(&st.Staff)
	}
	x.leaf("StatusCode", code)
	x.leaf("Description", st.Description)
	x.leaf("Timestamp", formatTimestamp(st.Timestamp))
	x.close("MessageHeader")
	x.close("edXMLHeader")
	x.close("edXMLEnvelope")
	x.depth = 0
	x.raw("</edXML:edXML>\n")
	return x.flush()
}

// Validate checks what every package must have: a sender's code, at least
// one recipient, each with a code, and a subject or a registry code. Errors:
// EINVALID naming the element to fix.
func (p *Package) Validate() error {
	h := &p.Header
	if strings.TrimSpace(h.From.OrganID) == "" {
		return gateway.Errorf(gateway.EINVALID, "MessageHeader/From/OrganId is required: the sending agency's code, e.g. 000.00.00.H41")
	}
	if len(h.To) == 0 {
		return gateway.Errorf(gateway.EINVALID, "MessageHeader/To is required: at least one recipient")
	}
	for i, to := range h.To {
		if strings.TrimSpace(to.OrganID) == "" {
			return gateway.Errorf(gateway.EINVALID, "MessageHeader/To[%d]/OrganId is required: the recipient agency's code", i+1)
		}
	}
	if strings.TrimSpace(h.Subject) == "" && strings.TrimSpace(h.Code.Number) == "" && strings.TrimSpace(h.Code.Notation) == "" {
		return gateway.Errorf(gateway.EINVALID, "MessageHeader/Subject or MessageHeader/Code is required")
	}
	return nil
}

// checkSignature makes sure a carried signature is one well-formed element,
// so that copying it cannot break the package.
func checkSignature(raw []byte) error {
	d := xml.NewDecoder(bytes.NewReader(raw))
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return gateway.Errorf(gateway.EINVALID, "the Signature to carry is not well-formed XML: %s", strings.TrimPrefix(err.Error(), "xml: "))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if t.Name.Local != "Signature" || roots > 1 {
					return gateway.Errorf(gateway.EINVALID, "the Signature to carry must be one <Signature> element")
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return gateway.Errorf(gateway.EINVALID, "the Signature to carry must be one <Signature> element")
			}
		case xml.ProcInst, xml.Directive:
			return gateway.Errorf(gateway.EINVALID, "the Signature to carry must be one <Signature> element")
		}
	}
	if roots != 1 {
		return gateway.Errorf(gateway.EINVALID, "the Signature to carry must be one <Signature> element")
	}
	return nil
}

// xw writes indented, prefixed elements; the first error sticks and is
// returned by flush.
type xw struct {
	w     *bufio.Writer
	depth int
	err   error
}

func (x *xw) raw(s string) {
	if x.err != nil {
		return
	}
	if _, err := x.w.WriteString(s); err != nil {
		x.err = fmt.Errorf("write edXML: %w", err)
	}
}

func (x *xw) indent() {
	x.raw(strings.Repeat("  ", x.depth))
}

func (x *xw) open(name string) {
	x.indent()
	x.raw("<edXML:" + name + ">\n")
	x.depth++
}

func (x *xw) close(name string) {
	x.depth--
	x.indent()
	x.raw("</edXML:" + name + ">\n")
}

func (x *xw) leaf(name, value string) {
	value = strings.TrimSpace(value)
	if x.err == nil {
		if err := checkText(name, value); err != nil {
			x.err = err
			return
		}
	}
	x.indent()
	x.raw("<edXML:" + name + ">")
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(value)) // a strings.Builder does not fail
	x.raw(b.String())
	x.raw("</edXML:" + name + ">\n")
}

// checkText refuses what XML 1.0 cannot carry rather than let the encoder
// replace it silently.
func checkText(name, s string) error {
	if !utf8.ValidString(s) {
		return gateway.Errorf(gateway.EINVALID, "%s is not valid UTF-8", name)
	}
	for _, r := range s {
		if !(r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			return gateway.Errorf(gateway.EINVALID, "%s contains the character %U, which XML cannot carry", name, r)
		}
	}
	return nil
}

func (x *xw) flush() error {
	if x.err != nil {
		return x.err
	}
	if err := x.w.Flush(); err != nil {
		return fmt.Errorf("write edXML: %w", err)
	}
	return nil
}

func (x *xw) base64(body io.Reader) error {
	lw := &lineWriter{w: x.w}
	enc := base64.NewEncoder(base64.StdEncoding, lw)
	if _, err := io.Copy(enc, body); err != nil {
		return err
	}
	return enc.Close()
}

// lineWriter breaks base64 into 76-character lines, as MIME does, so that
// tools that read lines cope with large attachments.
type lineWriter struct {
	w   io.Writer
	col int
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if l.col == 76 {
			if _, err := l.w.Write([]byte{'\n'}); err != nil {
				return n, err
			}
			l.col = 0
		}
		k := min(76-l.col, len(p))
		if _, err := l.w.Write(p[:k]); err != nil {
			return n, err
		}
		l.col += k
		n += k
		p = p[k:]
	}
	return n, nil
}

func (x *xw) organization(name string, o *Organization) {
	x.open(name)
	x.leaf("OrganId", o.OrganID)
	x.leaf("OrganizationInCharge", o.OrganizationInCharge)
	x.leaf("OrganName", o.OrganName)
	x.leaf("OrganAdd", o.OrganAdd)
	x.leaf("Email", o.Email)
	x.leaf("Telephone", o.Telephone)
	x.leaf("Fax", o.Fax)
	x.leaf("Website", o.Website)
	x.close(name)
}

func (x *xw) responseFor(r *ResponseFor) {
	x.open("ResponseFor")
	x.leaf("OrganId", r.OrganID)
	x.leaf("Code", r.Code)
	x.leaf("PromulgationDate", formatDate(r.PromulgationDate))
	x.leaf("DocumentId", r.DocumentID)
	x.close("ResponseFor")
}

func (x *xw) staff(s *StaffInfo) {
	x.open("StaffInfo")
	x.leaf("Department", s.Department)
	x.leaf("Staff", s.Staff)
	x.leaf("Email", s.Email)
	x.leaf("Mobile", s.Mobile)
	x.close("StaffInfo")
}

func (x *xw) messageHeader(h *MessageHeader) {
	x.open("MessageHeader")
	x.organization("From", &h.From)
	for i := range h.To {
		x.organization("To", &h.To[i])
	}
	x.open("Code")
	x.leaf("CodeNumber", h.Code.Number)
	x.leaf("CodeNotation", h.Code.Notation)
	x.close("Code")
	x.open("PromulgationInfo")
	x.leaf("Place", h.Promulgation.Place)
	x.leaf("PromulgationDate", formatDate(h.Promulgation.Date))
	x.close("PromulgationInfo")
	x.open("DocumentType")
	x.leaf("Type", h.DocumentType.Type)
	x.leaf("TypeDetail", h.DocumentType.TypeDetail)
	x.leaf("TypeName", h.DocumentType.TypeName)
	x.close("DocumentType")
	x.leaf("Subject", h.Subject)
	x.leaf("Content", h.Content)
	x.open("SignerInfo")
	x.leaf("Competence", h.Signer.Competence)
	x.leaf("Position", h.Signer.Position)
	x.leaf("FullName", h.Signer.FullName)
	x.close("SignerInfo")
	if !h.DueDate.IsZero() {
		x.leaf("DueDate", formatDate(h.DueDate))
	}
	if len(h.ToPlaces) > 0 {
		x.open("ToPlaces")
		for _, p := range h.ToPlaces {
			x.leaf("Place", p)
		}
		x.close("ToPlaces")
	}
	if o := &h.Other; o.Priority != "" || o.SphereOfPromulgation != "" || o.TyperNotation != "" || o.PromulgationAmount != "" ||
		o.PageAmount != "" || o.Direction != "" || len(o.Appendixes) > 0 {
		x.open("OtherInfo")
		x.leaf("Priority", o.Priority)
		x.leaf("SphereOfPromulgation", o.SphereOfPromulgation)
		x.leaf("TyperNotation", o.TyperNotation)
		x.leaf("PromulgationAmount", o.PromulgationAmount)
		x.leaf("PageAmount", o.PageAmount)
		x.leaf("Direction", o.Direction)
		if len(o.Appendixes) > 0 {
			x.open("Appendixes")
			for _, a := range o.Appendixes {
				x.leaf("Appendix", a)
			}
			x.close("Appendixes")
		}
		x.close("OtherInfo")
	}
	for i := range h.ResponseFor {
		x.responseFor(&h.ResponseFor[i])
	}
	if h.SteeringType != "" {
		x.leaf("SteeringType", h.SteeringType)
	}
	if h.DocumentID != "" {
		x.leaf("DocumentId", h.DocumentID)
	}
	x.close("MessageHeader")
}

func (x *xw) business(b *Business) {
	x.open("Bussiness")
	code := "0"
	switch b.Type {
	case gateway.BusinessRecall:
		code = "1"
	case gateway.BusinessUpdate:
		code = "2"
	case gateway.BusinessReplace:
		code = "3"
	case "", gateway.BusinessNew:
	default:
		if x.err == nil {
			x.err = gateway.Errorf(gateway.EINVALID, "Bussiness type %q must be new, recall, update or replace", b.Type)
		}
	}
	x.leaf("BussinessDocType", code)
	x.leaf("BussinessDocReason", b.Reason)
	if di := b.DocumentInfo; di != nil {
		x.open("BussinessDocumentInfo")
		x.leaf("DocumentInfo", di.DocumentInfo)
		x.leaf("DocumentReceiver", di.DocumentReceiver)
		if len(di.Receivers) > 0 {
			x.open("ReceiverList")
			for _, r := range di.Receivers {
				x.open("Receiver")
				x.leaf("OrganId", r)
				x.close("Receiver")
			}
			x.close("ReceiverList")
		}
		x.close("BussinessDocumentInfo")
	}
	if b.DocumentID != "" {
		x.leaf("DocumentId", b.DocumentID)
	}
	if b.Paper != "" {
		x.leaf("Paper", b.Paper)
	}
	if b.Staff != (StaffInfo{}) {
		x.staff(&b.Staff)
	}
	if len(b.Replacements) > 0 {
		x.open("ReplacementInfoList")
		for _, r := range b.Replacements {
			x.open("ReplacementInfo")
			x.leaf("DocumentId", r.DocumentID)
			if len(r.OrganIDs) > 0 {
				x.open("OrganIdList")
				for _, o := range r.OrganIDs {
					x.leaf("OrganId", o)
				}
				x.close("OrganIdList")
			}
			x.close("ReplacementInfo")
		}
		x.close("ReplacementInfoList")
	}
	x.close("Bussiness")
}
