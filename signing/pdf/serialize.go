package pdf

import (
	"fmt"
	"math"
	"strconv"
)

// encoder serialises objects into buf. base is the absolute output offset of buf[0], so that
// placeholders learn where they were written; raw supplies the stored data of streams read from
// a file.
type encoder struct {
	buf   []byte
	base  int64
	raw   func(*Stream) ([]byte, error)
	depth int
}

// Marshal returns the PDF syntax of o: names escaped with #xx, strings escaped, reals without
// exponent, dictionaries in their own order. Placeholders in o record offsets relative to the
// returned slice.
func Marshal(o Object) ([]byte, error) {
	e := &encoder{}
	if err := e.object(o); err != nil {
		return nil, err
	}
	return e.buf, nil
}

func (e *encoder) object(o Object) error {
	e.depth++
	defer func() { e.depth-- }()
	if e.depth > 1000 {
		return fmt.Errorf("object nests deeper than 1000 (a cycle?): %w", ErrLimit)
	}
	switch v := o.(type) {
	case nil, Null:
		e.buf = append(e.buf, "null"...)
	case Bool:
		e.buf = strconv.AppendBool(e.buf, bool(v))
	case Integer:
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	case Real:
		e.buf = appendReal(e.buf, float64(v))
	case Name:
		e.buf = appendName(e.buf, v)
	case String:
		if v.Hex {
			e.buf = appendHex(e.buf, v.Value)
		} else {
			e.buf = appendLiteral(e.buf, v.Value)
		}
	case Ref:
		e.buf = fmt.Appendf(e.buf, "%d %d R", v.Num, v.Gen)
	case Array:
		e.buf = append(e.buf, '[')
		for i, x := range v {
			if i > 0 {
				e.buf = append(e.buf, ' ')
			}
			if err := e.object(x); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, ']')
	case *Dict:
		return e.dict(v)
	case *Stream:
		data := v.data
		if data == nil && v.Offset >= 0 {
			if e.raw == nil {
				return fmt.Errorf("stream at %d: its data lives in a file", v.Offset)
			}
			var err error
			if data, err = e.raw(v); err != nil {
				return err
			}
		}
		d := v.Dict.Clone()
		d.Set("Length", Integer(len(data)))
		if err := e.dict(d); err != nil {
			return err
		}
		e.buf = append(e.buf, "\nstream\n"...)
		e.buf = append(e.buf, data...)
		e.buf = append(e.buf, "\nendstream"...)
	case Raw:
		e.buf = append(e.buf, v...)
	case *Placeholder:
		v.Start = e.base + int64(len(e.buf))
		e.buf = append(e.buf, v.Text...)
		v.End = e.base + int64(len(e.buf))
	default:
		return fmt.Errorf("cannot serialise %T", o)
	}
	return nil
}

func (e *encoder) dict(d *Dict) error {
	e.buf = append(e.buf, "<<"...)
	for _, en := range d.Entries {
		if en.Value == nil {
			continue
		}
		e.buf = append(e.buf, ' ')
		e.buf = appendName(e.buf, en.Key)
		e.buf = append(e.buf, ' ')
		if err := e.object(en.Value); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, " >>"...)
	return nil
}

// appendReal writes a real in fixed notation: PDF has no exponent syntax.
func appendReal(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, '0')
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if s == "-0" {
		s = "0"
	}
	return append(b, s...)
}

func appendName(b []byte, n Name) []byte {
	b = append(b, '/')
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c < 0x21 || c > 0x7e || c == '#' || isDelim(c) {
			b = fmt.Appendf(b, "#%02X", c)
			continue
		}
		b = append(b, c)
	}
	return b
}

func appendHex(b []byte, v []byte) []byte {
	const digits = "0123456789ABCDEF"
	b = append(b, '<')
	for _, c := range v {
		b = append(b, digits[c>>4], digits[c&15])
	}
	return append(b, '>')
}

// appendLiteral escapes every parenthesis and backslash (so that balance never matters) and
// writes end-of-line and other control bytes as escapes, since readers normalise raw ones.
func appendLiteral(b []byte, v []byte) []byte {
	b = append(b, '(')
	for _, c := range v {
		switch c {
		case '(', ')', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			if c < 0x20 || c == 0x7f {
				b = fmt.Appendf(b, "\\%03o", c)
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, ')')
}
