package exchange_test

import (
	"context"
	"testing"

	"docgate/gateway"
)

func TestRecordPushOutcomes(t *testing.T) {
	f := newFixture(t)
	id := f.submit(t, envelope(recipB, recipC), pdfBytes("push")).Document.ID
	ctx := context.Background()
	for range 2 { // hooks are retried: the second call must record nothing
		if err := f.svc.RecordPushed(ctx, id, recipB); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RecordPushFailed(ctx, id, recipC, "HTTP 503 after 8 attempts"); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, f.svc.RecordPushed(ctx, id, stranger), gateway.ENOTFOUND, "push to a non-recipient")

	trail, err := f.svc.Trail(as(sender), id)
	if err != nil {
		t.Fatal(err)
	}
	var pushed, failed int
	for _, e := range trail {
		switch {
		case e.Type == gateway.EventContentConsignment && e.Recipient == recipB && e.Note != "":
			pushed++
		case e.Type == gateway.EventContentConsignmentFailure:
			failed++
			rec := verifyReceipt(t, f, e.Receipt)
			if len(rec.Reasons) != 1 || rec.Reasons[0] != "HTTP 503 after 8 attempts" || rec.Recipients[0] != recipC {
				t.Fatalf("non-delivery evidence: %+v", rec)
			}
		}
	}
	if pushed != 1 || failed != 1 {
		t.Fatalf("pushed %d, failed %d; want one each: %+v", pushed, failed, trail)
	}
}
