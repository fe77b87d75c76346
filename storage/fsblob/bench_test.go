package fsblob_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"docgate/gateway"
	"docgate/storage/fsblob"
)

// BenchmarkPut measures Put against the least any durable content-addressed
// write must do: copy the bytes to a file while hashing them, then fsync. The
// baseline runs in the same benchmark, interleaved with Put, so both see the
// same disk and load; ratio is Put's time over the baseline's (1 = no
// overhead). The rest of Put's cost is the rename, the directory fsync and
// the checks.
func BenchmarkPut(b *testing.B) {
	for _, size := range []int{1 << 20, 16 << 20} {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			dir := b.TempDir()
			s, err := fsblob.New(filepath.Join(dir, "store"))
			if err != nil {
				b.Fatal(err)
			}
			data := make([]byte, size)
			rng := rand.NewChaCha8([32]byte{1})
			rng.Read(data)

			var putTime, baseTime time.Duration
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				// A different blob each time, so Put never hits the
				// already-stored shortcut of a rename over the same name.
				data[0], data[1] = byte(i), byte(i>>8)

				b.StopTimer()
				start := time.Now()
				baseline(b, filepath.Join(dir, "baseline"), data)
				baseTime += time.Since(start)
				b.StartTimer()

				start = time.Now()
				if _, err := s.Put(b.Context(), bytes.NewReader(data), gateway.PutOptions{}); err != nil {
					b.Fatal(err)
				}
				putTime += time.Since(start)
			}
			mb := float64(size) * float64(b.N) / 1e6
			b.ReportMetric(mb/putTime.Seconds(), "put-MB/s")
			b.ReportMetric(mb/baseTime.Seconds(), "baseline-MB/s")
			b.ReportMetric(putTime.Seconds()/baseTime.Seconds(), "ratio")
		})
	}
}

// baseline writes data to path with io.Copy while hashing it, and fsyncs.
func baseline(b *testing.B, path string, data []byte) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), bytes.NewReader(data)); err != nil {
		b.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	h.Sum(nil)
}
