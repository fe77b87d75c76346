package pdf

import (
	"fmt"
	"io"
	"slices"
)

// Update collects the objects of a new revision. Build it with File.NewUpdate, add and replace
// objects, then call Append after copying the original bytes to the output.
type Update struct {
	f       *File
	next    uint32
	objs    map[uint32]Object
	gens    map[uint32]uint16
	order   []uint32
	trailer *Dict
}

// Result says where Append put things, as absolute output offsets.
type Result struct {
	// Offsets gives where each written object's "num gen obj" starts.
	Offsets map[Ref]int64
	// XRefOffset is the new startxref value.
	XRefOffset int64
	// End is the offset after "%%EOF\n": the size of the updated file.
	End int64
}

// NewUpdate starts a new revision on top of the newest one.
func (f *File) NewUpdate() *Update {
	next := uint32(1)
	if s, ok := f.Trailer().Int("Size"); ok && s > 0 && s < 1<<32 {
		next = uint32(s)
	}
	for _, r := range f.revs {
		for n := range r.entries {
			if n >= next && n < 1<<32-1 {
				next = n + 1
			}
		}
	}
	return &Update{f: f, next: next, objs: map[uint32]Object{}, gens: map[uint32]uint16{}, trailer: &Dict{}}
}

// Alloc reserves a new object number, so that objects can refer to one another before they are
// set. An allocated number must be Set before Append.
func (u *Update) Alloc() Ref {
	r := Ref{Num: u.next, Gen: 0}
	u.next++
	u.gens[r.Num] = 0
	u.order = append(u.order, r.Num)
	return r
}

// Add stores o as a new object and returns its reference. Streams in o must be built with
// NewStream or read from this same File: a stream read from the file is copied from it, raw.
func (u *Update) Add(o Object) Ref {
	r := u.Alloc()
	u.objs[r.Num] = o
	return r
}

// Set replaces an existing object (same number and generation) or fills an allocated number.
func (u *Update) Set(ref Ref, o Object) error {
	if g, ok := u.gens[ref.Num]; ok {
		if g != ref.Gen {
			return fmt.Errorf("object %v: already set with generation %d", ref, g)
		}
		u.objs[ref.Num] = o
		return nil
	}
	e, _, ok := u.f.lookup(len(u.f.revs)-1, ref.Num)
	if !ok || (e.kind == 1 && e.gen != ref.Gen) || (e.kind == 2 && ref.Gen != 0) {
		return fmt.Errorf("object %v: %w", ref, ErrNotFound)
	}
	u.gens[ref.Num] = ref.Gen
	u.objs[ref.Num] = o
	u.order = append(u.order, ref.Num)
	return nil
}

// SetTrailer sets an extra trailer entry (for example a new /ID); /Size, /Prev and the
// cross-reference entries are the writer's.
func (u *Update) SetTrailer(key Name, v Object) { u.trailer.Set(key, v) }

// Append writes the update: a newline if the original does not end with one, the objects, a
// cross-reference section of the same kind as the file's newest one (a table for classic and
// hybrid files, a stream for cross-reference-stream files), the trailer and "%%EOF\n". base is
// the output offset at which the update starts, normally File.Size(), the caller having copied
// the original bytes first. Placeholders inside the objects record their absolute offsets.
func (u *Update) Append(w io.Writer, base int64) (*Result, error) {
	f := u.f
	last := f.revs[len(f.revs)-1]
	if f.Encrypted() {
		return nil, fmt.Errorf("append to an encrypted document: %w", ErrEncrypted)
	}
	if last.Kind == XRefRebuilt {
		return nil, fmt.Errorf("append to a file whose cross-reference had to be rebuilt: no /Prev to point at")
	}
	for _, n := range u.order {
		if u.objs[n] == nil {
			return nil, fmt.Errorf("object %d allocated but never set", n)
		}
	}
	e := &encoder{base: base, raw: f.RawData}
	if f.size > 0 {
		b := make([]byte, 1)
		if _, err := f.r.ReadAt(b, f.size-1); err == nil && b[0] != '\n' && b[0] != '\r' {
			e.buf = append(e.buf, '\n')
		}
	}
	res := &Result{Offsets: map[Ref]int64{}}
	offs := map[uint32]int64{}
	for _, n := range u.order {
		ref := Ref{n, u.gens[n]}
		off := base + int64(len(e.buf))
		offs[n] = off
		res.Offsets[ref] = off
		e.buf = fmt.Appendf(e.buf, "%d %d obj\n", ref.Num, ref.Gen)
		if err := e.object(u.objs[n]); err != nil {
			return nil, fmt.Errorf("object %v: %w", ref, err)
		}
		e.buf = append(e.buf, "\nendobj\n"...)
	}
	size := u.next
	var xnum uint32
	if last.Kind == XRefStream {
		xnum = size
		size++
	}
	t := NewDict("Size", Integer(size))
	for _, k := range []Name{"Root", "Info", "ID"} {
		if v := f.trailerGet(k); v != nil {
			t.Set(k, v)
		}
	}
	for _, en := range u.trailer.Entries {
		t.Set(en.Key, en.Value)
	}
	t.Set("Prev", Integer(last.XRefOffset))
	if last.Kind == XRefStream {
		xoff := base + int64(len(e.buf))
		offs[xnum] = xoff
		nums := append(slices.Clone(u.order), xnum)
		slices.Sort(nums)
		maxOff := xoff
		width := 1
		for maxOff >= 1<<(8*width) {
			width++
		}
		var data []byte
		var index Array
		for i := 0; i < len(nums); {
			j := i
			for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
				j++
			}
			index = append(index, Integer(nums[i]), Integer(j-i+1))
			for _, n := range nums[i : j+1] {
				data = append(data, 1)
				for k := width - 1; k >= 0; k-- {
					data = append(data, byte(offs[n]>>(8*k)))
				}
				g := u.gens[n]
				data = append(data, byte(g>>8), byte(g))
			}
			i = j + 1
		}
		d := NewDict("Type", Name("XRef"), "W", Array{Integer(1), Integer(width), Integer(2)}, "Index", index)
		for _, en := range t.Entries {
			d.Set(en.Key, en.Value)
		}
		e.buf = fmt.Appendf(e.buf, "%d 0 obj\n", xnum)
		if err := e.object(NewStream(d, data)); err != nil {
			return nil, err
		}
		e.buf = fmt.Appendf(e.buf, "\nendobj\nstartxref\n%d\n%%%%EOF\n", xoff)
		res.XRefOffset = xoff
	} else {
		xoff := base + int64(len(e.buf))
		nums := slices.Clone(u.order)
		slices.Sort(nums)
		e.buf = append(e.buf, "xref\n"...)
		for i := 0; i < len(nums); {
			j := i
			for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
				j++
			}
			e.buf = fmt.Appendf(e.buf, "%d %d\n", nums[i], j-i+1)
			for _, n := range nums[i : j+1] {
				e.buf = fmt.Appendf(e.buf, "%010d %05d n\r\n", offs[n], u.gens[n])
			}
			i = j + 1
		}
		e.buf = append(e.buf, "trailer\n"...)
		if err := e.object(t); err != nil {
			return nil, err
		}
		e.buf = fmt.Appendf(e.buf, "\nstartxref\n%d\n%%%%EOF\n", xoff)
		res.XRefOffset = xoff
	}
	if _, err := w.Write(e.buf); err != nil {
		return nil, fmt.Errorf("write update: %w", err)
	}
	res.End = base + int64(len(e.buf))
	return res, nil
}
