package pdf

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

const appearance = "q 1 0 0 1 0 0 cm Q % an empty appearance"

// signLikeUpdate applies to f what a signer does: a signature dictionary with placeholders, a
// widget field, and a replaced catalog that lists it. It returns the updated bytes.
func signLikeUpdate(tb testing.TB, orig []byte, f *File) ([]byte, *Placeholder, *Placeholder, *Result) {
	tb.Helper()
	u := f.NewUpdate()
	contents := NewContentsPlaceholder(64)
	br := NewByteRangePlaceholder()
	sig := u.Add(NewDict("Type", Name("Sig"), "Filter", Name("Adobe.PPKLite"), "SubFilter", Name("ETSI.CAdES.detached"),
		"ByteRange", br, "Contents", contents, "M", NewString("D:20261124080000Z"), "Name", NewTextString("Tést (ünïcode) \\")))
	cat, err := f.Catalog()
	if err != nil {
		tb.Fatal(err)
	}
	rootRef, _ := f.Trailer().Ref("Root")
	ap := u.Add(NewFlateStream(NewDict("Type", Name("XObject"), "Subtype", Name("Form"),
		"BBox", Array{Integer(0), Integer(0), Integer(0), Integer(0)}), []byte(appearance)))
	field := u.Add(NewDict("FT", Name("Sig"), "T", NewString("DocgateSig"), "V", sig, "Type", Name("Annot"),
		"Subtype", Name("Widget"), "Rect", Array{Integer(0), Integer(0), Integer(0), Integer(0)}, "F", Integer(132),
		"AP", NewDict("N", ap)))
	nc := cat.Clone()
	nc.Set("AcroForm", NewDict("Fields", Array{field}, "SigFlags", Integer(3)))
	nc.Set("Name#With Space", Real(-0.5))
	if err := u.Set(rootRef, nc); err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	out.Write(orig)
	res, err := u.Append(&out, int64(len(orig)))
	if err != nil {
		tb.Fatal(err)
	}
	if res.End != int64(out.Len()) {
		tb.Fatalf("result end %d, output %d bytes", res.End, out.Len())
	}
	b := out.Bytes()
	if string(b[br.Start:br.End]) != string(br.Text) {
		tb.Fatalf("byte range placeholder at [%d,%d): %q", br.Start, br.End, b[br.Start:br.End])
	}
	// Patch the byte range in place as a signer would.
	patched, err := FormatByteRange(int(br.End-br.Start), [4]int64{0, contents.Start, contents.End, int64(len(b)) - contents.End})
	if err != nil {
		tb.Fatal(err)
	}
	copy(b[br.Start:], patched)
	return b, contents, br, res
}

func TestUpdateGenerated(t *testing.T) {
	tests := []struct {
		name string
		pdf  []byte
		kind XRefKind
	}{
		{"classic", classicPDF(), XRefTable},
		{"xref stream", xrefStreamPDF(), XRefStream},
		{"hybrid", hybridPDF(), XRefTable},
		{"no final newline", bytes.TrimRight(classicPDF(), "\n"), XRefTable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustOpen(t, tt.pdf)
			out, contents, br, _ := signLikeUpdate(t, tt.pdf, f)
			if !bytes.HasPrefix(out, tt.pdf) {
				t.Fatal("original bytes are not a prefix of the output")
			}
			if out[contents.Start] != '<' || out[contents.End-1] != '>' || contents.End-contents.Start != 130 {
				t.Errorf("contents placeholder at [%d,%d): %q", contents.Start, contents.End, out[contents.Start:contents.End])
			}
			if got := g0ByteRange(t, out, br); got != [4]int64{0, contents.Start, contents.End, int64(len(out)) - contents.End} {
				t.Errorf("byte range reads back as %v", got)
			}
			g := mustOpen(t, out)
			revs := g.Revisions()
			if len(revs) != 2 || revs[1].Kind != tt.kind || revs[1].End != int64(len(out)) {
				t.Fatalf("%d revisions, last %v ending %d of %d", len(revs), revs[len(revs)-1].Kind, revs[len(revs)-1].End, len(out))
			}
			if revs[0].EOF > int64(len(tt.pdf)) || revs[0].End > int64(len(tt.pdf))+1 {
				t.Errorf("first revision ends at %d/%d, beyond the original %d", revs[0].EOF, revs[0].End, len(tt.pdf))
			}
			if g.Repaired() {
				t.Errorf("updated file needed repair: %v", g.Warnings())
			}
			fields, err := g.Fields()
			if err != nil || len(fields) != 1 || fields[0].Name != "DocgateSig" {
				t.Fatalf("fields %+v %v", fields, err)
			}
			sig, err := g.ResolveDict(fields[0].Value)
			if err != nil {
				t.Fatal(err)
			}
			c := sig.Get("Contents").(String)
			if c.Start != contents.Start || c.End != contents.End {
				t.Errorf("reader sees /Contents at [%d,%d), writer put it at [%d,%d)", c.Start, c.End, contents.Start, contents.End)
			}
			if got := TextString(sig.Get("Name").(String).Value); got != "Tést (ünïcode) \\" {
				t.Errorf("name round trip %q", got)
			}
			cat, _ := g.Catalog()
			if v, _ := Number(cat.Get("Name#With Space")); v != -0.5 {
				t.Errorf("escaped name round trip: %v", cat.Get("Name#With Space"))
			}
			apd, _ := g.ResolveDict(fields[0].Widgets[0].Dict.Get("AP"))
			apo, _ := g.Resolve(apd.Get("N"))
			if st, ok := apo.(*Stream); !ok {
				t.Errorf("appearance %v", apo)
			} else if data, rest, err := g.Decode(st); err != nil || len(rest) > 0 || string(data) != appearance {
				t.Errorf("appearance decodes to %q %v %v", data, rest, err)
			}
			if r, ok := g.RevisionEndingAt(int64(len(out))); !ok || r.Index != 1 {
				t.Errorf("no revision ends at the end of the update")
			}
			if r, ok := g.RevisionEndingAt(int64(len(out)) - 1); !ok || r.EOF != int64(len(out))-1 {
				t.Errorf("the update's %%%%EOF marker does not end just before its newline")
			}
			if _, ok := g.RevisionEndingAt(int64(len(out)) - 2); ok {
				t.Errorf("a revision ends two bytes early")
			}
			if pages, err := g.Pages(); err != nil || len(pages) != 2 {
				t.Errorf("pages %d %v", len(pages), err)
			}
			if id, ok := g.ID(); ok != f.Trailer().Has("ID") || (ok && string(id[0]) != "\x01\x02") {
				t.Errorf("/ID not carried over: %x %v", id, ok)
			}
			qpdfCheck(t, out)
			pdfcpuPages(t, out, 2)
		})
	}
}

// g0ByteRange parses the patched /ByteRange back from the output.
func g0ByteRange(tb testing.TB, out []byte, br *Placeholder) [4]int64 {
	tb.Helper()
	l := newBytesLexer(out[br.Start:br.End], &Options{MaxDepth: 5, MaxDecodedSize: 100})
	o, err := l.object(0)
	if err != nil {
		tb.Fatal(err)
	}
	a, _ := o.(Array)
	var r [4]int64
	for i := range min(4, len(a)) {
		n, _ := a[i].(Integer)
		r[i] = int64(n)
	}
	return r
}

func TestUpdateRefusals(t *testing.T) {
	b := classicPDF()
	f := mustOpen(t, b)
	u := f.NewUpdate()
	if err := u.Set(Ref{99, 0}, Null{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("replacing a missing object: %v", err)
	}
	u.Alloc()
	if _, err := u.Append(&bytes.Buffer{}, int64(len(b))); err == nil {
		t.Error("allocated but unset object written")
	}
	j := bytes.Index(b, []byte("xref"))
	r := mustOpen(t, append(append([]byte{}, b[:j]...), "trailer << /Root 1 0 R >>\n%%EOF\n"...))
	if _, err := r.NewUpdate().Append(&bytes.Buffer{}, 0); err == nil {
		t.Error("update appended to a rebuilt file")
	}
}

func TestMarshal(t *testing.T) {
	tests := []struct {
		in   Object
		want string
	}{
		{Name("A B#/(x)"), "/A#20B#23#2F#28x#29"},
		{Real(1e-7), "0.0000001"},
		{Real(1e21), "1000000000000000000000"},
		{NewString("a(b)\\c\n\x01"), `(a\(b\)\\c\n\001)`},
		{NewHexString([]byte{0, 0xab}), "<00AB>"},
		{Array{Integer(1), Null{}, Bool(true), Ref{3, 1}}, "[1 null true 3 1 R]"},
		{NewDict("Z", Integer(1), "A", Integer(2)), "<< /Z 1 /A 2 >>"},
	}
	for _, tt := range tests {
		got, err := Marshal(tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("Marshal(%v) = %q %v, want %q", tt.in, got, err, tt.want)
		}
		l := newBytesLexer(got, &Options{MaxDepth: 10, MaxDecodedSize: 1 << 20})
		back, err := l.object(0)
		if err != nil {
			t.Errorf("reparse %q: %v", got, err)
			continue
		}
		again, _ := Marshal(back)
		if !bytes.Equal(again, got) {
			t.Errorf("round trip %q -> %q", got, again)
		}
	}
}

func TestFormatByteRange(t *testing.T) {
	p := NewByteRangePlaceholder()
	b, err := FormatByteRange(len(p.Text), [4]int64{0, 100, 230, 4000})
	if err != nil || len(b) != len(p.Text) || string(b[:16]) != "[0 100 230 4000 " || b[len(b)-1] != ']' {
		t.Errorf("%q %v", b, err)
	}
	if _, err := FormatByteRange(10, [4]int64{0, 1e12, 1e12, 1e12}); err == nil {
		t.Error("overlong byte range accepted")
	}
}

// qpdfCheck runs qpdf --check on b, skipping when qpdf is absent. Exit 3 means warnings only;
// they are accepted only when every warning line mentions one of the allowed words.
func qpdfCheck(tb testing.TB, b []byte, allow ...string) {
	tb.Helper()
	qpdf, err := exec.LookPath("qpdf")
	if err != nil {
		tb.Log("qpdf not installed; skipping its check")
		return
	}
	p := filepath.Join(tb.TempDir(), "out.pdf")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	out, err := exec.Command(qpdf, "--check", p).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 3 && len(allow) > 0 {
		err = nil
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "WARNING") && !slices.ContainsFunc(allow, func(a string) bool { return strings.Contains(line, a) }) {
				err = ee
			}
		}
	}
	if err != nil {
		tb.Errorf("qpdf --check: %v\n%s", err, out)
	}
}

// pdfcpuPages has pdfcpu, an independent reader, count the pages.
func pdfcpuPages(tb testing.TB, b []byte, want int) {
	tb.Helper()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	n, err := api.PageCount(bytes.NewReader(b), conf)
	if err != nil {
		tb.Errorf("pdfcpu: %v", err)
		return
	}
	if n != want {
		tb.Errorf("pdfcpu counts %d pages, want %d", n, want)
	}
}
