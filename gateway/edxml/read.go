package edxml

import (
	"fmt"
	"io"
	"strings"
	"time"

	"docgate/gateway"
)

// ParsePackage reads an edXML package. Attachments are streamed to
// opts.Attachment as they are decoded; the returned Package lists their
// metadata and sizes. Errors: EINVALID for malformed XML (naming the line),
// a missing required field (naming it) or an unreadable value; ETOOLARGE when
// a limit of opts is exceeded; an error of the sink or the reader, wrapped.
func ParsePackage(r io.Reader, opts Options) (*Package, error) {
	opts = opts.withDefaults()
	root, err := parseTree(r, opts, func(root *node) error {
		// Attachments follow the envelope: when the MessageHeader is
		// complete, refuse a bad one before the sink stores anything.
		_, hdr, err := header(root)
		if err != nil {
			return nil // not there yet; the full check follows the parse
		}
		if mh := hdr.child("MessageHeader"); mh != nil && mh.closed {
			m := &mapper{}
			pkg := &Package{Header: m.messageHeader(mh)}
			if m.err != nil {
				return m.err
			}
			return validatePackage(pkg, mh, opts)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	_, hdr, err := header(root)
	if err != nil {
		return nil, err
	}
	mh := hdr.child("MessageHeader")
	if mh == nil {
		return nil, gateway.Errorf(gateway.EINVALID, "edXMLHeader (line %d) has no MessageHeader", hdr.line)
	}
	m := &mapper{}
	pkg := &Package{Header: m.messageHeader(mh)}
	if sig := hdr.child("Signature"); sig != nil {
		pkg.Signature = sig.raw
	}
	if tl := hdr.child("TraceHeaderList"); tl != nil {
		for _, th := range tl.children("TraceHeader") {
			pkg.Trace = append(pkg.Trace, TraceHeader{
				OrganID:   th.str("OrganId"),
				Timestamp: m.timestamp(th, "Timestamp", "TraceHeader/Timestamp"),
			})
		}
		if b := tl.child("Bussiness"); b != nil {
			pkg.Business = m.business(b)
		}
	}
	pkg.References = references(root)
	for _, a := range attachmentNodes(root) {
		info := attachmentInfo(a, pkg.References)
		info.Size = a.child("ContentTransferEncoded").sizeOrZero()
		pkg.Attachments = append(pkg.Attachments, info)
	}
	if m.err != nil {
		return nil, m.err
	}
	if err := validatePackage(pkg, mh, opts); err != nil {
		return nil, err
	}
	return pkg, nil
}

// ParseStatus reads an edXML status message. The status fields may sit in
// MessageHeader (as the national hub's examples have them) or in a Status
// element. Errors: EINVALID for malformed XML, a missing From/OrganId,
// ResponseFor or StatusCode, an unknown StatusCode, or a rejection (02)
// without a Description; ETOOLARGE when a limit of opts is exceeded.
func ParseStatus(r io.Reader, opts Options) (*Status, error) {
	opts = opts.withDefaults()
	root, err := parseTree(r, opts, nil)
	if err != nil {
		return nil, err
	}
	_, hdr, err := header(root)
	if err != nil {
		return nil, err
	}
	sn := hdr.child("Status")
	if sn == nil {
		sn = hdr.child("MessageHeader")
	}
	if sn == nil {
		return nil, gateway.Errorf(gateway.EINVALID, "edXMLHeader (line %d) has no Status or MessageHeader", hdr.line)
	}
	m := &mapper{}
	st := &Status{
		From:        organization(sn.child("From")),
		Staff:       staff(sn.child("StaffInfo")),
		Code:        sn.str("StatusCode"),
		Description: sn.str("Description"),
		Timestamp:   m.timestamp(sn, "Timestamp", "Timestamp"),
	}
	if rf := sn.child("ResponseFor"); rf != nil {
		st.ResponseFor = m.responseFor(rf)
	}
	if m.err != nil {
		return nil, m.err
	}
	if err := st.Validate(); err != nil {
		return nil, err
	}
	return st, nil
}

// header finds edXMLEnvelope and edXMLHeader; the root may be edXML or, in
// some systems' output, the envelope itself.
func header(root *node) (env, hdr *node, err error) {
	env = root
	if root.local == "edXML" {
		env = root.child("edXMLEnvelope")
	}
	if env == nil {
		return nil, nil, gateway.Errorf(gateway.EINVALID, "the edXML root (line %d) has no edXMLEnvelope", root.line)
	}
	hdr = env.child("edXMLHeader")
	if hdr == nil {
		return nil, nil, gateway.Errorf(gateway.EINVALID, "edXMLEnvelope (line %d) has no edXMLHeader", env.line)
	}
	return env, hdr, nil
}

// mapper turns nodes into values and keeps the first value it could not read.
type mapper struct {
	err error
}

func (m *mapper) timeOf(n *node, local, field string) (time.Time, *node) {
	c := n.child(local)
	if c == nil {
		return time.Time{}, nil
	}
	t, ok := ParseTime(string(c.text))
	if !ok && m.err == nil {
		m.err = gateway.Errorf(gateway.EINVALID, "%s %q at line %d is not a date: write yyyy/MM/dd (or yyyy/MM/dd HH:mm:ss)", field, strings.TrimSpace(string(c.text)), c.line)
	}
	return t, c
}

// date reads a calendar date; a time of day, if written, is dropped so that
// dates read the same however they were written.
func (m *mapper) date(n *node, local, field string) time.Time {
	t, _ := m.timeOf(n, local, field)
	if t.IsZero() {
		return t
	}
	y, mo, d := t.Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, vietnam)
}

// timestamp reads a time to the second, the precision edXML writes.
func (m *mapper) timestamp(n *node, local, field string) time.Time {
	t, _ := m.timeOf(n, local, field)
	return t.Truncate(time.Second)
}

func (m *mapper) messageHeader(mh *node) MessageHeader {
	h := MessageHeader{
		From:         organization(mh.child("From")),
		Subject:      mh.str("Subject"),
		Content:      mh.str("Content"),
		DueDate:      m.date(mh, "DueDate", "DueDate"),
		SteeringType: mh.str("SteeringType"),
		DocumentID:   mh.str("DocumentId"),
	}
	for _, to := range mh.children("To") {
		h.To = append(h.To, organization(to))
	}
	if c := mh.child("Code"); c != nil {
		h.Code = Code{Number: c.str("CodeNumber"), Notation: c.str("CodeNotation")}
	}
	if pi := mh.child("PromulgationInfo"); pi != nil {
		h.Promulgation = PromulgationInfo{Place: pi.str("Place"), Date: m.date(pi, "PromulgationDate", "PromulgationInfo/PromulgationDate")}
	}
	if dt := mh.child("DocumentType"); dt != nil {
		h.DocumentType = DocumentType{Type: dt.str("Type"), TypeDetail: dt.str("TypeDetail"), TypeName: dt.str("TypeName")}
	}
	if si := mh.child("SignerInfo"); si != nil {
		h.Signer = SignerInfo{Competence: si.str("Competence"), Position: si.str("Position"), FullName: si.str("FullName")}
	}
	h.ToPlaces = texts(mh.child("ToPlaces").children("Place"))
	if oi := mh.child("OtherInfo"); oi != nil {
		h.Other = OtherInfo{
			Priority:             oi.str("Priority"),
			SphereOfPromulgation: oi.str("SphereOfPromulgation"),
			TyperNotation:        oi.str("TyperNotation"),
			PromulgationAmount:   oi.str("PromulgationAmount"),
			PageAmount:           oi.str("PageAmount"),
			Direction:            oi.str("Direction"),
			Appendixes:           texts(oi.child("Appendixes").children("Appendix")),
		}
	}
	for _, rf := range mh.children("ResponseFor") {
		r := m.responseFor(rf)
		if r != (ResponseFor{}) {
			// Systems write an all-empty ResponseFor when there is none.
			h.ResponseFor = append(h.ResponseFor, r)
		}
	}
	return h
}

func (m *mapper) responseFor(rf *node) ResponseFor {
	return ResponseFor{
		OrganID:          rf.str("OrganId"),
		Code:             rf.str("Code"),
		PromulgationDate: m.date(rf, "PromulgationDate", "ResponseFor/PromulgationDate"),
		DocumentID:       rf.str("DocumentId"),
	}
}

func (m *mapper) business(b *node) *Business {
	out := &Business{
		Reason:     b.str("BussinessDocReason"),
		DocumentID: b.str("DocumentId"),
		Staff:      staff(b.child("StaffInfo")),
		Paper:      b.str("Paper"),
	}
	c := b.child("BussinessDocType")
	switch v := c.value(); v {
	case "", "0":
		out.Type = gateway.BusinessNew
	case "1":
		out.Type = gateway.BusinessRecall
	case "2":
		out.Type = gateway.BusinessUpdate
	case "3":
		out.Type = gateway.BusinessReplace
	default:
		if m.err == nil {
			m.err = gateway.Errorf(gateway.EINVALID, "Bussiness/BussinessDocType %q at line %d must be 0 (new), 1 (recall), 2 (update) or 3 (replace)", v, c.line)
		}
	}
	if di := b.child("BussinessDocumentInfo"); di != nil {
		out.DocumentInfo = &BusinessDocumentInfo{
			DocumentInfo:     di.str("DocumentInfo"),
			DocumentReceiver: di.str("DocumentReceiver"),
		}
		for _, rc := range di.child("ReceiverList").children("Receiver") {
			out.DocumentInfo.Receivers = append(out.DocumentInfo.Receivers, rc.str("OrganId"))
		}
	}
	for _, ri := range b.child("ReplacementInfoList").children("ReplacementInfo") {
		out.Replacements = append(out.Replacements, ReplacementInfo{
			DocumentID: ri.str("DocumentId"),
			OrganIDs:   texts(ri.child("OrganIdList").children("OrganId")),
		})
	}
	return out
}

func organization(n *node) Organization {
	return Organization{
		OrganID:              n.str("OrganId"),
		OrganizationInCharge: n.str("OrganizationInCharge"),
		OrganName:            n.str("OrganName"),
		OrganAdd:             n.str("OrganAdd"),
		Email:                n.str("Email"),
		Telephone:            n.str("Telephone"),
		Fax:                  n.str("Fax"),
		Website:              n.str("Website"),
	}
}

func staff(n *node) StaffInfo {
	return StaffInfo{Department: n.str("Department"), Staff: n.str("Staff"), Mobile: n.str("Mobile"), Email: n.str("Email")}
}

// texts is the non-empty values of nodes; an empty Place or Appendix says
// nothing.
func texts(ns []*node) []string {
	var out []string
	for _, n := range ns {
		if v := n.value(); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (n *node) sizeOrZero() int64 {
	if n == nil {
		return 0
	}
	return n.size
}

// references reads the body manifest.
func references(root *node) []Reference {
	_, hdr, err := header(root)
	if err != nil {
		return nil
	}
	var out []Reference
	for _, r := range hdr.parent.child("edXMLBody").child("edXMLManifest").children("Reference") {
		out = append(out, Reference{
			ContentID:      r.str("ContentId"),
			ContentType:    r.str("ContentType"),
			Description:    r.str("Description"),
			AttachmentName: r.str("AttachmentName"),
		})
	}
	return out
}

// attachmentNodes lists the attachments the parser streamed (see
// isAttachment), in document order.
func attachmentNodes(root *node) []*node {
	var out []*node
	var walk func(n *node, depth int)
	walk = func(n *node, depth int) {
		for _, k := range n.kids {
			if isAttachment(root, k) {
				out = append(out, k)
			} else if depth < 2 {
				walk(k, depth+1)
			}
		}
	}
	walk(root, 0)
	return out
}

// attachmentInfo reads an Attachment element's metadata (those children that
// have been read so far, when called while streaming) and fills what it
// leaves empty from the manifest.
func attachmentInfo(a *node, refs []Reference) AttachmentInfo {
	info := AttachmentInfo{
		ContentID:   a.str("ContentId"),
		Name:        a.str("AttachmentName"),
		ContentType: a.str("ContentType"),
		Description: a.str("Description"),
	}
	for _, r := range refs {
		if r.ContentID == "" || r.ContentID != info.ContentID {
			continue
		}
		if info.Name == "" {
			info.Name = r.AttachmentName
		}
		if info.ContentType == "" {
			info.ContentType = r.ContentType
		}
		if info.Description == "" {
			info.Description = r.Description
		}
		break
	}
	return info
}

// validatePackage checks what every package must have; the messages name the
// element to fix.
func validatePackage(pkg *Package, mh *node, opts Options) error {
	h := &pkg.Header
	line := func(local string) string {
		if c := mh.child(local); c != nil {
			return fmt.Sprintf(" (line %d)", c.line)
		}
		return fmt.Sprintf(" (MessageHeader at line %d)", mh.line)
	}
	if h.From.OrganID == "" {
		return gateway.Errorf(gateway.EINVALID, "MessageHeader/From/OrganId is required%s: the sending agency's code, e.g. 000.00.00.H41", line("From"))
	}
	if len(h.To) == 0 {
		return gateway.Errorf(gateway.EINVALID, "MessageHeader/To is required%s: at least one recipient", line("To"))
	}
	if len(h.To) > opts.MaxRecipients {
		return gateway.Errorf(gateway.ETOOLARGE, "MessageHeader has %d To elements; at most %d recipients per package", len(h.To), opts.MaxRecipients)
	}
	tos := mh.children("To")
	for i, to := range h.To {
		if to.OrganID == "" {
			return gateway.Errorf(gateway.EINVALID, "MessageHeader/To[%d]/OrganId is required (line %d): the recipient agency's code", i+1, tos[i].line)
		}
	}
	if h.Subject == "" && h.Code.Number == "" && h.Code.Notation == "" {
		return gateway.Errorf(gateway.EINVALID, "MessageHeader/Subject or MessageHeader/Code is required%s", line("Subject"))
	}
	return nil
}
