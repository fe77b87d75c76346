package pades

import (
	"crypto"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"slices"
	"sync"

	"docgate/gateway"
)

// readBufs holds 256 KiB read buffers for hashing passes, so that verifying
// file after file does not allocate, clear and collect one for each.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// rangeJob is one signature's signed ranges being hashed during hashPass.
type rangeJob struct {
	key digestKey
	h   hash.Hash // nil until the job starts taking bytes
	// fromDoc: a SHA-256 job whose first range is a prefix of the file. It
	// starts as a copy of the whole-file hasher at the end of that range, so
	// the prefix, most of the file, is hashed once for both.
	fromDoc bool
}

// hashPass reads the file once, front to back, and computes its SHA-256
// (document.sha256) and the digest of every prepared signature's signed
// ranges, which it leaves in vr.digests for digestRanges. An error (a read
// failure, the context) leaves whatever it did not finish to digestRanges,
// which hashes on its own.
func (vr *verification) hashPass(sigs []*sigEntry) ([]byte, error) {
	if p, ok := vr.r.(gateway.SHA256Prefixer); ok {
		return vr.hashFromPrefixes(p, sigs)
	}
	doc := sha256.New()
	var jobs []*rangeJob
	for _, s := range sigs {
		if !s.ready || s.digestAlg == 0 {
			continue
		}
		k := digestKey{s.br, s.digestAlg}
		if slices.ContainsFunc(jobs, func(j *rangeJob) bool { return j.key == k }) {
			continue
		}
		j := &rangeJob{key: k, fromDoc: k.h == crypto.SHA256 && k.br[0] == 0}
		if !j.fromDoc {
			j.h = k.h.New()
		}
		jobs = append(jobs, j)
	}
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	buf := *bp
	for pos := int64(0); pos < vr.size; {
		if err := vr.ctx.Err(); err != nil {
			return nil, err
		}
		// Start the jobs whose first range ends here, and read no further
		// than where the next one does.
		next := min(pos+int64(len(buf)), vr.size)
		for _, j := range jobs {
			if !j.fromDoc || j.h != nil {
				continue
			}
			if end := j.key.br[1]; end == pos {
				c, err := doc.(hash.Cloner).Clone()
				if err != nil {
					return nil, fmt.Errorf("copy the document's hash: %w", err)
				}
				j.h = c
			} else if end < next {
				next = end
			}
		}
		n, err := vr.r.ReadAt(buf[:next-pos], pos)
		if n <= 0 {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("read the document at %d: %w", pos, err)
		}
		chunk := buf[:n]
		doc.Write(chunk)
		for _, j := range jobs {
			if j.h == nil {
				continue
			}
			br := j.key.br
			writeOverlap(j.h, chunk, pos, br[0], br[0]+br[1])
			writeOverlap(j.h, chunk, pos, br[2], br[2]+br[3])
		}
		pos += int64(n)
	}
	if vr.digests == nil {
		vr.digests = make(map[digestKey][]byte, len(jobs))
	}
	for _, j := range jobs {
		if j.h != nil {
			vr.digests[j.key] = j.h.Sum(nil)
		}
	}
	return doc.Sum(nil), nil
}

// writeOverlap writes to h the part of chunk, which starts at file offset
// pos, that lies in [from, to).
func writeOverlap(h hash.Hash, chunk []byte, pos, from, to int64) {
	lo, hi := max(from, pos), min(to, pos+int64(len(chunk)))
	if lo < hi {
		h.Write(chunk[lo-pos : hi-pos])
	}
}

// hashFromPrefixes is hashPass for a reader that knows the SHA-256 of its
// prefixes: the document's digest and every SHA-256 signature whose first
// range starts at the beginning are resumed from the nearest kept state, so
// only the bytes after it are read. Other signatures are left to
// digestRanges.
func (vr *verification) hashFromPrefixes(p gateway.SHA256Prefixer, sigs []*sigEntry) ([]byte, error) {
	doc, k := p.SHA256Prefix(vr.size)
	if k < vr.size {
		if err := vr.hashRanges([4]int64{k, vr.size - k, vr.size, 0}, doc); err != nil {
			return nil, err
		}
	}
	if vr.digests == nil {
		vr.digests = map[digestKey][]byte{}
	}
	for _, s := range sigs {
		if !s.ready || s.digestAlg != crypto.SHA256 || s.br[0] != 0 {
			continue
		}
		key := digestKey{s.br, s.digestAlg}
		if _, done := vr.digests[key]; done {
			continue
		}
		h, k := p.SHA256Prefix(s.br[1])
		if err := vr.hashRanges([4]int64{k, s.br[1] - k, s.br[2], s.br[3]}, h); err != nil {
			return nil, err
		}
		vr.digests[key] = h.Sum(nil)
	}
	return doc.Sum(nil), nil
}
