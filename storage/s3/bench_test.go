package s3_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"docgate/gateway"
	"docgate/storage/s3"
)

// BenchmarkPut measures Put against a plain minio-go PutObject of the same
// bytes with their size known, interleaved in the same run on the same
// server. The ratio (Put's time over the baseline's) is the cost of not
// knowing the size or the digest in advance: hashing, and above 1 MiB either
// the temporary object and the server-side copy (tempkey) or the local spool
// file (spool).
func BenchmarkPut(b *testing.B) {
	for _, spool := range []bool{false, true} {
		for _, size := range []int{256 << 10, 4 << 20, 16 << 20} {
			mode := "tempkey"
			if spool {
				mode = "spool"
			}
			b.Run(fmt.Sprintf("%s/%dKiB", mode, size>>10), func(b *testing.B) {
				cfg := testConfig(b)
				if spool {
					cfg.SpoolDir = b.TempDir()
				}
				s, cfg := openConfig(b, cfg)
				benchPut(b, s, rawClient(b, cfg), cfg.Bucket, size)
			})
		}
	}
}

func benchPut(b *testing.B, s *s3.Store, c *minio.Client, bucket string, size int) {
	data := make([]byte, size)
	rand.NewChaCha8([32]byte{2}).Read(data)

	// The first request of a client looks up the bucket's region; keep it
	// out of the baseline.
	if _, err := c.PutObject(b.Context(), bucket, "baseline/warmup", bytes.NewReader(data[:1]), 1, minio.PutObjectOptions{}); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Stat(b.Context(), strings.Repeat("0", 64)); gateway.ErrorCode(err) != gateway.ENOTFOUND {
		b.Fatal(err)
	}

	var putTime, baseTime time.Duration
	b.SetBytes(int64(size))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		// A new blob each round, so Put never takes the already-stored
		// shortcut.
		data[0], data[1] = byte(i), byte(i>>8)

		b.StopTimer()
		start := time.Now()
		if _, err := c.PutObject(b.Context(), bucket, fmt.Sprintf("baseline/%d", i), bytes.NewReader(data), int64(size), minio.PutObjectOptions{}); err != nil {
			b.Fatal(err)
		}
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
}
