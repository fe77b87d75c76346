package exchange_test

import (
	"bytes"
	"io"
	"testing"

	"docgate/gateway"
	"docgate/gateway/edxml"
)

// TestEdXMLExport exports a document and reads it back with the edXML
// reader: the header carries the envelope and the attachments carry the
// exact bytes that were sent.
func TestEdXMLExport(t *testing.T) {
	f := newFixture(t)
	pdf, annex := pdfBytes("edxml"), []byte("phụ lục 1")
	env := envelope(recipB)
	env.MessageID, env.Notation = "000.00.00.H41,2026/11/24,12/VP", "VP"
	id := f.submit(t, env, pdf, annex).Document.ID

	var buf bytes.Buffer
	if err := f.svc.EdXML(as(recipB), id, &buf); err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	pkg, err := edxml.ParsePackage(&buf, edxml.Options{Attachment: func(_ edxml.AttachmentInfo, r io.Reader) error {
		b, err := io.ReadAll(r)
		got = append(got, b)
		return err
	}})
	if err != nil {
		t.Fatal(err)
	}
	e := pkg.Envelope()
	if e.From != sender || len(e.To) != 1 || e.To[0] != recipB || e.Subject != env.Subject || e.CodeNumber != "12" || e.CodeNotation != "VP" ||
		e.DocumentID != env.MessageID {
		t.Fatalf("exported header: %+v", e)
	}
	if len(got) != 2 || !bytes.Equal(got[0], pdf) || !bytes.Equal(got[1], annex) {
		t.Fatalf("exported attachments: %q", got)
	}
	err = f.svc.EdXML(as(stranger), id, io.Discard)
	wantCode(t, err, gateway.ENOTFOUND, "export by an outsider")
}

func TestStatusEdXML(t *testing.T) {
	f := newFixture(t)
	id := f.submit(t, envelope(recipB, recipC), pdfBytes("st")).Document.ID
	err := f.svc.StatusEdXML(as(sender), id, "", io.Discard)
	wantCode(t, err, gateway.ENOTFOUND, "status before any report")
	if _, err := f.svc.ReportStatus(as(recipB), id, gateway.StatusRejected, "sai thẩm quyền"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ReportStatus(as(recipC), id, gateway.StatusAssigned, ""); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		caller, recipient, code, desc string
	}{
		{recipB, "", "02", "sai thẩm quyền"},
		{sender, recipB, "02", "sai thẩm quyền"},
		{sender, "", "04", ""},
		{recipC, "", "04", ""},
	} {
		var buf bytes.Buffer
		if err := f.svc.StatusEdXML(as(tc.caller), id, tc.recipient, &buf); err != nil {
			t.Fatal(err)
		}
		st, err := edxml.ParseStatus(&buf, edxml.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if st.Code != tc.code || st.Description != tc.desc || st.ResponseFor.OrganID != sender {
			t.Fatalf("status as %s for %q: %+v", tc.caller, tc.recipient, st)
		}
	}
	err = f.svc.StatusEdXML(as(recipC), id, recipB, io.Discard)
	wantCode(t, err, gateway.EFORBIDDEN, "a recipient asking for another's status")
}
