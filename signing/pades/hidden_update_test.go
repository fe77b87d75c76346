package pades

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"

	"docgate/gateway"
)

// objStmBody writes object stream num holding (number, text) pairs.
func objStmBody(num int, objs [][2]string) string {
	var hdr, body strings.Builder
	for _, o := range objs {
		fmt.Fprintf(&hdr, "%s %d ", o[0], body.Len())
		body.WriteString(o[1])
		body.WriteString("\n")
	}
	h := hdr.String()
	data := h + body.String()
	return fmt.Sprintf("%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Length %d >>\nstream\n%s\nendstream\nendobj\n", num, len(objs), len(h), len(data), data)
}

// objStmPDF is a PDF with a cross-reference stream whose page resources
// (6) and font (10) are compressed in object stream 5.
func objStmPDF() []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	type ent struct{ kind, f2, f3 int }
	ents := map[int]ent{}
	obj := func(n int, body string) {
		ents[n] = ent{1, b.Len(), 0}
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, body)
	}
	obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources 6 0 R /Contents 11 0 R >>")
	content := "BT /F1 24 Tf 72 720 Td (Pay 100 EUR) Tj ET"
	obj(11, fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	ents[5] = ent{1, b.Len(), 0}
	b.WriteString(objStmBody(5, [][2]string{{"6", "<< /Font << /F1 10 0 R >> >>"}, {"10", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}}))
	ents[6], ents[10] = ent{2, 5, 0}, ent{2, 5, 1}
	xoff := b.Len()
	ents[12] = ent{1, xoff, 0}
	var data []byte
	for n := 0; n <= 12; n++ {
		e, ok := ents[n]
		if !ok {
			data = append(data, 0, 0, 0, 0, 0, 0xff, 0xff)
			continue
		}
		data = append(data, byte(e.kind))
		data = binary.BigEndian.AppendUint32(data, uint32(e.f2))
		data = binary.BigEndian.AppendUint16(data, uint16(e.f3))
	}
	fmt.Fprintf(&b, "12 0 obj\n<< /Type /XRef /Size 13 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n", len(data))
	b.Write(data)
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xoff)
	return b.Bytes()
}

// appendUpdate appends a classic update holding objs (numbered text, written
// as they are) and the cross-reference lines xref (one per object, built by
// line(offset of the object)).
func appendUpdate(t *testing.T, in []byte, objs map[int]string, line func(n, off int) string) []byte {
	t.Helper()
	f := vOpen(t, in)
	last := f.Revisions()[len(f.Revisions())-1]
	size, _ := last.Trailer.Int("Size")
	root, _ := last.Trailer.Ref("Root")
	var b bytes.Buffer
	b.Write(in)
	var nums []int
	for n := range objs {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	offs := map[int]int{}
	for _, n := range nums {
		offs[n] = b.Len()
		b.WriteString(objs[n])
	}
	x := b.Len()
	b.WriteString("xref\n")
	for _, n := range nums {
		fmt.Fprintf(&b, "%d 1\n%s\n", n, line(n, offs[n]))
		size = max(size, int64(n+1))
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", size, root.Num, last.XRefOffset, x)
	return b.Bytes()
}

func inUse(gen int) func(n, off int) string {
	return func(_, off int) string { return fmt.Sprintf("%010d %05d n ", off, gen) }
}

func wantIllegal(t *testing.T, name string, b []byte, p *vPKI) {
	t.Helper()
	rep := vMustVerify(t, b, p.trust())
	if rep.Document.Modification != gateway.ModificationIllegal || rep.Document.Verdict == gateway.VerdictValid {
		t.Errorf("%s: verdict %s, modification %s (changes %q); want the change found ILLEGAL", name,
			rep.Document.Verdict, rep.Document.Modification, rep.Document.Changes)
	}
}

// TestObjectStreamRedefined: an update that defines an object stream of the
// signed revision anew changes every object in it that no section lists
// (they are found through the stream's number), here the font that draws
// "100" as "900". Each such object is compared, and the change is ILLEGAL,
// for an approval and for a certification that allows no change.
func TestObjectStreamRedefined(t *testing.T) {
	p := vNewPKI(t)
	base := objStmPDF()
	swapped := map[int]string{5: objStmBody(5, [][2]string{{"6", "<< /Font << /F1 10 0 R >> >>"},
		{"10", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [49 /nine] >> >>"}})}
	signed := vSign(t, p, base, vSignOpts{})
	if rep := vMustVerify(t, signed, p.trust()); rep.Document.Verdict != gateway.VerdictValid {
		t.Fatalf("the signed PDF itself: %s %q", rep.Document.Verdict, rep.Document.Errors)
	}
	wantIllegal(t, "object stream redefined", appendUpdate(t, signed, swapped, inUse(0)), p)
	certified := vSign(t, p, base, vSignOpts{docMDP: 1})
	wantIllegal(t, "object stream redefined after a P=1 certification", appendUpdate(t, certified, swapped, inUse(0)), p)
}

// TestGenerationBumpDeletes: an update that puts an object's number in use
// under another generation leaves every "n 0 R" to the old one reading
// null: a deletion, ILLEGAL as a free entry for the number is.
func TestGenerationBumpDeletes(t *testing.T) {
	p := vNewPKI(t)
	base := vBuildPDF(vDoc{pageExtra: "/Annots [20 0 R]",
		extraObjects: []string{"<< /Type /Annot /Subtype /Square /Rect [60 590 560 630] /C [1 0 0] /Contents (Chưa duyệt) >>"}})
	signed := vSign(t, p, base, vSignOpts{})
	if rep := vMustVerify(t, signed, p.trust()); rep.Document.Verdict != gateway.VerdictValid {
		t.Fatalf("the signed PDF itself: %s %q", rep.Document.Verdict, rep.Document.Errors)
	}
	wantIllegal(t, "generation bumped", appendUpdate(t, signed, map[int]string{20: "20 1 obj\nnull\nendobj\n"}, inUse(1)), p)
	wantIllegal(t, "free entry", appendUpdate(t, signed, map[int]string{20: ""}, func(int, int) string { return "0000000000 00001 f " }), p)
}

// TestObjectStreamReplacedByPlainObject: defining the object stream's
// number as anything else leaves the objects in it unreadable, read as
// null: they are deleted, which is ILLEGAL for a font the page uses.
func TestObjectStreamReplacedByPlainObject(t *testing.T) {
	p := vNewPKI(t)
	signed := vSign(t, p, objStmPDF(), vSignOpts{})
	wantIllegal(t, "object stream number reused for a plain object", appendUpdate(t, signed, map[int]string{5: "5 0 obj\nnull\nendobj\n"}, inUse(0)), p)
}
