package edxml

import (
	"bytes"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"docgate/gateway"
)

func vn(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, vietnam)
}

// TestTolerantPackage reads testdata/unprefixed_dmy.edxml: no prefixes,
// day-first and ISO dates, N/A placeholders, an empty ResponseFor, and an
// attachment in CDATA with character references and a comment.
func TestTolerantPackage(t *testing.T) {
	var got collected
	pkg, err := ParsePackage(mustOpen(t, "testdata/unprefixed_dmy.edxml"), Options{Attachment: got.sink})
	if err != nil {
		t.Fatal(err)
	}
	h := pkg.Header
	checks := []struct {
		name      string
		got, want any
	}{
		{"from", h.From.OrganID, "000.12.34.H41"},
		{"N/A email", h.From.Email, ""},
		{"to", []string{h.To[0].OrganID, h.To[1].OrganID}, []string{"000.00.00.H14", "H14.01"}},
		{"subject trimmed and unescaped", h.Subject, "Về việc thử nghiệm & kiểm tra"},
		{"day-first date", h.Promulgation.Date, vn(2026, 3, 5, 0, 0, 0)},
		{"ISO date", h.DueDate, vn(2026, 3, 20, 0, 0, 0)},
		{"empty place dropped", h.ToPlaces, []string{"Như trên"}},
		{"N/A page amount", h.Other.PageAmount, ""},
		{"priority", h.Other.Priority, "1"},
		{"empty ResponseFor dropped", len(h.ResponseFor), 0},
		{"day-first timestamp", pkg.Trace[0].Timestamp, vn(2026, 3, 5, 8, 15, 0)},
		{"UTC timestamp in Vietnam time", pkg.Trace[1].Timestamp, vn(2026, 3, 5, 8, 20, 30)},
		{"business", pkg.Business.Type, gateway.BusinessReplace},
		{"replacement", pkg.Business.Replacements, []ReplacementInfo{{DocumentID: "000.12.34.H41,2026/03/01,120/SNV-VP", OrganIDs: []string{"000.00.00.H14"}}}},
		{"attachment info from the manifest", pkg.Attachments, []AttachmentInfo{{ContentID: "cid:1", Name: "thu.txt", ContentType: "text/plain", Size: int64(len("xin chao thử nghiệm"))}}},
		{"sink info", got.infos, []AttachmentInfo{{ContentID: "cid:1", Name: "thu.txt", ContentType: "text/plain"}}},
		{"attachment body", string(bytes.Join(got.bodies, nil)), "xin chao thử nghiệm"},
		{"no signature", pkg.Signature, []byte(nil)},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %#v; want %#v", c.name, c.got, c.want)
		}
	}
	env := pkg.Envelope()
	if env.Refers != "000.12.34.H41,2026/03/01,120/SNV-VP" || env.Business != gateway.BusinessReplace {
		t.Errorf("envelope business %s refers %q", env.Business, env.Refers)
	}
	if env.DocumentType != "Công văn" || env.Priority != "1" || len(env.To) != 2 || env.Signer != "Trần Văn Thử" {
		t.Errorf("envelope %+v", env)
	}
}

func TestTolerantStatus(t *testing.T) {
	st, err := ParseStatus(mustOpen(t, "testdata/status_element.edxml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	name, err := st.Name()
	if err != nil || name != gateway.StatusProcessing {
		t.Errorf("status %q (%q, %v); want processing", st.Code, name, err)
	}
	if !st.Timestamp.Equal(vn(2026, 3, 6, 9, 30, 5)) || !st.ResponseFor.PromulgationDate.Equal(vn(2026, 3, 5, 0, 0, 0)) {
		t.Errorf("times %v %v", st.Timestamp, st.ResponseFor.PromulgationDate)
	}
	var buf bytes.Buffer
	if err := EncodeStatus(&buf, st); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "<edXML:StatusCode>05</edXML:StatusCode>") {
		t.Errorf("the one-digit code is not written as 05:\n%s", buf.String())
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2018/09/28", vn(2018, 9, 28, 0, 0, 0), true},
		{"2018/09/28 17:25:11", vn(2018, 9, 28, 17, 25, 11), true},
		{"28/09/2018", vn(2018, 9, 28, 0, 0, 0), true},
		{"28/09/2018 17:25:11", vn(2018, 9, 28, 17, 25, 11), true},
		{"1/2/2018", vn(2018, 2, 1, 0, 0, 0), true},
		{"2018-09-28", vn(2018, 9, 28, 0, 0, 0), true},
		{"2018-09-28T17:25:11", vn(2018, 9, 28, 17, 25, 11), true},
		{"2018-09-28T10:25:11Z", vn(2018, 9, 28, 17, 25, 11), true},
		{"2018-09-28T17:25:11+07:00", vn(2018, 9, 28, 17, 25, 11), true},
		{" N/A ", time.Time{}, true},
		{"", time.Time{}, true},
		{"28.09.2018", time.Time{}, false},
		{"2018/13/01", time.Time{}, false},
		{"31/02/2018", time.Time{}, false},
		{"yesterday", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseTime(tt.in)
		if ok != tt.ok || !got.Equal(tt.want) || (!got.IsZero() && got.Location() != vietnam) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// pkgXML builds a small package around a MessageHeader body, for the error
// cases below.
func pkgXML(header, rest string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<edXML:edXML xmlns:edXML="` + Namespace + `">
<edXML:edXMLEnvelope><edXML:edXMLHeader><edXML:MessageHeader>` + header + `</edXML:MessageHeader></edXML:edXMLHeader></edXML:edXMLEnvelope>` + rest + `
</edXML:edXML>`
}

const okHeader = `<edXML:From><edXML:OrganId>000.00.00.G22</edXML:OrganId></edXML:From>
<edXML:To><edXML:OrganId>000.00.00.H41</edXML:OrganId></edXML:To><edXML:Subject>s</edXML:Subject>`

func attXML(content string) string {
	return `<edXML:AttachmentEncoded><edXML:Attachment><edXML:ContentId>c1</edXML:ContentId><edXML:AttachmentName>a.pdf</edXML:AttachmentName>
<edXML:ContentTransferEncoded>` + content + `</edXML:ContentTransferEncoded></edXML:Attachment></edXML:AttachmentEncoded>`
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts Options
		code string
		want []string
	}{
		{"empty", "", Options{}, gateway.EINVALID, []string{"empty"}},
		{"not edXML", `<html/>`, Options{}, gateway.EINVALID, []string{"<html>"}},
		{"other namespace", `<edXML xmlns="urn:x"/>`, Options{}, gateway.EINVALID, []string{"urn:x"}},
		{"no envelope", `<edXML/>`, Options{}, gateway.EINVALID, []string{"edXMLEnvelope"}},
		{"no header", `<edXML><edXMLEnvelope/></edXML>`, Options{}, gateway.EINVALID, []string{"edXMLHeader"}},
		{"no message header", `<edXML><edXMLEnvelope><edXMLHeader/></edXMLEnvelope></edXML>`, Options{}, gateway.EINVALID, []string{"MessageHeader"}},
		{"unclosed", pkgXML(okHeader, "<edXML:Extra>"), Options{}, gateway.EINVALID, []string{"line 5"}},
		{"mismatched", "<edXML>\n<a>\n</b>\n</edXML>", Options{}, gateway.EINVALID, []string{"line 3"}},
		{"invalid utf-8", pkgXML(okHeader+"<edXML:Content>\xff</edXML:Content>", ""), Options{}, gateway.EINVALID, []string{"UTF-8"}},
		{"not UTF-8", strings.Replace(pkgXML(okHeader, ""), "UTF-8", "windows-1258", 1), Options{}, gateway.EINVALID, []string{"UTF-8", "windows-1258"}},
		{"second root", pkgXML(okHeader, "") + "<edXML/>", Options{}, gateway.EINVALID, []string{"root"}},
		{"missing from", pkgXML(`<edXML:From><edXML:OrganName>x</edXML:OrganName></edXML:From><edXML:To><edXML:OrganId>1</edXML:OrganId></edXML:To><edXML:Subject>s</edXML:Subject>`, ""), Options{}, gateway.EINVALID, []string{"From/OrganId", "line 3"}},
		{"N/A from", pkgXML(`<edXML:From><edXML:OrganId>N/A</edXML:OrganId></edXML:From><edXML:To><edXML:OrganId>1</edXML:OrganId></edXML:To><edXML:Subject>s</edXML:Subject>`, ""), Options{}, gateway.EINVALID, []string{"From/OrganId"}},
		{"missing to", pkgXML(`<edXML:From><edXML:OrganId>1</edXML:OrganId></edXML:From><edXML:Subject>s</edXML:Subject>`, ""), Options{}, gateway.EINVALID, []string{"MessageHeader/To"}},
		{"to without code", pkgXML(okHeader+`<edXML:To><edXML:OrganName>x</edXML:OrganName></edXML:To>`, ""), Options{}, gateway.EINVALID, []string{"To[2]/OrganId"}},
		{"no subject or code", pkgXML(`<edXML:From><edXML:OrganId>1</edXML:OrganId></edXML:From><edXML:To><edXML:OrganId>2</edXML:OrganId></edXML:To><edXML:Subject> </edXML:Subject>`, ""), Options{}, gateway.EINVALID, []string{"Subject or MessageHeader/Code"}},
		{"bad date", pkgXML(okHeader+"\n<edXML:DueDate>soon</edXML:DueDate>", ""), Options{}, gateway.EINVALID, []string{"DueDate", "soon", "line 5"}},
		{"bad business type", pkgXML(okHeader, "")[:0] + strings.Replace(pkgXML(okHeader, ""), "</edXML:MessageHeader>", "</edXML:MessageHeader><edXML:TraceHeaderList><edXML:Bussiness><edXML:BussinessDocType>7</edXML:BussinessDocType></edXML:Bussiness></edXML:TraceHeaderList>", 1), Options{}, gateway.EINVALID, []string{"BussinessDocType", "7"}},
		{"bad base64", pkgXML(okHeader, attXML("not*base64")), Options{}, gateway.EINVALID, []string{"base64", "a.pdf"}},
		{"cut-short base64", pkgXML(okHeader, attXML("QUJDRA")), Options{}, gateway.EINVALID, []string{"base64", "padding"}},
		{"JMeter placeholder", pkgXML(okHeader, attXML("${__StringFromFile(test.txt,,,)}")), Options{}, gateway.EINVALID, []string{"base64"}},
		{"element in attachment", pkgXML(okHeader, attXML("QUJD<x/>")), Options{}, gateway.EINVALID, []string{"only base64"}},
		{"bad entity in attachment", pkgXML(okHeader, attXML("QUJD&bogus;")), Options{}, gateway.EINVALID, []string{"&bogus;"}},
		{"eof in attachment", strings.SplitAfter(pkgXML(okHeader, attXML("QUJD")), "QUJD")[0], Options{}, gateway.EINVALID, []string{"ends inside"}},
		{"too deep", pkgXML(okHeader+strings.Repeat("<a>", 40)+strings.Repeat("</a>", 40), ""), Options{}, gateway.EINVALID, []string{"deeper than 32"}},
		{"too many elements", pkgXML(okHeader+strings.Repeat("<a/>", 50), ""), Options{MaxElements: 40}, gateway.ETOOLARGE, []string{"40 elements"}},
		{"text too long", pkgXML(okHeader+"<edXML:Content>"+strings.Repeat("x", 101)+"</edXML:Content>", ""), Options{MaxText: 100}, gateway.ETOOLARGE, []string{"Content", "100 bytes"}},
		{"header too large", pkgXML(okHeader+strings.Repeat(" ", 5000), ""), Options{MaxHeaderBytes: 4096}, gateway.ETOOLARGE, []string{"4096 bytes"}},
		{"too many recipients", pkgXML(okHeader+strings.Repeat("<edXML:To><edXML:OrganId>x</edXML:OrganId></edXML:To>", 3), ""), Options{MaxRecipients: 3}, gateway.ETOOLARGE, []string{"at most 3 recipients"}},
		{"too many attachments", pkgXML(okHeader, strings.Repeat(attXML("QUJD"), 3)), Options{MaxAttachments: 2}, gateway.ETOOLARGE, []string{"more than 2 attachments"}},
		{"attachment too large", pkgXML(okHeader, attXML("QUJDREVGR0g=")), Options{MaxAttachmentBytes: 7}, gateway.ETOOLARGE, []string{"a.pdf", "larger than 7 bytes"}},
		{"attachments too large in total", pkgXML(okHeader, attXML("QUJDREVG")+attXML("QUJDREVG")), Options{MaxTotalBytes: 10}, gateway.ETOOLARGE, []string{"total"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePackage(strings.NewReader(tt.in), tt.opts)
			wantCode(t, err, tt.code, tt.want...)
		})
	}
}

// TestParseAccepts covers inputs the reader must take.
func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		body string
	}{
		{"byte order mark", "\ufeff" + pkgXML(okHeader, ""), ""},
		{"code only", pkgXML(`<edXML:From><edXML:OrganId>1</edXML:OrganId></edXML:From><edXML:To><edXML:OrganId>2</edXML:OrganId></edXML:To><edXML:Code><edXML:CodeNumber>5</edXML:CodeNumber></edXML:Code>`, ""), ""},
		{"empty attachment", pkgXML(okHeader, strings.Replace(attXML(""), "<edXML:ContentTransferEncoded></edXML:ContentTransferEncoded>", "<edXML:ContentTransferEncoded/>", 1)), ""},
		{"entities in attachment", pkgXML(okHeader, attXML("QU&#74;D&#x0D;&#xa;")), "ABC"},
		{"comment and CDATA", pkgXML(okHeader, attXML("<!-- a -- b --><![CDATA[QUJD]]>")), "ABC"},
		{"attachment inside the envelope", strings.Replace(pkgXML(okHeader, ""), "</edXML:edXMLEnvelope>", attXML("QUJD")+"</edXML:edXMLEnvelope>", 1), "ABC"},
		{"attachment elsewhere is not one", strings.Replace(pkgXML(okHeader, ""), "</edXML:MessageHeader>", attXML("QUJD")+"</edXML:MessageHeader>", 1), ""},
		{"undeclared prefix", strings.Replace(pkgXML(okHeader, ""), ` xmlns:edXML="`+Namespace+`"`, "", 1), ""},
		{"envelope as root", `<edXMLEnvelope><edXMLHeader><MessageHeader>` + strings.ReplaceAll(okHeader, "edXML:", "") + `</MessageHeader></edXMLHeader></edXMLEnvelope>`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got collected
			pkg, err := ParsePackage(strings.NewReader(tt.in), Options{Attachment: got.sink})
			if err != nil {
				t.Fatal(err)
			}
			if s := string(bytes.Join(got.bodies, nil)); s != tt.body {
				t.Errorf("attachment %q; want %q", s, tt.body)
			}
			if pkg.Header.From.OrganID == "" {
				t.Error("From lost")
			}
		})
	}
}

// TestSinkError: an error from the caller's sink stops the parse and is
// returned wrapped; a decoding error wins over whatever the sink made of it.
func TestSinkError(t *testing.T) {
	in := pkgXML(okHeader, attXML("QUJD"))
	stop := gateway.Errorf(gateway.EUNAVAILABLE, "blob store down")
	_, err := ParsePackage(strings.NewReader(in), Options{Attachment: func(AttachmentInfo, io.Reader) error { return stop }})
	if gateway.ErrorCode(err) != gateway.EUNAVAILABLE || !strings.Contains(err.Error(), "a.pdf") {
		t.Errorf("sink error became %v", err)
	}
	in = pkgXML(okHeader, attXML("QU*D"))
	_, err = ParsePackage(strings.NewReader(in), Options{Attachment: func(_ AttachmentInfo, r io.Reader) error {
		_, err := io.ReadAll(r)
		return gateway.Errorf(gateway.EINTERNAL, "store: %v", err)
	}})
	wantCode(t, err, gateway.EINVALID, "base64")
}

// TestHeaderCheckedBeforeSink: a package that will be refused does not make
// the caller store its attachments first.
func TestHeaderCheckedBeforeSink(t *testing.T) {
	in := pkgXML(`<edXML:From><edXML:OrganName>x</edXML:OrganName></edXML:From><edXML:To><edXML:OrganId>2</edXML:OrganId></edXML:To><edXML:Subject>s</edXML:Subject>`, attXML("QUJD"))
	called := false
	_, err := ParsePackage(strings.NewReader(in), Options{Attachment: func(AttachmentInfo, io.Reader) error {
		called = true
		return nil
	}})
	wantCode(t, err, gateway.EINVALID, "From/OrganId")
	if called {
		t.Error("the sink was called for a package with no sender")
	}
	in = pkgXML(okHeader+"<edXML:DueDate>later</edXML:DueDate>", attXML("QUJD"))
	_, err = ParsePackage(strings.NewReader(in), Options{Attachment: func(AttachmentInfo, io.Reader) error {
		t.Error("the sink was called for a package with a bad date")
		return nil
	}})
	wantCode(t, err, gateway.EINVALID, "DueDate")
}

func TestTestdataIsOurs(t *testing.T) {
	// The generated inputs say they were written for these tests, so that no
	// one mistakes them for real packages.
	for _, f := range []string{"testdata/unprefixed_dmy.edxml", "testdata/status_element.edxml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte("Written for docgate's tests")) {
			t.Errorf("%s lacks its provenance comment", f)
		}
	}
}

// TestSignatureAfterAttachment: the raw Signature is exact even when an
// attachment was streamed before it (the decoder's offsets then lag the
// input's).
func TestSignatureAfterAttachment(t *testing.T) {
	sig := `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue>c2ln</SignatureValue></Signature>`
	in := strings.Replace(pkgXML(okHeader, ""), "<edXML:edXMLHeader>", attXML("QUJD")+"<edXML:edXMLHeader>", 1)
	in = strings.Replace(in, "</edXML:MessageHeader>", "</edXML:MessageHeader>"+sig, 1)
	pkg, err := ParsePackage(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkg.Attachments) != 1 || pkg.Attachments[0].Size != 3 {
		t.Errorf("attachments %+v", pkg.Attachments)
	}
	if string(pkg.Signature) != sig {
		t.Errorf("signature %q; want %q", pkg.Signature, sig)
	}
}
