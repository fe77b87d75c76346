package pades

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"strings"
	"time"

	"golang.org/x/image/font/sfnt"

	"docgate/signing/pdf"
)

// Appearance is how a visible signature looks on its page.
type Appearance struct {
	// Page is the 1-based page number; 1 when zero.
	Page int
	// Rect is the widget's rectangle in default user space: x1, y1, x2, y2. Zero keeps the
	// rectangle of the existing field signed into, or puts a new field at the top right of the
	// page as the reader sees it.
	Rect [4]float64
	// Image is a PNG (its transparency kept through a soft mask) drawn at the left of the
	// rectangle: the organisation's seal, or the person's handwritten signature.
	Image []byte
	// Lines are drawn right of the image. When nil: the signer's name, the organisation and the
	// signing time in Vietnam time (ISO 8601).
	Lines []string
}

// VietnamTime is Indochina Time (UTC+7, no daylight saving), the zone official documents state
// their signing time in. A fixed zone keeps the result independent of the host's tzdata.
var VietnamTime = time.FixedZone("ICT", 7*3600)

func (a *Appearance) check() error {
	r := signNormRect(a.Rect)
	if a.Rect != ([4]float64{}) && (r[2]-r[0] < 1 || r[3]-r[1] < 1) {
		return errors.New("sign: the appearance rectangle is empty")
	}
	if a.Page < 0 {
		return fmt.Errorf("sign: page %d does not exist", a.Page)
	}
	return nil
}

// SealRect places an organisation's seal of the given size so that it covers the left third of
// the person's signature drawn in person (DOMAIN: the seal overlaps about a third of the
// signature on its left), centred on it vertically.
func SealRect(person [4]float64, width, height float64) [4]float64 {
	p := signNormRect(person)
	right := p[0] + (p[2]-p[0])/3
	cy := (p[1] + p[3]) / 2
	return [4]float64{right - width, cy - height/2, right, cy + height/2}
}

// appearanceLines returns the lines to draw: the caller's, or the default ones.
func (b *signBuilder) appearanceLines(signed time.Time) []string {
	if b.o.Visible.Lines != nil {
		return b.o.Visible.Lines
	}
	c := b.o.Chain[0]
	var lines []string
	name := b.o.Name
	if name == "" {
		name = c.Subject.CommonName
	}
	if name != "" {
		lines = append(lines, name)
	}
	for _, org := range c.Subject.Organization {
		if org != name {
			lines = append(lines, org)
		}
	}
	return append(lines, signed.In(VietnamTime).Format("2006-01-02T15:04:05-07:00"))
}

// appearance adds the normal appearance of the widget (a form XObject with the image and the
// lines) and returns its reference. On a page shown rotated (/Rotate), the form is laid out in
// the rectangle as the reader sees it and turned back by its /Matrix, so that it reads upright.
func (b *signBuilder) appearance(u *pdf.Update, rect [4]float64, rotate int64, signed time.Time) (pdf.Ref, error) {
	r := signNormRect(rect)
	w, h := r[2]-r[0], r[3]-r[1]
	if w < 1 || h < 1 {
		return pdf.Ref{}, errors.New("sign: a visible signature needs a rectangle (--rect)")
	}
	rotate = (rotate%360 + 360) % 360
	var matrix pdf.Array
	switch rotate {
	case 90:
		w, h = h, w
		matrix = pdf.Array{pdf.Integer(0), pdf.Integer(1), pdf.Integer(-1), pdf.Integer(0), pdf.Integer(0), pdf.Integer(0)}
	case 180:
		matrix = pdf.Array{pdf.Integer(-1), pdf.Integer(0), pdf.Integer(0), pdf.Integer(-1), pdf.Integer(0), pdf.Integer(0)}
	case 270:
		w, h = h, w
		matrix = pdf.Array{pdf.Integer(0), pdf.Integer(-1), pdf.Integer(1), pdf.Integer(0), pdf.Integer(0), pdf.Integer(0)}
	}
	const pad = 2.0
	var content bytes.Buffer
	res := pdf.NewDict()

	textX := pad
	if img := b.o.Visible.Image; len(img) > 0 {
		ref, iw, ih, err := appearanceImage(u, img)
		if err != nil {
			return pdf.Ref{}, err
		}
		// The image keeps its proportions, fits the height, and takes at most half the width
		// when there is text beside it.
		maxW := w - 2*pad
		if len(b.appearanceLines(signed)) > 0 {
			maxW = (w - 2*pad) / 2
		}
		s := math.Min((h-2*pad)/float64(ih), maxW/float64(iw))
		dw, dh := float64(iw)*s, float64(ih)*s
		fmt.Fprintf(&content, "q %s 0 0 %s %s %s cm /Im0 Do Q\n", signNum(dw), signNum(dh), signNum(pad), signNum((h-dh)/2))
		res.Set("XObject", pdf.NewDict("Im0", ref))
		textX = pad + dw + pad
	}

	if lines := b.appearanceLines(signed); len(lines) > 0 {
		ft, err := newFontText()
		if err != nil {
			return pdf.Ref{}, err
		}
		gl := make([][]sfnt.GlyphIndex, len(lines))
		widest := 0.0
		for i, l := range lines {
			if gl[i], err = ft.glyphs(l); err != nil {
				return pdf.Ref{}, fmt.Errorf("sign: appearance line %d: %w", i+1, err)
			}
			widest = math.Max(widest, ft.width(gl[i]))
		}
		const leading = 1.25
		size := math.Min(14, (h-2*pad)/(float64(len(lines))*leading))
		if widest > 0 {
			size = math.Min(size, (w-textX-pad)/widest*1000)
		}
		if size < 1 {
			return pdf.Ref{}, errors.New("sign: the appearance rectangle is too small for its text")
		}
		fref, err := ft.addFont(u)
		if err != nil {
			return pdf.Ref{}, err
		}
		res.Set("Font", pdf.NewDict("F1", fref))
		block := float64(len(lines)) * size * leading
		top := (h+block)/2 - size // baseline of the first line, the block centred vertically
		content.WriteString("BT 0 0 0 rg\n")
		fmt.Fprintf(&content, "/F1 %s Tf\n", signNum(size))
		for i := range lines {
			fmt.Fprintf(&content, "1 0 0 1 %s %s Tm %s Tj\n", signNum(textX), signNum(top-float64(i)*size*leading+size*0.2), fontHex(gl[i]))
		}
		content.WriteString("ET\n")
	}
	form := pdf.NewDict("Type", pdf.Name("XObject"), "Subtype", pdf.Name("Form"),
		"BBox", pdf.Array{pdf.Integer(0), pdf.Integer(0), pdf.Real(w), pdf.Real(h)}, "Resources", res,
		"Filter", pdf.Name("FlateDecode"))
	if matrix != nil {
		form.Set("Matrix", matrix)
	}
	return u.Add(pdf.NewStream(form, fontDeflate(content.Bytes()))), nil
}

// appearanceImage adds a PNG as an RGB image XObject, its alpha channel as a soft mask.
func appearanceImage(u *pdf.Update, data []byte) (pdf.Ref, int, int, error) {
	// The size is checked before decoding: a small PNG can claim a huge canvas.
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return pdf.Ref{}, 0, 0, fmt.Errorf("sign: appearance image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > 8192 || cfg.Height > 8192 || cfg.Width*cfg.Height > 16<<20 {
		return pdf.Ref{}, 0, 0, fmt.Errorf("sign: appearance image of %dx%d pixels is too large (at most 16 megapixels)", cfg.Width, cfg.Height)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return pdf.Ref{}, 0, 0, fmt.Errorf("sign: appearance image: %w", err)
	}
	bd := img.Bounds()
	iw, ih := bd.Dx(), bd.Dy()
	rgb := make([]byte, 0, iw*ih*3)
	alpha := make([]byte, 0, iw*ih)
	opaque := true
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			rgb = append(rgb, c.R, c.G, c.B)
			alpha = append(alpha, c.A)
			opaque = opaque && c.A == 0xff
		}
	}
	d := pdf.NewDict("Type", pdf.Name("XObject"), "Subtype", pdf.Name("Image"), "Width", pdf.Integer(iw), "Height", pdf.Integer(ih),
		"ColorSpace", pdf.Name("DeviceRGB"), "BitsPerComponent", pdf.Integer(8), "Filter", pdf.Name("FlateDecode"))
	if !opaque {
		sm := pdf.NewDict("Type", pdf.Name("XObject"), "Subtype", pdf.Name("Image"), "Width", pdf.Integer(iw), "Height", pdf.Integer(ih),
			"ColorSpace", pdf.Name("DeviceGray"), "BitsPerComponent", pdf.Integer(8), "Filter", pdf.Name("FlateDecode"))
		d.Set("SMask", u.Add(pdf.NewStream(sm, fontDeflate(alpha))))
	}
	return u.Add(pdf.NewStream(d, fontDeflate(rgb))), iw, ih, nil
}

// signNum formats a coordinate for a content stream: at most three decimals, no exponent.
func signNum(f float64) string {
	s := fmt.Sprintf("%.3f", f)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" || s == "" {
		return "0"
	}
	return s
}
