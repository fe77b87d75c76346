package pades

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/image/font/sfnt"

	"docgate/signing/pdf"
)

const vietnameseSample = "ẮẰẲẴẶắằẳẵặƠơƯưĐđỆệỘộ"

// sealPNG is a red disc on a transparent background, like an organisation's seal.
func sealPNG(tb testing.TB, size int) []byte {
	tb.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	c := float64(size) / 2
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			dx, dy := float64(x)+0.5-c, float64(y)+0.5-c
			if dx*dx+dy*dy <= c*c*0.8 {
				img.SetNRGBA(x, y, color.NRGBA{R: 220, A: 255})
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// TestFontCoversVietnamese checks the embedded font against every Vietnamese letter with tone
// marks, precomposed and decomposed.
func TestFontCoversVietnamese(t *testing.T) {
	ft, err := newFontText()
	if err != nil {
		t.Fatal(err)
	}
	all := vietnameseSample + "ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúýĂăĨĩŨũẠạẢảẤấẦầẨẩẪẫẬậẸẹẺẻẼẽẾếỀềỂểỄễỈỉỊịỌọỎỏỐốỒồỔổỖỗỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ"
	if _, err := ft.glyphs(all); err != nil {
		t.Fatal(err)
	}
	// "ệ" typed as e + dot below + circumflex must still find the precomposed glyph.
	gs, err := ft.glyphs("e\u0323\u0302")
	if err != nil || len(gs) != 1 {
		t.Fatalf("decomposed ệ: %v %v", gs, err)
	}
	if _, err := ft.glyphs("\u4e00"); err == nil {
		t.Fatal("a rune the font lacks was accepted")
	}
}

// TestFontSubset checks that the subset is a font that sfnt reads, that it keeps the glyphs asked
// for (and the components of composite glyphs) and that it is much smaller than the original.
func TestFontSubset(t *testing.T) {
	ft, _ := newFontText()
	gs, err := ft.glyphs("Nguyễn Văn Đức " + vietnameseSample)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := fontSubset(fontDejaVuSans, gs)
	if err != nil {
		t.Fatal(err)
	}
	if len(sub) > len(fontDejaVuSans)/4 {
		t.Errorf("subset %d bytes of %d", len(sub), len(fontDejaVuSans))
	}
	sf, err := sfnt.Parse(sub)
	if err != nil {
		t.Fatalf("subset does not parse: %v", err)
	}
	var buf, obuf sfnt.Buffer
	for _, g := range gs {
		want, _ := ft.sf.LoadGlyph(&obuf, g, 1<<6*1000, nil)
		segs, err := sf.LoadGlyph(&buf, g, 1<<6*1000, nil)
		if err != nil || len(segs) != len(want) {
			t.Errorf("glyph %d: %d segments in the subset, %d in the font (%v)", g, len(segs), len(want), err)
		}
	}
	// A glyph not asked for is empty.
	if segs, _ := sf.LoadGlyph(&buf, gs[0]+500, 1<<6*1000, nil); len(segs) != 0 {
		t.Error("unused glyph kept")
	}
}

// TestSignVisibleVietnamese draws a seal and Vietnamese lines, then asks poppler: pdftotext must
// extract the lines exactly and pdftoppm must show the seal (red, transparent around it) and the
// text inside the rectangle.
func TestSignVisibleVietnamese(t *testing.T) {
	needTool(t, "pdftoppm")
	needTool(t, "pdftotext")
	p := mustPKI(t, "ec")
	in := writeTemp(t, "min.pdf", minimalPDF(0))
	o := p.opts()
	lines := []string{"Nguyễn Văn Đức", vietnameseSample, "2026-11-24T15:04:05+07:00"}
	rect := [4]float64{300, 100, 560, 190}
	o.Visible = &Appearance{Page: 1, Rect: rect, Image: sealPNG(t, 200), Lines: lines}
	out, res, err := signFile(t, in, o)
	if err != nil {
		t.Fatal(err)
	}
	checkSigned(t, p, in, out, res.Field)

	txt, err := exec.Command("pdftotext", "-raw", "-f", "1", "-l", "1", out, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	for _, l := range lines {
		if !strings.Contains(string(txt), l) {
			t.Errorf("pdftotext lost %q:\n%s", l, txt)
		}
	}

	prefix := filepath.Join(t.TempDir(), "page")
	run(t, "pdftoppm", "-r", "72", "-png", "-f", "1", "-l", "1", "-singlefile", out, prefix)
	fh, err := os.Open(prefix + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	page, err := png.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	// At 72 dpi one pixel is one point; the image's y axis points down from the top (842).
	at := func(x, y float64) color.RGBA {
		return color.RGBAModel.Convert(page.At(int(x), int(842-y))).(color.RGBA)
	}
	h := rect[3] - rect[1]
	seal := at(rect[0]+2+(h-4)/2, rect[1]+h/2) // the disc's centre
	if seal.R < 150 || seal.G > 80 || seal.B > 80 {
		t.Errorf("seal centre is %v, want red", seal)
	}
	corner := at(rect[0]+3, rect[1]+3) // outside the disc: transparent, so the white page shows
	if corner.R < 240 || corner.G < 240 || corner.B < 240 {
		t.Errorf("seal corner is %v, want the white page through the soft mask", corner)
	}
	dark := 0
	for y := rect[1]; y < rect[3]; y++ {
		for x := rect[0] + h; x < rect[2]; x++ {
			if c := at(x, y); c.R < 100 && c.G < 100 && c.B < 100 {
				dark++
			}
		}
	}
	if dark < 200 {
		t.Errorf("only %d dark pixels where the text should be", dark)
	}
}

// TestSignVisibleRotatedPages draws the seal and text on pages shown rotated by 90, 180 and 270
// degrees: as rendered by pdftoppm the seal must be at the reader's left of the rectangle and
// the text right of it, and pdftotext must read the line back.
func TestSignVisibleRotatedPages(t *testing.T) {
	needTool(t, "pdftoppm")
	needTool(t, "pdftotext")
	p := mustPKI(t, "ec")
	const W, H = 595.0, 842.0
	for _, rot := range []int{0, 90, 180, 270} {
		t.Run(strconv.Itoa(rot), func(t *testing.T) {
			in := writeTemp(t, "rot.pdf", buildPDF(
				"<< /Type /Catalog /Pages 2 0 R >>",
				"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
				fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Rotate %d >>", rot)))
			// The rectangle is given in the page's own (unrotated) space; on a page turned by 90
			// or 270 degrees a tall rectangle is what the reader sees as wide.
			rect := [4]float64{150, 300, 450, 380}
			if rot == 90 || rot == 270 {
				rect = [4]float64{150, 300, 230, 600}
			}
			line := "Sở Tư pháp tỉnh Nghệ An"
			o := p.opts()
			o.Visible = &Appearance{Rect: rect, Image: sealPNG(t, 100), Lines: []string{line}}
			out, res, err := signFile(t, in, o)
			if err != nil {
				t.Fatal(err)
			}
			checkSigned(t, p, in, out, res.Field)
			if txt := run(t, "pdftotext", "-raw", out, "-"); !strings.Contains(txt, line) {
				t.Errorf("pdftotext: %q", txt)
			}
			prefix := filepath.Join(t.TempDir(), "page")
			run(t, "pdftoppm", "-r", "72", "-png", "-singlefile", out, prefix)
			fh, _ := os.Open(prefix + ".png")
			img, err := png.Decode(fh)
			fh.Close()
			if err != nil {
				t.Fatal(err)
			}
			// Where a point of the page lands on the rendered image (the page turned clockwise).
			display := func(x, y float64) (float64, float64) {
				switch rot {
				case 90:
					return y, x
				case 180:
					return W - x, y
				case 270:
					return H - y, W - x
				}
				return x, H - y
			}
			x0, y0 := display(rect[0], rect[1])
			x1, y1 := display(rect[2], rect[3])
			left, right := min(x0, x1), max(x0, x1)
			top, bottom := min(y0, y1), max(y0, y1)
			dh := bottom - top
			at := func(x, y float64) color.RGBA {
				return color.RGBAModel.Convert(img.At(int(x), int(y))).(color.RGBA)
			}
			isRed := func(c color.RGBA) bool { return c.R > 150 && c.G < 80 && c.B < 80 }
			if c := at(left+dh/2, (top+bottom)/2); !isRed(c) {
				t.Errorf("no seal at the reader's left of the rectangle: %v", c)
			}
			dark, red := 0, 0
			for y := top + 1; y < bottom-1; y++ {
				for x := left + dh + 2; x < right-1; x++ {
					c := at(x, y)
					if c.R < 100 && c.G < 100 && c.B < 100 {
						dark++
					}
					if isRed(c) {
						red++
					}
				}
			}
			if dark < 100 || red > 0 {
				t.Errorf("right of the seal: %d dark pixels (text), %d red (seal where text belongs)", dark, red)
			}
		})
	}
}

// TestSignVisibleTopRight: without a rectangle a visible signature goes to the top right corner
// as the reader sees the page, also on a page turned by 90 degrees and one with a CropBox.
func TestSignVisibleTopRight(t *testing.T) {
	p := mustPKI(t, "ec")
	for _, c := range []struct {
		name, page string
		want       [4]float64
	}{
		{"portrait", "/MediaBox [0 0 595 842]", [4]float64{351, 748, 571, 818}},
		{"crop box", "/MediaBox [0 0 595 842] /CropBox [50 50 545 792]", [4]float64{301, 698, 521, 768}},
		// Turned clockwise, the page's top left corner is the reader's top right (low x, high y).
		{"rotated 90", "/MediaBox [0 0 595 842] /Rotate 90", [4]float64{24, 598, 94, 818}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := writeTemp(t, "in.pdf", buildPDF(
				"<< /Type /Catalog /Pages 2 0 R >>",
				"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
				"<< /Type /Page /Parent 2 0 R "+c.page+" >>"))
			o := p.opts()
			o.Visible = &Appearance{}
			out, res, err := signFile(t, in, o)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(out)
			f, err := pdf.Open(bytes.NewReader(data), int64(len(data)), nil)
			if err != nil {
				t.Fatal(err)
			}
			fields, _ := f.Fields()
			var got [4]float64
			for _, fd := range fields {
				if fd.Name == res.Field {
					arr, _ := fd.Widgets[0].Rect.(pdf.Array)
					for i := range got {
						got[i], _ = pdf.Number(arr[i])
					}
				}
			}
			if got != c.want {
				t.Errorf("rect %v, want %v", got, c.want)
			}
			checkSigned(t, p, in, out, res.Field)
		})
	}
}
