package pades

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"docgate/signing/pdf"
)

// TestSignStructure checks what the update contains for each way a document keeps its form and
// annotations, against the objects the new revision redefines: the AcroForm created when absent,
// the catalog replaced when the AcroForm is inline, the AcroForm's own object (or its /Fields
// array) when indirect, and likewise the page or its /Annots array.
func TestSignStructure(t *testing.T) {
	p := mustPKI(t, "ec")
	cases := []struct {
		name     string
		in       []byte
		replaced []uint32 // objects the update must redefine
		kept     []uint32 // objects it must not touch
	}{
		{"no form, no annotations", minimalPDF(0), []uint32{1, 3}, []uint32{2, 4, 5}},
		{"inline form and annotations", formPDF(), []uint32{1, 3}, []uint32{2, 4, 5, 6, 7}},
		{"indirect form, fields and annotations", buildPDF(
			"<< /Type /Catalog /Pages 2 0 R /AcroForm 4 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots 6 0 R >>",
			"<< /Fields 5 0 R /DA (/Helv 0 Tf 0 g) >>",
			"[7 0 R]",
			"[7 0 R]",
			"<< /Type /Annot /Subtype /Widget /FT /Tx /T (Name) /Rect [10 10 100 30] /P 3 0 R >>",
		), []uint32{4, 5, 6}, []uint32{1, 2, 3, 7}},
		{"indirect form, inline fields", buildPDF(
			"<< /Type /Catalog /Pages 2 0 R /AcroForm 4 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
			"<< /Fields [] /SigFlags 0 >>",
		), []uint32{3, 4}, []uint32{1, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := writeTemp(t, "in.pdf", c.in)
			o := p.opts()
			o.Name, o.Location = "Nguyễn Văn Đức", "Hà Nội"
			o.Visible = &Appearance{Page: 1, Rect: [4]float64{100, 100, 300, 150}}
			out, res, err := signFile(t, in, o)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(out)
			f, err := pdf.Open(bytes.NewReader(data), int64(len(data)), nil)
			if err != nil {
				t.Fatal(err)
			}
			revs := f.Revisions()
			last := revs[len(revs)-1]
			for _, n := range c.replaced {
				if !last.Defines(n) {
					t.Errorf("object %d not replaced", n)
				}
			}
			for _, n := range c.kept {
				if last.Defines(n) {
					t.Errorf("object %d rewritten needlessly", n)
				}
			}
			cat, _ := f.Catalog()
			form, _ := f.ResolveDict(cat.Get("AcroForm"))
			if flags, _ := form.Int("SigFlags"); flags != 3 {
				t.Errorf("/SigFlags %d", flags)
			}
			fields, err := f.Fields()
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(fields, func(fd pdf.Field) bool { return fd.Name == res.Field })
			if i < 0 {
				t.Fatalf("field %s not in /AcroForm /Fields", res.Field)
			}
			fd := fields[i]
			if len(fd.Widgets) != 1 || fd.Widgets[0].Page != 0 {
				t.Fatalf("widget not listed in the page's /Annots: %+v", fd.Widgets)
			}
			w := fd.Widgets[0].Dict
			if ft, _ := w.Name("FT"); ft != "Sig" {
				t.Errorf("/FT %s", ft)
			}
			if st, _ := w.Name("Subtype"); st != "Widget" {
				t.Errorf("/Subtype %s", st)
			}
			if fl, _ := w.Int("F"); fl != 132 {
				t.Errorf("/F %d, want 132 (print, locked)", fl)
			}
			if pg, ok := w.Ref("P"); !ok || pg != (pdf.Ref{Num: 3}) {
				t.Errorf("/P %v", w.Get("P"))
			}
			ap, _ := f.ResolveDict(w.Get("AP"))
			if ap == nil || ap.Get("N") == nil {
				t.Error("no normal appearance")
			}
			sig, _ := f.ResolveDict(fd.Value)
			for k, want := range map[pdf.Name]string{"Type": "Sig", "Filter": "Adobe.PPKLite", "SubFilter": SubFilterCAdES} {
				if v, _ := sig.Name(k); string(v) != want {
					t.Errorf("/%s %s, want %s", k, v, want)
				}
			}
			if s, _ := sig.Get("Name").(pdf.String); pdf.TextString(s.Value) != "Nguyễn Văn Đức" {
				t.Errorf("/Name %q", pdf.TextString(s.Value))
			}
			if m, _ := sig.Get("M").(pdf.String); !strings.HasPrefix(string(m.Value), "D:") || len(m.Value) != len("D:20060102150405+07'00'") {
				t.Errorf("/M %q", m.Value)
			}
			checkSigned(t, p, in, out, res.Field)
		})
	}
}
