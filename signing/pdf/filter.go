package pdf

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
)

// Decode returns the data of s with every filter this package implements applied (FlateDecode and
// LZWDecode with PNG or TIFF predictors, ASCIIHexDecode, ASCII85Decode, RunLengthDecode). Decoding
// stops at the first other filter (DCTDecode, JPXDecode, Crypt, ...): the data is then returned as
// it is at that point, and rest names the filters still to apply. The decoded size is bounded by
// Options.MaxDecodedSize.
//
// Indirect /Filter and /DecodeParms values are resolved in the newest revision; View.Decode
// resolves them in the view's revision.
func (f *File) Decode(s *Stream) (data []byte, rest []Name, err error) {
	return f.View.Decode(s)
}

// Decode is File.Decode resolving indirect filter parameters in this view's revision.
func (v *View) Decode(s *Stream) (data []byte, rest []Name, err error) {
	data, rest, err = v.f.decodeIn(s, v)
	if err != nil && v.Encrypted() {
		err = fmt.Errorf("%w: %w", ErrEncrypted, err)
	}
	return data, rest, err
}

// RawData returns the stream's data as stored, without decoding, bounded by MaxDecodedSize.
func (f *File) RawData(s *Stream) ([]byte, error) {
	if s.data != nil {
		return s.data, nil
	}
	if s.Length > f.opts.MaxDecodedSize {
		return nil, limitErr("stream of %d bytes", s.Length)
	}
	b := make([]byte, s.Length)
	n, err := f.r.ReadAt(b, s.Offset)
	if n < len(b) {
		return nil, fmt.Errorf("read stream at %d: %w", s.Offset, err)
	}
	return b, nil
}

func (f *File) decode(s *Stream) ([]byte, []Name, error) { return f.decodeIn(s, nil) }

// decodeIn decodes s; v, when set, resolves indirect /Filter and /DecodeParms values (writers do
// put image parameters in separate objects). While the cross-reference is being read there is no
// view yet, and the streams read then must hold their parameters directly.
func (f *File) decodeIn(s *Stream, view *View) ([]byte, []Name, error) {
	resolve := func(o Object) Object {
		if view == nil {
			return o
		}
		r, err := view.Resolve(o)
		if err != nil {
			return nil
		}
		return r
	}
	var filters []Name
	var parms []Object
	switch v := resolve(s.Dict.Get("Filter")).(type) {
	case Name:
		filters = []Name{v}
		parms = []Object{resolve(s.Dict.Get("DecodeParms"))}
	case Array:
		dp := resolve(s.Dict.Get("DecodeParms"))
		pa, _ := dp.(Array)
		if d, ok := dp.(*Dict); ok && len(v) == 1 {
			// One filter in an array with its parameters not in one: read them as meant.
			pa = Array{d}
		}
		for i, o := range v {
			n, ok := resolve(o).(Name)
			if !ok {
				return nil, nil, syntaxErr(s.Offset, "/Filter holds a non-name")
			}
			filters = append(filters, n)
			var p Object
			if i < len(pa) {
				p = resolve(pa[i])
			}
			parms = append(parms, p)
		}
	}
	if len(filters) == 0 {
		data, err := f.RawData(s)
		return data, nil, err
	}
	var r io.Reader
	if s.data != nil {
		r = bytes.NewReader(s.data)
	} else {
		r = io.NewSectionReader(f.r, s.Offset, s.Length)
	}
	for i, name := range filters {
		p, _ := parms[i].(*Dict)
		var err error
		switch name {
		case "FlateDecode", "Fl":
			r, err = flateReader(r)
			if err == nil {
				r, err = predictor(r, p)
			}
		case "LZWDecode", "LZW":
			early := int64(1)
			if v, ok := p.Int("EarlyChange"); ok {
				early = v
			}
			r = newLZWReader(r, early != 0)
			r, err = predictor(r, p)
		case "ASCIIHexDecode", "AHx":
			r = &asciiHexReader{r: bufio.NewReader(r)}
		case "ASCII85Decode", "A85":
			r = &ascii85Reader{r: bufio.NewReader(r)}
		case "RunLengthDecode", "RL":
			r = &runLengthReader{r: bufio.NewReader(r)}
		case "Crypt":
			// The Identity crypt filter leaves data as it is; any other needs decryption.
			if n, ok := p.Name("Name"); ok && n != "Identity" {
				data, err := readLimited(r, f.opts.MaxDecodedSize)
				return data, filters[i:], err
			}
		default:
			data, err := readLimited(r, f.opts.MaxDecodedSize)
			return data, filters[i:], err
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	data, err := readLimited(r, f.opts.MaxDecodedSize)
	if err != nil {
		return nil, nil, fmt.Errorf("stream at %d: %w", s.Offset, err)
	}
	return data, nil, nil
}

// readLimited reads r to the end, refusing more than max bytes: the defence against
// decompression bombs.
func readLimited(r io.Reader, max int64) ([]byte, error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, max+1))
	if n > max {
		return nil, limitErr("decoded stream larger than %d bytes", max)
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	return buf.Bytes(), nil
}

// truncatedOK turns the errors of a compressed stream cut short into a clean end: PDF writers
// often omit the zlib checksum or the final block, and readers accept the data that is there.
type truncatedOK struct{ r io.Reader }

func (t truncatedOK) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, zlib.ErrChecksum) {
			return n, io.EOF
		}
	}
	return n, err
}

func flateReader(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	hdr, err := br.Peek(2)
	if err != nil {
		return bytes.NewReader(nil), nil
	}
	// Some writers emit raw deflate without the zlib header.
	if (uint16(hdr[0])<<8|uint16(hdr[1]))%31 != 0 || hdr[0]&0x0f != 8 {
		return truncatedOK{flate.NewReader(br)}, nil
	}
	zr, err := zlib.NewReader(br)
	if err != nil {
		return nil, err
	}
	return truncatedOK{zr}, nil
}

func predictor(r io.Reader, p *Dict) (io.Reader, error) {
	pred, _ := p.Int("Predictor")
	if pred <= 1 {
		return r, nil
	}
	colors, bpc, cols := int64(1), int64(8), int64(1)
	if v, ok := p.Int("Colors"); ok {
		colors = v
	}
	if v, ok := p.Int("BitsPerComponent"); ok {
		bpc = v
	}
	if v, ok := p.Int("Columns"); ok {
		cols = v
	}
	if colors < 1 || colors > 32 || (bpc != 1 && bpc != 2 && bpc != 4 && bpc != 8 && bpc != 16) || cols < 1 || cols > 1<<24 {
		return nil, syntaxErr(-1, "bad predictor parameters")
	}
	// A row is buffered whole: refuse rows no image needs rather than allocate them.
	if colors*bpc*cols > 8<<23 {
		return nil, syntaxErr(-1, "predictor rows of %d bits", colors*bpc*cols)
	}
	bpp := int((colors*bpc + 7) / 8)
	rowLen := int((colors*bpc*cols + 7) / 8)
	switch {
	case pred == 2:
		if bpc != 8 {
			return nil, syntaxErr(-1, "TIFF predictor with %d bits per component is not supported", bpc)
		}
		return &tiffReader{r: r, bpp: bpp, row: make([]byte, rowLen)}, nil
	case pred >= 10 && pred <= 15:
		return &pngReader{r: r, bpp: bpp, prev: make([]byte, rowLen), cur: make([]byte, rowLen+1)}, nil
	}
	return nil, syntaxErr(-1, "unknown predictor %d", pred)
}

// pngReader undoes PNG row filters: every row carries its own filter type byte.
type pngReader struct {
	r    io.Reader
	bpp  int
	prev []byte
	cur  []byte
	out  []byte
}

func (p *pngReader) Read(b []byte) (int, error) {
	for len(p.out) == 0 {
		n, err := io.ReadFull(p.r, p.cur)
		if n == 0 || (err != nil && n < len(p.cur)) {
			if err == nil || errors.Is(err, io.ErrUnexpectedEOF) {
				err = io.EOF
			}
			// A last partial row is dropped, as other readers do.
			return 0, err
		}
		ft := p.cur[0]
		row := p.cur[1:]
		for i := range row {
			var a, up, c byte
			if i >= p.bpp {
				a = row[i-p.bpp]
				c = p.prev[i-p.bpp]
			}
			up = p.prev[i]
			switch ft {
			case 0:
			case 1:
				row[i] += a
			case 2:
				row[i] += up
			case 3:
				row[i] += byte((int(a) + int(up)) / 2)
			case 4:
				row[i] += paeth(a, up, c)
			default:
				return 0, syntaxErr(-1, "unknown PNG filter type %d", ft)
			}
		}
		copy(p.prev, row)
		p.out = p.prev
	}
	n := copy(b, p.out)
	p.out = p.out[n:]
	return n, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	if pa <= pb && pa <= pc {
		return a
	}
	if pb <= pc {
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// tiffReader undoes TIFF predictor 2 for 8-bit components.
type tiffReader struct {
	r   io.Reader
	bpp int
	row []byte
	out []byte
}

func (t *tiffReader) Read(b []byte) (int, error) {
	for len(t.out) == 0 {
		n, err := io.ReadFull(t.r, t.row)
		if n == 0 {
			if err == nil || errors.Is(err, io.ErrUnexpectedEOF) {
				err = io.EOF
			}
			return 0, err
		}
		r := t.row[:n]
		for i := t.bpp; i < len(r); i++ {
			r[i] += r[i-t.bpp]
		}
		t.out = r
	}
	n := copy(b, t.out)
	t.out = t.out[n:]
	return n, nil
}

type asciiHexReader struct {
	r    *bufio.Reader
	done bool
}

func (a *asciiHexReader) Read(b []byte) (int, error) {
	n := 0
	for n < len(b) && !a.done {
		var v [2]byte
		k := 0
		for k < 2 {
			c, err := a.r.ReadByte()
			if err != nil || c == '>' {
				a.done = true
				break
			}
			if isWhite(c) {
				continue
			}
			h, ok := unhex(c)
			if !ok {
				return n, syntaxErr(-1, "invalid character %q in ASCIIHexDecode data", c)
			}
			v[k] = h
			k++
		}
		if k == 0 {
			break
		}
		b[n] = v[0]<<4 | v[1]
		n++
	}
	if n == 0 && a.done {
		return 0, io.EOF
	}
	return n, nil
}

type ascii85Reader struct {
	r    *bufio.Reader
	out  []byte
	done bool
}

func (a *ascii85Reader) Read(b []byte) (int, error) {
	for len(a.out) == 0 {
		if a.done {
			return 0, io.EOF
		}
		var grp [5]byte
		k := 0
		for k < 5 {
			c, err := a.r.ReadByte()
			if err != nil || c == '~' {
				a.done = true
				break
			}
			if isWhite(c) {
				continue
			}
			if c == 'z' && k == 0 {
				a.out = append(a.out[:0], 0, 0, 0, 0)
				break
			}
			if c < '!' || c > 'u' {
				return 0, syntaxErr(-1, "invalid character %q in ASCII85Decode data", c)
			}
			grp[k] = c - '!'
			k++
		}
		if len(a.out) > 0 {
			continue
		}
		if k == 0 {
			continue
		}
		if k == 1 {
			return 0, syntaxErr(-1, "ASCII85Decode data ends with a single digit")
		}
		for i := k; i < 5; i++ {
			grp[i] = 'u' - '!'
		}
		var v uint64
		for _, d := range grp {
			v = v*85 + uint64(d)
		}
		if v > 1<<32-1 {
			return 0, syntaxErr(-1, "ASCII85Decode group out of range")
		}
		full := []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
		a.out = append(a.out[:0], full[:k-1]...)
	}
	n := copy(b, a.out)
	a.out = a.out[n:]
	return n, nil
}

type runLengthReader struct {
	r    *bufio.Reader
	out  []byte
	buf  [128]byte
	done bool
}

func (rl *runLengthReader) Read(b []byte) (int, error) {
	for len(rl.out) == 0 {
		if rl.done {
			return 0, io.EOF
		}
		c, err := rl.r.ReadByte()
		if err != nil || c == 128 {
			rl.done = true
			continue
		}
		if c < 128 {
			n, _ := io.ReadFull(rl.r, rl.buf[:int(c)+1])
			rl.out = rl.buf[:n]
			if n == 0 {
				rl.done = true
			}
			continue
		}
		v, err := rl.r.ReadByte()
		if err != nil {
			rl.done = true
			continue
		}
		n := 257 - int(c)
		for i := range n {
			rl.buf[i] = v
		}
		rl.out = rl.buf[:n]
	}
	n := copy(b, rl.out)
	rl.out = rl.out[n:]
	return n, nil
}

// lzwReader decodes PDF's LZW (MSB-first codes of 9 to 12 bits, 256 clear, 257 end), with the
// "early change" the PDF default asks for, which the standard library's decoder does not offer.
type lzwReader struct {
	r     *bufio.Reader
	early int
	bits  uint32
	nbits uint
	width uint
	tab   [][]byte
	prev  []byte
	out   []byte
	done  bool
}

func newLZWReader(r io.Reader, early bool) *lzwReader {
	z := &lzwReader{r: bufio.NewReader(r)}
	if early {
		z.early = 1
	}
	z.reset()
	return z
}

func (z *lzwReader) reset() {
	z.tab = z.tab[:0]
	for i := range 256 {
		z.tab = append(z.tab, []byte{byte(i)})
	}
	z.tab = append(z.tab, nil, nil)
	z.width = 9
	z.prev = nil
}

func (z *lzwReader) code() (int, bool) {
	for z.nbits < z.width {
		c, err := z.r.ReadByte()
		if err != nil {
			return 0, false
		}
		z.bits = z.bits<<8 | uint32(c)
		z.nbits += 8
	}
	v := int(z.bits>>(z.nbits-z.width)) & (1<<z.width - 1)
	z.nbits -= z.width
	return v, true
}

func (z *lzwReader) Read(b []byte) (int, error) {
	for len(z.out) == 0 {
		if z.done {
			return 0, io.EOF
		}
		c, ok := z.code()
		if !ok || c == 257 {
			z.done = true
			continue
		}
		if c == 256 {
			z.reset()
			continue
		}
		var entry []byte
		switch {
		case c < len(z.tab) && z.tab[c] != nil:
			entry = z.tab[c]
		case c == len(z.tab) && z.prev != nil:
			entry = append(append([]byte{}, z.prev...), z.prev[0])
		default:
			return 0, syntaxErr(-1, "bad LZW code %d", c)
		}
		if z.prev != nil && len(z.tab) < 4096 {
			z.tab = append(z.tab, append(append([]byte{}, z.prev...), entry[0]))
		}
		z.prev = entry
		switch n := len(z.tab) + z.early; {
		case n >= 2048:
			z.width = 12
		case n >= 1024:
			z.width = 11
		case n >= 512:
			z.width = 10
		}
		z.out = entry
	}
	n := copy(b, z.out)
	z.out = z.out[n:]
	return n, nil
}
