package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"docgate/gateway"
)

// searchFixture is an inbox and a sent box to search: documents of from to
// to[0] (and some to to[1]), and one of another sender, other, to to[0].
type searchFixture struct {
	from, other string
	to          []string
	t0          time.Time
}

// searchDoc describes one document of the fixture.
type searchDoc struct {
	id, from           string
	to                 []string
	subject, num, nota string
	after              time.Duration // submitted at t0+after
	due                time.Duration // due at t0+due; 0 for no due date
	state              gateway.DeliveryState
	status             gateway.ProcessingStatus
}

func newSearchFixture(t *testing.T, s gateway.Store) *searchFixture {
	t.Helper()
	from, to := docFixture(t, s, 2)
	f := &searchFixture{from: from, other: code(2), to: to, t0: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	mustCreateAgency(t, s, &gateway.Agency{Code: f.other, Name: "Other sender"})
	for _, d := range []searchDoc{
		{id: "a", from: from, to: to, subject: "Công văn về việc PHÒNG CHỐNG lụt bão", num: "7816", nota: "VPCP-TTĐT", due: 12 * time.Hour},
		{id: "b", from: from, to: to[1:], subject: "Báo cáo tháng 100%", num: "12", nota: "UBND", after: time.Hour, due: 72 * time.Hour},
		{id: "c", from: f.other, to: to[:1], subject: "Giấy mời họp", after: 2 * time.Hour},
		{id: "d", from: from, to: to[:1], subject: "Công văn khẩn", num: "9", after: 3 * time.Hour, due: 6 * time.Hour,
			state: gateway.DeliveryAcknowledged, status: gateway.StatusDone},
		{id: "e", from: from, to: to[:1], subject: "Thông báo kết luận", after: 4 * time.Hour, state: gateway.DeliveryDelivered, status: gateway.StatusReceived},
	} {
		sub := newSubmission(d.id, "", d.from, d.to, f.t0.Add(d.after))
		e := &sub.Document.Envelope
		e.Subject, e.Number, e.Notation = d.subject, d.num, d.nota
		if d.due != 0 {
			due := f.t0.Add(d.due)
			e.DueDate = &due
		}
		for _, l := range sub.Deliveries {
			if l.Recipient == to[0] && d.state != "" {
				l.State, l.Status = d.state, d.status
			}
		}
		mustCreateDocument(t, s, sub)
	}
	return f
}

func sentIDs(items []*gateway.SentItem) []string {
	ids := []string{}
	for _, it := range items {
		ids = append(ids, it.Document.ID)
	}
	return ids
}

func testDocInboxSearch(t *testing.T, s gateway.Store) {
	f := newSearchFixture(t, s)
	ctx := context.Background()
	q := func(s string) gateway.DocumentSearch { return gateway.DocumentSearch{Q: s} }
	tests := []struct {
		name   string
		filter gateway.InboxFilter
		want   []string
	}{
		{"waiting", gateway.InboxFilter{}, []string{"e", "c", "a"}},
		{"all", gateway.InboxFilter{All: true}, []string{"e", "d", "c", "a"}},
		{"words in subject", gateway.InboxFilter{DocumentSearch: q("công văn")}, []string{"a"}},
		{"words in subject, all", gateway.InboxFilter{All: true, DocumentSearch: q("Công văn")}, []string{"d", "a"}},
		{"ASCII case ignored", gateway.InboxFilter{DocumentSearch: q("giấy mời")}, []string{"c"}},
		{"ASCII case ignored in number", gateway.InboxFilter{DocumentSearch: q("vpcp-tt")}, []string{"a"}},
		{"exact Vietnamese substring", gateway.InboxFilter{DocumentSearch: q("PHÒNG CHỐNG")}, []string{"a"}},
		{"number and notation", gateway.InboxFilter{DocumentSearch: q("7816/VPCP-TTĐT")}, []string{"a"}},
		{"diacritics are not ignored", gateway.InboxFilter{DocumentSearch: q("cong van")}, nil},
		{"every word must occur", gateway.InboxFilter{DocumentSearch: q("công mời")}, nil},
		{"LIKE wildcards are literal", gateway.InboxFilter{DocumentSearch: q("%")}, nil},
		{"underscore is literal", gateway.InboxFilter{DocumentSearch: q("_")}, nil},
		{"sender prefix", gateway.InboxFilter{From: f.other[:9]}, []string{"c"}},
		{"sender exact", gateway.InboxFilter{From: f.from}, []string{"e", "a"}},
		{"since and until", gateway.InboxFilter{All: true, DocumentSearch: gateway.DocumentSearch{Since: f.t0.Add(2 * time.Hour), Until: f.t0.Add(4 * time.Hour)}}, []string{"d", "c"}},
		{"overdue", gateway.InboxFilter{All: true, DocumentSearch: gateway.DocumentSearch{OverdueAt: f.t0.Add(24 * time.Hour)}}, []string{"a"}},
		{"nothing overdue yet", gateway.InboxFilter{DocumentSearch: gateway.DocumentSearch{OverdueAt: f.t0.Add(time.Hour)}}, nil},
		{"status implies all", gateway.InboxFilter{DocumentSearch: gateway.DocumentSearch{Status: gateway.StatusDone}}, []string{"d"}},
		{"no status reported", gateway.InboxFilter{DocumentSearch: gateway.DocumentSearch{Status: gateway.StatusNone}}, []string{"c", "a"}},
		{"state", gateway.InboxFilter{DocumentSearch: gateway.DocumentSearch{State: gateway.DeliveryDelivered}}, []string{"e"}},
		{"combined", gateway.InboxFilter{All: true, From: f.from, DocumentSearch: gateway.DocumentSearch{Q: "văn", Until: f.t0.Add(time.Hour)}}, []string{"a"}},
	}
	for _, tc := range tests {
		items, err := s.Inbox(ctx, f.to[0], tc.filter)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := inboxIDs(items); !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("%s: inbox = %v, want %v", tc.name, got, tc.want)
		}
		for _, it := range items {
			if it.Delivery == nil || it.Delivery.Recipient != f.to[0] {
				t.Errorf("%s: item %s has delivery %+v, want the recipient's", tc.name, it.Document.ID, it.Delivery)
			}
		}
	}

	// A search pages by keyset like the plain inbox.
	filter := gateway.InboxFilter{All: true, Limit: 1, DocumentSearch: q("văn")}
	var got []string
	for range 5 {
		items, err := s.Inbox(ctx, f.to[0], filter)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) == 0 {
			break
		}
		got = append(got, inboxIDs(items)...)
		filter.Before = items[len(items)-1].Cursor
	}
	if want := []string{"d", "a"}; !slices.Equal(got, want) {
		t.Errorf("search pages = %v, want %v", got, want)
	}
}

func testDocSent(t *testing.T, s gateway.Store) {
	f := newSearchFixture(t, s)
	ctx := context.Background()
	items, err := s.Sent(ctx, f.from, gateway.SentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sentIDs(items), []string{"e", "d", "b", "a"}; !slices.Equal(got, want) {
		t.Fatalf("sent = %v, want %v", got, want)
	}
	a := items[3]
	if len(a.Deliveries) != 2 || a.Deliveries[0].Recipient != f.to[0] || a.Deliveries[1].Recipient != f.to[1] {
		t.Errorf("deliveries of a = %+v, want one per recipient in order", a.Deliveries)
	}
	if d := items[1].Deliveries; len(d) != 1 || d[0].State != gateway.DeliveryAcknowledged || d[0].Status != gateway.StatusDone {
		t.Errorf("deliveries of d = %+v, want acknowledged and done", d)
	}
	if items, err := s.Sent(ctx, code(3), gateway.SentFilter{}); err != nil || len(items) != 0 {
		t.Errorf("sent box of an agency that sent nothing = %v, %v", sentIDs(items), err)
	}

	tests := []struct {
		name   string
		filter gateway.SentFilter
		want   []string
	}{
		{"words", gateway.SentFilter{DocumentSearch: gateway.DocumentSearch{Q: "công văn"}}, []string{"d", "a"}},
		{"percent is literal", gateway.SentFilter{DocumentSearch: gateway.DocumentSearch{Q: "100%"}}, []string{"b"}},
		{"recipient", gateway.SentFilter{To: f.to[1]}, []string{"b", "a"}},
		{"since", gateway.SentFilter{DocumentSearch: gateway.DocumentSearch{Since: f.t0.Add(time.Hour)}}, []string{"e", "d", "b"}},
		{"until", gateway.SentFilter{DocumentSearch: gateway.DocumentSearch{Until: f.t0.Add(time.Hour)}}, []string{"a"}},
		// d is past due but done; a is past due and open with both.
		{"overdue", gateway.SentFilter{DocumentSearch: gateway.DocumentSearch{OverdueAt: f.t0.Add(24 * time.Hour)}}, []string{"a"}},
		{"overdue later", gateway.SentFilter{DocumentSearch: gateway.DocumentSearch{OverdueAt: f.t0.Add(96 * time.Hour)}}, []string{"b", "a"}},
		{"status", gateway.SentFilter{DocumentSearch: gateway.DocumentSearch{Status: gateway.StatusReceived}}, []string{"e"}},
		{"state", gateway.SentFilter{DocumentSearch: gateway.DocumentSearch{State: gateway.DeliveryAcknowledged}}, []string{"d"}},
		// Recipient and status must hold for the same delivery: a is done by
		// nobody, d by to[0] only.
		{"status of one recipient", gateway.SentFilter{To: f.to[1], DocumentSearch: gateway.DocumentSearch{Status: gateway.StatusDone}}, nil},
		{"no status of one recipient", gateway.SentFilter{To: f.to[0], DocumentSearch: gateway.DocumentSearch{Status: gateway.StatusNone}}, []string{"a"}},
	}
	for _, tc := range tests {
		items, err := s.Sent(ctx, f.from, tc.filter)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := sentIDs(items); !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("%s: sent = %v, want %v", tc.name, got, tc.want)
		}
	}

	filter := gateway.SentFilter{Limit: 3}
	var got []string
	for range 5 {
		items, err := s.Sent(ctx, f.from, filter)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) == 0 {
			break
		}
		got = append(got, sentIDs(items)...)
		filter.Before = items[len(items)-1].Cursor
	}
	if want := []string{"e", "d", "b", "a"}; !slices.Equal(got, want) {
		t.Errorf("sent pages = %v, want %v", got, want)
	}
}
