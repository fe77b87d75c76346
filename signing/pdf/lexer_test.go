package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// byteHexString is hexString as it was before it scanned windows in bulk: one byte at a time
// through at. The bulk version must agree with it on the value, the span, the error and where
// the lexer is left.
func byteHexString(l *lexer) (Object, error) {
	start := l.pos
	l.pos++ // <
	var out []byte
	var hi byte
	half := false
	for {
		c, ok := l.peek()
		if !ok {
			l.pos = start
			return nil, l.errorf("unterminated hex string")
		}
		l.pos++
		if c == '>' {
			break
		}
		if isWhite(c) {
			continue
		}
		v, ok := unhex(c)
		if !ok {
			l.pos--
			return nil, l.errorf("invalid character %q in hex string", c)
		}
		if half {
			out = append(out, hi<<4|v)
			if int64(len(out)) > l.maxStr {
				return nil, limitErr("string at %d longer than %d bytes", start, l.maxStr)
			}
		} else {
			hi = v
		}
		half = !half
	}
	if half {
		out = append(out, hi<<4)
	}
	s, e := l.span(start)
	return String{Value: out, Hex: true, Start: s, End: e}, nil
}

// shortReaderAt ends the source early: reads past cut return what lies before it and io.EOF,
// as a truncated or failing file would.
type shortReaderAt struct {
	b   []byte
	cut int64
}

func (r shortReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= r.cut {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, r.b[off:min(r.cut, int64(len(r.b)))])
	if n < len(p) {
		return n, io.ErrUnexpectedEOF
	}
	return n, nil
}

// compareHexString lexes the hex string at off of data both ways, from a file (after loading
// the window at warm, so that the string can start anywhere in a window) and from memory.
func compareHexString(t *testing.T, data []byte, off, warm, cut, maxStr int64) {
	t.Helper()
	opts := &Options{MaxDepth: 10, MaxDecodedSize: maxStr}
	type result struct {
		obj       Object
		err       string
		pos, size int64
	}
	run := func(l *lexer, lex func(*lexer) (Object, error)) result {
		l.at(warm)
		l.pos = off
		o, err := lex(l)
		r := result{obj: o, pos: l.pos, size: l.size}
		if err != nil {
			r.err = err.Error()
		}
		return r
	}
	lexers := map[string]func() *lexer{
		"file": func() *lexer {
			return newFileLexer(shortReaderAt{data, cut}, int64(len(data)), opts)
		},
		"bytes": func() *lexer { return newBytesLexer(data, opts) },
	}
	for name, newLexer := range lexers {
		got := run(newLexer(), (*lexer).hexString)
		want := run(newLexer(), byteHexString)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s lexer, string at %d (window at %d, cut at %d, max %d):\ngot  %+v\nwant %+v",
				name, off, warm, cut, maxStr, got, want)
		}
	}
}

func TestHexStringMatchesByteLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	digits := "0123456789abcdefABCDEF"
	body := func(n int, extra string) string {
		var b strings.Builder
		for range n {
			if rng.IntN(16) == 0 {
				b.WriteByte(extra[rng.IntN(len(extra))])
				continue
			}
			b.WriteByte(digits[rng.IntN(len(digits))])
		}
		return b.String()
	}
	bodies := []string{
		"", " ", "0", "4", "00ff", "00f", " 0 0\nf\tf\r\f\x00", "zz", "0g", "00 g1",
		body(100, " \n"), body(window-3, "\r\n"), body(window*2+1, " "), body(3*window, "\n"),
		body(window+10, " x"), body(5000, ">"), // an early '>' ends the string
	}
	for _, b := range bodies {
		for _, close := range []string{">", ""} {
			for _, pad := range []int64{0, 1, window - 2, window - 1, window, window + 5} {
				data := []byte(strings.Repeat(" ", int(pad)) + "<" + b + close + " tail")
				size := int64(len(data))
				for _, warm := range []int64{0, pad, max(pad-window/2, 0), size + 1} {
					for _, cut := range []int64{size, pad + 1 + int64(len(b))/2, pad + window} {
						for _, maxStr := range []int64{1 << 20, 0, 1, int64(len(b)) / 4, window / 2} {
							compareHexString(t, data, pad, warm, cut, maxStr)
						}
					}
				}
			}
		}
	}
}

func TestHexStringSpan(t *testing.T) {
	// The verifier cuts /Contents out of the signed bytes by this span: it must run from '<' to
	// just past '>', across windows as within one.
	for _, n := range []int{0, 10, window, 3 * window} {
		data := []byte("/Contents <" + strings.Repeat("0", n) + ">\n/Next")
		l := newFileLexer(bytes.NewReader(data), int64(len(data)), &Options{MaxDepth: 10, MaxDecodedSize: 1 << 30})
		l.pos = int64(len("/Contents "))
		o, err := l.hexString()
		if err != nil {
			t.Fatal(err)
		}
		s := o.(String)
		if s.Start != 10 || s.End != int64(len(data)-len("\n/Next")) || len(s.Value) != n/2 {
			t.Fatalf("%d digits: span [%d,%d) of %d bytes, %d bytes decoded", n, s.Start, s.End, len(data), len(s.Value))
		}
		if data[s.Start] != '<' || data[s.End-1] != '>' {
			t.Fatalf("%d digits: span %q…%q", n, data[s.Start], data[s.End-1])
		}
	}
}

func TestHexStringLimit(t *testing.T) {
	data := []byte("<" + strings.Repeat("ab", 100) + ">")
	l := newBytesLexer(data, &Options{MaxDepth: 10, MaxDecodedSize: 50})
	if _, err := l.hexString(); !errors.Is(err, ErrLimit) {
		t.Fatalf("101 bytes past a limit of 50: %v, want ErrLimit", err)
	}
}

// FuzzHexString checks the bulk hex string scanner against the byte loop on arbitrary bytes,
// read from a file whose window can start anywhere before the string.
func FuzzHexString(f *testing.F) {
	f.Add([]byte("<00ff>"), uint16(0), uint16(0))
	f.Add([]byte("< 0 1 2 g >"), uint16(1), uint16(3))
	f.Add([]byte("<"+strings.Repeat("a", window+3)), uint16(2), uint16(window))
	f.Fuzz(func(t *testing.T, data []byte, warm, maxStr uint16) {
		if len(data) == 0 || data[0] != '<' {
			data = append([]byte("<"), data...)
		}
		compareHexString(t, data, 0, int64(warm)%int64(len(data)), int64(len(data)), int64(maxStr))
	})
}

func BenchmarkHexString(b *testing.B) {
	// A PAdES /Contents: 16 KiB of reserved signature space, mostly zero padding.
	data := []byte(fmt.Sprintf("<%s%s>", strings.Repeat("3082", 2000), strings.Repeat("0", 16<<10-8000)))
	opts := &Options{MaxDepth: 10, MaxDecodedSize: 1 << 30}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		l := newFileLexer(bytes.NewReader(data), int64(len(data)), opts)
		if _, err := l.hexString(); err != nil {
			b.Fatal(err)
		}
	}
}
