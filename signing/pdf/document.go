package pdf

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Catalog returns the document catalog (/Root of the trailer).
func (v *View) Catalog() (*Dict, error) {
	root := v.trailerGet("Root")
	if root == nil {
		return nil, syntaxErr(v.Revision().XRefOffset, "trailer has no /Root")
	}
	d, err := v.ResolveDict(root)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	if d == nil {
		return nil, syntaxErr(v.Revision().XRefOffset, "/Root is not a dictionary")
	}
	return d, nil
}

// Encrypted reports whether the trailer names an /Encrypt dictionary. Strings and streams of an
// encrypted file are read as stored, still encrypted.
func (v *View) Encrypted() bool { return v.trailerGet("Encrypt") != nil }

// ID returns the two parts of the trailer's /ID, if it has one.
func (v *View) ID() ([2][]byte, bool) {
	a, ok := v.trailerGet("ID").(Array)
	if !ok || len(a) != 2 {
		return [2][]byte{}, false
	}
	s0, ok0 := a[0].(String)
	s1, ok1 := a[1].(String)
	if !ok0 || !ok1 {
		return [2][]byte{}, false
	}
	return [2][]byte{s0.Value, s1.Value}, true
}

// Version returns the PDF version in force: the catalog's /Version when it is later than the
// header's (that is how an update raises the version), otherwise the header's.
func (v *View) Version() string {
	h := v.f.header
	cat, err := v.Catalog()
	if err != nil {
		return h
	}
	cv, ok := cat.Get("Version").(Name)
	if ok && versionLess(h, string(cv)) {
		return string(cv)
	}
	return h
}

func versionLess(a, b string) bool {
	pa, pb := strings.SplitN(a, ".", 2), strings.SplitN(b, ".", 2)
	if len(pa) != 2 || len(pb) != 2 {
		return false
	}
	ma, _ := strconv.Atoi(pa[0])
	mb, _ := strconv.Atoi(pb[0])
	na, _ := strconv.Atoi(pa[1])
	nb, _ := strconv.Atoi(pb[1])
	return ma < mb || (ma == mb && na < nb)
}

// Page is a leaf of the page tree with its inheritable attributes resolved from its ancestors.
type Page struct {
	// Index is the zero-based page number.
	Index int
	// Ref is the page object's reference (zero for a page written directly inside /Kids).
	Ref  Ref
	Dict *Dict
	// Resources, MediaBox and CropBox are the page's own or inherited values, unresolved.
	Resources Object
	MediaBox  Object
	CropBox   Object
	// Rotate is the inherited /Rotate in degrees.
	Rotate int64
}

type inherited struct {
	resources, mediaBox, cropBox Object
	rotate                       int64
}

// Pages walks the page tree in order. A tree that revisits a node (a loop) is an error, as is a
// root that is not a dictionary.
func (v *View) Pages() ([]Page, error) {
	cat, err := v.Catalog()
	if err != nil {
		return nil, err
	}
	rootObj := cat.Get("Pages")
	root, err := v.ResolveDict(rootObj)
	if err != nil {
		return nil, fmt.Errorf("page tree: %w", err)
	}
	if root == nil {
		return nil, syntaxErr(-1, "page tree root is not a dictionary")
	}
	var pages []Page
	seen := map[Ref]bool{}
	if r, ok := rootObj.(Ref); ok {
		seen[r] = true
	}
	var walk func(d *Dict, ref Ref, inh inherited, depth int) error
	walk = func(d *Dict, ref Ref, inh inherited, depth int) error {
		if depth > v.f.opts.MaxDepth {
			return limitErr("page tree deeper than %d", v.f.opts.MaxDepth)
		}
		if o := d.Get("Resources"); o != nil {
			inh.resources = o
		}
		if o := d.Get("MediaBox"); o != nil {
			inh.mediaBox = o
		}
		if o := d.Get("CropBox"); o != nil {
			inh.cropBox = o
		}
		if o, err := v.Resolve(d.Get("Rotate")); err == nil {
			if n, ok := o.(Integer); ok {
				inh.rotate = int64(n)
			}
		}
		t, _ := d.Name("Type")
		kidsObj, err := v.Resolve(d.Get("Kids"))
		if err != nil {
			return err
		}
		kids, hasKids := kidsObj.(Array)
		if t == "Page" || (!hasKids && t != "Pages") {
			if len(pages) >= v.f.opts.MaxObjects {
				return limitErr("more than %d pages", v.f.opts.MaxObjects)
			}
			pages = append(pages, Page{Index: len(pages), Ref: ref, Dict: d, Resources: inh.resources,
				MediaBox: inh.mediaBox, CropBox: inh.cropBox, Rotate: inh.rotate})
			return nil
		}
		for _, k := range kids {
			kr, isRef := k.(Ref)
			if isRef {
				if seen[kr] {
					return syntaxErr(-1, "page tree visits %v twice", kr)
				}
				seen[kr] = true
			}
			kd, err := v.ResolveDict(k)
			if err != nil {
				return fmt.Errorf("page tree node %v: %w", kr, err)
			}
			if kd == nil {
				// A null or missing kid is skipped, as viewers do.
				continue
			}
			if err := walk(kd, kr, inh, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	r, _ := rootObj.(Ref)
	if err := walk(root, r, inherited{}, 0); err != nil {
		return nil, err
	}
	return pages, nil
}

// Widget is a widget annotation of a form field.
type Widget struct {
	Ref  Ref
	Dict *Dict
	// Page is the index of the page whose /Annots lists the widget, or -1 when none does.
	Page int
	// Rect is the widget's /Rect, resolved.
	Rect Object
}

// Field is a terminal AcroForm field.
type Field struct {
	Ref  Ref
	Dict *Dict
	// Name is the fully qualified name: the partial names (/T) of the field and its ancestors
	// joined with periods.
	Name string
	// Type is /FT, inherited: "Sig" for a signature field.
	Type Name
	// Flags is /Ff, inherited.
	Flags int64
	// Value is /V, inherited and unresolved: for a signature field, a reference to the signature
	// dictionary, or nil when the field is not signed.
	Value Object
	// Lock is a signature field's /Lock (unresolved), nil when absent.
	Lock Object
	// Widgets are the field's widget annotations (the field itself when merged with its widget).
	Widgets []Widget
}

// Fields walks the AcroForm field tree and returns the terminal fields in order. Loops and
// nesting beyond Options.MaxDepth are errors; a document without a form has no fields.
func (v *View) Fields() ([]Field, error) {
	cat, err := v.Catalog()
	if err != nil {
		return nil, err
	}
	form, err := v.ResolveDict(cat.Get("AcroForm"))
	if err != nil || form == nil {
		return nil, err
	}
	top, err := v.Resolve(form.Get("Fields"))
	if err != nil {
		return nil, err
	}
	arr, _ := top.(Array)
	if len(arr) == 0 {
		return nil, nil
	}
	annotPage, err := v.annotationPages()
	if err != nil {
		return nil, err
	}
	var fields []Field
	seen := map[Ref]bool{}
	type inh struct {
		name  string
		ft    Name
		flags int64
		value Object
	}
	var walk func(o Object, in inh, depth int) error
	walk = func(o Object, in inh, depth int) error {
		if depth > v.f.opts.MaxDepth {
			return limitErr("field tree deeper than %d", v.f.opts.MaxDepth)
		}
		ref, isRef := o.(Ref)
		if isRef {
			if seen[ref] {
				return syntaxErr(-1, "field tree visits %v twice", ref)
			}
			seen[ref] = true
		}
		d, err := v.ResolveDict(o)
		if err != nil {
			return fmt.Errorf("field %v: %w", ref, err)
		}
		if d == nil {
			return nil
		}
		if t, err := v.Resolve(d.Get("T")); err == nil {
			if s, ok := t.(String); ok {
				if in.name != "" {
					in.name += "."
				}
				in.name += TextString(s.Value)
			}
		}
		if ft, ok := d.Name("FT"); ok {
			in.ft = ft
		}
		if ff, err := v.Resolve(d.Get("Ff")); err == nil {
			if n, ok := ff.(Integer); ok {
				in.flags = int64(n)
			}
		}
		if val := d.Get("V"); val != nil {
			in.value = val
		}
		kidsObj, err := v.Resolve(d.Get("Kids"))
		if err != nil {
			return err
		}
		kids, _ := kidsObj.(Array)
		// Kids with a /T are child fields; kids without one are this field's widgets.
		var widgets []Widget
		childFields := false
		for _, k := range kids {
			kd, err := v.ResolveDict(k)
			if err != nil {
				return err
			}
			if kd == nil {
				continue
			}
			if kd.Has("T") || kd.Has("Kids") {
				childFields = true
				if err := walk(k, in, depth+1); err != nil {
					return err
				}
				continue
			}
			kr, _ := k.(Ref)
			if kr != (Ref{}) {
				if seen[kr] {
					return syntaxErr(-1, "field tree visits %v twice", kr)
				}
				seen[kr] = true
			}
			widgets = append(widgets, v.widget(kr, kd, annotPage))
		}
		if childFields && len(widgets) == 0 {
			return nil
		}
		if len(kids) == 0 {
			if st, _ := d.Name("Subtype"); st == "Widget" || d.Has("Rect") {
				widgets = append(widgets, v.widget(ref, d, annotPage))
			}
		}
		var val Object
		if in.value != nil {
			if _, isNull := in.value.(Null); !isNull {
				val = in.value
			}
		}
		if len(fields) >= v.f.opts.MaxObjects {
			return limitErr("more than %d fields", v.f.opts.MaxObjects)
		}
		fields = append(fields, Field{Ref: ref, Dict: d, Name: in.name, Type: in.ft, Flags: in.flags,
			Value: val, Lock: d.Get("Lock"), Widgets: widgets})
		return nil
	}
	for _, o := range arr {
		if err := walk(o, inh{}, 0); err != nil {
			return nil, err
		}
	}
	return fields, nil
}

func (v *View) widget(ref Ref, d *Dict, annotPage map[Ref]int) Widget {
	w := Widget{Ref: ref, Dict: d, Page: -1}
	if p, ok := annotPage[ref]; ok && ref != (Ref{}) {
		w.Page = p
	}
	if r, err := v.Resolve(d.Get("Rect")); err == nil {
		w.Rect = r
	}
	return w
}

// annotationPages maps every annotation listed in a page's /Annots to that page's index. A page
// tree that cannot be walked yields an empty map: fields stay readable, widgets without a page.
func (v *View) annotationPages() (map[Ref]int, error) {
	m := map[Ref]int{}
	pages, err := v.Pages()
	if err != nil {
		return m, nil
	}
	for _, p := range pages {
		a, err := v.Resolve(p.Dict.Get("Annots"))
		if err != nil {
			continue
		}
		arr, _ := a.(Array)
		for _, o := range arr {
			if r, ok := o.(Ref); ok {
				if _, dup := m[r]; !dup {
					m[r] = p.Index
				}
			}
		}
	}
	return m, nil
}

// DocMDP returns the certification signature named by the catalog's /Perms /DocMDP and its
// permission level P (1 no changes, 2 form filling and signing, 3 also annotations; 2 when
// absent, as ISO 32000 says). ok is false for a document that is not certified.
func (v *View) DocMDP() (sig Ref, dict *Dict, p int, ok bool, err error) {
	cat, err := v.Catalog()
	if err != nil {
		return Ref{}, nil, 0, false, err
	}
	perms, err := v.ResolveDict(cat.Get("Perms"))
	if err != nil || perms == nil {
		return Ref{}, nil, 0, false, err
	}
	o := perms.Get("DocMDP")
	sig, _ = o.(Ref)
	dict, err = v.ResolveDict(o)
	if err != nil || dict == nil {
		return Ref{}, nil, 0, false, err
	}
	p, err = v.TransformP(dict, "DocMDP")
	if err != nil {
		return Ref{}, nil, 0, false, err
	}
	return sig, dict, p, true, nil
}

// TransformP reads /P from the /TransformParams of the signature reference dictionary in sig's
// /Reference array whose /TransformMethod is method; 2 when absent.
func (v *View) TransformP(sig *Dict, method Name) (int, error) {
	ro, err := v.Resolve(sig.Get("Reference"))
	if err != nil {
		return 0, err
	}
	refs, _ := ro.(Array)
	for _, r := range refs {
		rd, err := v.ResolveDict(r)
		if err != nil {
			return 0, err
		}
		if m, _ := rd.Name("TransformMethod"); m != method {
			continue
		}
		tp, err := v.ResolveDict(rd.Get("TransformParams"))
		if err != nil {
			return 0, err
		}
		po, err := v.Resolve(tp.Get("P"))
		if err != nil {
			return 0, err
		}
		if n, ok := po.(Integer); ok && n >= 1 && n <= 3 {
			return int(n), nil
		}
		return 2, nil
	}
	return 2, nil
}

// TextString decodes a PDF text string: UTF-16BE or UTF-8 with their byte-order marks, otherwise
// PDFDocEncoding (read as Latin-1, which it matches for the characters names use).
func TextString(b []byte) string {
	if len(b) >= 2 && b[0] == 0xfe && b[1] == 0xff {
		u := make([]uint16, 0, len(b)/2)
		for i := 2; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		return string(utf16.Decode(u))
	}
	if len(b) >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf {
		return string(b[3:])
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}
