package exchange_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"docgate/certs"
	"docgate/certs/devca"
	"docgate/gateway"
	"docgate/gateway/exchange"
	"docgate/signing/pades"
)

// signedPDF is a one-page PDF of about size bytes (incompressible padding in
// an image), signed by a new agency certificate of ca.
func signedPDF(tb testing.TB, ca *devca.CA, code string, size int) []byte {
	tb.Helper()
	return newPDFSigner(tb, ca, code).sign(tb, size)
}

// pdfSigner signs test PDFs with one agency certificate.
type pdfSigner struct {
	key   crypto.Signer
	chain []*x509.Certificate
}

func newPDFSigner(tb testing.TB, ca *devca.CA, code string) *pdfSigner {
	tb.Helper()
	iss, err := ca.Issue(devca.IssueRequest{AgencyCode: code, OrgName: "Văn phòng"})
	if err != nil {
		tb.Fatal(err)
	}
	return &pdfSigner{key: iss.Key, chain: []*x509.Certificate{iss.Cert, ca.Root()}}
}

// sign makes and signs a one-page PDF whose bulk, about size bytes, is a
// random binary image: different every time, as scanned pages are.
func (s *pdfSigner) sign(tb testing.TB, size int) []byte {
	tb.Helper()
	pad := make([]byte, size)
	rand.Read(pad)
	var b bytes.Buffer
	var offs []int
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	obj := func(body string) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offs), body)
	}
	content := "BT /F1 24 Tf 72 720 Td (Cong van) Tj ET"
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>")
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	obj(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>\nstream\n%s\nendstream", size, size, pad))
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f\r\n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n\r\n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /ID [<00112233445566778899AABBCCDDEEFF> <00112233445566778899AABBCCDDEEFF>] >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	var out bytes.Buffer
	in := b.Bytes()
	if _, err := pades.Sign(context.Background(), bytes.NewReader(in), int64(len(in)), &out, pades.SignOptions{Signer: s.key, Chain: s.chain}); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// BenchmarkSubmit measures the whole submit path with the real PAdES
// verifier (revocation answered by the dev CA's OCSP over HTTP), receipts
// sealed and timestamped, blobs and metadata in the configured stores
// (PostgreSQL and MinIO under scripts/test), against a baseline of raw blob
// puts of the same bytes to the same blob store. It reports throughput and
// p50/p99 latency of each.
func BenchmarkSubmit(b *testing.B) {
	for _, size := range []int{100 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("size=%dKiB", size>>10), func(b *testing.B) { benchSubmit(b, size) })
	}
}

func benchSubmit(b *testing.B, size int) {
	f := newBenchFixture(b)
	signer := newPDFSigner(b, f.ca, sender)
	const concurrency = 4

	// Every operation gets a document of its own, made before the timer
	// starts: the blob store keeps one copy of identical bytes, so a repeat
	// (within a run, or of another run's) would skip the upload.
	var putRate float64 // docs/s of baseline-put, which runs first
	run := func(name string, op func(doc []byte) error) {
		b.Run(name, func(b *testing.B) {
			docs := make([][]byte, b.N)
			for i := range docs {
				docs[i] = signer.sign(b, size)
			}
			lat := make([]time.Duration, b.N)
			var next int64
			var mu sync.Mutex
			b.SetBytes(int64(len(docs[0])))
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			errs := make(chan error, concurrency)
			for range concurrency {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						mu.Lock()
						i := next
						next++
						mu.Unlock()
						if i >= int64(b.N) {
							return
						}
						t0 := time.Now()
						if err := op(docs[i]); err != nil {
							errs <- err
							return
						}
						lat[i] = time.Since(t0)
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			select {
			case err := <-errs:
				b.Fatal(err)
			default:
			}
			slices.Sort(lat)
			rate := float64(b.N) / elapsed.Seconds()
			b.ReportMetric(rate, "docs/s")
			if name == "baseline-put" {
				putRate = rate
			} else if putRate > 0 {
				b.ReportMetric(rate/putRate, "x-put")
			}
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
	run("baseline-put", func(doc []byte) error {
		_, err := f.blobs.Put(context.Background(), bytes.NewReader(doc), gateway.PutOptions{})
		return err
	})
	run("submit+fetch+ack", func(doc []byte) error {
		out, err := f.svc.Submit(as(sender), gateway.Envelope{From: sender, To: []string{recipB}, Subject: "bench"},
			&exchange.Upload{Name: "doc.pdf", Body: bytes.NewReader(doc)}, exchange.NoUploads{})
		if err != nil {
			return err
		}
		rc, _, err := f.svc.Open(as(recipB), out.Document.ID, -1)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return err
		}
		_, err = f.svc.Acknowledge(as(recipB), out.Document.ID)
		return err
	})
	run("submit", func(doc []byte) error {
		_, err := f.svc.Submit(as(sender), gateway.Envelope{From: sender, To: []string{recipB}, Subject: "bench"},
			&exchange.Upload{Name: "doc.pdf", Body: bytes.NewReader(doc)}, exchange.NoUploads{})
		return err
	})
}

// newBenchFixture is a fixture with the real PAdES verifier: the dev CA's
// root is the trust anchor and its OCSP responder runs on a local server.
func newBenchFixture(b testing.TB) *fixture {
	var h http.Handler = http.NotFoundHandler()
	var hmu sync.RWMutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hmu.RLock()
		defer hmu.RUnlock()
		h.ServeHTTP(w, r)
	}))
	b.Cleanup(srv.Close)
	f := newFixtureCA(b, srv.URL)
	hmu.Lock()
	h = f.ca.Handler()
	hmu.Unlock()
	trust := certs.NewTrustStore()
	trust.AddAnchor(f.ca.Root())
	f.svc.Verifier = &pades.Verifier{Trust: trust, Revocation: certs.NewRevocationChecker(certs.RevocationConfig{})}
	return f
}
