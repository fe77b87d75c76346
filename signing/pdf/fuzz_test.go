package pdf

import (
	"bytes"
	"errors"
	"testing"
)

func TestReferenceLoop(t *testing.T) {
	f := mustOpen(t, hostileCases()["reference and page loops"])
	if _, err := f.Resolve(Ref{3, 0}); !errors.Is(err, ErrLimit) {
		t.Errorf("resolving a reference loop: %v, want ErrLimit", err)
	}
}

// FuzzOpen opens arbitrary bytes and walks everything the verifier would walk. It must never
// panic; errors are fine.
func FuzzOpen(f *testing.F) {
	f.Add(classicPDF())
	f.Add(xrefStreamPDF())
	f.Add(hybridPDF())
	b := classicPDF()
	i := bytes.Index(b, []byte("xref"))
	f.Add(append(append([]byte{}, b[:i]...), "trailer << /Root 1 0 R >>\n%%EOF\n"...))
	for _, c := range hostileCases() {
		// Large seeds make every mutation slow; the big cases run in TestHostile.
		if len(c) < 64<<10 {
			f.Add(c)
		}
	}
	opts := &Options{MaxDecodedSize: 1 << 20, MaxObjects: 100000, MaxDepth: 50}
	f.Fuzz(func(t *testing.T, data []byte) {
		pf, err := Open(bytes.NewReader(data), int64(len(data)), opts)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) && !errors.Is(err, ErrLimit) {
				t.Fatalf("error of unexpected type: %v", err)
			}
			return
		}
		for _, r := range pf.Revisions() {
			if r.End < 0 || r.End > int64(len(data)) {
				t.Fatalf("revision end %d outside the file", r.End)
			}
		}
		_ = walkAll(pf)
		_, _ = pf.Resolve(pf.Trailer())
		_ = pf.Version()
	})
}

// FuzzObject parses arbitrary bytes as one object; whatever parses must serialise to syntax that
// parses back to the same serialisation, so the writer can never emit what the reader misreads.
func FuzzObject(f *testing.F) {
	for _, s := range []string{"<< /A [1 2.5 -3 (x\\)y) <00ff> /N#20ame true null 4 0 R] >>", "(a\\nb\\\\c\\053)",
		"[[[]]]", "/#41#42", "-.5", "<</K<</L 1>>>>", "(\xfe\xff\x00A)"} {
		f.Add([]byte(s))
	}
	opts := &Options{MaxDepth: 50, MaxDecodedSize: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := newBytesLexer(data, opts).object(0)
		if err != nil {
			return
		}
		b1, err := Marshal(o)
		if err != nil {
			t.Fatalf("marshal %#v: %v", o, err)
		}
		o2, err := newBytesLexer(b1, opts).object(0)
		if err != nil {
			t.Fatalf("reparse %q: %v", b1, err)
		}
		b2, err := Marshal(o2)
		if err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("round trip %q -> %q (%v)", b1, b2, err)
		}
	})
}

// FuzzUpdate appends an update to whatever the reader accepts without repair: the result must
// reopen with one more revision that holds exactly what was written.
func FuzzUpdate(f *testing.F) {
	f.Add(classicPDF())
	f.Add(xrefStreamPDF())
	f.Add(hybridPDF())
	opts := &Options{MaxDecodedSize: 1 << 20, MaxObjects: 100000, MaxDepth: 50}
	f.Fuzz(func(t *testing.T, data []byte) {
		pf, err := Open(bytes.NewReader(data), int64(len(data)), opts)
		if err != nil || pf.Repaired() || pf.Encrypted() {
			return
		}
		u := pf.NewUpdate()
		ref := u.Add(NewDict("Marker", NewTextString("docgate ✓"), "N", Real(1.5)))
		var out bytes.Buffer
		out.Write(data)
		res, err := u.Append(&out, int64(len(data)))
		if err != nil {
			return
		}
		g, err := Open(bytes.NewReader(out.Bytes()), int64(out.Len()), opts)
		if err != nil {
			t.Fatalf("updated file unreadable: %v", err)
		}
		if len(g.Revisions()) != len(pf.Revisions())+1 {
			t.Fatalf("%d revisions after updating %d: %v", len(g.Revisions()), len(pf.Revisions()), g.Warnings())
		}
		o, err := g.Object(ref)
		if err != nil {
			t.Fatalf("new object %v: %v", ref, err)
		}
		d, ok := o.(*Dict)
		if !ok || TextString(d.Get("Marker").(String).Value) != "docgate ✓" {
			t.Fatalf("new object reads back as %v", o)
		}
		if res.End != int64(out.Len()) {
			t.Fatalf("end %d of %d", res.End, out.Len())
		}
	})
}

// FuzzDecode runs every decoder and predictor over arbitrary data: no panic, output bounded.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("x\x9c\xcbH\xcd\xc9\xc9\x07\x00\x06,\x02\x15"), uint8(0), uint8(12), uint8(3))
	f.Add([]byte("48656c6c6f>"), uint8(1), uint8(0), uint8(1))
	f.Add([]byte("87cURD]i,\"Ebo80~>"), uint8(2), uint8(0), uint8(1))
	f.Add([]byte{2, 'a', 'b', 'c', 0xfe, 'z', 128}, uint8(3), uint8(0), uint8(1))
	f.Add([]byte{0x80, 0x0b, 0x60, 0x50, 0x22, 0x0c, 0x0c, 0x85, 0x01}, uint8(4), uint8(2), uint8(1))
	filters := []Name{"FlateDecode", "ASCIIHexDecode", "ASCII85Decode", "RunLengthDecode", "LZWDecode"}
	pf := &File{opts: (&Options{MaxDecodedSize: 1 << 20}).withDefaults()}
	f.Fuzz(func(t *testing.T, data []byte, filter, pred, cols uint8) {
		d := NewDict("Filter", filters[int(filter)%len(filters)])
		if pred > 0 {
			d.Set("DecodeParms", NewDict("Predictor", Integer(pred%16), "Columns", Integer(cols), "Colors", Integer(1+pred%4)))
		}
		out, _, err := pf.decodeIn(NewStream(d, data), nil)
		if err == nil && int64(len(out)) > pf.opts.MaxDecodedSize {
			t.Fatalf("decoded %d bytes past the limit", len(out))
		}
	})
}
