package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// hostile builds documents that attack the reader's bounds. Each must open or fail with an error
// quickly, and walking must never panic or hang.
func hostileCases() map[string][]byte {
	cases := map[string][]byte{}

	g := newGen("1.7")
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R /Deep "+strings.Repeat("[", 1000)+strings.Repeat("]", 1000)+" >>")
	g.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	g.table("/Root 1 0 R")
	cases["deep nesting"] = g.bytes()

	g = newGen("1.7")
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	g.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	g.buf.WriteString("3 0 obj\n<< /Length 99999999999 >>\nstream\nabc\nendstream\nendobj\n")
	g.pending[3] = int64(bytes.Index(g.buf.Bytes(), []byte("3 0 obj")))
	g.bump(3)
	g.table("/Root 1 0 R")
	cases["huge length"] = g.bytes()

	g = newGen("1.7")
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	g.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	g.table("/Root 1 0 R /Xxxx 0000000000")
	g.obj(3, "<< >>")
	g.table("/Root 1 0 R")
	b := g.bytes()
	// Make the first section's trailer point at the second, keeping every offset: a loop.
	b = bytes.Replace(b, []byte("/Xxxx 0000000000"), fmt.Appendf(nil, "/Prev %010d", g.lastXref), 1)
	cases["prev loop"] = b

	g = newGen("1.7")
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R /Loop 3 0 R >>")
	g.obj(2, "<< /Type /Pages /Kids [5 0 R] /Count 1 >>")
	g.obj(5, "<< /Type /Pages /Kids [2 0 R] /Count 1 >>")
	g.obj(3, "4 0 R")
	g.obj(4, "3 0 R")
	g.table("/Root 1 0 R")
	cases["reference and page loops"] = g.bytes()

	// Object stream 5 holds object 6 but its /Length is object 6: resolving either needs the other.
	g = newGen("1.5")
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R /X 6 0 R >>")
	g.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	g.objStm(5, map[uint32]string{6: "7"})
	raw := g.buf.Bytes()
	i := bytes.LastIndex(raw, []byte("/Length "))
	j := bytes.Index(raw[i:], []byte(" >>"))
	var nb bytes.Buffer
	nb.Write(raw[:i])
	nb.WriteString("/Length 6 0 R")
	nb.Write(raw[i+j:])
	g.buf = nb
	g.xrefStream(7, false, "/Root 1 0 R")
	cases["object stream length loop"] = g.bytes()

	// An object stream that says it holds a million objects.
	g = newGen("1.5")
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R /X 6 0 R >>")
	g.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	g.stream(5, "/Type /ObjStm /N 1000000 /First 4", []byte("6 0 7"))
	g.packed[6] = [2]uint32{5, 0}
	g.bump(6)
	g.xrefStream(7, false, "/Root 1 0 R")
	cases["object stream lies about N"] = g.bytes()

	// A classic table announcing four billion entries.
	cases["huge subsection"] = []byte("%PDF-1.4\nxref\n0 4000000000\n0000000000 65535 f\r\ntrailer << /Root 1 0 R >>\nstartxref\n9\n%%EOF\n")

	// Twenty thousand streams with a wrong /Length and no endstream: each search for the end of
	// one must not rescan the rest of the file.
	g = newGen("1.7")
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	g.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	for i := range 20000 {
		g.obj(uint32(3+i), "<< /Length 999999 >>\nstream\nxx")
	}
	g.table("/Root 1 0 R")
	cases["streams without endstream"] = g.bytes()

	// A dictionary of 200,000 distinct keys and an array just over the element limit.
	var big strings.Builder
	big.WriteString("<< /Type /Catalog /Pages 2 0 R ")
	for i := range 200000 {
		fmt.Fprintf(&big, "/k%d %d ", i, i)
	}
	big.WriteString(">>")
	g = newGen("1.7")
	g.obj(1, big.String())
	g.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	g.obj(3, "["+strings.Repeat("0 ", maxItems+1)+"]")
	g.table("/Root 1 0 R")
	cases["huge dictionary and array"] = g.bytes()

	// Fields whose kids loop.
	g = newGen("1.7")
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>")
	g.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	g.obj(3, "<< /T (a) /Kids [4 0 R] >>")
	g.obj(4, "<< /T (b) /Kids [3 0 R] >>")
	g.table("/Root 1 0 R")
	cases["field loop"] = g.bytes()
	return cases
}

// bombPDF holds a stream that inflates 40 KB into 40 MB.
func bombPDF() []byte {
	g := newGen("1.7")
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	g.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	g.stream(3, "/Filter /FlateDecode", deflate(make([]byte, 40<<20)))
	g.table("/Root 1 0 R")
	return g.bytes()
}

func TestHostile(t *testing.T) {
	// The others are read tolerantly: a loop is cut, a bad /Length measured, a lie about /N
	// refused only for the object it hides.
	mustFail := map[string]bool{"deep nesting": true, "decompression bomb": true, "field loop": true,
		"reference and page loops": true, "huge subsection": true, "huge dictionary and array": true}
	cases := hostileCases()
	cases["decompression bomb"] = bombPDF()
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			f, err := Open(bytes.NewReader(b), int64(len(b)), &Options{MaxDecodedSize: 16 << 20})
			if err == nil {
				err = walkAll(f)
			}
			if err == nil && mustFail[name] {
				t.Errorf("no error reported")
			}
			t.Logf("%v", err)
		})
	}
}

func TestHugeLengthClamped(t *testing.T) {
	f := mustOpen(t, hostileCases()["huge length"])
	o, err := f.Object(Ref{3, 0})
	if err != nil {
		t.Fatal(err)
	}
	st := o.(*Stream)
	if st.Length != 3 {
		t.Errorf("length %d, want the 3 bytes actually there", st.Length)
	}
}

func TestPrevLoopCut(t *testing.T) {
	f := mustOpen(t, hostileCases()["prev loop"])
	if !f.Repaired() || len(f.Revisions()) != 2 {
		t.Errorf("repaired=%v revisions=%d, want the loop cut after two", f.Repaired(), len(f.Revisions()))
	}
}

func TestBombLimited(t *testing.T) {
	b := bombPDF()
	f, err := Open(bytes.NewReader(b), int64(len(b)), &Options{MaxDecodedSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	o, err := f.Object(Ref{3, 0})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Decode(o.(*Stream)); !errors.Is(err, ErrLimit) {
		t.Errorf("decode of a bomb: %v, want ErrLimit", err)
	}
}

// TestBrokenPrevRecovered: a newest section whose /Prev is 0 (seen in the wild) keeps its
// revision, and the older ones are found again from their startxref markers.
func TestBrokenPrevRecovered(t *testing.T) {
	g := newGen("1.7")
	basicObjects(g)
	g.table("/Root 1 0 R")
	g.obj(7, "<< /Producer (second) >>")
	g.table("/Root 1 0 R")
	g.obj(7, "<< /Producer (third) >>")
	g.table("/Root 1 0 R")
	b := g.bytes()
	i := bytes.LastIndex(b, []byte("/Prev "))
	j := i + bytes.IndexByte(b[i:], ' ') + 1
	k := j + bytes.IndexByte(b[j:], ' ')
	b = append(append(append([]byte{}, b[:j]...), bytes.Repeat([]byte("0"), k-j)...), b[k:]...)
	f := mustOpen(t, b)
	if !f.Repaired() || len(f.Revisions()) != 3 {
		t.Fatalf("repaired=%v revisions=%d, want 3 recovered: %v", f.Repaired(), len(f.Revisions()), f.Warnings())
	}
	v, _ := f.At(1)
	o, err := v.Object(Ref{7, 0})
	if err != nil || string(o.(*Dict).Get("Producer").(String).Value) != "second" {
		t.Errorf("revision 1 object 7: %v %v", o, err)
	}
}

// TestLinearized: a linearized file's first-page section sits at the start and its /Prev points
// forward to the main section; both make one revision, silently.
func TestLinearized(t *testing.T) {
	g := newGen("1.7")
	g.obj(9, "<< /Linearized 1 >>")
	delete(g.pending, 9)
	first := g.buf.Len()
	fmt.Fprintf(&g.buf, "xref\n9 1\n%010d 00000 n\r\ntrailer\n<< /Size 10 /Root 1 0 R /Prev 0000000000 >>\nstartxref\n0\n%%%%EOF\n",
		bytes.Index(g.buf.Bytes(), []byte("9 0 obj")))
	basicObjects(g)
	g.table("/Root 1 0 R")
	b := g.bytes()
	b = b[:bytes.LastIndex(b, []byte("startxref"))]
	b = fmt.Appendf(b, "startxref\n%d\n%%%%EOF\n", first)
	b = bytes.Replace(b, []byte("/Prev 0000000000"), fmt.Appendf(nil, "/Prev %010d", g.lastXref), 1)
	f := mustOpen(t, b)
	if len(f.Warnings()) != 0 || f.Repaired() {
		t.Errorf("warnings on a linearized file: %v", f.Warnings())
	}
	revs := f.Revisions()
	if len(revs) != 1 || revs[0].End != int64(len(b)) || !revs[0].Defines(9) || !revs[0].Defines(1) {
		t.Fatalf("revisions %d, end %d of %d", len(revs), revs[0].End, len(b))
	}
	if p, err := f.Pages(); err != nil || len(p) != 2 {
		t.Errorf("pages %d %v", len(p), err)
	}
	if revs[0].XRefOffset != int64(first) {
		t.Errorf("revision's xref at %d, want the first-page section at %d", revs[0].XRefOffset, first)
	}
	out, _, _, _ := signLikeUpdate(t, b, f)
	g2 := mustOpen(t, out)
	if len(g2.Revisions()) != 2 || g2.Repaired() {
		t.Errorf("after update: %d revisions, repaired %v", len(g2.Revisions()), g2.Repaired())
	}
	// The test's linearization dictionary is a stub; qpdf may only complain about that.
	qpdfCheck(t, out, "linearization")
}

// TestWrongLastStartxref: a bogus final startxref (a truncated or garbled update) must not cost
// the revisions before it.
func TestWrongLastStartxref(t *testing.T) {
	g := newGen("1.7")
	basicObjects(g)
	g.table("/Root 1 0 R")
	g.obj(7, "<< /Producer (second) >>")
	g.table("/Root 1 0 R")
	b := append(g.bytes(), "8 0 obj << >> endobj\nstartxref\n999999\n%%EOF\n"...)
	f := mustOpen(t, b)
	if !f.Repaired() || len(f.Revisions()) != 2 || f.Revisions()[1].Kind != XRefTable {
		t.Fatalf("repaired=%v revisions=%d: %v", f.Repaired(), len(f.Revisions()), f.Warnings())
	}
}
