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

// BenchmarkPut measures Put against two baselines run in the same benchmark,
// interleaved with Put so that all three see the same disk and load:
//
//   - copy: io.Copy to a file while hashing with SHA-256, nothing more, the
//     cost of any store that hashes what it writes;
//   - sync: the same plus an fsync, the least any durable write must do.
//
// ratio-copy and ratio-sync are Put's time over each (1 = no overhead). What
// Put adds to sync is the rename into place and the directory fsync that
// makes the rename survive a crash.
func BenchmarkPut(b *testing.B) {
	for _, size := range []int{1 << 20, 16 << 20} {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			dir := b.TempDir()
			s, err := fsblob.New(filepath.Join(dir, "store"))
			if err != nil {
				b.Fatal(err)
			}
			data := make([]byte, size)
			rand.NewChaCha8([32]byte{1}).Read(data)

			var putTime, copyTime, syncTime time.Duration
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				// A different blob each time, so Put never renames over the
				// same name.
				data[0], data[1] = byte(i), byte(i>>8)

				b.StopTimer()
				start := time.Now()
				baseline(b, filepath.Join(dir, "copy"), data, false)
				copyTime += time.Since(start)
				start = time.Now()
				baseline(b, filepath.Join(dir, "sync"), data, true)
				syncTime += time.Since(start)
				b.StartTimer()

				start = time.Now()
				if _, err := s.Put(b.Context(), bytes.NewReader(data), gateway.PutOptions{}); err != nil {
					b.Fatal(err)
				}
				putTime += time.Since(start)
			}
			mb := float64(size) * float64(b.N) / 1e6
			b.ReportMetric(mb/putTime.Seconds(), "put-MB/s")
			b.ReportMetric(mb/copyTime.Seconds(), "copy-MB/s")
			b.ReportMetric(mb/syncTime.Seconds(), "sync-MB/s")
			b.ReportMetric(putTime.Seconds()/copyTime.Seconds(), "ratio-copy")
			b.ReportMetric(putTime.Seconds()/syncTime.Seconds(), "ratio-sync")
		})
	}
}

// baseline writes data to path with io.Copy while hashing it, and fsyncs when
// asked.
func baseline(b *testing.B, path string, data []byte, sync bool) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), bytes.NewReader(data)); err != nil {
		b.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	h.Sum(nil)
}
