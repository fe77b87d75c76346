package pades

// Run the fuzzer with bounded minimisation, which otherwise stalls the worker
// on these inputs (60 s gave 71,000 executions and no failure):
//
//	go test -run='^$' -fuzz='^FuzzVerify$' -fuzztime=60s -fuzzminimizetime=100x -parallel=1 ./signing/pades

import (
	"context"
	"testing"
	"time"

	"docgate/gateway"
	"docgate/signing/pdf"
)

// FuzzVerify feeds mutations of small signed PDFs (plain, twice signed,
// updated after signing) to the verifier: it must never panic and must answer
// in bounded time. VerifyPDF is called directly, not through VerifyWithin,
// so that a panic fails the fuzzer instead of being recovered.
func FuzzVerify(f *testing.F) {
	p := vNewPKI(f)
	one := vSign(f, p, vBuildPDF(vDoc{}), vSignOpts{})
	f.Add(one)
	f.Add(vSign(f, p, one, vSignOpts{field: "Seal"}))
	f.Add(vUpdate(f, one, func(pf *pdf.File, u *pdf.Update) {
		vMustSet(f, u, pdf.Ref{Num: 11}, pdf.NewStream(pdf.NewDict(), []byte("BT (x) Tj ET")))
	}))
	f.Add(vSign(f, p, vBuildPDF(vDoc{}), vSignOpts{docTS: true}))
	v := &Verifier{Trust: p.trust()}
	f.Fuzz(func(t *testing.T, b []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done := make(chan struct{})
		var rep *gateway.Report
		var err error
		go func() {
			defer close(done)
			rep, err = v.VerifyPDF(ctx, vBytes(b), int64(len(b)), gateway.VerifyOptions{Offline: true})
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("no answer within 10 s")
		}
		if err != nil {
			return
		}
		if rep.Document.Verdict == "" || rep.Document.Modification == "" {
			t.Fatalf("incomplete report: %+v", rep.Document)
		}
		for _, s := range rep.Signatures {
			if s.Indication == gateway.IndicationPassed && !s.Intact {
				t.Fatalf("a signature passed without being intact: %+v", s)
			}
		}
	})
}
