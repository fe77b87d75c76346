package pdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"unicode/utf16"
)

// Object is a PDF object: Null, Bool, Integer, Real, String, Name, Array, *Dict, *Stream, Ref,
// or, only on the writing side, *Placeholder and Raw.
type Object interface {
	isObject()
}

// Null is the PDF null object.
type Null struct{}

// Bool is a PDF boolean.
type Bool bool

// Integer is a PDF integer.
type Integer int64

// Real is a PDF real number.
type Real float64

// Name is a PDF name without its leading slash, with #xx escapes decoded.
type Name string

// Array is a PDF array.
type Array []Object

// Ref is an indirect reference "Num Gen R".
type Ref struct {
	Num uint32
	Gen uint16
}

func (r Ref) String() string { return fmt.Sprintf("%d %d R", r.Num, r.Gen) }

// String is a PDF string, literal or hexadecimal. Value holds the decoded bytes (escapes and hex
// digits resolved; encrypted files keep their encrypted bytes). For a string parsed directly from
// the file, Start and End are the byte offsets of the token, delimiters included ("(" .. ")" or
// "<" .. ">"), so that a verifier can locate a signature's /Contents; for strings from object
// streams or built in memory both are -1.
type String struct {
	Value []byte
	Hex   bool
	Start int64
	End   int64
}

// NewString returns a literal string built in memory.
func NewString(s string) String { return String{Value: []byte(s), Start: -1, End: -1} }

// NewTextString returns a text string: literal ASCII when s is ASCII, otherwise UTF-16BE with
// a byte-order mark, which every PDF version reads.
func NewTextString(s string) String {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return NewString(s)
	}
	b := []byte{0xfe, 0xff}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return String{Value: b, Start: -1, End: -1}
}

// NewHexString returns a hexadecimal string built in memory.
func NewHexString(b []byte) String { return String{Value: b, Hex: true, Start: -1, End: -1} }

// Stream is a stream object: its dictionary and where its raw (still encoded) data lies. Offset and
// Length locate the data in the file; Length is the length actually found, which may differ from
// a dishonest /Length entry. Use File.Decode to read the data.
type Stream struct {
	Dict   *Dict
	Offset int64
	Length int64
	// data holds the raw bytes of a stream built in memory for writing.
	data []byte
}

// NewStream returns a stream built in memory for writing; the writer sets /Length. data is written
// as given, so the dictionary's /Filter must describe it.
func NewStream(d *Dict, data []byte) *Stream {
	if d == nil {
		d = &Dict{}
	}
	return &Stream{Dict: d, Offset: -1, Length: int64(len(data)), data: data}
}

// NewFlateStream returns a stream built in memory whose data is data compressed with
// FlateDecode; d's /Filter and /DecodeParms are replaced.
func NewFlateStream(d *Dict, data []byte) *Stream {
	var b bytes.Buffer
	w, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
	w.Write(data)
	w.Close()
	if d == nil {
		d = &Dict{}
	} else {
		d = d.Clone()
	}
	d.Delete("DecodeParms")
	d.Set("Filter", Name("FlateDecode"))
	return NewStream(d, b.Bytes())
}

// Raw is pre-serialised PDF syntax written verbatim by the writer. The caller vouches for it.
type Raw []byte

// Placeholder is written verbatim by the writer, which then records in Start and End the absolute
// output offsets of its first byte and of the byte after it. A signer uses it for a signature's
// /Contents and /ByteRange, then overwrites those bytes in place with a value of the same width.
type Placeholder struct {
	Text  []byte
	Start int64
	End   int64
}

// NewContentsPlaceholder returns a hex string placeholder "<00…00>" reserving n bytes of content
// (2n hex digits, 2n+2 bytes written).
func NewContentsPlaceholder(n int) *Placeholder {
	t := make([]byte, 2*n+2)
	t[0] = '<'
	for i := 1; i < len(t)-1; i++ {
		t[i] = '0'
	}
	t[len(t)-1] = '>'
	return &Placeholder{Text: t, Start: -1, End: -1}
}

// byteRangeWidth is the width reserved for each of the last three /ByteRange numbers: ten digits
// cover any file below 10 GB.
const byteRangeWidth = 10

// NewByteRangePlaceholder returns "[0 ********** ********** **********]", to be overwritten with
// FormatByteRange once the offsets are known.
func NewByteRangePlaceholder() *Placeholder {
	t := []byte("[0 ")
	for i := range 3 {
		for range byteRangeWidth {
			t = append(t, '*')
		}
		if i < 2 {
			t = append(t, ' ')
		}
	}
	t = append(t, ']')
	return &Placeholder{Text: t, Start: -1, End: -1}
}

// FormatByteRange formats a /ByteRange array to exactly width bytes (the width of the placeholder
// it replaces), padding with spaces before the closing bracket.
func FormatByteRange(width int, r [4]int64) ([]byte, error) {
	b := fmt.Appendf(nil, "[%d %d %d %d", r[0], r[1], r[2], r[3])
	if len(b)+1 > width {
		return nil, fmt.Errorf("byte range %v needs %d bytes, placeholder has %d", r, len(b)+1, width)
	}
	for len(b) < width-1 {
		b = append(b, ' ')
	}
	return append(b, ']'), nil
}

func (Null) isObject()         {}
func (Bool) isObject()         {}
func (Integer) isObject()      {}
func (Real) isObject()         {}
func (Name) isObject()         {}
func (Array) isObject()        {}
func (Ref) isObject()          {}
func (String) isObject()       {}
func (*Dict) isObject()        {}
func (*Stream) isObject()      {}
func (Raw) isObject()          {}
func (*Placeholder) isObject() {}

// DictEntry is one key and value of a dictionary.
type DictEntry struct {
	Key   Name
	Value Object
}

// Dict is a PDF dictionary that keeps its keys in the order they were read or set, so that a
// rewritten dictionary looks like the original to a person comparing them.
type Dict struct {
	Entries []DictEntry
}

// NewDict returns a dictionary from alternating keys and values; it panics on a malformed list,
// which is a programming error, never input.
func NewDict(kv ...any) *Dict {
	if len(kv)%2 != 0 {
		panic("pdf.NewDict: odd number of arguments")
	}
	d := &Dict{}
	for i := 0; i < len(kv); i += 2 {
		var k Name
		switch key := kv[i].(type) {
		case Name:
			k = key
		case string:
			k = Name(key)
		default:
			panic("pdf.NewDict: key is not a name")
		}
		v, ok := kv[i+1].(Object)
		if !ok {
			panic("pdf.NewDict: value is not an Object")
		}
		d.Set(k, v)
	}
	return d
}

// Get returns the value of key, or nil when absent. A PDF null value is returned as Null{}.
func (d *Dict) Get(key Name) Object {
	if d == nil {
		return nil
	}
	for i := range d.Entries {
		if d.Entries[i].Key == key {
			return d.Entries[i].Value
		}
	}
	return nil
}

// Has reports whether key is present (even with a null value).
func (d *Dict) Has(key Name) bool {
	return d.Get(key) != nil
}

// Set replaces the value of key in place, or appends it.
func (d *Dict) Set(key Name, v Object) {
	for i := range d.Entries {
		if d.Entries[i].Key == key {
			d.Entries[i].Value = v
			return
		}
	}
	d.Entries = append(d.Entries, DictEntry{key, v})
}

// Delete removes key.
func (d *Dict) Delete(key Name) {
	for i := range d.Entries {
		if d.Entries[i].Key == key {
			d.Entries = append(d.Entries[:i], d.Entries[i+1:]...)
			return
		}
	}
}

// Len returns the number of entries.
func (d *Dict) Len() int {
	if d == nil {
		return 0
	}
	return len(d.Entries)
}

// Keys returns the keys in order.
func (d *Dict) Keys() []Name {
	if d == nil {
		return nil
	}
	ks := make([]Name, len(d.Entries))
	for i, e := range d.Entries {
		ks[i] = e.Key
	}
	return ks
}

// Clone returns a shallow copy whose entry list can be changed without touching d.
func (d *Dict) Clone() *Dict {
	if d == nil {
		return &Dict{}
	}
	return &Dict{Entries: append([]DictEntry(nil), d.Entries...)}
}

// Name returns the value of key if it is a name.
func (d *Dict) Name(key Name) (Name, bool) {
	n, ok := d.Get(key).(Name)
	return n, ok
}

// Int returns the value of key if it is an integer.
func (d *Dict) Int(key Name) (int64, bool) {
	n, ok := d.Get(key).(Integer)
	return int64(n), ok
}

// Ref returns the value of key if it is an indirect reference.
func (d *Dict) Ref(key Name) (Ref, bool) {
	r, ok := d.Get(key).(Ref)
	return r, ok
}

// Number returns the numeric value of an Integer or Real.
func Number(o Object) (float64, bool) {
	switch v := o.(type) {
	case Integer:
		return float64(v), true
	case Real:
		return float64(v), true
	}
	return 0, false
}
