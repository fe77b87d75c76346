package cms

import (
	"context"
	"crypto"
	"crypto/rand"
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
			var bare, full time.Duration
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
				bare += mid.Sub(start)
				full += time.Since(mid)
			}
			b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "bare-sign-ns/op")
			b.ReportMetric(float64(full.Nanoseconds())/float64(b.N), "cms-sign-ns/op")
			b.ReportMetric(float64(full)/float64(bare), "ratio")
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
	var bare, full time.Duration
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
		bare += mid.Sub(start)
		full += time.Since(mid)
	}
	b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "bare-verify-ns/op")
	b.ReportMetric(float64(full.Nanoseconds())/float64(b.N), "cms-verify-ns/op")
	b.ReportMetric(float64(full)/float64(bare), "ratio")
}
