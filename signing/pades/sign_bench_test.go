package pades

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkSign1MB signs a 1 MB PDF in-process and, interleaved in the same loop, does the least
// any signer must do: SHA-256 over the file and one private-key signature. The ratio of the two
// is reported as x-baseline (target: at most 2).
func BenchmarkSign1MB(b *testing.B) {
	p := mustPKI(b, "ec")
	data := minimalPDF(1 << 20)
	o := p.opts()
	var signing, baseline time.Duration
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		sum := sha256.Sum256(data)
		if _, err := p.leaf.Key.Sign(rand.Reader, sum[:], crypto.SHA256); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := Sign(context.Background(), bytes.NewReader(data), int64(len(data)), io.Discard, o); err != nil {
			b.Fatal(err)
		}
		signing += time.Since(t1)
		baseline += t1.Sub(t0)
	}
	n := float64(b.N)
	b.ReportMetric(float64(signing.Nanoseconds())/n, "sign-ns/op")
	b.ReportMetric(float64(baseline.Nanoseconds())/n, "baseline-ns/op")
	b.ReportMetric(float64(signing)/float64(baseline), "x-baseline")
}

// writeBigPDF writes a one-page PDF of about size bytes to path without holding it in memory: the
// page's content stream is size bytes of comment lines.
func writeBigPDF(tb testing.TB, path string, size int64) {
	tb.Helper()
	fh, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(fh, 1<<20)
	var n int64
	var offs []int64
	put := func(s string) {
		w.WriteString(s)
		n += int64(len(s))
	}
	put("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	for i, body := range []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
	} {
		offs = append(offs, n)
		put(fmt.Sprintf("%d 0 obj\n%s\nendobj\n", i+1, body))
	}
	line := "% " + strings.Repeat("0123456789", 10) + "\n"
	lines := size / int64(len(line))
	offs = append(offs, n)
	put(fmt.Sprintf("4 0 obj\n<< /Length %d >>\nstream\n", lines*int64(len(line))))
	for i := int64(0); i < lines; i++ {
		put(line)
	}
	put("\nendstream\nendobj\n")
	x := n
	put(fmt.Sprintf("xref\n0 %d\n0000000000 65535 f\r\n", len(offs)+1))
	for _, o := range offs {
		put(fmt.Sprintf("%010d 00000 n\r\n", o))
	}
	put(fmt.Sprintf("trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, x))
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		tb.Fatal(err)
	}
}

// signPeakMemory signs a generated PDF of size bytes in a child process (this test binary running
// TestSignMemoryChild) and returns the child's peak resident memory (VmHWM) just before signing
// and after, in bytes.
func signPeakMemory(tb testing.TB, size int64) (base, peak int64) {
	tb.Helper()
	if _, err := os.Stat("/proc/self/status"); err != nil {
		tb.Skip("no /proc: peak memory is read from /proc/self/status (VmHWM)")
	}
	p := mustPKI(tb, "ec")
	dir := tb.TempDir()
	in := filepath.Join(dir, "big.pdf")
	writeBigPDF(tb, in, size)
	der, err := x509.MarshalPKCS8PrivateKey(p.leaf.Key)
	if err != nil {
		tb.Fatal(err)
	}
	keyFile := writeTemp(tb, "key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	certFile := writeTemp(tb, "cert.der", p.leaf.Cert.Raw)
	cmd := exec.Command(os.Args[0], "-test.run=^TestSignMemoryChild$", "-test.v")
	cmd.Env = append(os.Environ(), "DOCGATE_SIGN_CHILD="+strings.Join([]string{in, filepath.Join(dir, "out.pdf"), keyFile, certFile}, ","))
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("child: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if _, rest, ok := strings.Cut(l, "VMHWM "); ok {
			f := strings.Fields(rest)
			base, _ = strconv.ParseInt(f[0], 10, 64)
			peak, _ = strconv.ParseInt(f[1], 10, 64)
			return base * 1024, peak * 1024
		}
	}
	tb.Fatalf("child printed no VMHWM line:\n%s", out)
	return 0, 0
}

// TestSignMemoryChild is the child of signPeakMemory; it does nothing in a normal test run.
func TestSignMemoryChild(t *testing.T) {
	spec := os.Getenv("DOCGATE_SIGN_CHILD")
	if spec == "" {
		t.Skip("runs only as the child process of a memory measurement")
	}
	f := strings.Split(spec, ",")
	keyPEM, _ := os.ReadFile(f[2])
	blk, _ := pem.Decode(keyPEM)
	key, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	certDER, _ := os.ReadFile(f[3])
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(f[0])
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	st, _ := in.Stat()
	out, err := os.Create(f[1])
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	runtime.GC()
	base := vmHWM(t)
	w := bufio.NewWriterSize(out, 1<<20) // as docgate sign writes
	if _, err := Sign(context.Background(), in, st.Size(), w, SignOptions{Signer: key.(crypto.Signer), Chain: []*x509.Certificate{cert}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("VMHWM %d %d\n", base, vmHWM(t))
}

// vmHWM is the process's peak resident set in kB.
func vmHWM(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}

// TestSignMemoryBounded signs a 32 MB file in a child process: the peak must stay under 64 MB
// above what the process held before signing. The 200 MB case is BenchmarkSignPeakMemory200MB.
func TestSignMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and signs a 32 MB file; skipped with -short")
	}
	base, peak := signPeakMemory(t, 32<<20)
	t.Logf("32 MB file: peak %d MB, %d MB above the %d MB before signing", peak>>20, (peak-base)>>20, base>>20)
	if peak-base > 64<<20 {
		t.Errorf("signing a 32 MB file raised peak memory by %d MB", (peak-base)>>20)
	}
}

// BenchmarkSignPeakMemory200MB signs a generated 200 MB PDF in a child process and reports how
// far its peak resident memory rose above the level before signing (target: under 64 MB). Run it
// with: go test -run '^$' -bench SignPeakMemory200MB -benchtime 1x ./signing/pades
func BenchmarkSignPeakMemory200MB(b *testing.B) {
	var base, peak int64
	for b.Loop() {
		base, peak = signPeakMemory(b, 200<<20)
	}
	b.ReportMetric(float64(peak-base)/(1<<20), "MB-above-baseline")
	b.ReportMetric(float64(peak)/(1<<20), "MB-peak")
	if peak-base > 64<<20 {
		b.Errorf("peak memory %d MB above baseline", (peak-base)>>20)
	}
}
