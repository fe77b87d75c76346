package pdf

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"
)

// virtualFile is a ReaderAt over prefix, then hole bytes of 'x' that exist nowhere in memory,
// then suffix: a file of any size at no cost.
type virtualFile struct {
	prefix, suffix []byte
	hole           int64
}

func (v *virtualFile) size() int64 { return int64(len(v.prefix)) + v.hole + int64(len(v.suffix)) }

func (v *virtualFile) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		o := off + int64(n)
		switch {
		case o < int64(len(v.prefix)):
			n += copy(p[n:], v.prefix[o:])
		case o < int64(len(v.prefix))+v.hole:
			m := min(int64(len(p)-n), int64(len(v.prefix))+v.hole-o)
			for i := range m {
				p[n+int(i)] = 'x'
			}
			n += int(m)
		case o < v.size():
			n += copy(p[n:], v.suffix[o-int64(len(v.prefix))-v.hole:])
		default:
			return n, io.EOF
		}
	}
	return n, nil
}

// TestLargeFileSmallMemory opens a 200 MB document whose content stream is 200 MB and walks its
// structure: the reader must allocate a few MB at most, never the file.
func TestLargeFileSmallMemory(t *testing.T) {
	const hole = 200 << 20
	g := newGen("1.7")
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] >> >>")
	g.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	g.obj(3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /MediaBox [0 0 595 842] /Annots [5 0 R] >>")
	g.pending[4] = int64(g.buf.Len())
	g.bump(4)
	fmt.Fprintf(&g.buf, "4 0 obj\n<< /Length %d >>\nstream\n", hole)
	prefix := g.bytes()
	// The suffix is written by a generator that knows it starts after the hole.
	s := &pdfgen{pending: g.pending, packed: map[uint32][2]uint32{}, lastXref: -1, size: g.size,
		base: int64(len(prefix)) + hole}
	s.buf.WriteString("\nendstream\nendobj\n")
	s.obj(5, "<< /FT /Sig /T (Sig) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] >>")
	s.table("/Root 1 0 R")
	suffix := s.bytes()
	v := &virtualFile{prefix: prefix, suffix: suffix, hole: hole}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f, err := Open(v, v.size(), &Options{MaxDecodedSize: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := f.Pages()
	if err != nil || len(pages) != 1 {
		t.Fatalf("pages %d %v", len(pages), err)
	}
	fields, err := f.Fields()
	if err != nil || len(fields) != 1 || fields[0].Widgets[0].Page != 0 {
		t.Fatalf("fields %+v %v", fields, err)
	}
	o, err := f.Object(Ref{4, 0})
	if err != nil {
		t.Fatal(err)
	}
	if st := o.(*Stream); st.Length != hole {
		t.Errorf("stream length %d, want %d", st.Length, hole)
	}
	if _, _, err := f.Decode(o.(*Stream)); !errors.Is(err, ErrLimit) {
		t.Errorf("decoding a stream over the limit: %v", err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("opened and walked a %d MB file allocating %d KB", v.size()>>20, alloc>>10)
	if alloc > 8<<20 {
		t.Errorf("allocated %d bytes for a %d-byte file", alloc, v.size())
	}
	if f.Revisions()[0].End != v.size() {
		t.Errorf("revision ends at %d of %d", f.Revisions()[0].End, v.size())
	}
}
