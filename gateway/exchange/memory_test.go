package exchange_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"docgate/gateway"
	"docgate/gateway/exchange"
)

// TestSubmitMemoryDoesNotGrowWithSize submits signed PDFs of 4 and 28 MiB
// through the real PAdES verifier, from files, and checks that what a
// submission allocates does not grow with the document: parts are spooled
// to disk and streamed, never held whole (the lesson of gateways that needed
// 3-4x a file's size). A blob store may allocate a fixed buffer per upload
// (the S3 client's part buffer), which is why sizes are compared, not a
// single allocation against its document.
func TestSubmitMemoryDoesNotGrowWithSize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds PDFs of tens of MiB")
	}
	f := newBenchFixture(t)
	allocs := map[int]uint64{}
	for _, size := range []int{4 << 20, 28 << 20} {
		path := filepath.Join(t.TempDir(), "big.pdf")
		if err := os.WriteFile(path, signedPDF(t, f.ca, sender, size), 0o644); err != nil {
			t.Fatal(err)
		}
		file, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err = f.svc.Submit(as(sender), gateway.Envelope{From: sender, To: []string{recipB}, Subject: "lớn"},
			&exchange.Upload{Name: "big.pdf", Body: file}, exchange.NoUploads{})
		runtime.ReadMemStats(&after)
		file.Close()
		if err != nil {
			t.Fatal(err)
		}
		allocs[size] = after.TotalAlloc - before.TotalAlloc
		t.Logf("submitting %d MiB allocated %.1f MiB", size>>20, float64(allocs[size])/(1<<20))
	}
	// Holding the PDF whole would cost at least 24 MiB more; the S3
	// client's part buffer (up to 16 MiB, filled up to the object's size)
	// accounts for the few MiB of growth seen there.
	growth := int64(allocs[28<<20]) - int64(allocs[4<<20])
	if growth > 8<<20 || allocs[28<<20] > 21<<20 {
		t.Fatalf("24 MiB more document cost %.1f MiB more memory (%.1f MiB in all): parts are being held in memory",
			float64(growth)/(1<<20), float64(allocs[28<<20])/(1<<20))
	}
}
