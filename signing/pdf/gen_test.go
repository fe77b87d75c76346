package pdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"sort"
	"strings"
)

// pdfgen writes small PDFs for tests, section by section, so that each test can build exactly the
// structure it needs (classic tables, xref streams with predictors, object streams, hybrids,
// updates, and broken or hostile variants).
type pdfgen struct {
	buf      bytes.Buffer
	pending  map[uint32]int64     // objects written since the last section, by number
	packed   map[uint32][2]uint32 // objects put in object streams since the last section
	lastXref int64
	size     uint32
	base     int64 // offset of buf[0] in the file, for documents written in pieces
}

func (g *pdfgen) pos() int64 { return g.base + int64(g.buf.Len()) }

func newGen(version string) *pdfgen {
	g := &pdfgen{pending: map[uint32]int64{}, packed: map[uint32][2]uint32{}, lastXref: -1}
	fmt.Fprintf(&g.buf, "%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n", version)
	return g
}

func (g *pdfgen) bump(num uint32) {
	if num+1 > g.size {
		g.size = num + 1
	}
}

// obj writes "num 0 obj body endobj".
func (g *pdfgen) obj(num uint32, body string) {
	g.pending[num] = g.pos()
	g.bump(num)
	fmt.Fprintf(&g.buf, "%d 0 obj\n%s\nendobj\n", num, body)
}

// stream writes a stream object with the given extra dictionary entries and raw data.
func (g *pdfgen) stream(num uint32, dict string, data []byte) {
	g.pending[num] = g.pos()
	g.bump(num)
	fmt.Fprintf(&g.buf, "%d 0 obj\n<< %s /Length %d >>\nstream\n", num, dict, len(data))
	g.buf.Write(data)
	g.buf.WriteString("\nendstream\nendobj\n")
}

func deflate(b []byte) []byte {
	var out bytes.Buffer
	w := zlib.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// objStm writes object stream num holding the given objects, flate-compressed.
func (g *pdfgen) objStm(num uint32, objs map[uint32]string) {
	nums := make([]uint32, 0, len(objs))
	for n := range objs {
		nums = append(nums, n)
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	var hdr, body bytes.Buffer
	for i, n := range nums {
		fmt.Fprintf(&hdr, "%d %d ", n, body.Len())
		body.WriteString(objs[n])
		body.WriteString("\n")
		g.packed[n] = [2]uint32{num, uint32(i)}
		g.bump(n)
	}
	data := append(hdr.Bytes(), body.Bytes()...)
	g.stream(num, fmt.Sprintf("/Type /ObjStm /N %d /First %d /Filter /FlateDecode", len(nums), hdr.Len()), deflate(data))
}

func (g *pdfgen) sorted() []uint32 {
	var nums []uint32
	for n := range g.pending {
		nums = append(nums, n)
	}
	for n := range g.packed {
		nums = append(nums, n)
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	return nums
}

func (g *pdfgen) prevEntry() string {
	if g.lastXref < 0 {
		return ""
	}
	return fmt.Sprintf(" /Prev %d", g.lastXref)
}

// table ends a revision with a classic xref table (one subsection per object, plus object 0 in
// the first revision) and trailer entries extra.
func (g *pdfgen) table(extra string) {
	off := g.pos()
	g.buf.WriteString("xref\n")
	if g.lastXref < 0 {
		g.buf.WriteString("0 1\n0000000000 65535 f\r\n")
	}
	for _, n := range g.sorted() {
		if o, ok := g.pending[n]; ok {
			fmt.Fprintf(&g.buf, "%d 1\n%010d 00000 n\r\n", n, o)
		}
	}
	fmt.Fprintf(&g.buf, "trailer\n<< /Size %d%s %s >>\nstartxref\n%d\n%%%%EOF\n", g.size, g.prevEntry(), extra, off)
	g.lastXref = off
	g.pending = map[uint32]int64{}
	g.packed = map[uint32][2]uint32{}
}

// xrefStream ends a revision with a cross-reference stream as object num, rows PNG-Up predicted
// when predict is set.
func (g *pdfgen) xrefStream(num uint32, predict bool, extra string) {
	off := g.pos()
	g.pending[num] = off
	g.bump(num)
	nums := g.sorted()
	if g.lastXref < 0 {
		nums = append([]uint32{0}, nums...)
	}
	var rows bytes.Buffer
	var index strings.Builder
	for _, n := range nums {
		fmt.Fprintf(&index, "%d 1 ", n)
		var row [7]byte // W [1 4 2]
		switch {
		case n == 0:
			row = [7]byte{0, 0, 0, 0, 0, 0xff, 0xff}
		case g.packed[n] != [2]uint32{}:
			p := g.packed[n]
			row = [7]byte{2, byte(p[0] >> 24), byte(p[0] >> 16), byte(p[0] >> 8), byte(p[0]), byte(p[1] >> 8), byte(p[1])}
		default:
			o := g.pending[n]
			row = [7]byte{1, byte(o >> 24), byte(o >> 16), byte(o >> 8), byte(o), 0, 0}
		}
		rows.Write(row[:])
	}
	data := rows.Bytes()
	dict := fmt.Sprintf("/Type /XRef /Size %d /W [1 4 2] /Index [%s]%s %s", g.size, index.String(), g.prevEntry(), extra)
	if predict {
		var pred bytes.Buffer
		prev := make([]byte, 7)
		for i := 0; i < len(data); i += 7 {
			pred.WriteByte(2)
			for j := range 7 {
				pred.WriteByte(data[i+j] - prev[j])
			}
			copy(prev, data[i:i+7])
		}
		data = deflate(pred.Bytes())
		dict += " /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >>"
	}
	delete(g.pending, num)
	g.stream(num, dict, data)
	fmt.Fprintf(&g.buf, "startxref\n%d\n%%%%EOF\n", off)
	g.lastXref = off
	g.pending = map[uint32]int64{}
	g.packed = map[uint32][2]uint32{}
}

func (g *pdfgen) bytes() []byte { return bytes.Clone(g.buf.Bytes()) }

// basic writes a two-page document with a signature field (objects 1-8) for the given ending.
func basicObjects(g *pdfgen) {
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R] /SigFlags 3 >> >>")
	g.obj(2, "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /MediaBox [0 0 612 792] /Rotate 90 >>")
	g.obj(3, "<< /Type /Page /Parent 2 0 R /Contents 5 0 R /Resources << >> /Annots [6 0 R] >>")
	g.obj(4, "<< /Type /Page /Parent 2 0 R /Contents 5 0 R /MediaBox [0 0 100 100] >>")
	g.stream(5, "", []byte("BT /F1 12 Tf (Hello) Tj ET"))
	g.obj(6, "<< /FT /Sig /T (Signature1) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /F 132 >>")
	g.obj(7, "<< /Producer (docgate test) >>")
}

// classicPDF is a one-revision classic-xref document.
func classicPDF() []byte {
	g := newGen("1.7")
	basicObjects(g)
	g.table("/Root 1 0 R /Info 7 0 R /ID [<0102> <0304>]")
	return g.bytes()
}
