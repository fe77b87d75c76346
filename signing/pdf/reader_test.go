package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func mustOpen(tb testing.TB, b []byte) *File {
	tb.Helper()
	f, err := Open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	return f
}

// xrefStreamPDF is a one-revision document whose objects 2-7 live in an object stream and whose
// cross-reference stream is PNG-predicted.
func xrefStreamPDF() []byte {
	g := newGen("1.5")
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R] >> >>")
	g.objStm(8, map[uint32]string{
		2: "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /MediaBox [0 0 612 792] /Rotate 90 >>",
		3: "<< /Type /Page /Parent 2 0 R /Contents 5 0 R /Resources << >> /Annots [6 0 R] >>",
		4: "<< /Type /Page /Parent 2 0 R /Contents 5 0 R /MediaBox [0 0 100 100] >>",
		6: "<< /FT /Sig /T (Signature1) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R >>",
		7: "<< /Producer (docgate test) >>",
	})
	g.stream(5, "", []byte("BT ET"))
	g.xrefStream(9, true, "/Root 1 0 R /Info 7 0 R /ID [<0102> <0304>]")
	return g.bytes()
}

// hybridPDF has a classic table for objects 1 and 5 and names an xref stream for the compressed
// objects in /XRefStm.
func hybridPDF() []byte {
	g := newGen("1.5")
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R] >> >>")
	g.objStm(8, map[uint32]string{
		2: "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /MediaBox [0 0 612 792] /Rotate 90 >>",
		3: "<< /Type /Page /Parent 2 0 R /Contents 5 0 R /Resources << >> /Annots [6 0 R] >>",
		4: "<< /Type /Page /Parent 2 0 R /Contents 5 0 R /MediaBox [0 0 100 100] >>",
		6: "<< /FT /Sig /T (Signature1) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R >>",
		7: "<< /Producer (docgate test) >>",
	})
	g.stream(5, "", []byte("BT ET"))
	// The hidden xref stream lists only the compressed objects; the table lists the rest.
	packed := g.packed
	direct := g.pending
	g.pending = map[uint32]int64{}
	g.lastXref = -2 // no /Prev, and no object 0 row in the stream
	xsOff := int64(g.buf.Len())
	var rows bytes.Buffer
	var idx strings.Builder
	for _, n := range []uint32{2, 3, 4, 6, 7} {
		p := packed[n]
		fmt.Fprintf(&idx, "%d 1 ", n)
		rows.Write([]byte{2, 0, 0, 0, byte(p[0]), 0, byte(p[1])})
	}
	g.stream(9, fmt.Sprintf("/Type /XRef /Size 10 /W [1 4 2] /Index [%s]", idx.String()), rows.Bytes())
	direct[9] = xsOff
	g.pending = direct
	g.packed = map[uint32][2]uint32{}
	g.lastXref = -1
	g.table(fmt.Sprintf("/Root 1 0 R /Info 7 0 R /XRefStm %d", xsOff))
	return g.bytes()
}

func TestOpenKinds(t *testing.T) {
	tests := []struct {
		name string
		pdf  []byte
		kind XRefKind
	}{
		{"classic", classicPDF(), XRefTable},
		{"xref stream", xrefStreamPDF(), XRefStream},
		{"hybrid", hybridPDF(), XRefHybrid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustOpen(t, tt.pdf)
			if f.Repaired() {
				t.Errorf("repaired a well-formed file: %v", f.Warnings())
			}
			revs := f.Revisions()
			if len(revs) != 1 || revs[0].Kind != tt.kind {
				t.Fatalf("revisions %d kind %v, want 1 %v", len(revs), revs[0].Kind, tt.kind)
			}
			if revs[0].End != int64(len(tt.pdf)) {
				t.Errorf("revision ends at %d, file is %d bytes", revs[0].End, len(tt.pdf))
			}
			pages, err := f.Pages()
			if err != nil {
				t.Fatal(err)
			}
			if len(pages) != 2 {
				t.Fatalf("%d pages, want 2", len(pages))
			}
			if pages[0].Rotate != 90 || fmt.Sprint(pages[0].MediaBox) != "[0 0 612 792]" {
				t.Errorf("page 1 inherits rotate %d mediabox %v", pages[0].Rotate, pages[0].MediaBox)
			}
			if fmt.Sprint(pages[1].MediaBox) != "[0 0 100 100]" {
				t.Errorf("page 2 mediabox %v, want its own", pages[1].MediaBox)
			}
			fields, err := f.Fields()
			if err != nil {
				t.Fatal(err)
			}
			if len(fields) != 1 || fields[0].Name != "Signature1" || fields[0].Type != "Sig" || fields[0].Value != nil {
				t.Fatalf("fields %+v", fields)
			}
			if len(fields[0].Widgets) != 1 || fields[0].Widgets[0].Page != 0 {
				t.Errorf("widget %+v, want one on page 0", fields[0].Widgets)
			}
			if err := walkAll(f); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestStringSpan(t *testing.T) {
	g := newGen("1.7")
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	g.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	g.obj(3, "<< /Contents <00ff 10> /Name (a\\(b\\)c) >>")
	g.table("/Root 1 0 R")
	b := g.bytes()
	f := mustOpen(t, b)
	o, err := f.Object(Ref{3, 0})
	if err != nil {
		t.Fatal(err)
	}
	c := o.(*Dict).Get("Contents").(String)
	if got := string(b[c.Start:c.End]); got != "<00ff 10>" {
		t.Errorf("contents span %q", got)
	}
	if !bytes.Equal(c.Value, []byte{0, 0xff, 0x10}) || !c.Hex {
		t.Errorf("contents %x hex=%v", c.Value, c.Hex)
	}
	n := o.(*Dict).Get("Name").(String)
	if string(n.Value) != "a(b)c" || string(b[n.Start:n.End]) != `(a\(b\)c)` {
		t.Errorf("literal %q span %q", n.Value, b[n.Start:n.End])
	}
	s, e, err := f.ObjectSpan(Ref{3, 0})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b[s:e], []byte("3 0 obj")) || !bytes.HasSuffix(b[s:e], []byte("endobj")) {
		t.Errorf("object span %q", b[s:e])
	}
}

// TestRevisions builds an original and two updates of different kinds and checks that each view
// sees its own version of the changed object.
func TestRevisions(t *testing.T) {
	g := newGen("1.7")
	basicObjects(g)
	g.table("/Root 1 0 R /Info 7 0 R")
	end0 := g.buf.Len()
	g.obj(7, "<< /Producer (second) >>")
	g.table("/Root 1 0 R /Info 7 0 R")
	end1 := g.buf.Len()
	g.obj(7, "<< /Producer (third) >>")
	g.obj(9, "<< /New true >>")
	g.xrefStream(10, true, "/Root 1 0 R /Info 7 0 R")
	b := g.bytes()
	f := mustOpen(t, b)
	revs := f.Revisions()
	if len(revs) != 3 {
		t.Fatalf("%d revisions, want 3", len(revs))
	}
	wantEnds := []int64{int64(end0), int64(end1), int64(len(b))}
	wantKinds := []XRefKind{XRefTable, XRefTable, XRefStream}
	for i, r := range revs {
		if r.End != wantEnds[i] || r.Kind != wantKinds[i] {
			t.Errorf("revision %d ends %d kind %v, want %d %v", i, r.End, r.Kind, wantEnds[i], wantKinds[i])
		}
	}
	if got := fmt.Sprint(revs[2].Objects()); got != "[7 0 R 9 0 R 10 0 R]" {
		t.Errorf("revision 2 defines %s", got)
	}
	for i, want := range []string{"docgate test", "second", "third"} {
		v, _ := f.At(i)
		o, err := v.Object(Ref{7, 0})
		if err != nil {
			t.Fatal(err)
		}
		if got := string(o.(*Dict).Get("Producer").(String).Value); got != want {
			t.Errorf("revision %d producer %q, want %q", i, got, want)
		}
		raw, err := v.RawObject(Ref{7, 0})
		if err != nil || !bytes.Contains(raw, []byte(want)) {
			t.Errorf("revision %d raw %q %v", i, raw, err)
		}
	}
	v0, _ := f.At(0)
	v1, _ := f.At(1)
	v2, _ := f.At(2)
	if !v0.SameStorage(v2, Ref{1, 0}) || v1.SameStorage(v2, Ref{7, 0}) || v0.SameStorage(v2, Ref{9, 0}) {
		t.Errorf("SameStorage: catalog kept %v, producer changed %v, new object %v",
			v0.SameStorage(v2, Ref{1, 0}), !v1.SameStorage(v2, Ref{7, 0}), !v0.SameStorage(v2, Ref{9, 0}))
	}
	if _, err := v0.Object(Ref{9, 0}); !errors.Is(err, ErrNotFound) {
		t.Errorf("object 9 visible before it was added: %v", err)
	}
	if o, err := v0.Resolve(Ref{9, 0}); err != nil || o != (Null{}) {
		t.Errorf("resolve of a missing object %v %v, want null", o, err)
	}
}

func TestEOFLineEndings(t *testing.T) {
	for _, eol := range []string{"", "\n", "\r", "\r\n"} {
		g := newGen("1.4")
		g.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
		g.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
		g.table("/Root 1 0 R")
		b := bytes.TrimSuffix(g.bytes(), []byte("\n"))
		b = append(b, eol...)
		b = append(b, "   trailing garbage"...)
		f := mustOpen(t, b)
		want := int64(bytes.LastIndex(b, []byte("%%EOF")) + 5 + len(eol))
		if got := f.Revisions()[0].End; got != want {
			t.Errorf("eol %q: end %d, want %d", eol, got, want)
		}
		if got := f.Revisions()[0].EOF; got != want-int64(len(eol)) {
			t.Errorf("eol %q: marker ends %d, want %d", eol, got, want-int64(len(eol)))
		}
	}
}

func TestRepairBrokenOffsets(t *testing.T) {
	b := classicPDF()
	// Shift every object by inserting bytes after the header: all offsets now lie.
	i := bytes.Index(b, []byte("1 0 obj"))
	broken := append(append(append([]byte{}, b[:i]...), []byte("% padding padding\n")...), b[i:]...)
	// Point startxref at the shifted table's old place too, so the table itself is found by offset
	// only after repair of startxref: fix it here to keep the table readable.
	f := mustOpen(t, broken)
	if !f.Repaired() {
		t.Fatal("wrong offsets not reported as repaired")
	}
	pages, err := f.Pages()
	if err != nil || len(pages) != 2 {
		t.Fatalf("pages after repair: %d %v", len(pages), err)
	}
	// No xref at all: rebuilt from the objects.
	j := bytes.Index(b, []byte("xref"))
	f2 := mustOpen(t, append(append([]byte{}, b[:j]...), "trailer << /Root 1 0 R >>\n%%EOF\n"...))
	if !f2.Repaired() || f2.Revisions()[0].Kind != XRefRebuilt {
		t.Fatalf("missing xref: repaired=%v kind=%v", f2.Repaired(), f2.Revisions()[0].Kind)
	}
	if pages, err := f2.Pages(); err != nil || len(pages) != 2 {
		t.Fatalf("pages after rebuild: %d %v", len(pages), err)
	}
	// Rebuild from object streams without any trailer keyword: the catalog is found by type.
	x := xrefStreamPDF()
	k := bytes.Index(x, []byte("9 0 obj"))
	f3 := mustOpen(t, x[:k])
	if pages, err := f3.Pages(); err != nil || len(pages) != 2 {
		t.Fatalf("pages after rebuild from object streams: %d %v", len(pages), err)
	}
}

func TestNoHeader(t *testing.T) {
	b := classicPDF()
	copy(b, "XXXXXXXX")
	_, err := Open(bytes.NewReader(b), int64(len(b)), nil)
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("error %v, want *SyntaxError", err)
	}
}

func TestLeadingGarbage(t *testing.T) {
	b := append([]byte("garbage\n"), classicPDF()...)
	f := mustOpen(t, b)
	if f.HeaderOffset() != 8 || f.HeaderVersion() != "1.7" {
		t.Errorf("header at %d version %q", f.HeaderOffset(), f.HeaderVersion())
	}
	if p, err := f.Pages(); err != nil || len(p) != 2 {
		t.Errorf("pages %d %v", len(p), err)
	}
}

func TestFilters(t *testing.T) {
	plain := []byte("Hello, hello, hello, hello world! 0123456789 ~> <> () \x00\xff")
	hexed := fmt.Sprintf("%x>", plain)
	tests := []struct {
		name, dict string
		data       []byte
	}{
		{"flate", "/Filter /FlateDecode", deflate(plain)},
		{"hex", "/Filter /ASCIIHexDecode", []byte(hexed)},
		{"hex then flate", "/Filter [/ASCIIHexDecode /FlateDecode]", fmt.Appendf(nil, "%x>", deflate(plain))},
		{"ascii85", "/Filter /ASCII85Decode", []byte(a85(plain))},
		{"runlength", "/Filter /RunLengthDecode", runLength(plain)},
		{"lzw", "/Filter /LZWDecode", lzwEncode(plain)},
		// The standard library's encoder widens codes one code late, which is PDF's EarlyChange 0;
		// a long input makes the width change matter.
		{"lzw late change", "/Filter /LZWDecode /DecodeParms << /EarlyChange 0 >>", lzwEncode(bytes.Repeat(plain, 200))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGen("1.4")
			g.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
			g.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
			g.stream(3, tt.dict, tt.data)
			g.table("/Root 1 0 R")
			f := mustOpen(t, g.bytes())
			o, err := f.Object(Ref{3, 0})
			if err != nil {
				t.Fatal(err)
			}
			got, rest, err := f.Decode(o.(*Stream))
			if err != nil || len(rest) != 0 {
				t.Fatalf("decode: %v rest %v", err, rest)
			}
			want := plain
			if strings.HasPrefix(tt.name, "lzw late") {
				want = bytes.Repeat(plain, 200)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("decoded %q", got)
			}
		})
	}
}

func TestUnsupportedFilterReturnedRaw(t *testing.T) {
	g := newGen("1.4")
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	g.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	g.stream(3, "/Filter [/Crypt /FlateDecode /DCTDecode] /DecodeParms [<< /Name /Identity >> null null]", deflate([]byte("jpeg")))
	g.table("/Root 1 0 R")
	f := mustOpen(t, g.bytes())
	o, _ := f.Object(Ref{3, 0})
	got, rest, err := f.Decode(o.(*Stream))
	if err != nil || string(got) != "jpeg" || len(rest) != 1 || rest[0] != "DCTDecode" {
		t.Fatalf("got %q rest %v err %v", got, rest, err)
	}
}

// ascii85 encodes for tests with the standard library's encoder plus PDF's end marker.
func a85(b []byte) string {
	var out bytes.Buffer
	enc := a85Encoder(&out)
	enc.Write(b)
	enc.Close()
	return out.String() + "~>"
}

func runLength(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); {
		j := i
		for j < len(b) && b[j] == b[i] && j-i < 128 {
			j++
		}
		if j-i >= 2 {
			out = append(out, byte(257-(j-i)), b[i])
			i = j
			continue
		}
		out = append(out, 0, b[i])
		i++
	}
	return append(out, 128)
}

// TestObjStmReusedAcrossRevisions: an update rewrites object stream 8 with a new version of the
// object it holds; each revision must see its own version, whatever was read first.
func TestObjStmReusedAcrossRevisions(t *testing.T) {
	g := newGen("1.5")
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R /V 3 0 R >>")
	g.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	g.objStm(8, map[uint32]string{3: "(old)"})
	g.xrefStream(9, true, "/Root 1 0 R")
	g.objStm(8, map[uint32]string{3: "(new)"})
	// The update's trailer leaves out /Root: the older one still applies.
	g.xrefStream(10, false, "")
	f := mustOpen(t, g.bytes())
	if len(f.Revisions()) != 2 {
		t.Fatalf("%d revisions", len(f.Revisions()))
	}
	for _, order := range [][]int{{0, 1}, {1, 0}} {
		f := mustOpen(t, g.bytes())
		for _, i := range order {
			v, _ := f.At(i)
			o, err := v.Object(Ref{3, 0})
			want := []string{"old", "new"}[i]
			if err != nil || string(o.(String).Value) != want {
				t.Errorf("order %v revision %d: %v %v, want %s", order, i, o, err, want)
			}
		}
	}
	if _, err := f.Catalog(); err != nil {
		t.Errorf("catalog through an older trailer: %v", err)
	}
	v0, _ := f.At(0)
	if v0.SameStorage(f.View, Ref{3, 0}) {
		t.Error("object in a rewritten object stream reported as stored in the same place")
	}
}

func TestEmptyObject(t *testing.T) {
	g := newGen("1.4")
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	g.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	g.obj(3, "")
	g.table("/Root 1 0 R")
	f := mustOpen(t, g.bytes())
	if o, err := f.Object(Ref{3, 0}); err != nil || o != (Null{}) {
		t.Errorf("empty object: %v %v, want null", o, err)
	}
}

func TestFieldsHierarchyAndDocMDP(t *testing.T) {
	g := newGen("1.7")
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R /Version /2.0 /Perms << /DocMDP 9 0 R >> "+
		"/AcroForm << /Fields [5 0 R 10 0 R] >> >>")
	g.obj(2, "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>")
	g.obj(3, "<< /Type /Page /Parent 2 0 R /Annots [6 0 R] >>")
	g.obj(4, "<< /Type /Page /Parent 2 0 R /Annots [7 0 R 11 0 R] >>")
	// A parent field "sigs" with FT inherited by two children; child b has two widgets.
	g.obj(5, "<< /T (sigs) /FT /Sig /Kids [6 0 R 8 0 R] >>")
	g.obj(6, "<< /T (a) /Parent 5 0 R /Subtype /Widget /Rect [1 2 3 4] /V 9 0 R /Lock << /Action /All >> >>")
	g.obj(8, "<< /T <FEFF0062> /Parent 5 0 R /Kids [7 0 R 12 0 R] >>")
	g.obj(7, "<< /Parent 8 0 R /Subtype /Widget /Rect [0 0 10 10] >>")
	g.obj(12, "<< /Parent 8 0 R /Subtype /Widget /Rect [0 0 0 0] >>")
	g.obj(9, "<< /Type /Sig /Reference [<< /TransformMethod /DocMDP /TransformParams << /P 1 /V /1.2 >> >>] >>")
	g.obj(10, "<< /T (text) /FT /Tx /Ff 4096 /V (hello) /Kids [11 0 R] >>")
	g.obj(11, "<< /Parent 10 0 R /Subtype /Widget /Rect [0 0 5 5] >>")
	g.table("/Root 1 0 R")
	f := mustOpen(t, g.bytes())
	fields, err := f.Fields()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fd := range fields {
		var pages []int
		for _, w := range fd.Widgets {
			pages = append(pages, w.Page)
		}
		got = append(got, fmt.Sprintf("%s:%s:%d:%v:%v", fd.Name, fd.Type, fd.Flags, pages, fd.Value != nil))
	}
	want := "[sigs.a:Sig:0:[0]:true sigs.b:Sig:0:[1 -1]:false text:Tx:4096:[1]:true]"
	if fmt.Sprint(got) != want {
		t.Errorf("fields\n got %v\nwant %s", got, want)
	}
	if fields[0].Lock == nil {
		t.Error("/Lock of sigs.a not reported")
	}
	ref, _, p, ok, err := f.DocMDP()
	if err != nil || !ok || p != 1 || ref != (Ref{9, 0}) {
		t.Errorf("DocMDP %v %d %v %v", ref, p, ok, err)
	}
	if v := f.Version(); v != "2.0" {
		t.Errorf("version %q, want the catalog's 2.0", v)
	}
}

// TestMissingEOFMarker: a revision written without %%EOF must not take the next one's end.
func TestMissingEOFMarker(t *testing.T) {
	g := newGen("1.7")
	basicObjects(g)
	g.table("/Root 1 0 R")
	first := g.buf.Len()
	g.obj(7, "<< /Producer (second) >>")
	g.table("/Root 1 0 R")
	b := g.bytes()
	i := bytes.Index(b, []byte("%%EOF"))
	copy(b[i:], "     ")
	f := mustOpen(t, b)
	revs := f.Revisions()
	if len(revs) != 2 || revs[0].End > int64(first) || revs[1].End != int64(len(b)) {
		t.Fatalf("revision ends %v, first revision's bytes end at %d", revEnds(f), first)
	}
	if len(f.Warnings()) == 0 {
		t.Error("a missing end-of-file marker was not reported")
	}
}

func TestZeroOffsetEntryIgnored(t *testing.T) {
	b := classicPDF()
	i := bytes.Index(b, []byte("trailer"))
	b = append(append(append([]byte{}, b[:i]...), "9 1\n0000000000 00000 n\r\n"...), b[i:]...)
	f := mustOpen(t, b)
	if f.Repaired() || len(f.Warnings()) != 1 {
		t.Errorf("repaired=%v warnings=%v", f.Repaired(), f.Warnings())
	}
	if _, err := f.Object(Ref{9, 0}); !errors.Is(err, ErrNotFound) {
		t.Errorf("object 9: %v", err)
	}
}

// TestIndirectDecodeParms: image writers put /DecodeParms (and sometimes /Filter) in objects of
// their own; the predictor must still be applied.
func TestIndirectDecodeParms(t *testing.T) {
	rows := []byte{2, 1, 2, 3, 2, 1, 1, 1} // PNG Up rows of 3 bytes: 1 2 3, then 2 3 4
	g := newGen("1.4")
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	g.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	g.stream(3, "/Filter 5 0 R /DecodeParms 4 0 R", deflate(rows))
	g.obj(4, "<< /Predictor 15 /Columns 3 >>")
	g.obj(5, "[/FlateDecode]")
	g.table("/Root 1 0 R")
	f := mustOpen(t, g.bytes())
	o, _ := f.Object(Ref{3, 0})
	got, rest, err := f.Decode(o.(*Stream))
	if err != nil || len(rest) > 0 || !bytes.Equal(got, []byte{1, 2, 3, 2, 3, 4}) {
		t.Errorf("decoded %v %v %v", got, rest, err)
	}
}
