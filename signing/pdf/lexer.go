package pdf

import (
	"bytes"
	"io"
	"strconv"
	"sync"
)

// window is how much the lexer reads from the file at a time: large enough that parsing an object
// is one or two reads, small enough that memory does not depend on the file.
const window = 8 << 10

// lexer reads PDF syntax at arbitrary offsets of a source. Sources are either the file (through
// io.ReaderAt, windowed) or decoded bytes held in memory (object streams), in which case string
// spans are not file offsets and are reported as -1.
type lexer struct {
	r        io.ReaderAt
	size     int64
	pos      int64
	buf      []byte
	bufOff   int64
	inFile   bool
	maxDepth int
	maxStr   int64
	// items counts array elements and dictionary entries read since the last reset: one object
	// of fifty million integers would otherwise cost gigabytes.
	items int
}

// maxItems bounds the elements and entries of one parsed object. Real files stay far below it
// (the largest arrays are flat /Kids or /Nums of some thousands).
const maxItems = 1 << 20

func (l *lexer) countItem() error {
	l.items++
	if l.items > maxItems {
		return limitErr("object at %d holds more than %d elements", l.pos, maxItems)
	}
	return nil
}

func newFileLexer(r io.ReaderAt, size int64, opts *Options) *lexer {
	return &lexer{r: r, size: size, inFile: true, maxDepth: opts.MaxDepth, maxStr: opts.MaxDecodedSize, bufOff: -1}
}

func newBytesLexer(b []byte, opts *Options) *lexer {
	return &lexer{size: int64(len(b)), buf: b, bufOff: 0, maxDepth: opts.MaxDepth, maxStr: opts.MaxDecodedSize}
}

// at returns the byte at p, or false past the end of the source.
func (l *lexer) at(p int64) (byte, bool) {
	if p < 0 || p >= l.size {
		return 0, false
	}
	if l.bufOff < 0 || p < l.bufOff || p >= l.bufOff+int64(len(l.buf)) {
		if l.r == nil {
			return 0, false
		}
		n := min(int64(window), l.size-p)
		if int64(cap(l.buf)) < n {
			l.buf = make([]byte, min(window, l.size))
		}
		l.buf = l.buf[:n]
		m, err := l.r.ReadAt(l.buf, p)
		if m < int(n) {
			// A short read means the source ended early or failed: treat it as the end so that
			// no loop can spin on it.
			l.buf = l.buf[:m]
			if err != nil && m == 0 {
				l.size = p
				return 0, false
			}
		}
		l.bufOff = p
	}
	return l.buf[p-l.bufOff], true
}

func (l *lexer) peek() (byte, bool) { return l.at(l.pos) }

func (l *lexer) errorf(format string, args ...any) error {
	off := l.pos
	if !l.inFile {
		off = -1
	}
	return syntaxErr(off, format, args...)
}

func isWhite(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isRegular(c byte) bool { return !isWhite(c) && !isDelim(c) }

// skipSpace skips white space and comments.
func (l *lexer) skipSpace() {
	for {
		c, ok := l.peek()
		if !ok {
			return
		}
		if isWhite(c) {
			l.pos++
			continue
		}
		if c == '%' {
			for {
				c, ok := l.peek()
				if !ok || c == '\n' || c == '\r' {
					break
				}
				l.pos++
			}
			continue
		}
		return
	}
}

// regular reads a run of regular characters (a keyword, number or name body).
// It appends to b, so that callers can pass a stack buffer and parse numbers without allocating.
func (l *lexer) regular(b []byte, max int) []byte {
	for {
		c, ok := l.peek()
		if !ok || !isRegular(c) {
			return b
		}
		if len(b) < max {
			b = append(b, c)
		}
		l.pos++
	}
}

// keyword reads the next token if it is a keyword and returns it; the position is left unchanged
// when it is not.
func (l *lexer) keyword() string {
	l.skipSpace()
	start := l.pos
	var buf [64]byte
	b := l.regular(buf[:0], 64)
	if len(b) == 0 {
		l.pos = start
	}
	return string(b)
}

// expectKeyword consumes kw or fails.
func (l *lexer) expectKeyword(kw string) error {
	start := l.pos
	if got := l.keyword(); got != kw {
		l.pos = start
		return l.errorf("expected %q, found %q", kw, got)
	}
	return nil
}

// readInt reads an unsigned decimal integer token without allocating: cross-reference tables
// are long runs of them.
func (l *lexer) readInt() (int64, bool) {
	l.skipSpace()
	start := l.pos
	var n int64
	digits := 0
	for {
		c, ok := l.peek()
		if !ok || c < '0' || c > '9' {
			if ok && isRegular(c) {
				l.pos = start
				return 0, false
			}
			break
		}
		if n > (1<<62)/10 {
			l.pos = start
			return 0, false
		}
		n = n*10 + int64(c-'0')
		digits++
		l.pos++
	}
	if digits == 0 {
		l.pos = start
		return 0, false
	}
	return n, true
}

// object parses one direct object or reference. Streams are recognised by the caller, which
// knows whether it is reading an indirect object.
func (l *lexer) object(depth int) (Object, error) {
	if depth > l.maxDepth {
		return nil, limitErr("nesting deeper than %d at %d", l.maxDepth, l.pos)
	}
	l.skipSpace()
	c, ok := l.peek()
	if !ok {
		return nil, l.errorf("unexpected end of data")
	}
	switch {
	case c == '/':
		l.pos++
		return l.name()
	case c == '(':
		return l.literalString()
	case c == '<':
		if c2, _ := l.at(l.pos + 1); c2 == '<' {
			return l.dict(depth)
		}
		return l.hexString()
	case c == '[':
		return l.array(depth)
	case c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9'):
		return l.number()
	case isRegular(c):
		start := l.pos
		var buf [16]byte
		kw := string(l.regular(buf[:0], 16))
		switch kw {
		case "true":
			return Bool(true), nil
		case "false":
			return Bool(false), nil
		case "null":
			return Null{}, nil
		}
		l.pos = start
		return nil, l.errorf("unexpected keyword %q", kw)
	}
	return nil, l.errorf("unexpected character %q", c)
}

func (l *lexer) number() (Object, error) {
	var buf [64]byte
	b := l.regular(buf[:0], 64)
	if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		if n >= 0 && n <= 1<<32-1 {
			if r, ok := l.refAfter(uint32(n)); ok {
				return r, nil
			}
		}
		return Integer(n), nil
	}
	if f, ok := parseReal(b); ok {
		return Real(f), nil
	}
	// Writers emit things like "-1.#INF" or "0.00-5"; readers take such a token as 0 rather than
	// give up on the whole object, and so does this one.
	return Integer(0), nil
}

// parseReal accepts PDF reals ("-.5", "3.", "+1.25") and tolerates the doubled sign some writers
// emit ("--5"); exponents are not PDF syntax and are refused.
func parseReal(b []byte) (float64, bool) {
	if len(b) == 0 || bytes.ContainsAny(b, "eExXnN") {
		return 0, false
	}
	neg := false
	for len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = neg != (b[0] == '-')
		b = b[1:]
	}
	if len(b) == 0 || b[0] == '-' || b[0] == '+' {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, false
	}
	if neg {
		f = -f
	}
	return f, true
}

// refAfter looks past an integer for "G R"; it leaves the position after the R on success and
// after the integer otherwise.
func (l *lexer) refAfter(num uint32) (Ref, bool) {
	save := l.pos
	l.skipSpace()
	var buf [8]byte
	gb := l.regular(buf[:0], 8)
	if len(gb) == 0 || len(gb) > 5 {
		l.pos = save
		return Ref{}, false
	}
	g, err := strconv.ParseUint(string(gb), 10, 16)
	if err != nil {
		l.pos = save
		return Ref{}, false
	}
	l.skipSpace()
	if c, _ := l.peek(); c != 'R' {
		l.pos = save
		return Ref{}, false
	}
	if c, ok := l.at(l.pos + 1); ok && isRegular(c) {
		l.pos = save
		return Ref{}, false
	}
	l.pos++
	return Ref{Num: num, Gen: uint16(g)}, true
}

// notHex marks, in hexValue, a byte that is no hex digit.
const notHex = 0xff

// hexValue is the value of each hex digit, and notHex for every other byte.
var hexValue = func() (t [256]byte) {
	for i := range t {
		t[i] = notHex
	}
	for i := range 10 {
		t['0'+i] = byte(i)
	}
	for i := range 6 {
		t['a'+i], t['A'+i] = byte(10+i), byte(10+i)
	}
	return t
}()

func unhex(c byte) (byte, bool) {
	v := hexValue[c]
	return v, v != notHex
}

func (l *lexer) name() (Object, error) {
	var buf [64]byte
	raw := l.regular(buf[:0], 1<<16)
	if bytes.IndexByte(raw, '#') < 0 {
		return Name(raw), nil
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		if raw[i] == '#' && i+2 < len(raw) {
			h, ok1 := unhex(raw[i+1])
			lo, ok2 := unhex(raw[i+2])
			if ok1 && ok2 {
				out = append(out, h<<4|lo)
				i += 2
				continue
			}
		}
		out = append(out, raw[i])
	}
	return Name(out), nil
}

func (l *lexer) span(start int64) (int64, int64) {
	if !l.inFile {
		return -1, -1
	}
	return start, l.pos
}

func (l *lexer) literalString() (Object, error) {
	start := l.pos
	l.pos++ // (
	var out []byte
	nest := 1
	for {
		c, ok := l.peek()
		if !ok {
			l.pos = start
			return nil, l.errorf("unterminated string")
		}
		if int64(len(out)) > l.maxStr {
			return nil, limitErr("string at %d longer than %d bytes", start, l.maxStr)
		}
		l.pos++
		switch c {
		case '(':
			nest++
			out = append(out, c)
		case ')':
			nest--
			if nest == 0 {
				s, e := l.span(start)
				return String{Value: out, Start: s, End: e}, nil
			}
			out = append(out, c)
		case '\r':
			// An end of line inside a string reads as a single LF whatever was written.
			if c2, _ := l.peek(); c2 == '\n' {
				l.pos++
			}
			out = append(out, '\n')
		case '\\':
			e, ok := l.peek()
			if !ok {
				continue
			}
			l.pos++
			switch e {
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case '\r':
				if c2, _ := l.peek(); c2 == '\n' {
					l.pos++
				}
			case '\n':
			case '0', '1', '2', '3', '4', '5', '6', '7':
				v := int(e - '0')
				for range 2 {
					d, ok := l.peek()
					if !ok || d < '0' || d > '7' {
						break
					}
					v = v*8 + int(d-'0')
					l.pos++
				}
				out = append(out, byte(v))
			default:
				out = append(out, e)
			}
		default:
			out = append(out, c)
		}
	}
}

// rest returns the bytes from p to the end of the window that holds p (reading it if need be),
// or nil past the end of the source. Loops over long tokens scan it in bulk rather than calling
// at for every byte.
func (l *lexer) rest(p int64) []byte {
	if _, ok := l.at(p); !ok {
		return nil
	}
	// at may have shrunk size after the window was read; never hand out bytes past it.
	end := min(l.bufOff+int64(len(l.buf)), l.size)
	return l.buf[p-l.bufOff : end-l.bufOff]
}

// hexString reads "<...>". Signature /Contents are hex strings of several kilobytes, so it scans
// a window at a time: the closing '>' is found with IndexByte and the digits before it decoded
// in a tight loop. It reads the same windows and stops at the same byte as a loop over at would.
func (l *lexer) hexString() (Object, error) {
	start := l.pos
	l.pos++ // <
	var out []byte
	var hi byte
	half := false
	for {
		w := l.rest(l.pos)
		if len(w) == 0 {
			l.pos = start
			return nil, l.errorf("unterminated hex string")
		}
		closed := false
		if i := bytes.IndexByte(w, '>'); i >= 0 {
			w, closed = w[:i], true
		}
		for i := 0; i < len(w); i++ {
			// Digits first: they are nearly every byte, and no digit is white space.
			c := w[i]
			v := hexValue[c]
			if v == notHex {
				if isWhite(c) {
					continue
				}
				l.pos += int64(i)
				return nil, l.errorf("invalid character %q in hex string", c)
			}
			if !half {
				if i+1 == len(w) || hexValue[w[i+1]] == notHex {
					hi, half = v, true
					continue
				}
				// Two digits side by side, as nearly all are: one byte at once.
				hi, i = v, i+1
				v = hexValue[w[i]]
			}
			half = false
			if out == nil {
				// Sized for the digits in view; an empty string stays nil.
				hint := int64(len(w)-i)/2 + 1
				if hint > l.maxStr {
					hint = max(l.maxStr+1, 1)
				}
				out = make([]byte, 0, hint)
			}
			out = append(out, hi<<4|v)
			if int64(len(out)) > l.maxStr {
				l.pos += int64(i) + 1
				return nil, limitErr("string at %d longer than %d bytes", start, l.maxStr)
			}
		}
		l.pos += int64(len(w))
		if closed {
			l.pos++ // >
			break
		}
	}
	if half {
		out = append(out, hi<<4)
	}
	s, e := l.span(start)
	return String{Value: out, Hex: true, Start: s, End: e}, nil
}

func (l *lexer) array(depth int) (Object, error) {
	l.pos++ // [
	a := Array{}
	for {
		l.skipSpace()
		c, ok := l.peek()
		if !ok {
			return nil, l.errorf("unterminated array")
		}
		if c == ']' {
			l.pos++
			return a, nil
		}
		if err := l.countItem(); err != nil {
			return nil, err
		}
		o, err := l.object(depth + 1)
		if err != nil {
			return nil, err
		}
		a = append(a, o)
	}
}

func (l *lexer) dict(depth int) (Object, error) {
	l.pos += 2 // <<
	d := &Dict{}
	// Duplicate keys keep the last value in the first key's place. Large dictionaries find
	// duplicates through a map, since Set's linear search would make them quadratic.
	var index map[Name]int
	set := func(k Name, v Object) {
		if len(d.Entries) < 32 {
			d.Set(k, v)
			return
		}
		if index == nil {
			index = make(map[Name]int, 64)
			for i, e := range d.Entries {
				index[e.Key] = i
			}
		}
		if i, ok := index[k]; ok {
			d.Entries[i].Value = v
			return
		}
		index[k] = len(d.Entries)
		d.Entries = append(d.Entries, DictEntry{k, v})
	}
	for {
		l.skipSpace()
		c, ok := l.peek()
		if !ok {
			return nil, l.errorf("unterminated dictionary")
		}
		if c == '>' {
			if c2, _ := l.at(l.pos + 1); c2 == '>' {
				l.pos += 2
				return d, nil
			}
			return nil, l.errorf("unexpected '>' in dictionary")
		}
		if c != '/' {
			return nil, l.errorf("dictionary key is not a name")
		}
		l.pos++
		if err := l.countItem(); err != nil {
			return nil, err
		}
		k, _ := l.name()
		l.skipSpace()
		if c, _ := l.peek(); c == '>' {
			// "/Key >>": a missing value reads as null rather than failing the whole object.
			set(k.(Name), Null{})
			continue
		}
		v, err := l.object(depth + 1)
		if err != nil {
			return nil, err
		}
		set(k.(Name), v)
	}
}

// scanChunks holds the 64 KiB buffers index reads a file through: one search
// after another (every startxref, every %%EOF) would otherwise allocate one
// each.
var scanChunks = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// index returns the offset of the first occurrence of pat at or after from and before limit, or -1.
func (l *lexer) index(from, limit int64, pat []byte) int64 {
	if limit > l.size {
		limit = l.size
	}
	if l.r == nil {
		if from < 0 || from >= limit {
			return -1
		}
		i := bytes.Index(l.buf[from:limit], pat)
		if i < 0 {
			return -1
		}
		return from + int64(i)
	}
	if from < 0 || from >= limit {
		return -1
	}
	cp := scanChunks.Get().(*[]byte)
	defer scanChunks.Put(cp)
	chunk := (*cp)[:min(int64(len(*cp)), limit-from)]
	for from < limit {
		n := min(int64(len(chunk)), limit-from)
		m, _ := l.r.ReadAt(chunk[:n], from)
		if m <= 0 {
			return -1
		}
		if i := bytes.Index(chunk[:m], pat); i >= 0 {
			return from + int64(i)
		}
		if int64(m) < n {
			return -1
		}
		// Overlap by len(pat)-1 so that a match across chunks is not missed.
		adv := int64(m) - int64(len(pat)) + 1
		if adv <= 0 {
			return -1
		}
		from += adv
	}
	return -1
}
