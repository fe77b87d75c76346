package pades

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"docgate/gateway"
)

// BenchmarkVerify measures a whole verification of a signed PDF holding a
// large page content stream beside hashing the same bytes with SHA-256, and
// beside verifying the same document with a tiny page, all in the same
// iterations so that all three see the same machine load:
//
//   - fixed-µs: the tiny document's verification — parsing, the signature,
//     the timestamp and the chain — which every file pays whatever its size;
//   - verify-ms/MB: what the large document costs beyond that, per MB;
//   - sha256-ms/MB: SHA-256 of the large document, per MB;
//   - x-sha256: the ratio of the two per-MB costs (target ≤ 2: the fixed part
//     is the "plus the signature and chain checks" of the target);
//   - x-sha256-total: the whole verification against SHA-256, fixed cost
//     included, which shrinks towards x-sha256 as files grow.
func BenchmarkVerify(b *testing.B) {
	p := vNewPKI(b)
	v := &Verifier{Trust: p.trust()}
	small := vSign(b, p, vBuildPDF(vDoc{content: "BT /F1 12 Tf 72 720 Td (x) Tj ET"}), vSignOpts{timestamp: true})
	for _, mb := range []int{1, 16} {
		b.Run(fmt.Sprintf("%dMB", mb), func(b *testing.B) {
			filler := make([]byte, mb<<19)
			if _, err := rand.Read(filler); err != nil {
				b.Fatal(err)
			}
			// Hex text in a content stream: large, uncompressed, and read by
			// nothing but the digest.
			content := "BT /F1 12 Tf 72 720 Td <" + hex.EncodeToString(filler) + "> Tj ET"
			data := vSign(b, p, vBuildPDF(vDoc{content: content}), vSignOpts{timestamp: true})
			verify := func(doc []byte) time.Duration {
				t0 := time.Now()
				rep, err := v.VerifyPDF(context.Background(), vBytes(doc), int64(len(doc)), gateway.VerifyOptions{Offline: true})
				d := time.Since(t0)
				if err != nil || rep.Document.Verdict != gateway.VerdictValid || rep.Document.SHA256 == "" {
					b.Fatalf("verify: %v %+v", err, rep)
				}
				return d
			}
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			var shaTime, fixedTime, verifyTime time.Duration
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				sha256.Sum256(data)
				shaTime += time.Since(t0)
				fixedTime += verify(small)
				verifyTime += verify(data)
			}
			n := float64(b.N)
			size := float64(len(data)) / (1 << 20)
			marginal := (verifyTime - fixedTime).Seconds() / n / size
			sha := shaTime.Seconds() / n / size
			b.ReportMetric(fixedTime.Seconds()/n*1e6, "fixed-µs")
			b.ReportMetric(marginal*1e3, "verify-ms/MB")
			b.ReportMetric(sha*1e3, "sha256-ms/MB")
			b.ReportMetric(marginal/sha, "x-sha256")
			b.ReportMetric(float64(verifyTime)/float64(shaTime), "x-sha256-total")
		})
	}
}

// BenchmarkVerifyCorpus verifies, in one process, every corpus file that
// scripts/bench-verify times (labelled intact or intact-none) one after
// another, trusting nothing, as `docgate verify --json --jobs 1` does: the
// batch time without the one process start and the JSON output.
func BenchmarkVerifyCorpus(b *testing.B) {
	var paths []string
	for _, r := range corpusRows(b) {
		if r.expect == "intact" || r.expect == "intact-none" {
			paths = append(paths, filepath.Join(corpusDir, filepath.FromSlash(r.path)))
		}
	}
	var total time.Duration
	for i := 0; i < b.N; i++ {
		for _, p := range paths {
			if _, err, d := verifyCorpusFile(b, p, time.Minute); err != nil {
				b.Fatalf("%s: %v", p, err)
			} else {
				total += d
			}
		}
	}
	b.ReportMetric(total.Seconds()/float64(b.N*len(paths))*1e6, "µs/file")
}
