package pdf

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand"
	"testing"
	"time"
)

// benchPDF generates a document of pages pages whose content streams hold streamSize random bytes
// each, with an xref stream when compact is set: the same object count at any size, so that the
// cost of structure and the cost of bytes can be told apart.
func benchPDF(pages, streamSize int, compact bool) []byte {
	rng := rand.New(rand.NewSource(1))
	g := newGen("1.7")
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>")
	var kids bytes.Buffer
	for i := range pages {
		fmt.Fprintf(&kids, "%d 0 R ", 10+2*i)
	}
	g.obj(2, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 595 842] >>", kids.String(), pages))
	g.obj(3, "<< /FT /Sig /T (Signature1) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 10 0 R >>")
	data := make([]byte, streamSize)
	for i := range pages {
		n := uint32(10 + 2*i)
		g.obj(n, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /Contents %d 0 R /Resources << /ProcSet [/PDF /Text] >> >>", n+1))
		rng.Read(data)
		g.stream(n+1, "", data)
	}
	if compact {
		g.xrefStream(uint32(10+2*pages), true, "/Root 1 0 R")
	} else {
		g.table("/Root 1 0 R")
	}
	return g.bytes()
}

func benchWalk(b *testing.B, pdf []byte, decode bool) {
	b.Helper()
	b.SetBytes(int64(len(pdf)))
	b.ReportAllocs()
	var shaTime time.Duration
	for b.Loop() {
		f, err := Open(bytes.NewReader(pdf), int64(len(pdf)), nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Pages(); err != nil {
			b.Fatal(err)
		}
		if _, err := f.Fields(); err != nil {
			b.Fatal(err)
		}
		for _, r := range f.Revisions() {
			for _, ref := range r.Objects() {
				o, err := f.Object(ref)
				if err != nil {
					b.Fatal(err)
				}
				if st, ok := o.(*Stream); ok && decode {
					if _, _, err := f.Decode(st); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
		// The baseline: hashing the same bytes, as a signer or verifier must anyway.
		b.StopTimer()
		t0 := time.Now()
		sha256.Sum256(pdf)
		shaTime += time.Since(t0)
		b.StartTimer()
	}
	mb := float64(len(pdf)) / 1e6 * float64(b.N)
	walkMBps := mb / b.Elapsed().Seconds()
	shaMBps := mb / shaTime.Seconds()
	b.ReportMetric(shaMBps, "sha256-MB/s")
	b.ReportMetric(walkMBps/shaMBps, "x-sha256")
}

// BenchmarkOpenWalk opens a 1 MB and a 50 MB document with the same number of objects and
// resolves every object: allocations per op must stay about the same, since the reader never
// holds stream data it is not asked for.
func BenchmarkOpenWalk(b *testing.B) {
	for _, size := range []struct {
		name  string
		bytes int
	}{{"1MB", 1 << 20}, {"50MB", 50 << 20}} {
		pdf := benchPDF(200, size.bytes/200, true)
		b.Run(size.name, func(b *testing.B) { benchWalk(b, pdf, false) })
	}
}

// BenchmarkDecodeAll also decodes every stream, touching every byte as hashing does.
func BenchmarkDecodeAll(b *testing.B) {
	for _, size := range []struct {
		name  string
		bytes int
	}{{"1MB", 1 << 20}, {"50MB", 50 << 20}} {
		pdf := benchPDF(200, size.bytes/200, false)
		b.Run(size.name, func(b *testing.B) { benchWalk(b, pdf, true) })
	}
}
