package pades

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"docgate/gateway"
)

// BenchmarkVerify measures a whole verification of a signed PDF holding a
// large page content stream beside hashing the same bytes with SHA-256, in
// the same run: x-sha256 is the ratio of the two (target ≤ 2 plus the fixed
// cost of the signature and chain checks, which shrinks as files grow).
func BenchmarkVerify(b *testing.B) {
	for _, mb := range []int{1, 16} {
		b.Run(fmt.Sprintf("%dMB", mb), func(b *testing.B) {
			p := vNewPKI(b)
			filler := make([]byte, mb<<19)
			if _, err := rand.Read(filler); err != nil {
				b.Fatal(err)
			}
			// Hex text in a content stream: large, uncompressed, and read by
			// nothing but the digest.
			content := "BT /F1 12 Tf 72 720 Td <" + hex.EncodeToString(filler) + "> Tj ET"
			data := vSign(b, p, vBuildPDF(vDoc{content: content}), vSignOpts{timestamp: true})
			v := &Verifier{Trust: p.trust()}
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			var shaTime, verifyTime time.Duration
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				sha256.Sum256(data)
				t1 := time.Now()
				rep, err := v.VerifyPDF(context.Background(), vBytes(data), int64(len(data)), gateway.VerifyOptions{Offline: true})
				verifyTime += time.Since(t1)
				shaTime += t1.Sub(t0)
				if err != nil || rep.Document.Verdict != gateway.VerdictValid {
					b.Fatalf("verify: %v %+v", err, rep)
				}
			}
			b.ReportMetric(float64(verifyTime)/float64(shaTime), "x-sha256")
			b.ReportMetric(float64(len(data))/(1<<20)/verifyTime.Seconds()*float64(b.N), "verify-MB/s")
			b.ReportMetric(float64(len(data))/(1<<20)/shaTime.Seconds()*float64(b.N), "sha256-MB/s")
		})
	}
}
