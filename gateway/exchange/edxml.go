package exchange

import (
	"context"
	"fmt"
	"io"

	"docgate/gateway"
	"docgate/gateway/edxml"
)

// EdXML writes a document as an edXML package: the header from its envelope,
// one trace hop for the gateway, and the PDF and attachments base64-encoded,
// streamed from the blob store one after the other. Bytes that no longer
// match their digest fail the write (EINTEGRITY) before the package ends.
func (s *Service) EdXML(ctx context.Context, id string, w io.Writer) error {
	v, err := s.load(ctx, id)
	if err != nil {
		return err
	}
	if err := v.contentWithheld(); err != nil {
		return err
	}
	d := v.doc
	e := d.Envelope
	pkg := &edxml.Package{Header: edxml.MessageHeader{
		From:       edxml.Organization{OrganID: e.From},
		Code:       edxml.Code{Number: e.Number, Notation: e.Notation},
		Subject:    e.Subject,
		Content:    e.Content,
		Signer:     edxml.SignerInfo{FullName: e.Signer},
		DocumentID: e.MessageID,
		Other:      edxml.OtherInfo{Priority: e.Urgency},
	}, Trace: []edxml.TraceHeader{{OrganID: e.From, Timestamp: d.SubmittedAt}}}
	if pkg.Header.DocumentID == "" {
		pkg.Header.DocumentID = d.ID
	}
	if e.Type != "" {
		pkg.Header.DocumentType = edxml.DocumentType{TypeName: e.Type}
	}
	if e.DueDate != nil {
		pkg.Header.DueDate = *e.DueDate
	}
	for _, to := range e.To {
		pkg.Header.To = append(pkg.Header.To, edxml.Organization{OrganID: to})
	}
	if e.Business != "" && e.Business != gateway.BusinessNew {
		pkg.Business = &edxml.Business{Type: e.Business, DocumentID: e.Replaces}
	}
	parts := append([]gateway.Part{d.PDF}, d.Attachments...)
	bodies := make([]io.Reader, len(parts))
	var opened []io.Closer
	defer func() {
		for _, c := range opened {
			c.Close()
		}
	}()
	for i, p := range parts {
		pkg.AddAttachment(edxml.AttachmentInfo{ContentID: fmt.Sprintf("part%d", i), Name: p.Name, ContentType: p.ContentType, Description: p.SHA256})
		bodies[i] = &lazyBlob{open: func() (io.ReadCloser, error) {
			rc, _, err := s.Blobs.Get(ctx, p.SHA256)
			if err == nil {
				opened = append(opened, rc)
			}
			return rc, err
		}}
	}
	return edxml.Encode(w, pkg, bodies)
}

// lazyBlob opens a blob at its first read, so that a package with many
// attachments holds one open blob at a time rather than all of them.
type lazyBlob struct {
	open func() (io.ReadCloser, error)
	rc   io.ReadCloser
}

func (l *lazyBlob) Read(p []byte) (int, error) {
	if l.rc == nil {
		rc, err := l.open()
		if err != nil {
			return 0, err
		}
		l.rc = rc
	}
	n, err := l.rc.Read(p)
	if err == io.EOF {
		l.rc.Close()
	}
	return n, err
}

// StatusEdXML writes the latest processing status of one delivery as an
// edXML status message. recipient chooses the delivery; empty means the
// caller's own, or for the sender and auditors the latest reported.
// ENOTFOUND when no status has been reported.
func (s *Service) StatusEdXML(ctx context.Context, id, recipient string, w io.Writer) error {
	v, err := s.load(ctx, id)
	if err != nil {
		return err
	}
	if v.recipient != nil && !v.sender {
		if recipient != "" && recipient != v.recipient.Recipient {
			return gateway.Errorf(gateway.EFORBIDDEN, "a recipient sees only its own status")
		}
		recipient = v.recipient.Recipient
	}
	events, err := s.Store.Trail(ctx, id)
	if err != nil {
		return err
	}
	var last *gateway.Event
	for _, e := range events {
		if e.Status != "" && (recipient == "" || e.Recipient == recipient) {
			last = e
		}
	}
	if last == nil {
		return gateway.Errorf(gateway.ENOTFOUND, "no processing status has been reported for document %s yet", id)
	}
	code, err := edxml.StatusCode(last.Status, last.Note)
	if err != nil {
		return err
	}
	d := v.doc
	st := &edxml.Status{
		ResponseFor: edxml.ResponseFor{OrganID: d.Envelope.From, DocumentID: d.Envelope.MessageID, Code: registryCode(d.Envelope)},
		From:        edxml.Organization{OrganID: last.Recipient},
		Code:        code,
		Description: last.Note,
		Timestamp:   last.At,
	}
	if st.ResponseFor.DocumentID == "" {
		st.ResponseFor.DocumentID = d.ID
	}
	return edxml.EncodeStatus(w, st)
}

// registryCode is the document's registry code, number/notation, as edXML writes it.
func registryCode(e gateway.Envelope) string {
	switch {
	case e.Number != "" && e.Notation != "":
		return e.Number + "/" + e.Notation
	default:
		return e.Number + e.Notation
	}
}
