package exchange_test

import (
	"strings"
	"testing"

	"docgate/gateway"
)

func TestSentAndSearch(t *testing.T) {
	f := newFixture(t)
	first := f.submit(t, envelope(recipB, recipC), pdfBytes("first")).Document
	env := envelope(recipB)
	env.Subject = "Giấy mời họp giao ban"
	second := f.submit(t, env, pdfBytes("second")).Document

	items, err := f.svc.Sent(as(sender), gateway.SentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Document.ID != second.ID || items[1].Document.ID != first.ID {
		t.Fatalf("sent box: %v", items)
	}
	if d := items[1].Deliveries; len(d) != 2 || d[0].Recipient != recipB || d[1].Recipient != recipC {
		t.Fatalf("deliveries of the first document: %+v", d)
	}
	items, err = f.svc.Sent(as(sender), gateway.SentFilter{To: recipC})
	if err != nil || len(items) != 1 || items[0].Document.ID != first.ID {
		t.Fatalf("sent to C: %v, %v", items, err)
	}
	if items, err := f.svc.Sent(as(recipB), gateway.SentFilter{}); err != nil || len(items) != 0 {
		t.Fatalf("a recipient's sent box: %v, %v", items, err)
	}

	inbox, err := f.svc.Inbox(as(recipB), gateway.InboxFilter{DocumentSearch: gateway.DocumentSearch{Q: "mời họp"}})
	if err != nil || len(inbox) != 1 || inbox[0].Document.ID != second.ID {
		t.Fatalf("inbox search: %v, %v", inbox, err)
	}

	_, err = f.svc.Sent(asRole(gateway.RoleAuditor), gateway.SentFilter{})
	wantCode(t, err, gateway.EFORBIDDEN, "an auditor's sent box")
	_, err = f.svc.Sent(as(sender), gateway.SentFilter{DocumentSearch: gateway.DocumentSearch{Q: strings.Repeat("a", gateway.MaxSearchLength+1)}})
	wantCode(t, err, gateway.EINVALID, "a long query")
	_, err = f.svc.Inbox(as(recipB), gateway.InboxFilter{DocumentSearch: gateway.DocumentSearch{Status: "finished"}})
	wantCode(t, err, gateway.EINVALID, "an unknown status")
	_, err = f.svc.Sent(as(sender), gateway.SentFilter{DocumentSearch: gateway.DocumentSearch{State: "lost"}})
	wantCode(t, err, gateway.EINVALID, "an unknown state")
}
