package gateway_test

import (
	"strings"
	"testing"

	"docgate/gateway"
)

func TestEnvelopeValidate(t *testing.T) {
	ok := func() gateway.Envelope {
		return gateway.Envelope{From: "000.00.00.H41", To: []string{"000.00.00.H14"}, Subject: "Công văn số 1"}
	}
	cases := []struct {
		name string
		mod  func(e *gateway.Envelope)
		want string // substring of the message; "" = valid
	}{
		{"valid", func(e *gateway.Envelope) {}, ""},
		{"bad from", func(e *gateway.Envelope) { e.From = "H41" }, "from:"},
		{"no recipients", func(e *gateway.Envelope) { e.To = nil }, "at least one recipient"},
		{"self", func(e *gateway.Envelope) { e.To = []string{e.From} }, "is the sender"},
		{"twice", func(e *gateway.Envelope) { e.To = []string{"000.00.00.H14", "000.00.00.H14"} }, "listed twice"},
		{"no subject", func(e *gateway.Envelope) { e.Subject = "  " }, "subject is required"},
		{"bad utf8", func(e *gateway.Envelope) { e.Subject = "\xff" }, "not valid UTF-8"},
		{"urgency", func(e *gateway.Envelope) { e.Urgency = "asap" }, "urgency"},
		{"recall needs ref", func(e *gateway.Envelope) { e.Business = gateway.BusinessRecall }, "must name the document"},
		{"long subject", func(e *gateway.Envelope) { e.Subject = strings.Repeat("a", 1001) }, "longer than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := ok()
			tc.mod(&e)
			err := e.Validate(gateway.AgencyCodeRule{})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if gateway.ErrorCode(err) != gateway.EINVALID || !strings.Contains(gateway.ErrorMessage(err), tc.want) {
				t.Fatalf("got %v, want EINVALID containing %q", err, tc.want)
			}
		})
	}
}

func TestValidTransition(t *testing.T) {
	cases := []struct {
		from, to gateway.ProcessingStatus
		reason   string
		code     string
	}{
		{"", gateway.StatusReceived, "", ""},
		{gateway.StatusReceived, gateway.StatusAccepted, "", ""},
		{"", gateway.StatusDone, "", ""}, // skipping forward is allowed
		{gateway.StatusReceived, gateway.StatusRejected, "sai thể thức", ""},
		{gateway.StatusReceived, gateway.StatusRejected, "", gateway.EINVALID},
		{gateway.StatusDone, gateway.StatusReceived, "", gateway.ECONFLICT},
		{gateway.StatusProcessing, gateway.StatusAccepted, "", gateway.ECONFLICT},
		{gateway.StatusRejected, gateway.StatusRejected, "again", gateway.ECONFLICT},
		{gateway.StatusAccepted, gateway.StatusRejected, "late", gateway.ECONFLICT},
		{gateway.StatusAccepted, gateway.StatusAccepted, "", gateway.ECONFLICT},
		{"", "archived", "", gateway.EINVALID},
	}
	for _, tc := range cases {
		err := gateway.ValidTransition(tc.from, tc.to, tc.reason)
		if got := gateway.ErrorCode(err); got != tc.code {
			t.Errorf("%q -> %q: got code %q (%v), want %q", tc.from, tc.to, got, err, tc.code)
		}
	}
}

func TestAgencyCodeRule(t *testing.T) {
	for _, c := range []string{"000.00.00.H41", "000.01.32.H41", "G22.01.00.000", "000.00.00.G22"} {
		if err := (gateway.AgencyCodeRule{}).Validate(c); err != nil {
			t.Errorf("%s: %v", c, err)
		}
	}
	for _, c := range []string{"", "H41", "000.00.00.h41", "000.00.00.H41 ", "0000.00.00.H41", "000-00-00-H41", "28.22.H17"} {
		if err := (gateway.AgencyCodeRule{}).Validate(c); gateway.ErrorCode(err) != gateway.EINVALID {
			t.Errorf("%q: want EINVALID, got %v", c, err)
		}
	}
}

func TestCheckText(t *testing.T) {
	for _, c := range []struct {
		v     string
		limit int
		want  string // "" = accepted
	}{
		{"Về việc thử nghiệm", 100, ""},
		{"line one\nline two\ttabbed\r\n", 100, ""},
		{"a\x00b", 100, "control character U+0000"},
		{"bell\a", 100, "control character U+0007"},
		{"del\x7f", 100, "control character U+007F"},
		{"bad \xff utf-8", 100, "not valid UTF-8"},
		{strings.Repeat("x", 11), 10, "longer than 10 bytes"},
	} {
		err := gateway.CheckText("subject", c.v, c.limit)
		if c.want == "" && err != nil || c.want != "" && (gateway.ErrorCode(err) != gateway.EINVALID || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("CheckText(%q) = %v, want %q", c.v, err, c.want)
		}
	}
}
