package auditlog

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"sync"
	"testing"
	"time"

	"docgate/gateway"
	"golang.org/x/mod/sumdb/note"
)

const testOrigin = "docgate.test/log"

// mustKey returns a fresh signer and its verifier for origin.
func mustKey(tb testing.TB, origin string) (note.Signer, note.Verifier) {
	tb.Helper()
	skey, vkey, err := GenerateKey(rand.Reader, origin)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := NewVerifier(vkey)
	if err != nil {
		tb.Fatal(err)
	}
	return s, v
}

func testRecord(i int) LeafRecord {
	return LeafRecord{
		DocumentID: fmt.Sprintf("doc-%08d", i/3),
		From:       "000.00.00.H41",
		To:         []string{"000.00.00.G22"},
		Event:      gateway.EventContentConsignment,
		PDFSHA256:  sha256.Sum256(fmt.Appendf(nil, "pdf %d", i/3)),
		Time:       time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond),
		EvidenceID: fmt.Sprintf("ev-%d", i),
	}
}

func mustEncode(tb testing.TB, r LeafRecord) []byte {
	tb.Helper()
	d, err := r.MarshalBinary()
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// mustLog returns a log of n test records appended in batches of batch, the
// leaf data, and the log's verifier.
func mustLog(tb testing.TB, n, batch int) (*Log, *MemoryStorage, [][]byte, *Verifier) {
	tb.Helper()
	s, v := mustKey(tb, testOrigin)
	store := NewMemoryStorage()
	l := NewLog(store, s)
	data := make([][]byte, n)
	for i := range n {
		data[i] = mustEncode(tb, testRecord(i))
	}
	for i := 0; i < n; i += batch {
		j := min(i+batch, n)
		first, err := l.AppendData(context.Background(), data[i:j])
		if err != nil {
			tb.Fatal(err)
		}
		if first != uint64(i) {
			tb.Fatalf("append at %d returned first %d", i, first)
		}
	}
	return l, store, data, &Verifier{Log: v}
}

// naiveRoot is RFC 9162 section 2.1.1's MTH written out recursively, as the
// reference the stored-node implementation is compared against.
func naiveRoot(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		h := sha256.Sum256(nil)
		return h[:]
	case 1:
		h := sha256.Sum256(append([]byte{0}, leaves[0]...))
		return h[:]
	}
	k := 1 << (bits.Len(uint(len(leaves)-1)) - 1) // largest power of two below n
	buf := append([]byte{1}, naiveRoot(leaves[:k])...)
	buf = append(buf, naiveRoot(leaves[k:])...)
	h := sha256.Sum256(buf)
	return h[:]
}

func TestRootMatchesNaiveImplementation(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ n, batch int }{{0, 1}, {1, 1}, {70, 1}, {70, 3}, {257, 64}, {1000, 333}} {
		t.Run(fmt.Sprintf("n=%d,batch=%d", tc.n, tc.batch), func(t *testing.T) {
			l, _, data, _ := mustLog(t, tc.n, tc.batch)
			for size := 0; size <= tc.n; size++ {
				got, err := l.Root(ctx, uint64(size))
				if err != nil {
					t.Fatal(err)
				}
				if want := naiveRoot(data[:size]); !bytes.Equal(got, want) {
					t.Fatalf("root of %d: got %x, want %x", size, got, want)
				}
			}
			if _, err := l.Root(ctx, uint64(tc.n+1)); gateway.ErrorCode(err) != gateway.EINVALID {
				t.Fatalf("root beyond the log: got %v, want EINVALID", err)
			}
		})
	}
}

// growingLog appends n records one at a time and keeps the checkpoint signed
// at every size, as an auditor polling the log would see them.
func growingLog(t *testing.T, n int) (*Log, [][]byte, [][]byte, *Verifier) {
	t.Helper()
	ctx := context.Background()
	s, v := mustKey(t, testOrigin)
	l := NewLog(NewMemoryStorage(), s)
	data := make([][]byte, n)
	cps := make([][]byte, n+1)
	for i := 0; i <= n; i++ {
		cp, err := l.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cps[i] = cp
		if i == n {
			break
		}
		data[i] = mustEncode(t, testRecord(i))
		if _, err := l.AppendData(ctx, data[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	return l, data, cps, &Verifier{Log: v}
}

func TestEveryProofVerifies(t *testing.T) {
	ctx := context.Background()
	const n = 40
	l, data, cps, v := growingLog(t, n)
	for size := 0; size <= n; size++ {
		sc, err := v.OpenCheckpoint(cps[size])
		if err != nil {
			t.Fatalf("checkpoint %d: %v", size, err)
		}
		if sc.Size != uint64(size) || !bytes.Equal(sc.Root, naiveRoot(data[:size])) {
			t.Fatalf("checkpoint %d says size %d root %x", size, sc.Size, sc.Root)
		}
		for i := range size {
			path, err := l.InclusionProof(ctx, uint64(i), uint64(size))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.VerifyInclusion(cps[size], data[i], uint64(i), path); err != nil {
				t.Fatalf("inclusion %d in %d: %v", i, size, err)
			}
			// The same path must not prove a neighbour's data.
			other := data[(i+1)%size]
			if size > 1 {
				if _, err := v.VerifyInclusion(cps[size], other, uint64(i), path); !errors.Is(err, ErrVerification) {
					t.Fatalf("leaf %d's path proved leaf %d's data: %v", i, (i+1)%size, err)
				}
			}
		}
		for from := 0; from <= size; from++ {
			path, err := l.ConsistencyProof(ctx, uint64(from), uint64(size))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.VerifyConsistency(cps[from], cps[size], path); err != nil {
				t.Fatalf("consistency %d to %d: %v", from, size, err)
			}
		}
	}
}

func TestProofsInLargerTreesVerify(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{1023, 1024, 1025, 3000} {
		l, _, data, v := mustLog(t, n, 500)
		cp, err := l.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i += 7 {
			p, err := l.Prove(ctx, uint64(i))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.VerifyProof(p, data[i]); err != nil {
				t.Fatalf("n=%d: proof of %d: %v", n, i, err)
			}
		}
		for _, from := range []int{1, 2, 3, 500, 511, 512, 513, n - 1} {
			path, err := l.ConsistencyProof(ctx, uint64(from), uint64(n))
			if err != nil {
				t.Fatal(err)
			}
			root, err := l.Root(ctx, uint64(from))
			if err != nil {
				t.Fatal(err)
			}
			older, err := SignCheckpoint(Checkpoint{Origin: testOrigin, Size: uint64(from), Root: root}, l.signer)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.VerifyConsistency(older, cp, path); err != nil {
				t.Fatalf("n=%d: consistency from %d: %v", n, from, err)
			}
		}
	}
}

func TestProofArgumentsAreChecked(t *testing.T) {
	ctx := context.Background()
	l, _, _, _ := mustLog(t, 10, 10)
	for name, err := range map[string]error{
		"index at size":       second(l.InclusionProof(ctx, 5, 5)),
		"size beyond log":     second(l.InclusionProof(ctx, 1, 11)),
		"consistency shrinks": second(l.ConsistencyProof(ctx, 6, 5)),
		"consistency too far": second(l.ConsistencyProof(ctx, 5, 11)),
		"prove missing leaf":  second(l.Prove(ctx, 10)),
		"read missing leaf":   second(l.Leaf(ctx, 10)),
		"append nothing":      second(l.AppendData(ctx, nil)),
		"append invalid":      second(l.Append(ctx, LeafRecord{})),
		"append too many":     second(l.AppendData(ctx, make([][]byte, maxBatch+1))),
	} {
		if gateway.ErrorCode(err) != gateway.EINVALID {
			t.Errorf("%s: got %v, want EINVALID", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// TestTamperingIsDetected plays the operator who changes history after an
// auditor has seen a checkpoint and a receipt's proof.
func TestTamperingIsDetected(t *testing.T) {
	ctx := context.Background()
	const n, victim = 100, 37

	// rebuild returns a log signed with the same key holding data.
	rebuild := func(t *testing.T, l *Log, data [][]byte) *Log {
		t.Helper()
		m := NewLog(NewMemoryStorage(), l.signer)
		if _, err := m.AppendData(ctx, data); err != nil {
			t.Fatal(err)
		}
		return m
	}
	// expectInconsistent checks that the tampered log cannot prove its new
	// checkpoint consistent with the one the auditor kept.
	expectInconsistent := func(t *testing.T, v *Verifier, auditorCP []byte, m *Log, oldSize uint64) {
		t.Helper()
		cp, err := m.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		newSize, err := m.Size(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var path [][]byte
		if newSize >= oldSize {
			if path, err = m.ConsistencyProof(ctx, oldSize, newSize); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := v.VerifyConsistency(auditorCP, cp, path); !errors.Is(err, ErrVerification) {
			t.Fatalf("tampered log passed the consistency check: %v", err)
		}
	}

	setup := func(t *testing.T) (*Log, *MemoryStorage, [][]byte, *Verifier, []byte, *Proof) {
		l, store, data, v := mustLog(t, n, 16)
		cp, err := l.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		receipt, err := l.Prove(ctx, victim)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.VerifyProof(receipt, data[victim]); err != nil {
			t.Fatal(err)
		}
		return l, store, data, v, cp, receipt
	}

	t.Run("rewritten leaf, tree rebuilt", func(t *testing.T) {
		l, _, data, v, cp, _ := setup(t)
		forged := testRecord(victim)
		forged.Event = gateway.EventConsignmentRejection
		data = append([][]byte(nil), data...)
		data[victim] = mustEncode(t, forged)
		m := rebuild(t, l, data)
		expectInconsistent(t, v, cp, m, n)
		// The forged record cannot be proven against the checkpoint the
		// auditor holds either.
		path, err := m.InclusionProof(ctx, victim, n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.VerifyInclusion(cp, data[victim], victim, path); !errors.Is(err, ErrVerification) {
			t.Fatalf("forged record proven: %v", err)
		}
	})
	t.Run("rewritten leaf data only", func(t *testing.T) {
		l, store, _, v, _, _ := setup(t)
		forged := testRecord(victim)
		forged.To = []string{"000.00.00.H56"}
		rewriteLeaf(t, store, victim, mustEncode(t, forged))
		p, err := l.Prove(ctx, victim)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := l.Leaf(ctx, victim)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.VerifyProof(p, stored); !errors.Is(err, ErrVerification) {
			t.Fatalf("rewritten leaf data verified: %v", err)
		}
	})
	t.Run("deleted leaf", func(t *testing.T) {
		l, _, data, v, cp, _ := setup(t)
		rest := append(append([][]byte(nil), data[:victim]...), data[victim+1:]...)
		m := rebuild(t, l, rest)
		expectInconsistent(t, v, cp, m, n)
		// Padding the log back to its size does not help.
		if _, err := m.AppendData(ctx, [][]byte{mustEncode(t, testRecord(n)), mustEncode(t, testRecord(n+1))}); err != nil {
			t.Fatal(err)
		}
		expectInconsistent(t, v, cp, m, n)
		// And the receipt's leaf is no longer where its proof says.
		p, err := m.Prove(ctx, victim)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.VerifyProof(p, data[victim]); !errors.Is(err, ErrVerification) {
			t.Fatalf("deleted leaf still proven at its index: %v", err)
		}
	})
	t.Run("changed stored node", func(t *testing.T) {
		l, store, data, v, cp, _ := setup(t)
		// The level-2 node over leaves [36, 40): later roots do not read
		// it, but every inclusion path from its sibling subtree does.
		flipNode(t, store, NodeID{Level: 2, Index: victim >> 2})
		path, err := l.InclusionProof(ctx, victim^4, n) // a leaf whose path uses that node
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.VerifyInclusion(cp, data[victim^4], victim^4, path); !errors.Is(err, ErrVerification) {
			t.Fatalf("proof through a changed node verified: %v", err)
		}
	})
	t.Run("changed stored node on the right edge", func(t *testing.T) {
		l, store, _, v, cp, _ := setup(t)
		// Leaves [64, 96): one of the perfect subtrees every later root is
		// built from.
		flipNode(t, store, NodeID{Level: 5, Index: 2})
		if _, err := l.AppendData(ctx, [][]byte{mustEncode(t, testRecord(n))}); err != nil {
			t.Fatal(err)
		}
		// The log that signed cp refuses to sign a fork of it...
		if _, err := l.Checkpoint(ctx); gateway.ErrorCode(err) != gateway.EINTEGRITY {
			t.Fatalf("log signed a checkpoint over a changed node: %v", err)
		}
		// ...and one that has forgotten cp (a restarted replica) signs,
		// but the auditor who kept cp notices.
		expectInconsistent(t, v, cp, NewLog(store, l.signer), n)
	})
	t.Run("storage rolled back", func(t *testing.T) {
		l, store, _, v, cp, _ := setup(t)
		truncate(t, store, n/2)
		if _, err := l.Checkpoint(ctx); gateway.ErrorCode(err) != gateway.EINTEGRITY {
			t.Fatalf("log signed a checkpoint after a rollback: %v", err)
		}
		// Appending back to the old size makes a fork, not a repair.
		m := NewLog(store, l.signer)
		for i := n / 2; i < n; i++ {
			r := testRecord(i)
			r.EvidenceID += "-again"
			if _, err := m.Append(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := l.Checkpoint(ctx); gateway.ErrorCode(err) != gateway.EINTEGRITY {
			t.Fatalf("log signed a fork of its own checkpoint: %v", err)
		}
		expectInconsistent(t, v, cp, m, n)
	})
	t.Run("shrinking tree", func(t *testing.T) {
		l, _, data, v, cp, _ := setup(t)
		m := rebuild(t, l, data[:n/2])
		expectInconsistent(t, v, cp, m, n)
	})
	t.Run("proof for the wrong index", func(t *testing.T) {
		_, _, data, v, _, receipt := setup(t)
		p := *receipt
		p.Index = victim + 1
		if _, err := v.VerifyProof(&p, data[victim]); !errors.Is(err, ErrVerification) {
			t.Fatalf("proof with a changed index verified: %v", err)
		}
	})
}

func rewriteLeaf(t *testing.T, m *MemoryStorage, index int, data []byte) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	start := 0
	if index > 0 {
		start = m.leafEnd[index-1]
	}
	if len(data) != m.leafEnd[index]-start {
		t.Fatalf("rewrite needs the same length: %d vs %d", len(data), m.leafEnd[index]-start)
	}
	copy(m.leafData[start:], data)
}

// truncate drops every leaf from size on, and the nodes over them, as a
// database restored from an old backup would.
func truncate(t *testing.T, m *MemoryStorage, size int) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.size = uint64(size)
	m.leafEnd = m.leafEnd[:size]
	m.leafData = m.leafData[:m.leafEnd[size-1]]
	for l := range m.levels {
		m.levels[l] = m.levels[l][:(size>>l)*32]
	}
}

func flipNode(t *testing.T, m *MemoryStorage, id NodeID) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.levels[id.Level][id.Index*32] ^= 1
}

func TestCheckpointSignatureIsCheckedFirst(t *testing.T) {
	ctx := context.Background()
	l, _, data, v := mustLog(t, 20, 20)
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	path, err := l.InclusionProof(ctx, 3, 20)
	if err != nil {
		t.Fatal(err)
	}
	body, _, _ := bytes.Cut(cp, []byte("\n\n"))
	body = append(body, '\n')
	impostor, _ := mustKey(t, testOrigin) // same name, another key
	otherLog, _ := mustKey(t, "other.test/log")
	sc, err := v.OpenCheckpoint(cp)
	if err != nil {
		t.Fatal(err)
	}
	foreignBody := Checkpoint{Origin: "other.test/log", Size: sc.Size, Root: sc.Root}.String()

	for name, bad := range map[string][]byte{
		"flipped signature byte":  flipSignature(t, cp),
		"signed by an impostor":   must(note.Sign(&note.Note{Text: string(body)}, impostor)),
		"another log's key":       must(note.Sign(&note.Note{Text: foreignBody}, otherLog)),
		"another origin, our key": must(note.Sign(&note.Note{Text: foreignBody}, l.signer)),
		"changed size":            must(note.Sign(&note.Note{Text: Checkpoint{Origin: testOrigin, Size: 21, Root: sc.Root}.String()}, impostor)),
		"no signature":            append(body, '\n'),
	} {
		// The path is genuine: only the checkpoint is wrong, and that alone
		// must fail verification.
		if _, err := v.VerifyInclusion(bad, data[3], 3, path); err == nil {
			t.Errorf("%s: inclusion verified", name)
		}
		if _, err := v.OpenCheckpoint(bad); err == nil {
			t.Errorf("%s: checkpoint opened", name)
		}
	}
	// A body changed under a genuine signature.
	tampered := bytes.Replace(cp, []byte("\n20\n"), []byte("\n19\n"), 1)
	if _, err := v.OpenCheckpoint(tampered); !errors.Is(err, ErrVerification) {
		t.Errorf("changed body: got %v, want ErrVerification", err)
	}
	// An empty tree may only have the empty root.
	fake := must(note.Sign(&note.Note{Text: Checkpoint{Origin: testOrigin, Size: 0, Root: sc.Root}.String()}, l.signer))
	if _, err := v.OpenCheckpoint(fake); !errors.Is(err, ErrVerification) {
		t.Errorf("empty tree with a root: got %v, want ErrVerification", err)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func flipSignature(t *testing.T, cp []byte) []byte {
	t.Helper()
	_, sigs, ok := bytes.Cut(cp, []byte("\n\n"))
	if !ok {
		t.Fatal("no signature block")
	}
	out := append([]byte(nil), cp...)
	// Change a base64 character well inside the signature bytes.
	i := len(cp) - len(sigs) + len(sigs) - 10
	if out[i] == 'A' {
		out[i] = 'B'
	} else {
		out[i] = 'A'
	}
	return out
}

func TestWitnessCosignatures(t *testing.T) {
	ctx := context.Background()
	l, _, _, v := mustLog(t, 5, 5)
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w1, w1v := mustKey(t, "witness.h41.test")
	w2, _ := mustKey(t, "witness.unknown.test")
	cosigned, err := Cosign(cp, v, w1)
	if err != nil {
		t.Fatal(err)
	}
	if cosigned, err = Cosign(cosigned, v, w2); err != nil {
		t.Fatal(err)
	}

	policy := &Verifier{Log: v.Log, Witnesses: []note.Verifier{w1v}, MinCosignatures: 1}
	sc, err := policy.OpenCheckpoint(cosigned)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sc.Cosigners) != "[witness.h41.test]" || fmt.Sprint(sc.Unknown) != "[witness.unknown.test]" {
		t.Fatalf("cosigners %v, unknown %v", sc.Cosigners, sc.Unknown)
	}
	if _, err := policy.OpenCheckpoint(cp); !errors.Is(err, ErrVerification) {
		t.Fatalf("uncosigned checkpoint met a policy of one witness: %v", err)
	}
	// A witness signature alone, without the log's, is not enough.
	body, _, _ := bytes.Cut(cp, []byte("\n\n"))
	onlyWitness := must(note.Sign(&note.Note{Text: string(body) + "\n"}, w1))
	if _, err := policy.OpenCheckpoint(onlyWitness); !errors.Is(err, ErrVerification) {
		t.Fatalf("checkpoint signed only by a witness: %v", err)
	}
	// A witness cannot cosign what the log did not sign.
	if _, err := Cosign(onlyWitness, v, w2); !errors.Is(err, ErrVerification) {
		t.Fatalf("cosigned an unsigned checkpoint: %v", err)
	}
}

func TestProofTextRoundTrip(t *testing.T) {
	ctx := context.Background()
	l, _, data, v := mustLog(t, 13, 13)
	for _, i := range []uint64{0, 5, 12} {
		p, err := l.Prove(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		p.Extra = []byte("receipt ev-5")
		text, err := p.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(text, fmt.Appendf(nil, "c2sp.org/tlog-proof@v1\nextra cmVjZWlwdCBldi01\nindex %d\n", i)) {
			t.Fatalf("proof text starts %q", text[:60])
		}
		q, err := ParseProof(text)
		if err != nil {
			t.Fatal(err)
		}
		again, err := q.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(text, again) {
			t.Fatalf("round trip changed the proof:\n%s\n%s", text, again)
		}
		if _, err := v.VerifyProof(q, data[i]); err != nil {
			t.Fatal(err)
		}
	}
	// A record rebuilt from a receipt verifies; the same record with any
	// field changed does not.
	p, err := l.Prove(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyRecordProof(p, testRecord(4)); err != nil {
		t.Fatal(err)
	}
	changed := testRecord(4)
	changed.Time = changed.Time.Add(time.Second)
	if _, err := v.VerifyRecordProof(p, changed); !errors.Is(err, ErrVerification) {
		t.Fatalf("changed record verified: %v", err)
	}
	for name, text := range map[string]string{
		"empty":         "",
		"no header":     "index 0\n\nx\n",
		"no index":      "c2sp.org/tlog-proof@v1\n\nx\n",
		"leading zero":  "c2sp.org/tlog-proof@v1\nindex 01\n\nx\n",
		"negative":      "c2sp.org/tlog-proof@v1\nindex -1\n\nx\n",
		"short hash":    "c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\nx\n",
		"no blank line": "c2sp.org/tlog-proof@v1\nindex 1\n",
		"bad extra":     "c2sp.org/tlog-proof@v1\nextra !!\nindex 1\n\nx\n",
		"index too big": "c2sp.org/tlog-proof@v1\nindex 18446744073709551616\n\nx\n",
	} {
		if _, err := ParseProof([]byte(text)); gateway.ErrorCode(err) != gateway.EINVALID {
			t.Errorf("%s: got %v, want EINVALID", name, err)
		}
	}
}

func TestLeafRecordEncoding(t *testing.T) {
	r := testRecord(7)
	r.To = []string{"000.00.00.G22", "000.00.00.H14"}
	r.Time = time.Date(1969, 7, 20, 20, 17, 40, 123456000, time.FixedZone("ICT", 7*3600))
	d := mustEncode(t, r)
	got, err := ParseLeafRecord(d)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Time.Equal(r.Time) || got.Time.Location() != time.UTC {
		t.Fatalf("time %v, want %v in UTC", got.Time, r.Time)
	}
	got.Time = r.Time
	if fmt.Sprint(got) != fmt.Sprint(r) {
		t.Fatalf("round trip: got %+v, want %+v", got, r)
	}
	// Every field is covered by the encoding.
	for name, change := range map[string]func(*LeafRecord){
		"document": func(r *LeafRecord) { r.DocumentID += "x" },
		"from":     func(r *LeafRecord) { r.From = "000.00.00.H56" },
		"to":       func(r *LeafRecord) { r.To = r.To[:1] },
		"to order": func(r *LeafRecord) { r.To[0], r.To[1] = r.To[1], r.To[0] },
		"event":    func(r *LeafRecord) { r.Event = gateway.EventContentHandover },
		"digest":   func(r *LeafRecord) { r.PDFSHA256[31] ^= 1 },
		"time":     func(r *LeafRecord) { r.Time = r.Time.Add(time.Microsecond) },
		"evidence": func(r *LeafRecord) { r.EvidenceID += "x" },
		// Moving bytes between adjacent fields must change the encoding.
		"boundary": func(r *LeafRecord) { r.DocumentID, r.From = r.DocumentID+r.From[:1], r.From[1:] },
	} {
		c := r
		c.To = append([]string(nil), r.To...)
		change(&c)
		if bytes.Equal(mustEncode(t, c), d) {
			t.Errorf("%s: change not reflected in the encoding", name)
		}
	}
	for name, change := range map[string]func(*LeafRecord){
		"no document": func(r *LeafRecord) { r.DocumentID = "" },
		"no from":     func(r *LeafRecord) { r.From = "" },
		"no event":    func(r *LeafRecord) { r.Event = "" },
		"no evidence": func(r *LeafRecord) { r.EvidenceID = "" },
		"empty to":    func(r *LeafRecord) { r.To = []string{""} },
		"no digest":   func(r *LeafRecord) { r.PDFSHA256 = [32]byte{} },
		"no time":     func(r *LeafRecord) { r.Time = time.Time{} },
		"nanoseconds": func(r *LeafRecord) { r.Time = r.Time.Add(1) },
		"bad utf-8":   func(r *LeafRecord) { r.From = "\xff" },
		"long field":  func(r *LeafRecord) { r.EvidenceID = string(make([]byte, maxField+1)) },
		"year 10000":  func(r *LeafRecord) { r.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
	} {
		c := r
		change(&c)
		if _, err := c.MarshalBinary(); gateway.ErrorCode(err) != gateway.EINVALID {
			t.Errorf("%s: got %v, want EINVALID", name, err)
		}
	}
	for name, b := range map[string][]byte{
		"empty":     nil,
		"version 2": append([]byte{2}, d[1:]...),
		"truncated": d[:len(d)-1],
		"trailing":  append(append([]byte(nil), d...), 0),
	} {
		if _, err := ParseLeafRecord(b); gateway.ErrorCode(err) != gateway.EINVALID {
			t.Errorf("%s: got %v, want EINVALID", name, err)
		}
	}
}

func TestCheckpointText(t *testing.T) {
	root := sha256.Sum256([]byte("root"))
	c := Checkpoint{Origin: testOrigin, Size: 20852163, Root: root[:]}
	want := testOrigin + "\n20852163\n" + "SBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I=" + "\n"
	if c.String() != want {
		t.Fatalf("got %q, want %q", c.String(), want)
	}
	got, err := ParseCheckpoint(want)
	if err != nil {
		t.Fatal(err)
	}
	if got.Origin != c.Origin || got.Size != c.Size || !bytes.Equal(got.Root, c.Root) {
		t.Fatalf("parsed %+v", got)
	}
	withExt := want + "extension line\n"
	if got, err := ParseCheckpoint(withExt); err != nil || got.String() != withExt {
		t.Fatalf("extension line: %v, %q", err, got.String())
	}
	for name, text := range map[string]string{
		"two lines":       testOrigin + "\n1\n",
		"no newline":      want[:len(want)-1],
		"empty origin":    "\n1\n" + "SBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I=\n",
		"leading zero":    testOrigin + "\n01\nSBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I=\n",
		"plus sign":       testOrigin + "\n+1\nSBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I=\n",
		"short root":      testOrigin + "\n1\nAAAA\n",
		"unpadded root":   testOrigin + "\n1\nSBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I\n",
		"empty extension": want + "\n",
	} {
		if _, err := ParseCheckpoint(text); gateway.ErrorCode(err) != gateway.EINVALID {
			t.Errorf("%s: got %v, want EINVALID", name, err)
		}
	}
}

// TestReplicasAppendConcurrently runs two Logs (two gateway replicas) over
// one storage: every append lands exactly once and the tree stays RFC 9162.
func TestReplicasAppendConcurrently(t *testing.T) {
	ctx := context.Background()
	s, v := mustKey(t, testOrigin)
	store := NewMemoryStorage()
	replicas := []*Log{NewLog(store, s), NewLog(store, s)}
	var wg sync.WaitGroup
	const workers, each = 8, 25
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				r := testRecord(w*each + i)
				if _, err := replicas[w%2].Append(ctx, r, r); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	size, err := store.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if size != 2*workers*each {
		t.Fatalf("size %d, want %d", size, 2*workers*each)
	}
	leaves, err := store.ReadLeaves(ctx, 0, size)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := replicas[1].Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := (&Verifier{Log: v}).OpenCheckpoint(cp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sc.Root, naiveRoot(leaves)) {
		t.Fatal("root after concurrent appends does not match the stored leaves")
	}
}

// TestCostIsLogarithmic checks the storage reads of each operation against
// the O(log n) bound, so that a regression to scanning shows up as a
// failure and not only as a slower benchmark.
func TestCostIsLogarithmic(t *testing.T) {
	ctx := context.Background()
	const n = 5000
	l, store, _, _ := mustLog(t, n, 1000)
	bound := int64(2 * bits.Len(n)) // generous: proofs read at most ~2 log2(n) nodes
	measure := func(name string, op func() error) {
		t.Helper()
		before, calls0 := store.ReadStats()
		if err := op(); err != nil {
			t.Fatal(err)
		}
		after, calls1 := store.ReadStats()
		if after-before > bound || calls1-calls0 > 2 {
			t.Errorf("%s read %d nodes in %d calls, bound %d nodes", name, after-before, calls1-calls0, bound)
		}
	}
	for _, i := range []uint64{0, 1, 2047, 2048, n - 1} {
		measure(fmt.Sprintf("inclusion %d", i), func() error { return second(l.InclusionProof(ctx, i, n)) })
		measure(fmt.Sprintf("consistency %d", i+1), func() error { return second(l.ConsistencyProof(ctx, i+1, n)) })
	}
	measure("checkpoint", func() error { return second(l.Checkpoint(ctx)) })
	measure("append", func() error { return second(l.Append(ctx, testRecord(n))) })
}

func TestAuditRecomputesEverything(t *testing.T) {
	ctx := context.Background()
	const n = 1000
	for name, tc := range map[string]struct {
		tamper func(t *testing.T, l *Log, store *MemoryStorage, data [][]byte) Storage
		want   string // the error code, "" for success
		detail string // what the message must name
	}{
		"intact": {func(t *testing.T, l *Log, store *MemoryStorage, data [][]byte) Storage {
			// Leaves appended after the checkpoint are not its business.
			if _, err := l.Append(ctx, testRecord(n)); err != nil {
				t.Fatal(err)
			}
			return store
		}, "", ""},
		"rewritten leaf data": {func(t *testing.T, l *Log, store *MemoryStorage, data [][]byte) Storage {
			r := testRecord(555)
			r.PDFSHA256[0] ^= 1 // same length, so only the bytes change
			rewriteLeaf(t, store, 555, mustEncode(t, r))
			return store
		}, gateway.EINTEGRITY, "leaf 555"},
		"changed node": {func(t *testing.T, l *Log, store *MemoryStorage, data [][]byte) Storage {
			flipNode(t, store, NodeID{Level: 3, Index: 17})
			return store
		}, gateway.EINTEGRITY, "node 3/17"},
		"rolled back": {func(t *testing.T, l *Log, store *MemoryStorage, data [][]byte) Storage {
			truncate(t, store, n-1)
			return store
		}, gateway.EINTEGRITY, "fewer"},
		"consistently rewritten history": {func(t *testing.T, l *Log, store *MemoryStorage, data [][]byte) Storage {
			data = append([][]byte(nil), data...)
			data[0] = mustEncode(t, testRecord(n+5))
			m := NewMemoryStorage()
			if _, err := NewLog(m, l.signer).AppendData(ctx, data); err != nil {
				t.Fatal(err)
			}
			return m
		}, gateway.EINTEGRITY, "rewritten"},
	} {
		t.Run(name, func(t *testing.T) {
			l, store, data, v := mustLog(t, n, 300)
			cp, err := l.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			err = Audit(ctx, tc.tamper(t, l, store, data), v, cp)
			if got := gateway.ErrorCode(err); got != tc.want || !strings.Contains(gateway.ErrorMessage(err), tc.detail) {
				t.Fatalf("got %v, want code %q naming %q", err, tc.want, tc.detail)
			}
		})
	}
	t.Run("forged checkpoint", func(t *testing.T) {
		l, store, _, v := mustLog(t, 10, 10)
		cp, err := l.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := Audit(ctx, store, v, flipSignature(t, cp)); !errors.Is(err, ErrVerification) {
			t.Fatalf("got %v, want ErrVerification", err)
		}
	})
}

// TestAppendResumesFromItsTip checks that a Log's appends in a row read no
// node back (it starts from the roots its last append committed), that an
// append by another replica in between makes it read them again, and that
// the tree stays right either way.
func TestAppendResumesFromItsTip(t *testing.T) {
	ctx := context.Background()
	s, v := mustKey(t, testOrigin)
	store := NewMemoryStorage()
	a, b := NewLog(store, s), NewLog(store, s)
	appendOn := func(l *Log, i int) (reads int64) {
		t.Helper()
		_, before := store.ReadStats()
		if _, err := l.Append(ctx, testRecord(i)); err != nil {
			t.Fatal(err)
		}
		_, after := store.ReadStats()
		return after - before
	}
	appendOn(a, 0)
	for i := 1; i < 40; i++ {
		if n := appendOn(a, i); n != 0 {
			t.Fatalf("append %d after one by the same log read nodes %d times", i, n)
		}
	}
	appendOn(b, 40)
	if n := appendOn(a, 41); n == 0 {
		t.Fatal("an append after another replica's did not read the tree back")
	}
	// Roots older than tipMaxAge are read back: the database may have lost
	// commits since, and been grown back to the same size by others.
	clock := time.Now()
	a.now = func() time.Time { return clock }
	appendOn(a, 42)
	clock = clock.Add(tipMaxAge + time.Millisecond)
	if n := appendOn(a, 43); n == 0 {
		t.Fatal("an append long after the last one started from its remembered roots")
	}
	if n := appendOn(a, 44); n != 0 {
		t.Fatalf("an append right after one by the same log read nodes %d times", n)
	}
	for i := 45; i < 50; i++ {
		appendOn(a, i)
	}
	size, err := store.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	leaves, err := store.ReadLeaves(ctx, 0, size)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := a.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := (&Verifier{Log: v}).OpenCheckpoint(cp)
	if err != nil {
		t.Fatal(err)
	}
	if size != 50 || !bytes.Equal(sc.Root, naiveRoot(leaves)) {
		t.Fatalf("after appends from two logs: size %d, root differs from the stored leaves: %v", size, !bytes.Equal(sc.Root, naiveRoot(leaves)))
	}
}
