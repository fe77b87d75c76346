package httpapi_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"docgate/gateway"
)

// The sent box lists what the agency sent with each recipient's delivery,
// and the inbox and the sent box search in the store with the same
// parameters.
func TestSentAndSearchHTTP(t *testing.T) {
	d := mustDocEnv(t)
	subjects := []string{"Công văn về lụt bão", "Giấy mời họp", "Công văn khẩn"}
	for i, s := range subjects {
		env := map[string]any{"to": []string{docRecip}, "subject": s, "number": fmt.Sprint(100 + i), "notation": "UBND-VP"}
		mustDecode[submitted](t, d.submit(t, d.sender, envelopePart(t, env), mpPart{name: "document", body: testPDF(s)}), 201)
	}
	type sentPage struct {
		Items []gateway.SentItem `json:"items"`
		Next  string             `json:"next"`
	}
	subjectsOf := func(items []gateway.SentItem) string {
		var out []string
		for _, it := range items {
			out = append(out, it.Document.Envelope.Subject)
		}
		return strings.Join(out, "|")
	}
	page := mustDecode[sentPage](t, d.json(t, "GET", "/v1/sent", d.sender, ""), 200)
	if got := subjectsOf(page.Items); got != "Công văn khẩn|Giấy mời họp|Công văn về lụt bão" {
		t.Fatalf("sent box: %s", got)
	}
	if dl := page.Items[0].Deliveries; len(dl) != 1 || dl[0].Recipient != docRecip || dl[0].State == "" {
		t.Fatalf("deliveries: %+v", dl)
	}
	page = mustDecode[sentPage](t, d.json(t, "GET", "/v1/sent?limit=1&q="+url.QueryEscape("công văn"), d.sender, ""), 200)
	if got := subjectsOf(page.Items); got != "Công văn khẩn" || page.Next == "" {
		t.Fatalf("first page of a search: %s, next %q", got, page.Next)
	}
	page = mustDecode[sentPage](t, d.json(t, "GET", "/v1/sent?limit=1&q="+url.QueryEscape("công văn")+"&before="+page.Next, d.sender, ""), 200)
	if got := subjectsOf(page.Items); got != "Công văn về lụt bão" {
		t.Fatalf("second page of a search: %s", got)
	}
	page = mustDecode[sentPage](t, d.json(t, "GET", "/v1/sent?to="+d.other, d.sender, ""), 200)
	if len(page.Items) != 0 {
		t.Fatalf("sent to another agency: %s", subjectsOf(page.Items))
	}

	inbox := mustDecode[struct {
		Items []gateway.InboxItem `json:"items"`
	}](t, d.json(t, "GET", "/v1/inbox?q=101/UBND&from="+docSender+"&since=2000-01-01&until=2999-12-31&status=none&state=pending", d.recip, ""), 200)
	if len(inbox.Items) != 1 || inbox.Items[0].Document.Envelope.Subject != "Giấy mời họp" {
		t.Fatalf("inbox search: %+v", inbox.Items)
	}
	inbox.Items = nil
	inbox = mustDecode[struct {
		Items []gateway.InboxItem `json:"items"`
	}](t, d.json(t, "GET", "/v1/inbox?overdue=true", d.recip, ""), 200)
	if len(inbox.Items) != 0 {
		t.Fatalf("overdue without due dates: %+v", inbox.Items)
	}

	mustProblem(t, d.json(t, "GET", "/v1/sent", d.admin, ""), 403, "agency")
	mustProblem(t, d.json(t, "GET", "/v1/sent?since=yesterday", d.sender, ""), 400, "since")
	mustProblem(t, d.json(t, "GET", "/v1/inbox?until=2026-13-01", d.recip, ""), 400, "until")
	mustProblem(t, d.json(t, "GET", "/v1/inbox?since=2026-02-01&until=2026-01-01", d.recip, ""), 400, "before until")
	mustProblem(t, d.json(t, "GET", "/v1/inbox?status=finished", d.recip, ""), 400, "status")
	mustProblem(t, d.json(t, "GET", "/v1/sent?overdue=maybe", d.sender, ""), 400, "overdue")
	mustProblem(t, d.json(t, "GET", "/v1/inbox?all=2", d.recip, ""), 400, "all")
	mustProblem(t, d.json(t, "GET", "/v1/sent?q="+strings.Repeat("a", 201), d.sender, ""), 400, "q must")
}
