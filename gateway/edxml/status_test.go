package edxml

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"docgate/gateway"
)

func TestStatusTable(t *testing.T) {
	want := map[string]gateway.ProcessingStatus{
		"01": gateway.StatusReceived, "02": gateway.StatusRejected, "03": gateway.StatusAccepted,
		"04": gateway.StatusAssigned, "05": gateway.StatusProcessing, "06": gateway.StatusDone,
		"13": "recall_requested", "15": "recall_accepted", "16": "recall_refused",
	}
	for code, name := range want {
		got, err := StatusName(code)
		if err != nil || got != name {
			t.Errorf("StatusName(%q) = %q, %v; want %q", code, got, err, name)
		}
		back, err := StatusCode(name, "lý do")
		if err != nil || back != code {
			t.Errorf("StatusCode(%q) = %q, %v; want %q", name, back, err, code)
		}
	}
	if got, err := StatusName(" 6"); err != nil || got != gateway.StatusDone {
		t.Errorf("StatusName(\" 6\") = %q, %v", got, err)
	}
	for _, bad := range []string{"", "00", "07", "14", "17", "xx", "001"} {
		_, err := StatusName(bad)
		wantCode(t, err, gateway.EINVALID, "StatusCode")
	}
	_, err := StatusCode(gateway.StatusRejected, "  ")
	wantCode(t, err, gateway.EINVALID, "reason")
	_, err = StatusCode("archived", "")
	wantCode(t, err, gateway.EINVALID, "archived")
	if code, err := StatusCode(gateway.StatusDone, ""); err != nil || code != "06" {
		t.Errorf("done without a reason: %q, %v", code, err)
	}
}

func statusXML(body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="` + Namespace + `"><edXMLEnvelope><edXMLHeader><MessageHeader>` + body + `</MessageHeader></edXMLHeader></edXMLEnvelope></edXML>`
}

const okFrom = `<From><OrganId>000.00.00.H41</OrganId></From><ResponseFor><DocumentId>d</DocumentId></ResponseFor>`

func TestParseStatusErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"no from", statusXML(`<ResponseFor><DocumentId>d</DocumentId></ResponseFor><StatusCode>01</StatusCode>`), "From/OrganId"},
		{"no response for", statusXML(`<From><OrganId>1</OrganId></From><StatusCode>01</StatusCode>`), "ResponseFor"},
		{"no code", statusXML(okFrom), "StatusCode is required"},
		{"unknown code", statusXML(okFrom + `<StatusCode>09</StatusCode>`), "09"},
		{"rejected without reason", statusXML(okFrom + `<StatusCode>02</StatusCode><Description>N/A</Description>`), "Description"},
		{"bad timestamp", statusXML(okFrom + `<StatusCode>01</StatusCode><Timestamp>2018/09/28 25:00:00</Timestamp>`), "Timestamp"},
		{"no header", `<edXML><edXMLEnvelope><edXMLHeader/></edXMLEnvelope></edXML>`, "Status or MessageHeader"},
		{"malformed", "<edXML>\n<edXMLEnvelope>\n</edXML>", "line 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseStatus(strings.NewReader(tt.in), Options{})
			wantCode(t, err, gateway.EINVALID, tt.want)
		})
	}
}

func TestEncodeStatusRefuses(t *testing.T) {
	ok := Status{From: Organization{OrganID: "000.00.00.H41"}, ResponseFor: ResponseFor{DocumentID: "d"}, Code: "03",
		Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 0, vietnam)}
	if err := EncodeStatus(&bytes.Buffer{}, &ok); err != nil {
		t.Fatalf("valid status refused: %v", err)
	}
	tests := []struct {
		name   string
		change func(*Status)
		want   string
	}{
		{"no timestamp", func(s *Status) { s.Timestamp = time.Time{} }, "Timestamp"},
		{"rejected without reason", func(s *Status) { s.Code = "02" }, "Description"},
		{"unknown code", func(s *Status) { s.Code = "99" }, "99"},
		{"no from", func(s *Status) { s.From.OrganID = "" }, "From/OrganId"},
		{"control character", func(s *Status) { s.Description = "\x00" }, "Description"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok
			tt.change(&s)
			wantCode(t, EncodeStatus(&bytes.Buffer{}, &s), gateway.EINVALID, tt.want)
		})
	}
}

func TestEnvelopeRefers(t *testing.T) {
	base := Package{Header: MessageHeader{DocumentID: "own"}}
	tests := []struct {
		name     string
		business *Business
		want     gateway.BusinessType
		refers   string
	}{
		{"no business", nil, gateway.BusinessNew, ""},
		{"new ignores ids", &Business{Type: gateway.BusinessNew, DocumentID: "x"}, gateway.BusinessNew, ""},
		{"recall of itself", &Business{Type: gateway.BusinessRecall}, gateway.BusinessRecall, "own"},
		{"update names it", &Business{Type: gateway.BusinessUpdate, DocumentID: "old"}, gateway.BusinessUpdate, "old"},
		{"replace by list", &Business{Type: gateway.BusinessReplace, Replacements: []ReplacementInfo{{DocumentID: "r1"}}}, gateway.BusinessReplace, "r1"},
	}
	for _, tt := range tests {
		p := base
		p.Business = tt.business
		env := p.Envelope()
		if env.Business != tt.want || env.Refers != tt.refers {
			t.Errorf("%s: business %s refers %q; want %s %q", tt.name, env.Business, env.Refers, tt.want, tt.refers)
		}
	}
}
