package pdf

import (
	"fmt"
	"io"
	"slices"
)

// lengthFunc resolves an indirect /Length while a stream is being parsed.
type lengthFunc func(Ref) (Object, error)

// parseIndirect parses "num gen obj ... endobj" at off. When want is set the header must name it.
// It returns the object, the offset of its header and the offset just after it ("endobj", or
// the end of the object or stream when "endobj" is missing).
func (f *File) parseIndirect(off int64, want *Ref, length lengthFunc) (Object, int64, int64, error) {
	l := f.pooledLexer()
	defer f.lexers.Put(l)
	l.pos = off
	num, ok1 := l.readInt()
	gen, ok2 := l.readInt()
	if !ok1 || !ok2 || l.keyword() != "obj" {
		return nil, 0, 0, syntaxErr(off, "no object header")
	}
	if want != nil && (num != int64(want.Num) || gen != int64(want.Gen)) {
		return nil, 0, 0, syntaxErr(off, "object header says %d %d, expected %d %d", num, gen, want.Num, want.Gen)
	}
	save := l.pos
	if l.keyword() == "endobj" {
		// "n g obj endobj": an empty object reads as null.
		return Null{}, off, l.pos, nil
	}
	l.pos = save
	obj, err := l.object(0)
	if err != nil {
		return nil, 0, 0, err
	}
	end := l.pos
	if d, ok := obj.(*Dict); ok {
		save = l.pos
		if l.keyword() == "stream" {
			st, err := f.streamBody(l, d, length)
			if err != nil {
				return nil, 0, 0, err
			}
			obj = st
			end = l.pos
		} else {
			l.pos = save
		}
	}
	save = l.pos
	if l.keyword() == "endobj" {
		end = l.pos
	} else {
		l.pos = save
	}
	return obj, off, end, nil
}

// streamBody reads the data after "stream": it trusts /Length only when "endstream" follows it,
// and otherwise measures the data up to the next "endstream" (a /Length larger than the file is
// thereby clamped too).
func (f *File) streamBody(l *lexer, d *Dict, length lengthFunc) (*Stream, error) {
	if c, _ := l.peek(); c == '\r' {
		l.pos++
	}
	if c, _ := l.peek(); c == '\n' {
		l.pos++
	}
	data := l.pos
	n := int64(-1)
	switch v := d.Get("Length").(type) {
	case Integer:
		n = int64(v)
	case Ref:
		if length != nil {
			if o, err := length(v); err == nil {
				if i, ok := o.(Integer); ok {
					n = int64(i)
				}
			}
		}
	}
	if n >= 0 && n <= f.size-data {
		l.pos = data + n
		if l.keyword() == "endstream" {
			return &Stream{Dict: d, Offset: data, Length: n}, nil
		}
	}
	e := f.find(l, data, "endstream")
	if e < 0 {
		return nil, syntaxErr(data, "stream without endstream")
	}
	n = e - data
	// The end-of-line before "endstream" is not data.
	if n > 0 {
		if c, _ := l.at(data + n - 1); c == '\n' {
			n--
			if c, _ := l.at(data + n - 1); n > 0 && c == '\r' {
				n--
			}
		} else if c == '\r' {
			n--
		}
	}
	l.pos = e + int64(len("endstream"))
	return &Stream{Dict: d, Offset: data, Length: n}, nil
}

// lookup finds the entry for num as of revision rev and the revision that defines it.
func (f *File) lookup(rev int, num uint32) (entry, int, bool) {
	for i := rev; i >= 0; i-- {
		if e, ok := f.revs[i].entries[num]; ok {
			return e, i, e.kind != 0
		}
	}
	return entry{}, -1, false
}

// Revision returns the revision this view reads.
func (v *View) Revision() *Revision { return v.f.revs[v.rev] }

// Trailer returns the trailer dictionary of the view's revision.
func (v *View) Trailer() *Dict { return v.f.revs[v.rev].Trailer }

// trailerGet returns key from the view's trailer or, when an update's trailer left it out, from
// the newest earlier trailer that has it, as readers do.
func (v *View) trailerGet(key Name) Object {
	for i := v.rev; i >= 0; i-- {
		if o := v.f.revs[i].Trailer.Get(key); o != nil {
			return o
		}
	}
	return nil
}

// Object returns the indirect object ref as of the view's revision. It wraps ErrNotFound when the
// object is not defined (free, absent, or of another generation).
func (v *View) Object(ref Ref) (Object, error) {
	return v.object(ref, 0)
}

func (v *View) object(ref Ref, stmDepth int) (Object, error) {
	f := v.f
	e, _, ok := f.lookup(v.rev, ref.Num)
	if !ok || (e.kind == 1 && e.gen != ref.Gen) || (e.kind == 2 && ref.Gen != 0) {
		return nil, fmt.Errorf("object %v: %w", ref, ErrNotFound)
	}
	key := loc{kind: 1, off: e.off, num: ref.Num, gen: ref.Gen}
	if e.kind == 2 {
		// An object stream's number can be reused by a later revision for a new object stream:
		// key compressed objects by the object stream's file offset.
		se, _, ok := f.lookup(v.rev, uint32(e.off))
		if !ok {
			return nil, fmt.Errorf("object %v: object stream %d: %w", ref, e.off, ErrNotFound)
		}
		key = loc{kind: 2, off: se.off, idx: e.idx, num: ref.Num}
	}
	f.mu.Lock()
	c, hit := f.objCache[key]
	f.mu.Unlock()
	if hit {
		return c.obj, nil
	}
	var (
		o   Object
		end int64
		err error
	)
	switch e.kind {
	case 1:
		o, _, end, err = f.parseIndirect(e.off, &ref, v.lengthResolver(stmDepth))
	case 2:
		o, err = v.compressed(ref.Num, e, stmDepth)
	}
	if err != nil {
		return nil, fmt.Errorf("object %v: %w", ref, err)
	}
	f.mu.Lock()
	if len(f.objCache) >= maxCachedObjects {
		clear(f.objCache)
	}
	f.objCache[key] = cached{o, end}
	f.mu.Unlock()
	return o, nil
}

// cached is a parsed object and, for one stored in the file, the offset just after it.
type cached struct {
	obj Object
	end int64
}

// span returns where the object stored at off as ref ends, parsing it only when the cache does
// not know.
func (v *View) span(off int64, ref Ref) (int64, error) {
	v.f.mu.Lock()
	c, hit := v.f.objCache[loc{kind: 1, off: off, num: ref.Num, gen: ref.Gen}]
	v.f.mu.Unlock()
	if hit {
		return c.end, nil
	}
	_, _, end, err := v.f.parseIndirect(off, &ref, v.lengthResolver(0))
	return end, err
}

func (v *View) lengthResolver(stmDepth int) lengthFunc {
	return func(r Ref) (Object, error) {
		if stmDepth+1 > v.f.opts.MaxObjStmDepth {
			return nil, limitErr("stream /Length references nest deeper than %d", v.f.opts.MaxObjStmDepth)
		}
		return v.object(r, stmDepth+1)
	}
}

// compressed reads object num from the object stream named by e.
func (v *View) compressed(num uint32, e entry, stmDepth int) (Object, error) {
	f := v.f
	if stmDepth >= f.opts.MaxObjStmDepth {
		return nil, limitErr("object streams nest deeper than %d", f.opts.MaxObjStmDepth)
	}
	se, _, ok := f.lookup(v.rev, uint32(e.off))
	if !ok || se.kind != 1 {
		return nil, syntaxErr(-1, "object stream %d is not a stream in the file", e.off)
	}
	key := loc{kind: se.kind, off: se.off, idx: se.idx}
	f.mu.Lock()
	os := f.stmCache[key]
	f.mu.Unlock()
	if os == nil {
		obj, err := v.object(Ref{uint32(e.off), se.gen}, stmDepth+1)
		if err != nil {
			return nil, err
		}
		st, ok := obj.(*Stream)
		if !ok {
			return nil, syntaxErr(se.off, "object stream %d is not a stream", e.off)
		}
		os, err = f.parseObjStm(st, v)
		if err != nil {
			if v.Encrypted() {
				return nil, fmt.Errorf("object stream %d: %w: %w", e.off, ErrEncrypted, err)
			}
			return nil, fmt.Errorf("object stream %d: %w", e.off, err)
		}
		f.mu.Lock()
		if f.stmBytes+int64(len(os.data)) > maxCachedStmData {
			clear(f.stmCache)
			f.stmBytes = 0
		}
		f.stmCache[key] = os
		f.stmBytes += int64(len(os.data))
		f.mu.Unlock()
	}
	i := int(e.idx)
	if i < 0 || i >= len(os.nums) || os.nums[i] != num {
		// Tolerate a wrong index when the number is in the stream.
		i = -1
		for j, n := range os.nums {
			if n == num {
				i = j
				break
			}
		}
		if i < 0 {
			return nil, syntaxErr(-1, "object %d is not in object stream %d", num, e.off)
		}
	}
	l := newBytesLexer(os.data, &f.opts)
	l.pos = os.offs[i]
	return l.object(0)
}

// parseObjStm decodes an object stream and reads its table of object numbers and offsets.
func (f *File) parseObjStm(st *Stream, v *View) (*objStm, error) {
	if t, _ := st.Dict.Name("Type"); t != "ObjStm" {
		return nil, syntaxErr(st.Offset, "not an object stream")
	}
	n, ok1 := st.Dict.Int("N")
	first, ok2 := st.Dict.Int("First")
	if !ok1 || !ok2 || n < 0 || first < 0 {
		return nil, syntaxErr(st.Offset, "object stream without /N and /First")
	}
	data, rest, err := f.decodeIn(st, v)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, syntaxErr(st.Offset, "object stream uses unsupported filter %s", rest[0])
	}
	if first > int64(len(data)) || n > int64(len(data))/2+1 {
		return nil, syntaxErr(st.Offset, "object stream /N or /First out of range")
	}
	os := &objStm{data: data, nums: make([]uint32, 0, n), offs: make([]int64, 0, n)}
	l := newBytesLexer(data[:first], &f.opts)
	for range n {
		num, ok1 := l.readInt()
		off, ok2 := l.readInt()
		if !ok1 || !ok2 || num > 1<<32-1 || first+off >= int64(len(data)) {
			return nil, syntaxErr(st.Offset, "malformed object stream header")
		}
		os.nums = append(os.nums, uint32(num))
		os.offs = append(os.offs, first+off)
	}
	return os, nil
}

// Resolve follows references until it reaches a direct object. A reference to an undefined
// object resolves to Null, as ISO 32000 says; a chain longer than Options.MaxDepth (a loop) is
// an error.
func (v *View) Resolve(o Object) (Object, error) {
	for range v.f.opts.MaxDepth {
		r, ok := o.(Ref)
		if !ok {
			if o == nil {
				return Null{}, nil
			}
			return o, nil
		}
		obj, err := v.Object(r)
		if err != nil {
			if isNotFound(err) {
				return Null{}, nil
			}
			return nil, err
		}
		o = obj
	}
	return nil, limitErr("reference chain longer than %d", v.f.opts.MaxDepth)
}

// ResolveDict resolves o and returns it as a dictionary (a stream's dictionary included), or nil.
func (v *View) ResolveDict(o Object) (*Dict, error) {
	r, err := v.Resolve(o)
	if err != nil {
		return nil, err
	}
	switch d := r.(type) {
	case *Dict:
		return d, nil
	case *Stream:
		return d.Dict, nil
	}
	return nil, nil
}

// Location says where an indirect object is stored.
type Location struct {
	// Revision is the index of the revision whose cross-reference section defines the object.
	Revision int
	// Start and End delimit "num gen obj ... endobj" in the file; for an object inside an object
	// stream, the object stream's.
	Start, End int64
	// InStream is the object stream's number when the object is compressed, otherwise 0.
	InStream uint32
	// Index is the object's index inside its object stream.
	Index int
}

// Locate returns where ref is stored as of the view's revision.
func (v *View) Locate(ref Ref) (Location, error) {
	e, rev, ok := v.f.lookup(v.rev, ref.Num)
	if !ok || (e.kind == 1 && e.gen != ref.Gen) {
		return Location{}, fmt.Errorf("object %v: %w", ref, ErrNotFound)
	}
	if e.kind == 2 {
		se, _, ok := v.f.lookup(v.rev, uint32(e.off))
		if !ok || se.kind != 1 {
			return Location{}, syntaxErr(-1, "object stream %d of object %v not found", e.off, ref)
		}
		end, err := v.span(se.off, Ref{uint32(e.off), se.gen})
		if err != nil {
			return Location{}, err
		}
		return Location{Revision: rev, Start: se.off, End: end, InStream: uint32(e.off), Index: int(e.idx)}, nil
	}
	end, err := v.span(e.off, ref)
	if err != nil {
		return Location{}, err
	}
	return Location{Revision: rev, Start: e.off, End: end}, nil
}

// InUse returns the object number num is in use as in the view's revision (its generation, 0
// for a compressed object), and false when it is free or undefined.
func (v *View) InUse(num uint32) (Ref, bool) {
	e, _, ok := v.f.lookup(v.rev, num)
	if !ok {
		return Ref{}, false
	}
	if e.kind == 2 {
		return Ref{num, 0}, true
	}
	return Ref{num, e.gen}, true
}

// CompressedObjects returns the objects the view reads from object streams, by the object
// stream's number. A later revision that redefines one of those object streams redefines every
// object in it that no section lists anew: those change without an entry of their own.
func (v *View) CompressedObjects() map[uint32][]Ref {
	out := map[uint32][]Ref{}
	seen := map[uint32]bool{}
	for i := v.rev; i >= 0; i-- {
		for n, e := range v.f.revs[i].entries {
			if seen[n] {
				continue
			}
			seen[n] = true
			if e.kind == 2 {
				out[uint32(e.off)] = append(out[uint32(e.off)], Ref{n, 0})
			}
		}
	}
	for _, refs := range out {
		slices.SortFunc(refs, func(a, b Ref) int { return int(int64(a.Num) - int64(b.Num)) })
	}
	return out
}

// SameStorage reports whether ref is stored in the same place (same offset, or same index of an
// object stream stored at the same offset) in this view and in w, two views of one file. An
// update whose cross-reference lists an unchanged object again stores it in the same place;
// this answers that without parsing anything. Objects undefined in either view are not the same.
func (v *View) SameStorage(w *View, ref Ref) bool {
	if v.f != w.f {
		return false
	}
	a, _, ok1 := v.f.lookup(v.rev, ref.Num)
	b, _, ok2 := v.f.lookup(w.rev, ref.Num)
	if !ok1 || !ok2 || a != b {
		return false
	}
	if a.kind == 2 {
		sa, _, ok1 := v.f.lookup(v.rev, uint32(a.off))
		sb, _, ok2 := v.f.lookup(w.rev, uint32(a.off))
		return ok1 && ok2 && sa == sb
	}
	return true
}

// ObjectSpan returns the byte span [start, end) of "num gen obj ... endobj" in the file (for a
// compressed object, of its object stream).
func (v *View) ObjectSpan(ref Ref) (int64, int64, error) {
	l, err := v.Locate(ref)
	return l.Start, l.End, err
}

// RawObject returns the bytes of ref as stored: "num gen obj ... endobj" for an object in the
// file, or the object's text inside its decoded object stream. Two revisions that store the same
// bytes store the same object. Objects larger than Options.MaxDecodedSize are refused.
func (v *View) RawObject(ref Ref) ([]byte, error) {
	loc, err := v.Locate(ref)
	if err != nil {
		return nil, err
	}
	if loc.InStream == 0 {
		n := loc.End - loc.Start
		if n > v.f.opts.MaxDecodedSize {
			return nil, limitErr("object %v is %d bytes", ref, n)
		}
		b := make([]byte, n)
		if _, err := v.f.r.ReadAt(b, loc.Start); err != nil && err != io.EOF {
			return nil, fmt.Errorf("read object %v: %w", ref, err)
		}
		return b, nil
	}
	obj, err := v.Object(Ref{loc.InStream, 0})
	if err != nil {
		return nil, err
	}
	st, ok := obj.(*Stream)
	if !ok {
		return nil, syntaxErr(loc.Start, "object stream %d is not a stream", loc.InStream)
	}
	os, err := v.f.parseObjStm(st, v)
	if err != nil {
		return nil, err
	}
	for i, n := range os.nums {
		if n == ref.Num {
			end := int64(len(os.data))
			if i+1 < len(os.offs) && os.offs[i+1] > os.offs[i] {
				end = os.offs[i+1]
			}
			return os.data[os.offs[i]:end], nil
		}
	}
	return nil, syntaxErr(-1, "object %v not in object stream %d", ref, loc.InStream)
}
