// Package auditlogtest is the conformance suite for auditlog.Storage: every
// implementation (memory, SQLite, PostgreSQL) must pass it, so that the log's
// guarantees do not depend on which one a deployment uses. It is test code
// and must not be imported outside tests.
package auditlogtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"docgate/gateway"
	"docgate/gateway/auditlog"
)

// TestStorage runs the auditlog.Storage conformance suite. open must return
// an isolated, empty log storage on every call and arrange for it to be
// closed when t ends; the subtests run in parallel, each with its own.
func TestStorage(t *testing.T, open func(t *testing.T) auditlog.Storage) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s auditlog.Storage)
	}{
		{"Empty", testEmpty},
		{"AppendAndRead", testAppendAndRead},
		{"FailedAppendCommitsNothing", testFailedAppendCommitsNothing},
		{"WriteAtWrongSize", testWriteAtWrongSize},
		{"NodeWrittenTwice", testNodeWrittenTwice},
		{"AppendsAreSerialised", testAppendsAreSerialised},
		{"ReadersSeeWholeAppends", testReadersSeeWholeAppends},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

func mustLog(t *testing.T, s auditlog.Storage) (*auditlog.Log, *auditlog.Verifier) {
	t.Helper()
	skey, vkey, err := auditlog.GenerateKey(rand.Reader, "conformance.test/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auditlog.NewLogVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return auditlog.NewLog(s, signer), v
}

func record(i int) auditlog.LeafRecord {
	return auditlog.LeafRecord{
		DocumentID: fmt.Sprintf("doc-%d", i),
		From:       "000.00.00.H41",
		To:         []string{"000.00.00.G22"},
		Event:      gateway.EventSubmissionAcceptance,
		PDFSHA256:  sha256.Sum256(fmt.Appendf(nil, "pdf %d", i)),
		Time:       time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
		EvidenceID: fmt.Sprintf("ev-%d", i),
	}
}

func mustSize(t *testing.T, s auditlog.Storage, want uint64) {
	t.Helper()
	got, err := s.Size(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("size %d, want %d", got, want)
	}
}

func testEmpty(t *testing.T, s auditlog.Storage) {
	ctx := context.Background()
	mustSize(t, s, 0)
	if leaves, err := s.ReadLeaves(ctx, 0, 0); err != nil || len(leaves) != 0 {
		t.Fatalf("no leaves of an empty log: %v, %d", err, len(leaves))
	}
	if _, err := s.ReadLeaves(ctx, 0, 1); gateway.ErrorCode(err) != gateway.EINVALID {
		t.Fatalf("leaf beyond the log: got %v, want EINVALID", err)
	}
	if _, err := s.ReadNodes(ctx, []auditlog.NodeID{{Level: 0, Index: 0}}); err == nil {
		t.Fatal("read a node of an empty log")
	}
}

// testAppendAndRead appends through a Log in uneven batches and checks the
// leaves, every root against the in-memory reference, and a full Audit.
func testAppendAndRead(t *testing.T, s auditlog.Storage) {
	ctx := context.Background()
	l, v := mustLog(t, s)
	ref, _ := mustLog(t, auditlog.NewMemoryStorage())
	var data [][]byte
	for i := range 75 {
		r := record(i)
		d, err := r.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, d)
	}
	for _, b := range [][2]int{{0, 1}, {1, 2}, {2, 33}, {33, 64}, {64, 75}} {
		first, err := l.AppendData(ctx, data[b[0]:b[1]])
		if err != nil {
			t.Fatal(err)
		}
		if first != uint64(b[0]) {
			t.Fatalf("append returned first %d, want %d", first, b[0])
		}
		if _, err := ref.AppendData(ctx, data[b[0]:b[1]]); err != nil {
			t.Fatal(err)
		}
	}
	mustSize(t, s, 75)
	leaves, err := s.ReadLeaves(ctx, 10, 75)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range leaves {
		if !bytes.Equal(d, data[10+i]) {
			t.Fatalf("leaf %d: got %x, want %x", 10+i, d, data[10+i])
		}
	}
	for size := range uint64(76) {
		got, err := l.Root(ctx, size)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ref.Root(ctx, size)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("root of %d differs from the reference", size)
		}
	}
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := auditlog.Audit(ctx, s, v, cp); err != nil {
		t.Fatal(err)
	}
}

var errAbort = errors.New("abort")

func testFailedAppendCommitsNothing(t *testing.T, s auditlog.Storage) {
	ctx := context.Background()
	l, _ := mustLog(t, s)
	if _, err := l.Append(ctx, record(0)); err != nil {
		t.Fatal(err)
	}
	err := s.Append(ctx, func(ctx context.Context, tx auditlog.AppendTx) error {
		h := auditlog.LeafHash([]byte("x"))
		if err := tx.Write(ctx, 1, [][]byte{[]byte("x")}, []auditlog.Node{{ID: auditlog.NodeID{Level: 0, Index: 1}, Hash: h}}); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("append returned %v, want the callback's error", err)
	}
	mustSize(t, s, 1)
	if _, err := s.ReadNodes(ctx, []auditlog.NodeID{{Level: 0, Index: 1}}); err == nil {
		t.Fatal("aborted node is readable")
	}
	// The log carries on where it was.
	if first, err := l.Append(ctx, record(1)); err != nil || first != 1 {
		t.Fatalf("append after abort: %d, %v", first, err)
	}
}

func testWriteAtWrongSize(t *testing.T, s auditlog.Storage) {
	ctx := context.Background()
	l, _ := mustLog(t, s)
	if _, err := l.Append(ctx, record(0), record(1)); err != nil {
		t.Fatal(err)
	}
	for _, first := range []uint64{0, 1, 3} {
		err := s.Append(ctx, func(ctx context.Context, tx auditlog.AppendTx) error {
			return tx.Write(ctx, first, [][]byte{[]byte("x")}, nil)
		})
		if gateway.ErrorCode(err) != gateway.ECONFLICT {
			t.Errorf("write at %d into a log of 2: got %v, want ECONFLICT", first, err)
		}
	}
	mustSize(t, s, 2)
}

func testNodeWrittenTwice(t *testing.T, s auditlog.Storage) {
	ctx := context.Background()
	l, _ := mustLog(t, s)
	if _, err := l.Append(ctx, record(0), record(1)); err != nil {
		t.Fatal(err)
	}
	err := s.Append(ctx, func(ctx context.Context, tx auditlog.AppendTx) error {
		bad := bytes.Repeat([]byte{1}, auditlog.HashSize)
		return tx.Write(ctx, 2, [][]byte{[]byte("x")}, []auditlog.Node{{ID: auditlog.NodeID{Level: 1, Index: 0}, Hash: bad}})
	})
	if gateway.ErrorCode(err) != gateway.ECONFLICT {
		t.Fatalf("rewriting node 1/0: got %v, want ECONFLICT", err)
	}
	mustSize(t, s, 2)
	got, err := s.ReadNodes(ctx, []auditlog.NodeID{{Level: 1, Index: 0}})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got[0], bytes.Repeat([]byte{1}, auditlog.HashSize)) {
		t.Fatal("node 1/0 was overwritten")
	}
}

// testAppendsAreSerialised runs appends from many goroutines, each through
// its own Log as separate replicas would; no two callbacks may overlap and
// every leaf must land exactly once.
func testAppendsAreSerialised(t *testing.T, s auditlog.Storage) {
	ctx := context.Background()
	var inside atomic.Int32
	var wg sync.WaitGroup
	const workers, each = 6, 10
	for w := range workers {
		l, _ := mustLog(t, s)
		wg.Go(func() {
			for i := range each {
				err := s.Append(ctx, func(ctx context.Context, tx auditlog.AppendTx) error {
					if inside.Add(1) != 1 {
						t.Error("two append callbacks ran at once")
					}
					defer inside.Add(-1)
					time.Sleep(100 * time.Microsecond) // widen the window a race needs
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := l.Append(ctx, record(w*each+i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	mustSize(t, s, workers*each)
	leaves, err := s.ReadLeaves(ctx, 0, workers*each)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range leaves {
		r, err := auditlog.ParseLeafRecord(d)
		if err != nil {
			t.Fatal(err)
		}
		if seen[r.EvidenceID] {
			t.Fatalf("%s appended twice", r.EvidenceID)
		}
		seen[r.EvidenceID] = true
	}
}

// testReadersSeeWholeAppends reads while another goroutine appends: every
// size a reader sees must come with all the nodes its root needs.
func testReadersSeeWholeAppends(t *testing.T, s auditlog.Storage) {
	ctx := context.Background()
	l, _ := mustLog(t, s)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(done)
		for i := range 40 {
			if _, err := l.Append(ctx, record(2*i), record(2*i+1)); err != nil {
				t.Error(err)
				return
			}
		}
	})
	reader, _ := mustLog(t, s)
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			size, err := reader.Size(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			if size%2 != 0 {
				t.Errorf("saw half an append: size %d", size)
				return
			}
			if _, err := reader.Root(ctx, size); err != nil {
				t.Errorf("root of a committed size %d: %v", size, err)
				return
			}
		}
	})
	wg.Wait()
}
