package edxml

import (
	"bufio"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"docgate/gateway"
)

// Options bounds the reader and receives the attachments. The zero value
// applies the defaults named on each field and discards attachments (their
// base64 is still checked and their size counted).
type Options struct {
	// Attachment, when set, is called once per attachment with its metadata
	// and a reader of its decoded bytes. The reader streams from the input:
	// it is valid only during the call, and whatever the callback does not
	// read is drained afterwards. An error returned by the callback aborts
	// the parse.
	Attachment func(att AttachmentInfo, r io.Reader) error

	MaxDepth           int   // element nesting; default 32
	MaxElements        int   // elements in the whole package; default 20000
	MaxText            int   // bytes of text in one element; default 256 KiB
	MaxHeaderBytes     int64 // input bytes outside attachment contents; default 8 MiB
	MaxRecipients      int   // To elements; default 1000
	MaxAttachments     int   // Attachment elements; default 100
	MaxAttachmentBytes int64 // decoded bytes of one attachment; default 512 MiB
	MaxTotalBytes      int64 // decoded bytes of all attachments; default 2 GiB
}

func (o Options) withDefaults() Options {
	if o.MaxDepth <= 0 {
		o.MaxDepth = 32
	}
	if o.MaxElements <= 0 {
		o.MaxElements = 20000
	}
	if o.MaxText <= 0 {
		o.MaxText = 256 << 10
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = 8 << 20
	}
	if o.MaxRecipients <= 0 {
		o.MaxRecipients = 1000
	}
	if o.MaxAttachments <= 0 {
		o.MaxAttachments = 100
	}
	if o.MaxAttachmentBytes <= 0 {
		o.MaxAttachmentBytes = 512 << 20
	}
	if o.MaxTotalBytes <= 0 {
		o.MaxTotalBytes = 2 << 30
	}
	return o
}

// node is one element of the small tree the reader builds of everything but
// attachment contents, matched later by local name so that prefixes and
// namespaces written differently by different systems do not matter.
type node struct {
	local  string
	text   []byte
	kids   []*node
	parent *node
	line   int
	raw    []byte // the Signature element's exact bytes
	size   int64  // ContentTransferEncoded: decoded bytes
	closed bool   // its end tag has been read
}

func (n *node) child(local string) *node {
	if n == nil {
		return nil
	}
	for _, k := range n.kids {
		if k.local == local {
			return k
		}
	}
	return nil
}

func (n *node) children(local string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, k := range n.kids {
		if k.local == local {
			out = append(out, k)
		}
	}
	return out
}

// str is the cleaned text of the first child named local: trimmed, and ""
// for the "N/A" that some systems write into fields they have no value for.
func (n *node) str(local string) string {
	return n.child(local).value()
}

func (n *node) value() string {
	if n == nil {
		return ""
	}
	s := strings.TrimSpace(string(n.text))
	if strings.EqualFold(s, "N/A") {
		return ""
	}
	return s
}

// headerTooLarge is returned by source when the bytes outside attachment
// contents exceed their budget.
type headerTooLarge struct{}

func (headerTooLarge) Error() string { return "edXML header budget exceeded" }

// source hands bytes to the XML decoder one at a time. Because it is an
// io.ByteReader the decoder reads nothing ahead of the token it returns, so
// after the start tag of ContentTransferEncoded the parser can take over the
// same source and stream the base64 text without the decoder ever buffering
// it; the text reader then pushes back the '<' of the end tag. It also counts
// lines (the decoder's own count misses the bytes it did not see), enforces
// the header budget and records the bytes of the current token so that the
// Signature element can be kept exactly as written.
type source struct {
	br       *bufio.Reader
	pending  []byte // pushed-back bytes, last in first out
	pos      int64
	line     int
	last     byte
	prev     byte
	counting bool // false while an attachment's text is streamed
	budget   int64
	rec      []byte
	ioErr    error
	streamed int64 // bytes consumed while not counting, which the decoder never saw
}

func (s *source) ReadByte() (byte, error) {
	var b byte
	if n := len(s.pending); n > 0 {
		b = s.pending[n-1]
		s.pending = s.pending[:n-1]
	} else {
		c, err := s.br.ReadByte()
		if err != nil {
			if err != io.EOF {
				s.ioErr = err
			}
			return 0, err
		}
		b = c
	}
	s.pos++
	if b == '\n' {
		s.line++
	}
	s.prev, s.last = s.last, b
	if !s.counting {
		s.streamed++
	}
	if s.counting {
		s.budget--
		if s.budget < 0 {
			return 0, headerTooLarge{}
		}
		s.rec = append(s.rec, b)
	}
	return b, nil
}

// Read makes source an io.Reader for xml.NewDecoder, which then uses
// ReadByte only.
func (s *source) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	b, err := s.ReadByte()
	if err != nil {
		return 0, err
	}
	p[0] = b
	return 1, nil
}

// unread pushes b back; used only while streaming, when nothing is counted
// or recorded.
func (s *source) unread(b byte) {
	s.pending = append(s.pending, b)
	s.pos--
	s.streamed--
	if b == '\n' {
		s.line--
	}
}

type parser struct {
	opts        Options
	src         *source
	dec         *xml.Decoder
	root        *node
	stack       []*node
	elements    int
	attachments int
	decoded     int64
	sig         *node // the open Signature element
	sigDepth    int
	// check, when set, validates the header once it is complete and before
	// the first attachment reaches the sink, so that a package that will be
	// refused does not make the caller store its attachments first.
	check   func(root *node) error
	checked bool
}

// parseTree reads the whole input into a tree of nodes, streaming the
// attachments to opts.Attachment on the way.
func parseTree(r io.Reader, opts Options, check func(root *node) error) (*node, error) {
	p := &parser{opts: opts.withDefaults(), check: check}
	p.src = &source{br: bufio.NewReaderSize(r, 32<<10), line: 1, counting: true, budget: p.opts.MaxHeaderBytes}
	p.dec = xml.NewDecoder(p.src)
	p.dec.Strict = true
	for {
		if p.sig == nil {
			// Start recording the next token; a byte the decoder read and
			// pushed back (the '<' after text) belongs to it.
			p.src.rec = p.src.rec[:0]
			if p.dec.InputOffset() < p.src.pos-p.src.streamed {
				p.src.rec = append(p.src.rec, p.src.last)
			}
		}
		tok, err := p.dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, p.xmlError(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := p.start(t); err != nil {
				return nil, err
			}
		case xml.EndElement:
			p.end()
		case xml.CharData:
			if err := p.chars(t); err != nil {
				return nil, err
			}
		}
	}
	if p.root == nil {
		return nil, gateway.Errorf(gateway.EINVALID, "the edXML is empty: expected an <edXML:edXML> root element")
	}
	return p.root, nil
}

func (p *parser) xmlError(err error) error {
	var big headerTooLarge
	if errors.As(err, &big) {
		return gateway.Errorf(gateway.ETOOLARGE, "the edXML outside its attachments is larger than %d bytes (at line %d)", p.opts.MaxHeaderBytes, p.src.line)
	}
	if p.src.ioErr != nil {
		return fmt.Errorf("read edXML: %w", p.src.ioErr)
	}
	msg := err.Error()
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		msg = se.Msg
	}
	msg = strings.TrimPrefix(msg, "xml: ")
	if strings.Contains(msg, "CharsetReader") {
		return gateway.Errorf(gateway.EINVALID, "edXML must be encoded in UTF-8 (line %d: %s)", p.src.line, strings.TrimSuffix(msg, " but Decoder.CharsetReader is nil"))
	}
	return gateway.Errorf(gateway.EINVALID, "malformed edXML at line %d: %s; the package must be well-formed XML", p.src.line, msg)
}

func (p *parser) start(t xml.StartElement) error {
	depth := len(p.stack) + 1
	if p.sig != nil {
		depth += p.sigDepth - 1
	}
	if depth > p.opts.MaxDepth {
		return gateway.Errorf(gateway.EINVALID, "edXML elements are nested deeper than %d at line %d (<%s>)", p.opts.MaxDepth, p.src.line, t.Name.Local)
	}
	p.elements++
	if p.elements > p.opts.MaxElements {
		return gateway.Errorf(gateway.ETOOLARGE, "the edXML has more than %d elements (at line %d)", p.opts.MaxElements, p.src.line)
	}
	if p.sig != nil {
		// The signature's inside is kept as raw bytes, not as nodes.
		p.sigDepth++
		return nil
	}
	n := &node{local: t.Name.Local, line: p.src.line}
	if p.root == nil {
		if n.local != "edXML" && n.local != "edXMLEnvelope" {
			return gateway.Errorf(gateway.EINVALID, "the root element is <%s> at line %d; an edXML package starts with <edXML:edXML>", n.local, n.line)
		}
		if ns := t.Name.Space; ns != "" && ns != Namespace && ns != "edXML" {
			return gateway.Errorf(gateway.EINVALID, "the root element is in namespace %q; edXML uses %s", ns, Namespace)
		}
		p.root = n
	} else {
		if len(p.stack) == 0 {
			return gateway.Errorf(gateway.EINVALID, "malformed edXML at line %d: a second root element <%s>; the package must have one root", p.src.line, n.local)
		}
		parent := p.stack[len(p.stack)-1]
		if parent.local == "ContentTransferEncoded" {
			return gateway.Errorf(gateway.EINVALID, "ContentTransferEncoded at line %d must hold only base64 text, not <%s>", parent.line, n.local)
		}
		n.parent = parent
		parent.kids = append(parent.kids, n)
	}
	p.stack = append(p.stack, n)
	switch n.local {
	case "Signature":
		p.sig, p.sigDepth = n, 1
	case "Attachment":
		if isAttachment(p.root, n) {
			p.attachments++
			if p.attachments > p.opts.MaxAttachments {
				return gateway.Errorf(gateway.ETOOLARGE, "the edXML has more than %d attachments (line %d)", p.opts.MaxAttachments, n.line)
			}
		}
	case "ContentTransferEncoded":
		if n.parent != nil && isAttachment(p.root, n.parent) {
			return p.stream(n)
		}
	}
	return nil
}

// isAttachment says whether n is an attachment of the package:
// AttachmentEncoded/Attachment beside the envelope, as the standard puts it,
// or inside the envelope, as some systems do. Only these are streamed to the
// sink, so that the sink sees exactly the attachments the Package lists;
// elsewhere an Attachment is unknown content, read as bounded text.
func isAttachment(root, n *node) bool {
	ae := n.parent
	if n.local != "Attachment" || ae == nil || ae.local != "AttachmentEncoded" {
		return false
	}
	return ae.parent == root || ae.parent != nil && ae.parent.local == "edXMLEnvelope" && ae.parent.parent == root
}

func (p *parser) end() {
	if p.sig != nil {
		p.sigDepth--
		if p.sigDepth > 0 {
			return
		}
		p.sig.raw = append([]byte(nil), p.src.rec...)
		p.sig = nil
	}
	if len(p.stack) > 0 {
		p.stack[len(p.stack)-1].closed = true
		p.stack = p.stack[:len(p.stack)-1]
	}
}

func (p *parser) chars(t xml.CharData) error {
	if p.sig != nil {
		return nil
	}
	if len(p.stack) == 0 {
		// Windows tools put a byte order mark before the declaration.
		if strings.TrimSpace(strings.TrimPrefix(string(t), "\ufeff")) != "" {
			return gateway.Errorf(gateway.EINVALID, "malformed edXML at line %d: text outside the root element", p.src.line)
		}
		return nil
	}
	top := p.stack[len(p.stack)-1]
	if len(top.text)+len(t) > p.opts.MaxText {
		return gateway.Errorf(gateway.ETOOLARGE, "the text of <%s> at line %d is longer than %d bytes", top.local, top.line, p.opts.MaxText)
	}
	top.text = append(top.text, t...)
	return nil
}

// stream decodes the base64 text of a ContentTransferEncoded element straight
// from the input to the caller's sink.
func (p *parser) stream(n *node) error {
	if p.src.last == '>' && p.src.prev == '/' {
		return nil // <ContentTransferEncoded/>: an empty attachment
	}
	info := attachmentInfo(n.parent, references(p.root))
	limit := p.opts.MaxAttachmentBytes
	if rest := p.opts.MaxTotalBytes - p.decoded; rest < limit {
		limit = rest
	}
	name := info.Name
	if name == "" {
		name = info.ContentID
	}
	p.src.counting = false
	tr := &textReader{src: p.src, line: n.line, rawLimit: 2*limit + 1<<20}
	ar := &attachmentReader{r: base64.NewDecoder(base64.StdEncoding, tr), limit: limit, name: name, line: n.line, total: limit < p.opts.MaxAttachmentBytes}
	if p.opts.Attachment != nil {
		if p.check != nil && !p.checked {
			p.checked = true
			if err := p.check(p.root); err != nil {
				return err
			}
		}
		if err := p.opts.Attachment(info, ar); err != nil {
			if ar.err != nil {
				return ar.err
			}
			return fmt.Errorf("attachment %q: %w", name, err)
		}
	}
	if _, err := io.Copy(io.Discard, ar); err != nil {
		return err
	}
	p.src.counting = true
	n.size = ar.n
	p.decoded += ar.n
	return nil
}

// attachmentReader counts and limits the decoded bytes of one attachment and
// turns decoding failures into errors that tell the sender what to fix. It
// remembers its first error so that the parser reports the cause even when
// the caller's sink wraps it in something else.
type attachmentReader struct {
	r     io.Reader
	n     int64
	limit int64
	total bool // the limit is what is left of MaxTotalBytes
	name  string
	line  int
	err   error
}

func (a *attachmentReader) Read(b []byte) (int, error) {
	if a.err != nil {
		return 0, a.err
	}
	k, err := a.r.Read(b)
	a.n += int64(k)
	if a.n > a.limit {
		what := fmt.Sprintf("attachment %q (line %d) is larger than %d bytes", a.name, a.line, a.limit)
		if a.total {
			what = fmt.Sprintf("attachment %q (line %d) takes the attachments of the package past their total limit", a.name, a.line)
		}
		a.err = gateway.Errorf(gateway.ETOOLARGE, "%s", what)
		return k - int(a.n-a.limit), a.err
	}
	if err != nil && err != io.EOF {
		var corrupt base64.CorruptInputError
		var gerr *gateway.Error
		switch {
		case errors.As(err, &gerr):
			a.err = err
		case errors.Is(err, io.ErrUnexpectedEOF):
			a.err = gateway.Errorf(gateway.EINVALID, "attachment %q: ContentTransferEncoded at line %d is not valid base64 (it ends in the middle of a 4-character group; is it cut short or missing its = padding?)", a.name, a.line)
		case errors.As(err, &corrupt):
			a.err = gateway.Errorf(gateway.EINVALID, "attachment %q: ContentTransferEncoded at line %d is not valid base64 (byte %d of its text)", a.name, a.line, int64(corrupt))
		default:
			a.err = fmt.Errorf("read attachment %q: %w", a.name, err)
		}
		return k, a.err
	}
	return k, err
}

// textReader yields the non-space characters of an element's text straight
// from the source, resolving character references, CDATA sections and
// comments, and stops before the next tag, which it leaves for the decoder.
type textReader struct {
	src      *source
	line     int
	raw      int64
	rawLimit int64
	cdata    bool
	brackets int
	done     bool
}

func (t *textReader) next() (byte, error) {
	b, err := t.src.ReadByte()
	if err == io.EOF {
		return 0, gateway.Errorf(gateway.EINVALID, "malformed edXML: the input ends inside ContentTransferEncoded (opened at line %d)", t.line)
	}
	if err != nil {
		return 0, fmt.Errorf("read edXML: %w", err)
	}
	t.raw++
	if t.raw > t.rawLimit {
		return 0, gateway.Errorf(gateway.ETOOLARGE, "ContentTransferEncoded at line %d is larger than %d bytes", t.line, t.rawLimit)
	}
	return b, nil
}

func (t *textReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if t.done {
			if n > 0 {
				return n, nil
			}
			return 0, io.EOF
		}
		b, err := t.next()
		if err != nil {
			return n, err
		}
		if t.cdata {
			switch {
			case b == ']':
				t.brackets++
				if t.brackets > 2 {
					return n, t.notBase64()
				}
				continue
			case t.brackets == 2 && b == '>':
				t.cdata, t.brackets = false, 0
				continue
			case t.brackets > 0:
				return n, t.notBase64()
			}
		} else {
			switch b {
			case '&':
				if b, err = t.entity(); err != nil {
					return n, err
				}
			case '<':
				if err := t.markup(); err != nil {
					return n, err
				}
				continue
			}
		}
		switch b {
		case ' ', '\t', '\r', '\n', 0:
			continue
		}
		p[n] = b
		n++
	}
	return n, nil
}

func (t *textReader) notBase64() error {
	return gateway.Errorf(gateway.EINVALID, "ContentTransferEncoded at line %d is not valid base64", t.line)
}

// markup handles a '<' inside the text: a CDATA section or a comment is read
// through; anything else ends the text and is given back to the decoder.
func (t *textReader) markup() error {
	c, err := t.next()
	if err != nil {
		return err
	}
	if c != '!' {
		t.src.unread(c)
		t.src.unread('<')
		t.done = true
		return nil
	}
	c, err = t.next()
	if err != nil {
		return err
	}
	switch c {
	case '[':
		for _, want := range []byte("CDATA[") {
			if c, err = t.next(); err != nil {
				return err
			}
			if c != want {
				return gateway.Errorf(gateway.EINVALID, "malformed edXML at line %d: bad CDATA section in ContentTransferEncoded", t.src.line)
			}
		}
		t.cdata = true
		return nil
	case '-':
		if c, err = t.next(); err != nil {
			return err
		}
		if c != '-' {
			return gateway.Errorf(gateway.EINVALID, "malformed edXML at line %d: bad comment in ContentTransferEncoded", t.src.line)
		}
		dashes := 0
		for {
			if c, err = t.next(); err != nil {
				return err
			}
			switch {
			case c == '-':
				dashes++
			case c == '>' && dashes >= 2:
				return nil
			default:
				dashes = 0
			}
		}
	}
	return gateway.Errorf(gateway.EINVALID, "malformed edXML at line %d: unexpected markup in ContentTransferEncoded", t.src.line)
}

// entity resolves a character or entity reference after '&'. Anything that
// is not ASCII cannot be base64, so it becomes a byte the decoder rejects.
func (t *textReader) entity() (byte, error) {
	var name []byte
	for {
		c, err := t.next()
		if err != nil {
			return 0, err
		}
		if c == ';' {
			break
		}
		if len(name) >= 10 {
			return 0, gateway.Errorf(gateway.EINVALID, "malformed edXML at line %d: unterminated character reference in ContentTransferEncoded", t.src.line)
		}
		name = append(name, c)
	}
	s := string(name)
	switch s {
	case "lt":
		return '<', nil
	case "gt":
		return '>', nil
	case "amp":
		return '&', nil
	case "quot":
		return '"', nil
	case "apos":
		return '\'', nil
	}
	var v uint64
	err := errors.New("unknown entity")
	switch {
	case strings.HasPrefix(s, "#x"), strings.HasPrefix(s, "#X"):
		v, err = strconv.ParseUint(s[2:], 16, 32)
	case strings.HasPrefix(s, "#"):
		v, err = strconv.ParseUint(s[1:], 10, 32)
	}
	if err != nil || v <= 0 {
		return 0, gateway.Errorf(gateway.EINVALID, "malformed edXML at line %d: unknown reference &%s; in ContentTransferEncoded", t.src.line, s)
	}
	if v > 127 {
		return '!', nil
	}
	return byte(v), nil
}
