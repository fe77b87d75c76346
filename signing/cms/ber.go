package cms

import "fmt"

// Limits on what the BER normaliser accepts. A PDF signature with embedded revocation data is
// rarely above a few megabytes; the limits leave room for that and stop hostile input from
// exhausting the stack or memory.
const (
	MaxSize     = 32 << 20 // bytes of input accepted by Parse
	maxDepth    = 64       // nesting of constructed elements
	maxElements = 1 << 20  // elements in one structure
)

// berNode is one element of the input: primitive (content set) or constructed (kids set).
type berNode struct {
	tag     []byte // identifier octets, constructed bit as it will be written
	content []byte // primitive content (for flattened strings, the concatenation)
	kids    []*berNode
	prim    bool
	size    int // length of the normalised content
}

type berParser struct {
	elements int
}

// toDER rewrites one BER element at the start of b as DER-length encoding: indefinite lengths
// become definite, lengths become minimal, and constructed universal strings (OCTET STRING cut
// into chunks, as streaming encoders write them) become primitive. It does not sort SETs or
// re-encode values: the bytes a signature covers (signed attributes) are DER already, and
// rewriting them would break what was signed.
//
// Bytes after the element are ignored: PDF /Contents holes are padded with zeros, and some
// signers leave other junk there (seen in the DSS corpus), which no signature covers anyway.
// trailing counts them, leaving out a run of zeros at the end.
func toDER(b []byte) (der []byte, trailing int, err error) {
	if len(b) > MaxSize {
		return nil, 0, fmt.Errorf("input of %d bytes exceeds the %d byte limit", len(b), MaxSize)
	}
	// Most signatures are DER already: check that without building anything, and only
	// rebuild what is not.
	if end, ok := derElement(b, 0); ok {
		rest := b[end:]
		trailing = len(rest)
		for trailing > 0 && rest[trailing-1] == 0 {
			trailing--
		}
		// A copy, so that what Parse returns does not change when the caller reuses its buffer.
		out := make([]byte, end)
		copy(out, b)
		return out, trailing, nil
	}
	p := &berParser{}
	n, rest, err := p.element(b, 0)
	if err != nil {
		return nil, 0, err
	}
	trailing = len(rest)
	for trailing > 0 && rest[trailing-1] == 0 {
		trailing--
	}
	out := make([]byte, 0, n.size+8)
	return n.write(out), trailing, nil
}

// header reads the identifier and length octets. length is -1 for the indefinite form.
func berHeader(b []byte) (tag []byte, constructed bool, universal int, length int, hdr int, err error) {
	if len(b) < 2 {
		return nil, false, 0, 0, 0, fmt.Errorf("truncated element header")
	}
	i := 1
	universal = -1
	if b[0]&0x1f == 0x1f {
		// High tag number: base-128 continuation octets; four are plenty for any real tag.
		for {
			if i >= len(b) {
				return nil, false, 0, 0, 0, fmt.Errorf("truncated tag")
			}
			if i > 4 {
				return nil, false, 0, 0, 0, fmt.Errorf("tag number too large")
			}
			c := b[i]
			i++
			if c&0x80 == 0 {
				break
			}
		}
	} else if b[0]&0xc0 == 0 {
		universal = int(b[0] & 0x1f)
	}
	tag = b[:i]
	constructed = b[0]&0x20 != 0
	if i >= len(b) {
		return nil, false, 0, 0, 0, fmt.Errorf("truncated length")
	}
	l := b[i]
	i++
	switch {
	case l < 0x80:
		length = int(l)
	case l == 0x80:
		if !constructed {
			return nil, false, 0, 0, 0, fmt.Errorf("indefinite length on a primitive element")
		}
		length = -1
	case l == 0xff:
		return nil, false, 0, 0, 0, fmt.Errorf("reserved length octet")
	default:
		n := int(l & 0x7f)
		if n > 4 {
			return nil, false, 0, 0, 0, fmt.Errorf("length of %d octets too large", n)
		}
		if i+n > len(b) {
			return nil, false, 0, 0, 0, fmt.Errorf("truncated length")
		}
		for _, c := range b[i : i+n] {
			length = length<<8 | int(c)
		}
		i += n
		if length < 0 || length > MaxSize {
			return nil, false, 0, 0, 0, fmt.Errorf("length %d too large", length)
		}
	}
	if length > len(b)-i {
		return nil, false, 0, 0, 0, fmt.Errorf("length %d exceeds the %d bytes left", length, len(b)-i)
	}
	return tag, constructed, universal, length, i, nil
}

// isStringType reports the universal types whose constructed form is a chunked primitive.
func isStringType(t int) bool {
	switch t {
	case 3, 4, 12, 18, 19, 20, 21, 22, 25, 26, 27, 28, 30: // BIT, OCTET and character strings
		return true
	}
	return false
}

func (p *berParser) element(b []byte, depth int) (*berNode, []byte, error) {
	if depth > maxDepth {
		return nil, nil, fmt.Errorf("nesting deeper than %d", maxDepth)
	}
	p.elements++
	if p.elements > maxElements {
		return nil, nil, fmt.Errorf("more than %d elements", maxElements)
	}
	tag, constructed, universal, length, hdr, err := berHeader(b)
	if err != nil {
		return nil, nil, err
	}
	if universal == 0 {
		return nil, nil, fmt.Errorf("unexpected end-of-contents or reserved tag 0")
	}
	body := b[hdr:]
	if !constructed {
		n := &berNode{tag: tag, content: body[:length], prim: true, size: length}
		return n, body[length:], nil
	}
	n := &berNode{tag: tag}
	var rest []byte
	if length >= 0 {
		inner := body[:length]
		rest = body[length:]
		for len(inner) > 0 {
			k, r, err := p.element(inner, depth+1)
			if err != nil {
				return nil, nil, err
			}
			n.kids = append(n.kids, k)
			inner = r
		}
	} else {
		cur := body
		for {
			if len(cur) < 2 {
				return nil, nil, fmt.Errorf("missing end-of-contents")
			}
			if cur[0] == 0 && cur[1] == 0 {
				rest = cur[2:]
				break
			}
			k, r, err := p.element(cur, depth+1)
			if err != nil {
				return nil, nil, err
			}
			n.kids = append(n.kids, k)
			cur = r
		}
	}
	if universal > 0 && isStringType(universal) {
		if err := n.flatten(byte(universal)); err != nil {
			return nil, nil, err
		}
		return n, rest, nil
	}
	for _, k := range n.kids {
		n.size += headerLen(len(k.tag), k.size) + k.size
	}
	return n, rest, nil
}

// flatten joins the chunks of a constructed string into one primitive value. Chunks were
// flattened already (they may be constructed themselves), so each is primitive here.
func (n *berNode) flatten(universal byte) error {
	total := 0
	for _, k := range n.kids {
		if len(k.tag) != 1 || k.tag[0]&0x1f != universal || !k.prim {
			return fmt.Errorf("chunk of a constructed string has a different type")
		}
		total += len(k.content)
	}
	var out []byte
	if universal == 3 {
		// BIT STRING chunks each start with their unused-bit count; only the last may be non-zero.
		out = make([]byte, 1, total+1)
		for i, k := range n.kids {
			if len(k.content) == 0 {
				return fmt.Errorf("empty bit string chunk")
			}
			if k.content[0] != 0 && i != len(n.kids)-1 {
				return fmt.Errorf("unused bits in a bit string chunk other than the last")
			}
			out[0] = k.content[0]
			out = append(out, k.content[1:]...)
		}
	} else {
		out = make([]byte, 0, total)
		for _, k := range n.kids {
			out = append(out, k.content...)
		}
	}
	n.tag = []byte{n.tag[0] &^ 0x20}
	n.content = out
	n.kids = nil
	n.prim = true
	n.size = len(out)
	return nil
}

func headerLen(tagLen, size int) int {
	switch {
	case size < 0x80:
		return tagLen + 1
	case size < 0x100:
		return tagLen + 2
	case size < 0x10000:
		return tagLen + 3
	case size < 0x1000000:
		return tagLen + 4
	}
	return tagLen + 5
}

func appendLength(out []byte, size int) []byte {
	switch {
	case size < 0x80:
		return append(out, byte(size))
	case size < 0x100:
		return append(out, 0x81, byte(size))
	case size < 0x10000:
		return append(out, 0x82, byte(size>>8), byte(size))
	case size < 0x1000000:
		return append(out, 0x83, byte(size>>16), byte(size>>8), byte(size))
	}
	return append(out, 0x84, byte(size>>24), byte(size>>16), byte(size>>8), byte(size))
}

func (n *berNode) write(out []byte) []byte {
	out = append(out, n.tag...)
	out = appendLength(out, n.size)
	if n.prim {
		return append(out, n.content...)
	}
	for _, k := range n.kids {
		out = k.write(out)
	}
	return out
}

// derElement reports whether the element at the start of b is encoded as toDER would write it
// (definite minimal lengths, no constructed strings) and where it ends. It allocates nothing.
func derElement(b []byte, depth int) (int, bool) {
	if depth > maxDepth {
		return 0, false
	}
	tag, constructed, universal, length, hdr, err := berHeader(b)
	if err != nil || length < 0 || universal == 0 || headerLen(len(tag), length) != hdr {
		return 0, false
	}
	end := hdr + length
	if !constructed {
		return end, true
	}
	if universal > 0 && isStringType(universal) {
		return 0, false
	}
	inner := b[hdr:end]
	for len(inner) > 0 {
		n, ok := derElement(inner, depth+1)
		if !ok {
			return 0, false
		}
		inner = inner[n:]
	}
	return end, true
}
