package web_test

import (
	"context"
	"strings"
	"testing"

	"docgate/gateway"
)

// Sent answers as the exchange does: only an agency has a sent box, and the
// fake's one document is in its sender's.
func (f *fakeExchange) Sent(ctx context.Context, filter gateway.SentFilter) ([]*gateway.SentItem, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastSentFilter = filter
	p := gateway.PrincipalFromContext(ctx)
	if p == nil || p.Role != gateway.RoleAgency {
		return nil, gateway.Errorf(gateway.EFORBIDDEN, "only agencies have a sent box")
	}
	if p.AgencyCode != f.doc.Envelope.From {
		return []*gateway.SentItem{}, nil
	}
	d := f.delivery
	return []*gateway.SentItem{{Cursor: 4, Document: f.doc, Deliveries: []*gateway.Delivery{&d}}}, nil
}

const tokenSender = "dg_sender_clerk"

func TestSentPage(t *testing.T) {
	e, auth, fx := mustAccountEnv(t)
	auth.mu.Lock()
	auth.tokens[tokenSender] = &gateway.Principal{Role: gateway.RoleAgency, AgencyCode: "000.00.00.H41"}
	auth.mu.Unlock()

	r := e.send(t, "GET", "/sent", tokenSender, nil)
	if r.status != 200 {
		t.Fatalf("sent box: %d %s", r.status, r.body)
	}
	// The recipient's delivery as the fake holds it: downloaded, accepted.
	mustContain(t, r.body, `href="/documents/doc_7816"`, "7816/UBND-VP", "000.00.00.H14", "Đã tải về", "Đã tiếp nhận, vào sổ",
		`id="nav-sent"`, "Về việc &lt;i&gt;kiểm tra&lt;/i&gt;")
	if strings.Contains(r.body, "<i>kiểm tra") {
		t.Error("the subject is not escaped")
	}
	fx.mu.Lock()
	f := fx.lastSentFilter
	fx.mu.Unlock()
	if f.Limit != 50 || f.Before != 0 || f.Q != "" || f.To != "" || !f.OverdueAt.IsZero() {
		t.Errorf("plain sent box asked for %+v", f)
	}

	// The search goes to the exchange, and the form shows it.
	r = e.send(t, "GET", "/sent?q=ki%E1%BB%83m+tra&from=000.00.00.H14&overdue=1&before=12", tokenSender, nil, "Accept-Language", "en")
	mustContain(t, r.body, `value="kiểm tra"`, `value="000.00.00.H14"`, "checked", `href="/sent" class="btn secondary"`, "Downloaded")
	fx.mu.Lock()
	f = fx.lastSentFilter
	fx.mu.Unlock()
	if f.Q != "kiểm tra" || f.To != "000.00.00.H14" || f.OverdueAt.IsZero() || f.Before != 12 {
		t.Errorf("searched sent box asked for %+v", f)
	}

	// Someone who sent nothing, someone without a sent box, a bad cursor.
	mustContain(t, e.send(t, "GET", "/sent", tokenH14, nil).body, `id="sent-empty"`, "Cơ quan chưa gửi văn bản nào")
	if r := e.send(t, "GET", "/sent", tokenAuditor, nil); r.status != 403 {
		t.Errorf("auditor's sent box: %d", r.status)
	}
	if r := e.send(t, "GET", "/sent?before=x", tokenSender, nil); r.status != 400 {
		t.Errorf("bad cursor: %d", r.status)
	}
	if r := e.send(t, "GET", "/sent", "", nil); r.status != 303 {
		t.Errorf("signed out: %d, want a redirect to sign in", r.status)
	}
}
