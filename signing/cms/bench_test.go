package cms

import (
	"context"
	"crypto"
	"crypto/rand"
	"slices"
	"testing"
	"time"
)

// BenchmarkSignDigest measures detached CMS signing from a precomputed digest against one bare
// Signer.Sign of the same digest, timed in the same run: the ratio is the cost of building the
// CMS structure on top of the private-key operation.
func BenchmarkSignDigest(b *testing.B) {
	p := mustPKI(b)
	digest := sum(crypto.SHA256, []byte("the /ByteRange of a PDF"))
	for _, name := range []string{"p256", "rsa2048"} {
		s := p.signer(b, name)
		b.Run(name, func(b *testing.B) {
			o := SignOptions{Signer: s.key, Certificate: s.cert, Digest: digest, Detached: true, SigningCertificateV2: true}
			ctx := context.Background()
			// Warm up (RSA precomputation happens on first use), then interleave the baseline
			// with the measured call so that load from other processes hits both alike.
			if _, err := Sign(ctx, o); err != nil {
				b.Fatal(err)
			}
			// Both are timed by hand: StopTimer/StartTimer read memory statistics, which costs
			// more than the difference being measured. ns/op is therefore the pair.
			bare := make([]time.Duration, 0, b.N)
			full := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				if _, err := s.key.Sign(rand.Reader, digest, crypto.SHA256); err != nil {
					b.Fatal(err)
				}
				mid := time.Now()
				if _, err := Sign(ctx, o); err != nil {
					b.Fatal(err)
				}
				bare = append(bare, mid.Sub(start))
				full = append(full, time.Since(mid))
			}
			reportPair(b, "sign", bare, full)
		})
	}
}

// BenchmarkParseVerify measures parsing and verifying a detached signature against a bare
// signature verification of the same key type.
func BenchmarkParseVerify(b *testing.B) {
	p := mustPKI(b)
	digest := sum(crypto.SHA256, []byte("the /ByteRange of a PDF"))
	s := p.signer(b, "p256")
	der := mustSign(b, SignOptions{Signer: s.key, Certificate: s.cert, Digest: digest, Detached: true, SigningCertificateV2: true})
	sd := mustParse(b, der)
	si := sd.Signers[0]
	signed := sum(crypto.SHA256, si.RawSignedAttributes)
	bare := make([]time.Duration, 0, b.N)
	full := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if err := verifySignature(s.cert.PublicKey, si, signed); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		sd, err := Parse(der)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sd.Verify(VerifyOptions{Digest: digest}); err != nil {
			b.Fatal(err)
		}
		bare = append(bare, mid.Sub(start))
		full = append(full, time.Since(mid))
	}
	reportPair(b, "verify", bare, full)
}

// reportPair reports the medians of the baseline and the measured operation and their ratio.
// Medians, because on a shared machine a few iterations stall for milliseconds and would
// dominate a mean.
func reportPair(b *testing.B, what string, bare, full []time.Duration) {
	b.Helper()
	median := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2].Nanoseconds())
	}
	mb, mf := median(bare), median(full)
	b.ReportMetric(mb, "bare-"+what+"-median-ns")
	b.ReportMetric(mf, "cms-"+what+"-median-ns")
	b.ReportMetric(mf/mb, "ratio")
}
