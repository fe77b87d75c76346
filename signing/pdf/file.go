package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
)

// XRefKind is how a revision's cross-reference section is written.
type XRefKind int

const (
	// XRefTable is a classic "xref" table with a "trailer" dictionary.
	XRefTable XRefKind = iota + 1
	// XRefStream is a cross-reference stream (PDF 1.5).
	XRefStream
	// XRefHybrid is a classic table whose trailer names a cross-reference stream in /XRefStm.
	XRefHybrid
	// XRefRebuilt means the cross-reference information was unusable and was rebuilt by
	// scanning the file for objects; see File.Repaired.
	XRefRebuilt
)

func (k XRefKind) String() string {
	switch k {
	case XRefTable:
		return "table"
	case XRefStream:
		return "stream"
	case XRefHybrid:
		return "hybrid"
	case XRefRebuilt:
		return "rebuilt"
	}
	return "unknown"
}

// entry is one cross-reference entry: kind 0 free, 1 at a file offset, 2 inside an object stream
// (off is then the object stream's number and idx the index within it).
type entry struct {
	kind uint8
	gen  uint16
	off  int64
	idx  int32
}

// Revision is one revision of the file: the original document or one incremental update.
type Revision struct {
	// Index is the position in File.Revisions, 0 being the oldest.
	Index int
	// XRefOffset is where the revision's cross-reference section starts (what its startxref says;
	// for a linearized file, the first-page section).
	XRefOffset int64
	// End is the offset just after the revision's "%%EOF" marker and the end-of-line written after
	// it, if any: where a signature covering the whole revision must end.
	End int64
	// EOF is the offset just after the "%%EOF" marker itself, before any end-of-line. It differs
	// from End only by that end-of-line; a signature made before an updater added the end-of-line
	// ends at EOF.
	EOF int64
	// Kind is the kind of cross-reference section.
	Kind XRefKind
	// Trailer is the trailer dictionary (for a cross-reference stream, the stream's dictionary).
	Trailer *Dict

	entries map[uint32]entry
}

// Objects returns the objects this revision's cross-reference section marks in use, by number.
// An update that lists unchanged objects again defines them again.
func (r *Revision) Objects() []Ref {
	refs := make([]Ref, 0, len(r.entries))
	for n, e := range r.entries {
		if e.kind != 0 {
			g := e.gen
			if e.kind == 2 {
				g = 0
			}
			refs = append(refs, Ref{n, g})
		}
	}
	slices.SortFunc(refs, func(a, b Ref) int { return int(int64(a.Num) - int64(b.Num)) })
	return refs
}

// Freed returns the object numbers this revision marks free (deleted), object 0 excluded.
func (r *Revision) Freed() []uint32 {
	var ns []uint32
	for n, e := range r.entries {
		if e.kind == 0 && n != 0 {
			ns = append(ns, n)
		}
	}
	slices.Sort(ns)
	return ns
}

// Defines reports whether this revision's section has an in-use entry for object number num.
func (r *Revision) Defines(num uint32) bool {
	e, ok := r.entries[num]
	return ok && e.kind != 0
}

// loc keys the caches by where an object is stored, not by revision, so that views of
// different revisions share what they share; the number and generation are part of the key
// because a broken cross-reference can point two numbers at one place.
type loc struct {
	kind uint8
	off  int64
	idx  int32
	num  uint32
	gen  uint16
}

type objStm struct {
	nums []uint32
	offs []int64
	data []byte
}

// File is an opened PDF. Its methods are safe for concurrent use. Objects it returns are shared
// with its cache: treat them as read-only and Clone a Dict before changing it.
type File struct {
	// View reads the newest revision.
	*View

	r            io.ReaderAt
	size         int64
	opts         Options
	header       string
	headerOffset int64
	revs         []*Revision
	repaired     bool
	warnings     []string

	lexers   sync.Pool
	mu       sync.Mutex
	found    map[string]span
	objCache map[loc]cached
	stmCache map[loc]*objStm
	stmBytes int64
}

// View reads the file as it was at one revision: objects defined by later updates are invisible.
type View struct {
	f   *File
	rev int
}

const (
	maxCachedObjects = 4096
	maxCachedStmData = 32 << 20
)

// Open reads the structure of the PDF in r, which holds size bytes. It reads the header, the
// cross-reference chain and the trailers; objects are read on demand. When the cross-reference
// information is broken it is rebuilt by scanning and Repaired reports true. Errors are
// *SyntaxError or wrap ErrLimit.
func Open(r io.ReaderAt, size int64, opts *Options) (*File, error) {
	o := opts.withDefaults()
	f := &File{r: r, size: size, opts: o, objCache: map[loc]cached{}, stmCache: map[loc]*objStm{}}
	if err := f.readHeader(); err != nil {
		return nil, err
	}
	err := f.loadChain()
	if err == nil {
		f.View = &View{f: f, rev: len(f.revs) - 1}
		err = f.checkOffsets()
	}
	if err == nil {
		if _, cerr := f.Catalog(); cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		if errors.Is(err, ErrLimit) {
			return nil, err
		}
		f.warn("cross-reference unusable (%v); rebuilt by scanning", err)
		if rerr := f.rebuild(); rerr != nil {
			return nil, fmt.Errorf("%w; rebuilding: %w", err, rerr)
		}
		f.View = &View{f: f, rev: len(f.revs) - 1}
		if _, cerr := f.Catalog(); cerr != nil {
			return nil, fmt.Errorf("rebuilt file: %w", cerr)
		}
	}
	return f, nil
}

func (f *File) warn(format string, args ...any) {
	if len(f.warnings) < 100 {
		f.warnings = append(f.warnings, fmt.Sprintf(format, args...))
	}
}

func (f *File) lexer() *lexer { return newFileLexer(f.r, f.size, &f.opts) }

// pooledLexer takes a lexer from the file's pool, to be given back with
// f.lexers.Put. Lexers are reused window included: the file does not change,
// so a window read for one object or search often already holds the next.
func (f *File) pooledLexer() *lexer {
	l, _ := f.lexers.Get().(*lexer)
	if l == nil {
		return f.lexer()
	}
	l.items, l.size = 0, f.size
	return l
}

// Size returns the file size given to Open.
func (f *File) Size() int64 { return f.size }

// Repaired reports whether the cross-reference information was wrong or missing and had to be
// corrected by scanning the file. A verifier should say so: offsets no longer mean what the file
// claims.
func (f *File) Repaired() bool { return f.repaired }

// Warnings lists the structural problems met while opening (repairs, loops cut, entries dropped).
func (f *File) Warnings() []string { return slices.Clone(f.warnings) }

// HeaderVersion returns the version in the "%PDF-x.y" header, such as "1.7".
func (f *File) HeaderVersion() string { return f.header }

// HeaderOffset returns the offset of "%PDF-"; non-zero when garbage precedes it.
func (f *File) HeaderOffset() int64 { return f.headerOffset }

// Revisions returns every revision in file order, oldest first.
func (f *File) Revisions() []*Revision { return slices.Clone(f.revs) }

// RevisionEndingAt returns the revision that ends at off, counting both its End and its EOF (a
// signature's /ByteRange must end at one of them to cover a whole revision).
func (f *File) RevisionEndingAt(off int64) (*Revision, bool) {
	for _, r := range f.revs {
		if r.End == off || r.EOF == off {
			return r, true
		}
	}
	return nil, false
}

// At returns a view of the file as of revision rev (an index into Revisions).
func (f *File) At(rev int) (*View, error) {
	if rev < 0 || rev >= len(f.revs) {
		return nil, fmt.Errorf("revision %d of %d", rev, len(f.revs))
	}
	return &View{f: f, rev: rev}, nil
}

// readHeader finds "%PDF-" in the first KiB, tolerating leading garbage as readers do.
func (f *File) readHeader() error {
	buf := make([]byte, min(f.size, 1024))
	n, _ := f.r.ReadAt(buf, 0)
	buf = buf[:n]
	i := bytes.Index(buf, []byte("%PDF-"))
	if i < 0 {
		return syntaxErr(0, "no %%PDF- header")
	}
	f.headerOffset = int64(i)
	v := buf[i+5:]
	j := 0
	for j < len(v) && j < 8 && (v[j] == '.' || (v[j] >= '0' && v[j] <= '9')) {
		j++
	}
	f.header = string(v[:j])
	if f.header == "" {
		return syntaxErr(int64(i), "malformed %%PDF- header")
	}
	return nil
}

// findStartxref returns the offset named by the last "startxref" in the file.
func (f *File) findStartxref() (int64, error) {
	l := f.pooledLexer()
	defer f.lexers.Put(l)
	for _, tail := range []int64{1024, 64 << 10} {
		start := max(0, f.size-tail)
		buf := make([]byte, f.size-start)
		n, _ := f.r.ReadAt(buf, start)
		buf = buf[:n]
		i := bytes.LastIndex(buf, []byte("startxref"))
		if i < 0 {
			if start == 0 {
				break
			}
			continue
		}
		l.pos = start + int64(i) + 9
		off, ok := l.readInt()
		if !ok {
			return 0, syntaxErr(l.pos, "startxref without an offset")
		}
		return off, nil
	}
	return 0, syntaxErr(f.size, "no startxref")
}

type section struct {
	off     int64
	kind    XRefKind
	trailer *Dict
	entries map[uint32]entry
	tail    int64
}

// loadChain follows startxref and the /Prev chain and builds the revisions in file order.
func (f *File) loadChain() error {
	var chain []*section
	seen := map[int64]bool{}
	broken := false
	total := 0
	off, err := f.findStartxref()
	if err == nil {
		_, err = f.readSection(off, new(int))
	}
	if err != nil {
		if errors.Is(err, ErrLimit) {
			return err
		}
		// The last startxref is wrong (trailing garbage, a truncated update): start from the
		// newest earlier marker that names a readable section, keeping the revisions before it.
		alt := f.startxrefMarkers(f.size)
		for i := len(alt) - 1; i >= 0; i-- {
			if _, e := f.readSection(alt[i], new(int)); e == nil {
				f.warn("last startxref unusable (%v); reading from the section at %d", err, alt[i])
				f.repaired = true
				broken = true
				off, err = alt[i], nil
				break
			}
		}
		if err != nil {
			return err
		}
	}
	for off >= 0 {
		if seen[off] {
			f.warn("/Prev chain loops back to %d; chain cut there", off)
			f.repaired = true
			broken = true
			break
		}
		if len(chain) >= f.opts.MaxRevisions {
			return limitErr("more than %d cross-reference sections", f.opts.MaxRevisions)
		}
		seen[off] = true
		s, err := f.readSection(off, &total)
		if err != nil {
			if len(chain) == 0 || errors.Is(err, ErrLimit) {
				return err
			}
			// A broken /Prev (writers have emitted /Prev 0) must not cost the newer revisions;
			// older ones are looked for by their startxref markers below.
			f.warn("/Prev %d of the section at %d is unreadable (%v); chain cut there", off, chain[len(chain)-1].off, err)
			f.repaired = true
			broken = true
			break
		}
		chain = append(chain, s)
		off = -1
		if p, ok := s.trailer.Get("Prev").(Integer); ok {
			off = int64(p)
		} else if p, ok := s.trailer.Get("Prev").(Real); ok {
			off = int64(p)
		}
	}
	slices.Reverse(chain)
	if broken {
		chain = append(f.orphans(chain[0].off, seen, &total), chain...)
	}
	// A section whose /Prev points forward (a linearized file's first-page section, or a forged
	// chain) is not a later revision in the file: fold it into the revision it points to, newer
	// entries winning, so that revisions stay in file order.
	offs := make([]int64, len(chain))
	for i, s := range chain {
		offs[i] = s.off
	}
	slices.Sort(offs)
	var revs []*Revision
	var lastOff int64 = -1
	for _, s := range chain {
		// A revision's %%EOF lies before the next section in the file: a writer that omitted
		// it must not lend this revision the next one's end.
		limit := f.size
		if i, _ := slices.BinarySearch(offs, s.off+1); i < len(offs) {
			limit = offs[i]
		}
		end, eof := f.revisionEnd(s.tail, limit)
		if len(revs) > 0 && s.off < lastOff {
			r := revs[len(revs)-1]
			for n, e := range s.entries {
				r.entries[n] = e
			}
			r.Trailer = s.trailer
			// The newer section is the one startxref (or a later /Prev) names, and the chain from
			// it reaches the other: an update's /Prev must point at it.
			r.XRefOffset = s.off
			if end > r.End {
				r.End, r.EOF = end, eof
			}
			if !f.linearized() {
				f.warn("cross-reference section at %d precedes the one it updates; merged", s.off)
			}
			continue
		}
		revs = append(revs, &Revision{Index: len(revs), XRefOffset: s.off, End: end, EOF: eof, Kind: s.kind, Trailer: s.trailer, entries: s.entries})
		lastOff = s.off
	}
	f.revs = revs
	return nil
}

// orphans recovers the sections older than before that a broken /Prev chain no longer reaches,
// from the "startxref" markers that precede it, oldest first.
func (f *File) orphans(before int64, seen map[int64]bool, total *int) []*section {
	var found []*section
	for _, off := range f.startxrefMarkers(before) {
		if off >= before || seen[off] {
			continue
		}
		seen[off] = true
		s, err := f.readSection(off, total)
		if err != nil {
			f.warn("a startxref names %d, which is unreadable: %v", off, err)
			continue
		}
		f.warn("revision with cross-reference at %d recovered from its startxref marker", off)
		found = append(found, s)
	}
	slices.SortFunc(found, func(a, b *section) int { return int(a.off - b.off) })
	return found
}

// startxrefMarkers returns the offsets named by the "startxref" markers before limit, in file
// order, at most MaxRevisions of them.
func (f *File) startxrefMarkers(limit int64) []int64 {
	var offs []int64
	l := f.pooledLexer()
	defer f.lexers.Put(l)
	for p := int64(0); len(offs) < f.opts.MaxRevisions; {
		i := l.index(p, limit, []byte("startxref"))
		if i < 0 {
			break
		}
		p = i + 9
		l.pos = p
		if off, ok := l.readInt(); ok {
			offs = append(offs, off)
		}
	}
	return offs
}

// linearized reports whether the first object after the header is a linearization dictionary:
// then a first-page cross-reference section at the start of the file is expected.
func (f *File) linearized() bool {
	l := f.pooledLexer()
	defer f.lexers.Put(l)
	l.pos = f.headerOffset + 5 + int64(len(f.header))
	l.skipSpace()
	if _, ok := l.readInt(); !ok {
		return false
	}
	if _, ok := l.readInt(); !ok || l.keyword() != "obj" {
		return false
	}
	o, err := l.object(0)
	if err != nil {
		return false
	}
	d, ok := o.(*Dict)
	return ok && d.Has("Linearized")
}

// span remembers one search: the first match at or after from is at (or -1: none to the end).
type span struct{ from, at int64 }

// find returns the first occurrence of pat at or after from to the end of the file. It remembers
// the last search per pattern: any search starting inside [from, at] has the same answer, which
// keeps a file full of streams without "endstream" (each searched for in turn) linear, not
// quadratic.
func (f *File) find(l *lexer, from int64, pat string) int64 {
	f.mu.Lock()
	c, ok := f.found[pat]
	f.mu.Unlock()
	if ok && from >= c.from && (c.at < 0 || from <= c.at) {
		return c.at
	}
	at := l.index(from, f.size, []byte(pat))
	f.mu.Lock()
	if f.found == nil {
		f.found = map[string]span{}
	}
	f.found[pat] = span{from, at}
	f.mu.Unlock()
	return at
}

// revisionEnd returns the offset after the first %%EOF at or after from and its end-of-line, and
// the offset just after the marker.
func (f *File) revisionEnd(from, limit int64) (int64, int64) {
	l := f.pooledLexer()
	defer f.lexers.Put(l)
	i := f.find(l, from, "%%EOF")
	if i < 0 || i >= limit {
		if limit < f.size {
			f.warn("no %%%%EOF after the cross-reference section ending at %d", from)
			return from, from
		}
		return f.size, f.size
	}
	p := i + 5
	eof := p
	if c, ok := l.at(p); ok && c == '\r' {
		p++
		if c, ok := l.at(p); ok && c == '\n' {
			p++
		}
	} else if ok && c == '\n' {
		p++
	}
	return p, eof
}

func (f *File) readSection(off int64, total *int) (*section, error) {
	if off < 0 || off >= f.size {
		return nil, syntaxErr(off, "cross-reference offset outside the file")
	}
	l := f.pooledLexer()
	defer f.lexers.Put(l)
	l.pos = off
	l.skipSpace()
	start := l.pos
	if kw := l.keyword(); kw == "xref" {
		s, err := f.readTable(l, off, total)
		if err != nil {
			return nil, err
		}
		if x, ok := s.trailer.Get("XRefStm").(Integer); ok {
			hs, err := f.readXRefStream(int64(x), total)
			if err != nil {
				return nil, fmt.Errorf("hybrid /XRefStm: %w", err)
			}
			for n, e := range hs.entries {
				if old, ok := s.entries[n]; !ok || old.kind == 0 {
					s.entries[n] = e
				}
			}
			s.kind = XRefHybrid
		}
		return s, nil
	}
	l.pos = start
	return f.readXRefStream(off, total)
}

func (f *File) readTable(l *lexer, off int64, total *int) (*section, error) {
	s := &section{off: off, kind: XRefTable, entries: map[uint32]entry{}}
	for {
		first, ok := l.readInt()
		if !ok {
			break
		}
		count, ok := l.readInt()
		if !ok {
			return nil, l.errorf("malformed cross-reference subsection header")
		}
		// Each entry takes at least 6 bytes ("0 0 n "): a count larger than the rest of the file
		// allows is a lie, refused before looping on it.
		if count > (f.size-l.pos)/6+1 || first+count > 1<<32 {
			return nil, l.errorf("cross-reference subsection of %d entries cannot fit", count)
		}
		*total += int(count)
		if *total > f.opts.MaxObjects {
			return nil, limitErr("more than %d cross-reference entries", f.opts.MaxObjects)
		}
		for i := int64(0); i < count; i++ {
			o, ok1 := l.readInt()
			g, ok2 := l.readInt()
			l.skipSpace()
			c, _ := l.peek()
			if !ok1 || !ok2 || (c != 'n' && c != 'f') {
				return nil, l.errorf("malformed cross-reference entry")
			}
			l.pos++
			num := uint32(first + i)
			if _, dup := s.entries[num]; dup {
				continue
			}
			e := entry{kind: 1, gen: uint16(min(g, 65535)), off: o}
			if c == 'f' {
				e.kind = 0
			}
			s.entries[num] = e
		}
	}
	if err := l.expectKeyword("trailer"); err != nil {
		return nil, err
	}
	t, err := l.object(0)
	if err != nil {
		return nil, fmt.Errorf("trailer: %w", err)
	}
	d, ok := t.(*Dict)
	if !ok {
		return nil, l.errorf("trailer is not a dictionary")
	}
	s.trailer = d
	s.tail = l.pos
	// Object 0 heads the free list. Some writers number their only subsection from 1 while still
	// writing object 0's entry first, shifting every offset; the check of offsets repairs that.
	return s, nil
}

func (f *File) readXRefStream(off int64, total *int) (*section, error) {
	obj, _, end, err := f.parseIndirect(off, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("cross-reference stream: %w", err)
	}
	st, ok := obj.(*Stream)
	if !ok {
		return nil, syntaxErr(off, "cross-reference section is neither a table nor a stream")
	}
	if t, _ := st.Dict.Name("Type"); t != "XRef" {
		return nil, syntaxErr(off, "cross-reference stream has /Type %q", t)
	}
	data, rest, err := f.decode(st)
	if err != nil {
		return nil, fmt.Errorf("cross-reference stream at %d: %w", off, err)
	}
	if len(rest) > 0 {
		return nil, syntaxErr(off, "cross-reference stream uses unsupported filter %s", rest[0])
	}
	wa, _ := st.Dict.Get("W").(Array)
	if len(wa) != 3 {
		return nil, syntaxErr(off, "cross-reference stream /W is not three widths")
	}
	var w [3]int
	row := 0
	for i, o := range wa {
		n, ok := o.(Integer)
		if !ok || n < 0 || n > 8 {
			return nil, syntaxErr(off, "cross-reference stream /W has a bad width")
		}
		w[i] = int(n)
		row += int(n)
	}
	if row == 0 {
		return nil, syntaxErr(off, "cross-reference stream /W is all zero")
	}
	size, _ := st.Dict.Int("Size")
	idx := Array{Integer(0), Integer(size)}
	if a, ok := st.Dict.Get("Index").(Array); ok {
		idx = a
	}
	if len(idx)%2 != 0 {
		return nil, syntaxErr(off, "cross-reference stream /Index has an odd length")
	}
	s := &section{off: off, kind: XRefStream, trailer: st.Dict, entries: map[uint32]entry{}, tail: end}
	p := 0
	for i := 0; i < len(idx); i += 2 {
		first, ok1 := idx[i].(Integer)
		count, ok2 := idx[i+1].(Integer)
		if !ok1 || !ok2 || first < 0 || count < 0 || int64(first)+int64(count) > 1<<32 {
			return nil, syntaxErr(off, "cross-reference stream /Index is malformed")
		}
		rows := int64(len(data)-p) / int64(row)
		if int64(count) > rows {
			// Fewer rows than announced: read what is there, as other readers do.
			f.warn("cross-reference stream at %d announces %d entries, holds %d", off, count, rows)
			count = Integer(rows)
		}
		*total += int(count)
		if *total > f.opts.MaxObjects {
			return nil, limitErr("more than %d cross-reference entries", f.opts.MaxObjects)
		}
		for j := int64(0); j < int64(count); j++ {
			var fld [3]int64
			for k := range 3 {
				for range w[k] {
					fld[k] = fld[k]<<8 | int64(data[p])
					p++
				}
			}
			if w[0] == 0 {
				fld[0] = 1
			}
			num := uint32(int64(first) + j)
			if _, dup := s.entries[num]; dup {
				continue
			}
			switch fld[0] {
			case 0:
				s.entries[num] = entry{kind: 0, gen: uint16(fld[2])}
			case 1:
				s.entries[num] = entry{kind: 1, off: fld[1], gen: uint16(fld[2])}
			case 2:
				if fld[1] > 1<<32-1 || fld[2] > 1<<31-1 {
					continue
				}
				s.entries[num] = entry{kind: 2, off: fld[1], idx: int32(fld[2])}
			default:
				// Unknown types are to be read as references to null (ISO 32000-1 7.5.8.3).
			}
		}
	}
	return s, nil
}

// checkOffsets verifies that every in-use entry points at "num gen obj" and repairs entries that
// do not from a scan of the file.
func (f *File) checkOffsets() error {
	type bad struct {
		rev int
		num uint32
	}
	type item struct {
		off int64
		num uint32
		gen uint16
		rev int
	}
	var items []item
	for i, r := range f.revs {
		for n, e := range r.entries {
			if e.kind == 1 && e.off == 0 {
				// "0000000000 00000 n" is a common writer slip for an entry it did not mean to
				// write: ignore it rather than call the file damaged.
				f.warn("object %d %d (revision %d) listed in use at offset 0; ignored", n, e.gen, i)
				delete(r.entries, n)
				continue
			}
			if e.kind == 1 {
				items = append(items, item{e.off, n, e.gen, i})
			}
		}
	}
	sort.Slice(items, func(a, b int) bool { return items[a].off < items[b].off })
	l := f.pooledLexer()
	defer f.lexers.Put(l)
	var bads []bad
	for _, it := range items {
		if !f.headerAt(l, it.off, it.num, it.gen) {
			bads = append(bads, bad{it.rev, it.num})
		}
	}
	if len(bads) == 0 {
		return nil
	}
	found, _, err := f.scan()
	if err != nil {
		return err
	}
	f.repaired = true
	for _, b := range bads {
		r := f.revs[b.rev]
		e := r.entries[b.num]
		best := int64(-1)
		for _, o := range found[Ref{b.num, e.gen}] {
			if o < r.End && o > best {
				best = o
			}
		}
		if best < 0 {
			f.warn("object %d %d (revision %d) not found at %d nor anywhere before; dropped", b.num, e.gen, b.rev, e.off)
			delete(r.entries, b.num)
			continue
		}
		f.warn("object %d %d (revision %d) is at %d, not %d as its cross-reference says", b.num, e.gen, b.rev, best, e.off)
		e.off = best
		r.entries[b.num] = e
	}
	return nil
}

// headerAt reports whether "num gen obj" starts at off.
func (f *File) headerAt(l *lexer, off int64, num uint32, gen uint16) bool {
	if off <= 0 || off >= f.size {
		return false
	}
	l.pos = off
	n, ok1 := l.readInt()
	g, ok2 := l.readInt()
	if !ok1 || !ok2 || n != int64(num) || g != int64(gen) {
		return false
	}
	return l.keyword() == "obj"
}

// scan finds every "num gen obj" header and every "trailer" keyword in the file, reading it in
// chunks.
func (f *File) scan() (map[Ref][]int64, []int64, error) {
	found := map[Ref][]int64{}
	var trailers []int64
	count := 0
	const chunk = 1 << 20
	const overlap = 64
	buf := make([]byte, min(f.size, chunk+overlap))
	for base := int64(0); base < f.size; base += chunk {
		n, _ := f.r.ReadAt(buf[:min(int64(len(buf)), f.size-base)], base)
		if n <= 0 {
			break
		}
		b := buf[:n]
		limit := min(n, chunk)
		for i := 0; i < limit; {
			j := bytes.Index(b[i:limit], []byte("obj"))
			k := bytes.Index(b[i:limit], []byte("trailer"))
			if k >= 0 && (j < 0 || k < j) {
				trailers = append(trailers, base+int64(i+k))
				i += k + 7
				continue
			}
			if j < 0 {
				break
			}
			p := i + j
			i = p + 3
			if p+3 < n && isRegular(b[p+3]) {
				continue
			}
			ref, start, ok := headerBefore(b, p)
			if !ok {
				continue
			}
			count++
			if count > f.opts.MaxObjects {
				return nil, nil, limitErr("more than %d objects while scanning", f.opts.MaxObjects)
			}
			found[ref] = append(found[ref], base+int64(start))
		}
	}
	return found, trailers, nil
}

// headerBefore parses "num gen " backwards from the "obj" at p.
func headerBefore(b []byte, p int) (Ref, int, bool) {
	q := p
	digits := func() (int64, bool) {
		end := q
		for q > 0 && b[q-1] >= '0' && b[q-1] <= '9' && end-q < 10 {
			q--
		}
		if q == end {
			return 0, false
		}
		var v int64
		for _, c := range b[q:end] {
			v = v*10 + int64(c-'0')
		}
		return v, true
	}
	spaces := func() bool {
		end := q
		for q > 0 && isWhite(b[q-1]) {
			q--
		}
		return q < end
	}
	if !spaces() {
		return Ref{}, 0, false
	}
	g, ok := digits()
	if !ok || g > 65535 || !spaces() {
		return Ref{}, 0, false
	}
	n, ok := digits()
	if !ok || n > 1<<32-1 {
		return Ref{}, 0, false
	}
	if q > 0 && isRegular(b[q-1]) {
		return Ref{}, 0, false
	}
	return Ref{uint32(n), uint16(g)}, q, true
}

// rebuild replaces the revisions by one rebuilt from a scan of the file: the last definition of
// each object wins, the trailer merges every trailer found, object streams are indexed.
func (f *File) rebuild() error {
	found, trailers, err := f.scan()
	if err != nil {
		return err
	}
	f.repaired = true
	f.objCache = map[loc]cached{}
	f.stmCache = map[loc]*objStm{}
	r := &Revision{Index: 0, Kind: XRefRebuilt, Trailer: &Dict{}, entries: map[uint32]entry{}}
	f.revs = []*Revision{r}
	f.View = &View{f: f, rev: 0}
	var maxNum uint32
	for ref, offs := range found {
		last := slices.Max(offs)
		if e, ok := r.entries[ref.Num]; ok && e.off > last {
			continue
		}
		r.entries[ref.Num] = entry{kind: 1, gen: ref.Gen, off: last}
		maxNum = max(maxNum, ref.Num)
	}
	l := f.pooledLexer()
	defer f.lexers.Put(l)
	for _, t := range trailers {
		l.pos = t + 7
		if d, err := l.object(0); err == nil {
			if td, ok := d.(*Dict); ok {
				mergeTrailer(r.Trailer, td)
			}
		}
	}
	// Look at every object once: cross-reference streams carry trailer entries, object streams
	// hold objects the scan cannot see, and the catalog may be the only way to find /Root.
	nums := make([]uint32, 0, len(r.entries))
	for n := range r.entries {
		nums = append(nums, n)
	}
	slices.SortFunc(nums, func(a, b uint32) int { return int(int64(r.entries[a].off) - int64(r.entries[b].off)) })
	var catalog *Ref
	for _, n := range nums {
		e := r.entries[n]
		obj, _, _, err := f.parseIndirect(e.off, &Ref{n, e.gen}, nil)
		if err != nil {
			continue
		}
		var d *Dict
		switch o := obj.(type) {
		case *Dict:
			d = o
		case *Stream:
			d = o.Dict
		}
		switch t, _ := d.Name("Type"); t {
		case "XRef":
			mergeTrailer(r.Trailer, d)
		case "Catalog":
			catalog = &Ref{n, e.gen}
		case "ObjStm":
			st, ok := obj.(*Stream)
			if !ok {
				continue
			}
			os, err := f.parseObjStm(st, nil)
			if err != nil {
				continue
			}
			for i, m := range os.nums {
				if _, ok := r.entries[m]; !ok {
					r.entries[m] = entry{kind: 2, off: int64(n), idx: int32(i)}
					maxNum = max(maxNum, m)
				}
			}
		}
	}
	for _, k := range []Name{"Type", "W", "Index", "Length", "Filter", "DecodeParms", "Prev", "XRefStm"} {
		r.Trailer.Delete(k)
	}
	if rt, ok := r.Trailer.Ref("Root"); !ok || !r.Defines(rt.Num) {
		if catalog == nil {
			return syntaxErr(-1, "no document catalog found")
		}
		r.Trailer.Set("Root", *catalog)
	}
	r.Trailer.Set("Size", Integer(int64(maxNum)+1))
	r.End, r.EOF = f.size, f.size
	if i := f.lexer().index(max(0, f.size-1024), f.size, []byte("%%EOF")); i >= 0 {
		r.End, r.EOF = f.revisionEnd(i, f.size)
	}
	return nil
}

func mergeTrailer(dst, src *Dict) {
	for _, e := range src.Entries {
		dst.Set(e.Key, e.Value)
	}
}
