package pades

import (
	"bytes"
	"compress/zlib"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"

	"docgate/signing/pdf"
)

// DejaVu Sans covers Vietnamese (every precomposed letter with its tone marks), which the Go fonts
// in golang.org/x/image do not. Licence: fonts/LICENSE (Bitstream Vera terms; DejaVu changes
// public domain). Only the glyphs a signature uses are embedded.
//
//go:embed fonts/DejaVuSans.ttf
var fontDejaVuSans []byte

const fontName = "DejaVuSans"

// fontText lays out text in the embedded font: glyph IDs for runes, advance widths, and the
// subset that a PDF embeds as a Type0 font with Identity-H encoding.
type fontText struct {
	sf   *sfnt.Font
	buf  sfnt.Buffer
	upem float64
	// used maps each glyph shown to the text it stands for, for /ToUnicode.
	used map[sfnt.GlyphIndex][]rune
}

func newFontText() (*fontText, error) {
	sf, err := sfnt.Parse(fontDejaVuSans)
	if err != nil {
		return nil, fmt.Errorf("parse embedded font: %w", err)
	}
	return &fontText{sf: sf, upem: float64(sf.UnitsPerEm()), used: map[sfnt.GlyphIndex][]rune{}}, nil
}

// glyphs maps s (normalised to NFC, so that a decomposed "ệ" uses the precomposed glyph) to glyph
// IDs and records them for the subset. A rune the font lacks is an error: a signature must not
// show boxes in place of a name.
func (f *fontText) glyphs(s string) ([]sfnt.GlyphIndex, error) {
	s = norm.NFC.String(s)
	gs := make([]sfnt.GlyphIndex, 0, len(s))
	for _, r := range s {
		g, err := f.sf.GlyphIndex(&f.buf, r)
		if err != nil {
			return nil, fmt.Errorf("font lookup %q: %w", r, err)
		}
		if g == 0 {
			return nil, fmt.Errorf("the signature font has no glyph for %q (U+%04X)", r, r)
		}
		if _, ok := f.used[g]; !ok {
			f.used[g] = []rune{r}
		}
		gs = append(gs, g)
	}
	return gs, nil
}

// advance is a glyph's advance width in thousandths of the font size (PDF glyph space).
func (f *fontText) advance(g sfnt.GlyphIndex) float64 {
	a, err := f.sf.GlyphAdvance(&f.buf, g, fixed.Int26_6(f.sf.UnitsPerEm())<<6, font.HintingNone)
	if err != nil {
		return 0
	}
	return float64(a) / 64 * 1000 / f.upem
}

// width is the width of gs in thousandths of the font size.
func (f *fontText) width(gs []sfnt.GlyphIndex) float64 {
	w := 0.0
	for _, g := range gs {
		w += f.advance(g)
	}
	return w
}

// hex is gs as the two-byte codes Identity-H shows them with.
func fontHex(gs []sfnt.GlyphIndex) string {
	var b strings.Builder
	b.WriteByte('<')
	for _, g := range gs {
		fmt.Fprintf(&b, "%04X", uint16(g))
	}
	b.WriteByte('>')
	return b.String()
}

// addFont writes the Type0 font with the glyphs used so far and returns its reference.
func (f *fontText) addFont(u *pdf.Update) (pdf.Ref, error) {
	gids := make([]sfnt.GlyphIndex, 0, len(f.used))
	for g := range f.used {
		gids = append(gids, g)
	}
	slices.Sort(gids)
	sub, err := fontSubset(fontDejaVuSans, gids)
	if err != nil {
		return pdf.Ref{}, err
	}
	// The subset tag is derived from the glyph set, as ISO 32000-1 §9.6.4 asks: six capitals.
	h := fnv.New64a()
	for _, g := range gids {
		binary.Write(h, binary.BigEndian, uint16(g))
	}
	sum := h.Sum64()
	tag := make([]byte, 6)
	for i := range tag {
		tag[i] = 'A' + byte(sum%26)
		sum /= 26
	}
	base := pdf.Name(string(tag) + "+" + fontName)

	ppem := fixed.Int26_6(f.sf.UnitsPerEm()) << 6
	m, err := f.sf.Metrics(&f.buf, ppem, font.HintingNone)
	if err != nil {
		return pdf.Ref{}, fmt.Errorf("font metrics: %w", err)
	}
	bb, err := f.sf.Bounds(&f.buf, ppem, font.HintingNone)
	if err != nil {
		return pdf.Ref{}, fmt.Errorf("font bounds: %w", err)
	}
	scale := func(v fixed.Int26_6) pdf.Integer { return pdf.Integer(float64(v) / 64 * 1000 / f.upem) }
	// sfnt's y axis points down; PDF's points up.
	desc := pdf.NewDict("Type", pdf.Name("FontDescriptor"), "FontName", base, "Flags", pdf.Integer(32),
		"FontBBox", pdf.Array{scale(bb.Min.X), -scale(bb.Max.Y), scale(bb.Max.X), -scale(bb.Min.Y)},
		"ItalicAngle", pdf.Integer(0), "Ascent", scale(m.Ascent), "Descent", -scale(m.Descent),
		"CapHeight", scale(m.CapHeight), "StemV", pdf.Integer(80),
		"FontFile2", u.Add(pdf.NewStream(pdf.NewDict("Filter", pdf.Name("FlateDecode"), "Length1", pdf.Integer(len(sub))), fontDeflate(sub))))
	var w pdf.Array
	for _, g := range gids {
		w = append(w, pdf.Integer(g), pdf.Array{pdf.Integer(f.advance(g) + 0.5)})
	}
	cid := pdf.NewDict("Type", pdf.Name("Font"), "Subtype", pdf.Name("CIDFontType2"), "BaseFont", base,
		"CIDSystemInfo", pdf.NewDict("Registry", pdf.NewString("Adobe"), "Ordering", pdf.NewString("Identity"), "Supplement", pdf.Integer(0)),
		"FontDescriptor", u.Add(desc), "DW", pdf.Integer(1000), "W", w, "CIDToGIDMap", pdf.Name("Identity"))
	toUni := u.Add(pdf.NewStream(pdf.NewDict("Filter", pdf.Name("FlateDecode")), fontDeflate(f.toUnicode(gids))))
	return u.Add(pdf.NewDict("Type", pdf.Name("Font"), "Subtype", pdf.Name("Type0"), "BaseFont", base,
		"Encoding", pdf.Name("Identity-H"), "DescendantFonts", pdf.Array{u.Add(cid)}, "ToUnicode", toUni)), nil
}

// toUnicode is the CMap that lets a reader extract the text: two-byte glyph codes to UTF-16BE.
func (f *fontText) toUnicode(gids []sfnt.GlyphIndex) []byte {
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	for i := 0; i < len(gids); i += 100 {
		chunk := gids[i:min(i+100, len(gids))]
		fmt.Fprintf(&b, "%d beginbfchar\n", len(chunk))
		for _, g := range chunk {
			fmt.Fprintf(&b, "<%04X> <", uint16(g))
			for _, r := range f.used[g] {
				for _, u := range fontUTF16(r) {
					fmt.Fprintf(&b, "%04X", u)
				}
			}
			b.WriteString(">\n")
		}
		b.WriteString("endbfchar\n")
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.Bytes()
}

func fontUTF16(r rune) []uint16 {
	if r < 0x10000 {
		return []uint16{uint16(r)}
	}
	r -= 0x10000
	return []uint16{uint16(0xD800 + r>>10), uint16(0xDC00 + r&0x3FF)}
}

func fontDeflate(b []byte) []byte {
	var out bytes.Buffer
	w, _ := zlib.NewWriterLevel(&out, zlib.BestCompression)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// fontSubset returns a TrueType font that keeps the glyph numbering of ttf but the outlines of
// only keep (and the glyphs their composites are built from), with the tables a PDF
// CIDFontType2 needs (ISO 32000-1 §9.9) plus cmap, which font parsers expect: the rest of a
// 750 KB font is dropped.
func fontSubset(ttf []byte, keep []sfnt.GlyphIndex) ([]byte, error) {
	be := binary.BigEndian
	if len(ttf) < 12 {
		return nil, errors.New("font: truncated")
	}
	n := int(be.Uint16(ttf[4:]))
	tables := map[string][]byte{}
	for i := 0; i < n; i++ {
		rec := ttf[12+16*i:]
		if len(rec) < 16 {
			return nil, errors.New("font: truncated table directory")
		}
		off, ln := be.Uint32(rec[8:]), be.Uint32(rec[12:])
		if uint64(off)+uint64(ln) > uint64(len(ttf)) {
			return nil, errors.New("font: table out of bounds")
		}
		tables[string(rec[:4])] = ttf[off : off+ln]
	}
	head, maxp, loca, glyf := tables["head"], tables["maxp"], tables["loca"], tables["glyf"]
	if len(head) < 54 || len(maxp) < 6 || loca == nil || glyf == nil {
		return nil, errors.New("font: missing head, maxp, loca or glyf")
	}
	numGlyphs := int(be.Uint16(maxp[4:]))
	long := be.Uint16(head[50:]) == 1
	span := func(g int) (int, int, error) {
		var a, b int
		if long {
			if 4*g+8 > len(loca) {
				return 0, 0, errors.New("font: loca too short")
			}
			a, b = int(be.Uint32(loca[4*g:])), int(be.Uint32(loca[4*g+4:]))
		} else {
			if 2*g+4 > len(loca) {
				return 0, 0, errors.New("font: loca too short")
			}
			a, b = 2*int(be.Uint16(loca[2*g:])), 2*int(be.Uint16(loca[2*g+2:]))
		}
		if a > b || b > len(glyf) {
			return 0, 0, errors.New("font: bad loca entry")
		}
		return a, b, nil
	}
	// Glyph 0 (.notdef) is always kept; composites pull in their components.
	want := map[int]bool{0: true}
	queue := []int{0}
	for _, g := range keep {
		if int(g) < numGlyphs && !want[int(g)] {
			want[int(g)] = true
			queue = append(queue, int(g))
		}
	}
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		a, b, err := span(g)
		if err != nil {
			return nil, err
		}
		data := glyf[a:b]
		if len(data) < 10 || int16(be.Uint16(data)) >= 0 {
			continue
		}
		p := 10
		for p+4 <= len(data) {
			flags, comp := be.Uint16(data[p:]), int(be.Uint16(data[p+2:]))
			if comp < numGlyphs && !want[comp] {
				want[comp] = true
				queue = append(queue, comp)
			}
			p += 4
			if flags&0x1 != 0 {
				p += 4
			} else {
				p += 2
			}
			switch {
			case flags&0x8 != 0:
				p += 2
			case flags&0x40 != 0:
				p += 4
			case flags&0x80 != 0:
				p += 8
			}
			if flags&0x20 == 0 {
				break
			}
		}
	}
	var newGlyf, newLoca []byte
	for g := 0; g < numGlyphs; g++ {
		newLoca = be.AppendUint32(newLoca, uint32(len(newGlyf)))
		if !want[g] {
			continue
		}
		a, b, err := span(g)
		if err != nil {
			return nil, err
		}
		newGlyf = append(newGlyf, glyf[a:b]...)
		for len(newGlyf)%4 != 0 {
			newGlyf = append(newGlyf, 0)
		}
	}
	newLoca = be.AppendUint32(newLoca, uint32(len(newGlyf)))
	newHead := slices.Clone(head)
	be.PutUint16(newHead[50:], 1) // long loca offsets
	be.PutUint32(newHead[8:], 0)  // checkSumAdjustment, recomputed below
	out := map[string][]byte{"head": newHead, "loca": newLoca, "glyf": newGlyf}
	for _, t := range []string{"cmap", "hhea", "hmtx", "maxp", "cvt ", "fpgm", "prep"} {
		if tables[t] != nil {
			out[t] = tables[t]
		}
	}
	// A version 3 post table: the metrics header without glyph names.
	if post := tables["post"]; len(post) >= 32 {
		p3 := slices.Clone(post[:32])
		be.PutUint32(p3, 0x00030000)
		out["post"] = p3
	}
	tags := make([]string, 0, len(out))
	for t := range out {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	var file []byte
	file = be.AppendUint32(file, 0x00010000)
	file = be.AppendUint16(file, uint16(len(tags)))
	es := 0
	for 1<<(es+1) <= len(tags) {
		es++
	}
	file = be.AppendUint16(file, uint16(16<<es))
	file = be.AppendUint16(file, uint16(es))
	file = be.AppendUint16(file, uint16(len(tags)*16-16<<es))
	off := 12 + 16*len(tags)
	var body []byte
	for _, t := range tags {
		d := out[t]
		file = append(file, t...)
		file = be.AppendUint32(file, fontChecksum(d))
		file = be.AppendUint32(file, uint32(off+len(body)))
		file = be.AppendUint32(file, uint32(len(d)))
		body = append(body, d...)
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
	}
	file = append(file, body...)
	headOff := 12 + 16*len(tags)
	for _, t := range tags {
		if t == "head" {
			break
		}
		headOff += (len(out[t]) + 3) &^ 3
	}
	be.PutUint32(file[headOff+8:], 0xB1B0AFBA-fontChecksum(file))
	return file, nil
}

func fontChecksum(b []byte) uint32 {
	var s uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		s += binary.BigEndian.Uint32(w[:])
	}
	return s
}
