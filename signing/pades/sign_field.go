package pades

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"docgate/signing/pdf"
)

// signBuilder holds what Sign learned about the document before it builds the update: the
// target field (or the page a new one goes on) and the objects the update replaces.
type signBuilder struct {
	f       *pdf.File
	o       *SignOptions
	rootRef pdf.Ref
	catalog *pdf.Dict

	// target is the existing empty field signed into; nil when a new field is created.
	target *pdf.Field
	// page is the page of the new field's widget.
	page     pdf.Page
	newField string
}

// signUpdate is one attempt at the update, with its placeholders.
type signUpdate struct {
	u         *pdf.Update
	contents  *pdf.Placeholder
	byteRange *pdf.Placeholder
	field     string
}

func newSignBuilder(f *pdf.File, o *SignOptions) (*signBuilder, error) {
	if f.Encrypted() {
		return nil, refuse(RefuseEncrypted, pdf.ErrEncrypted,
			"the document is encrypted (password-protected or permission-restricted); docgate does not decrypt: remove the encryption first, e.g. qpdf --decrypt")
	}
	revs := f.Revisions()
	if f.Repaired() || revs[len(revs)-1].Kind == pdf.XRefRebuilt {
		return nil, refuse(RefuseUnreadable, nil,
			"the cross-reference information is broken (it had to be rebuilt to read the file); rewrite the file first, e.g. with qpdf")
	}
	b := &signBuilder{f: f, o: o}
	var ok bool
	if b.rootRef, ok = f.Trailer().Ref("Root"); !ok {
		return nil, refuse(RefuseUnreadable, nil, "the trailer's /Root is not an indirect reference")
	}
	cat, err := f.Catalog()
	if err != nil {
		return nil, refuse(RefuseUnreadable, err, "read catalog")
	}
	b.catalog = cat
	_, _, p, certified, err := f.DocMDP()
	if err != nil {
		return nil, refuse(RefuseUnreadable, err, "read the certification signature")
	}
	if certified && p == 1 {
		return nil, refuse(RefuseCertified, nil,
			"the document is certified with no changes allowed (DocMDP P=1): a new signature would invalidate the certification")
	}
	fields, err := f.Fields()
	if err != nil {
		return nil, refuse(RefuseUnreadable, err, "read form fields")
	}
	locked, err := b.lockedFields(fields)
	if err != nil {
		return nil, err
	}
	signedAny := false
	names := map[string]bool{}
	for _, fd := range fields {
		names[fd.Name] = true
		if fd.Type == "Sig" && signFieldSigned(fd) {
			signedAny = true
		}
	}
	if o.Certify > 0 && (signedAny || certified) {
		return nil, refuse(RefuseCertified, nil, "only the first signature of a document may certify it, and this one is signed already")
	}

	switch {
	case o.FieldName != "":
		i := slices.IndexFunc(fields, func(fd pdf.Field) bool { return fd.Name == o.FieldName })
		if i < 0 {
			return nil, refuse(RefuseNoField, nil, "the document has no field named %q", o.FieldName)
		}
		fd := fields[i]
		switch {
		case fd.Type != "Sig":
			return nil, refuse(RefuseNoField, nil, "field %q is not a signature field (/FT /%s)", fd.Name, fd.Type)
		case signFieldSigned(fd):
			return nil, refuse(RefuseFieldSigned, nil, "field %q is signed already", fd.Name)
		case fd.Flags&1 != 0:
			return nil, refuse(RefuseLocked, nil, "field %q is read-only", fd.Name)
		case locked[fd.Name] != "":
			return nil, refuse(RefuseLocked, nil, "field %q is locked by the signature in field %q", fd.Name, locked[fd.Name])
		}
		b.target = &fd
	case o.UseEmptyField:
		// A visible signature without a rectangle of its own needs a field that has one.
		needArea := o.Visible != nil && o.Visible.Rect == [4]float64{}
		for i, fd := range fields {
			if fd.Type == "Sig" && !signFieldSigned(fd) && fd.Flags&1 == 0 && locked[fd.Name] == "" && fd.Ref != (pdf.Ref{}) &&
				(!needArea || b.hasArea(fd)) {
				b.target = &fields[i]
				break
			}
		}
	}
	if b.target != nil {
		if b.target.Ref == (pdf.Ref{}) {
			return nil, refuse(RefuseUnreadable, nil, "field %q is not an indirect object and cannot be updated", b.target.Name)
		}
		return b, nil
	}

	for n := 1; ; n++ {
		name := fmt.Sprintf("Signature%d", n)
		if !names[name] {
			b.newField = name
			break
		}
	}
	pages, err := f.Pages()
	if err != nil {
		return nil, refuse(RefuseUnreadable, err, "read the page tree")
	}
	idx := 0
	if o.Visible != nil && o.Visible.Page > 0 {
		idx = o.Visible.Page - 1
	}
	if idx >= len(pages) {
		return nil, refuse(RefuseNoPage, nil, "page %d does not exist: the document has %d pages", idx+1, len(pages))
	}
	b.page = pages[idx]
	if b.page.Ref == (pdf.Ref{}) {
		return nil, refuse(RefuseUnreadable, nil, "page %d is not an indirect object and cannot carry a signature", idx+1)
	}
	return b, nil
}

// hasArea reports whether the field's first widget has a rectangle to draw in.
func (b *signBuilder) hasArea(fd pdf.Field) bool {
	if len(fd.Widgets) == 0 {
		return false
	}
	r := b.widgetRect(fd.Widgets[0])
	return r[2]-r[0] >= 1 && r[3]-r[1] >= 1
}

// signFieldSigned reports whether a field's /V holds a value (a signature dictionary).
func signFieldSigned(fd pdf.Field) bool {
	if fd.Value == nil {
		return false
	}
	_, null := fd.Value.(pdf.Null)
	return !null
}

// lockedFields returns, for every field that a signed field's lock covers, the name of the
// locking field. A lock whose P is 1 forbids any change and is refused outright.
func (b *signBuilder) lockedFields(fields []pdf.Field) (map[string]string, error) {
	locked := map[string]string{}
	apply := func(by string, d *pdf.Dict) error {
		if d == nil {
			return nil
		}
		if p, ok := d.Int("P"); ok && p == 1 {
			return refuse(RefuseCertified, nil, "the signature in field %q locks the document with no changes allowed (P=1)", by)
		}
		action, _ := d.Name("Action")
		listed := map[string]bool{}
		if a, err := b.f.Resolve(d.Get("Fields")); err == nil {
			arr, _ := a.(pdf.Array)
			for _, x := range arr {
				if s, ok := x.(pdf.String); ok {
					listed[pdf.TextString(s.Value)] = true
				}
			}
		}
		for _, fd := range fields {
			var hit bool
			switch action {
			case "All":
				hit = true
			case "Include":
				hit = listed[fd.Name]
			case "Exclude":
				hit = !listed[fd.Name]
			}
			if hit && fd.Name != by && locked[fd.Name] == "" {
				locked[fd.Name] = by
			}
		}
		return nil
	}
	for _, fd := range fields {
		if fd.Type != "Sig" || !signFieldSigned(fd) {
			continue
		}
		if fd.Lock != nil {
			d, err := b.f.ResolveDict(fd.Lock)
			if err != nil {
				return nil, refuse(RefuseUnreadable, err, "read the lock of field %q", fd.Name)
			}
			if err := apply(fd.Name, d); err != nil {
				return nil, err
			}
		}
		sig, err := b.f.ResolveDict(fd.Value)
		if err != nil || sig == nil {
			continue
		}
		ro, _ := b.f.Resolve(sig.Get("Reference"))
		refs, _ := ro.(pdf.Array)
		for _, r := range refs {
			rd, err := b.f.ResolveDict(r)
			if err != nil || rd == nil {
				continue
			}
			if m, _ := rd.Name("TransformMethod"); m != "FieldMDP" {
				continue
			}
			tp, err := b.f.ResolveDict(rd.Get("TransformParams"))
			if err != nil {
				continue
			}
			if err := apply(fd.Name, tp); err != nil {
				return nil, err
			}
		}
	}
	return locked, nil
}

// build makes the update with a /Contents hole of hole bytes.
func (b *signBuilder) build(signed time.Time, hole int) (*signUpdate, error) {
	o, f := b.o, b.f
	u := f.NewUpdate()
	su := &signUpdate{u: u, contents: pdf.NewContentsPlaceholder(hole), byteRange: pdf.NewByteRangePlaceholder()}

	sig := pdf.NewDict("Type", pdf.Name("Sig"), "Filter", pdf.Name("Adobe.PPKLite"), "SubFilter", pdf.Name(o.SubFilter))
	name := o.Name
	if name == "" {
		name = o.Chain[0].Subject.CommonName
	}
	for _, kv := range []struct {
		k pdf.Name
		v string
	}{{"Name", name}, {"Reason", o.Reason}, {"Location", o.Location}, {"ContactInfo", o.ContactInfo}} {
		if kv.v != "" {
			sig.Set(kv.k, pdf.NewTextString(kv.v))
		}
	}
	sig.Set("M", pdf.NewString(signPDFDate(signed)))
	if o.Certify > 0 {
		sig.Set("Reference", pdf.Array{pdf.NewDict("Type", pdf.Name("SigRef"), "TransformMethod", pdf.Name("DocMDP"),
			"TransformParams", pdf.NewDict("Type", pdf.Name("TransformParams"), "P", pdf.Integer(o.Certify), "V", pdf.Name("1.2")))})
	}
	// /Contents comes last so that the hole is the last thing of the dictionary, as most signers
	// write it; /ByteRange before it keeps both placeholders close together.
	sig.Set("ByteRange", su.byteRange)
	sig.Set("Contents", su.contents)
	sigRef := u.Add(sig)

	var cat *pdf.Dict // the catalog, once something in it has to change
	editCatalog := func() *pdf.Dict {
		if cat == nil {
			cat = b.catalog.Clone()
		}
		return cat
	}
	if o.Certify > 0 {
		perms := pdf.NewDict()
		if old, err := f.ResolveDict(b.catalog.Get("Perms")); err == nil && old != nil {
			perms = old.Clone()
		}
		perms.Set("DocMDP", sigRef)
		editCatalog().Set("Perms", perms)
	}

	if b.target != nil {
		su.field = b.target.Name
		fd := b.target.Dict.Clone()
		fd.Set("V", sigRef)
		var wRef pdf.Ref
		var wd *pdf.Dict
		if len(b.target.Widgets) > 0 {
			w := b.target.Widgets[0]
			wRef = w.Ref
			if wRef == b.target.Ref {
				wd = fd
			} else if wRef != (pdf.Ref{}) {
				wd = w.Dict.Clone()
			}
		}
		if o.Visible != nil && wd != nil {
			rect := o.Visible.Rect
			if rect == [4]float64{} {
				rect = b.widgetRect(b.target.Widgets[0])
			}
			ap, err := b.appearance(u, rect, b.targetRotation(), signed)
			if err != nil {
				return nil, err
			}
			wd.Set("Rect", signRectArray(rect))
			wd.Set("AP", pdf.NewDict("N", ap))
			if wd != fd {
				if err := u.Set(wRef, wd); err != nil {
					return nil, fmt.Errorf("replace widget: %w", err)
				}
			}
		}
		if err := u.Set(b.target.Ref, fd); err != nil {
			return nil, fmt.Errorf("replace field: %w", err)
		}
		if err := b.addToAcroForm(u, editCatalog, nil); err != nil {
			return nil, err
		}
	} else {
		su.field = b.newField
		wRef := u.Alloc()
		rect := [4]float64{}
		if o.Visible != nil {
			rect = o.Visible.Rect
			if rect == ([4]float64{}) {
				rect = b.topRight()
			}
		}
		wd := pdf.NewDict("Type", pdf.Name("Annot"), "Subtype", pdf.Name("Widget"), "FT", pdf.Name("Sig"),
			"T", pdf.NewTextString(b.newField), "V", sigRef, "F", pdf.Integer(132), "P", b.page.Ref, "Rect", signRectArray(rect))
		if o.Visible != nil {
			ap, err := b.appearance(u, rect, b.page.Rotate, signed)
			if err != nil {
				return nil, err
			}
			wd.Set("AP", pdf.NewDict("N", ap))
		}
		if err := u.Set(wRef, wd); err != nil {
			return nil, err
		}
		if err := b.addToPage(u, wRef); err != nil {
			return nil, err
		}
		if err := b.addToAcroForm(u, editCatalog, &wRef); err != nil {
			return nil, err
		}
	}
	if cat != nil {
		if err := u.Set(b.rootRef, cat); err != nil {
			return nil, fmt.Errorf("replace catalog: %w", err)
		}
	}
	return su, nil
}

// Size and margin of a visible signature placed by default, in points.
const (
	signDefaultWidth  = 220
	signDefaultHeight = 70
	signDefaultMargin = 24
)

// topRight is where a visible signature goes when the caller gives no rectangle: the top right
// corner of the page as the reader sees it (rotation included), where a receiving organisation
// signs a digitised incoming paper document (DOMAIN.md).
func (b *signBuilder) topRight() [4]float64 {
	box := [4]float64{0, 0, 595, 842} // A4 when the page has no usable box
	for _, o := range []pdf.Object{b.page.CropBox, b.page.MediaBox} {
		a, _ := b.f.Resolve(o)
		arr, _ := a.(pdf.Array)
		if len(arr) != 4 {
			continue
		}
		var r [4]float64
		for i := range r {
			x, _ := b.f.Resolve(arr[i])
			r[i], _ = pdf.Number(x)
		}
		if r = signNormRect(r); r[2]-r[0] >= 2*signDefaultMargin && r[3]-r[1] >= 2*signDefaultMargin {
			box = r
			break
		}
	}
	rot := (b.page.Rotate%360 + 360) % 360
	dw := box[2] - box[0] // the page's width and height as displayed
	if rot == 90 || rot == 270 {
		dw = box[3] - box[1]
	}
	w := min(float64(signDefaultWidth), dw-2*signDefaultMargin)
	// Display coordinates: X from the left, Y down from the top, mapped back to the page's space.
	toPage := func(X, Y float64) (float64, float64) {
		switch rot {
		case 90:
			return box[0] + Y, box[1] + X
		case 180:
			return box[2] - X, box[1] + Y
		case 270:
			return box[2] - Y, box[3] - X
		}
		return box[0] + X, box[3] - Y
	}
	x0, y0 := toPage(dw-signDefaultMargin-w, signDefaultMargin)
	x1, y1 := toPage(dw-signDefaultMargin, signDefaultMargin+signDefaultHeight)
	return signNormRect([4]float64{x0, y0, x1, y1})
}

// targetRotation is the /Rotate of the page showing the target field's widget, 0 when unknown.
func (b *signBuilder) targetRotation() int64 {
	if len(b.target.Widgets) == 0 || b.target.Widgets[0].Page < 0 {
		return 0
	}
	pages, err := b.f.Pages()
	if err != nil || b.target.Widgets[0].Page >= len(pages) {
		return 0
	}
	return pages[b.target.Widgets[0].Page].Rotate
}

// addToPage lists the widget in the page's /Annots, replacing whichever object holds the array.
func (b *signBuilder) addToPage(u *pdf.Update, w pdf.Ref) error {
	pd := b.page.Dict
	if r, ok := pd.Get("Annots").(pdf.Ref); ok {
		o, err := b.f.Resolve(r)
		if err != nil {
			return refuse(RefuseUnreadable, err, "read the page's /Annots")
		}
		if arr, ok := o.(pdf.Array); ok {
			if err := u.Set(r, append(slices.Clone(arr), w)); err == nil {
				return nil
			}
		}
		// A reference to nothing: the page gets its own array instead.
	}
	nd := pd.Clone()
	arr, _ := pd.Get("Annots").(pdf.Array)
	nd.Set("Annots", append(slices.Clone(arr), w))
	if err := u.Set(b.page.Ref, nd); err != nil {
		return fmt.Errorf("replace page: %w", err)
	}
	return nil
}

// addToAcroForm adds the new field (nil when signing an existing one) to /AcroForm /Fields and
// sets /SigFlags 3 (signatures exist, append only), creating the form when there is none.
func (b *signBuilder) addToAcroForm(u *pdf.Update, editCatalog func() *pdf.Dict, field *pdf.Ref) error {
	edit := func(d *pdf.Dict) error {
		flags, _ := d.Int("SigFlags")
		d.Set("SigFlags", pdf.Integer(flags|3))
		if field == nil {
			return nil
		}
		switch fs := d.Get("Fields").(type) {
		case pdf.Ref:
			o, err := b.f.Resolve(fs)
			if err != nil {
				return refuse(RefuseUnreadable, err, "read /AcroForm /Fields")
			}
			if arr, ok := o.(pdf.Array); ok {
				if err := u.Set(fs, append(slices.Clone(arr), *field)); err == nil {
					return nil
				}
			}
			d.Set("Fields", pdf.Array{*field})
		case pdf.Array:
			d.Set("Fields", append(slices.Clone(fs), *field))
		default:
			d.Set("Fields", pdf.Array{*field})
		}
		return nil
	}
	switch a := b.catalog.Get("AcroForm").(type) {
	case pdf.Ref:
		d, err := b.f.ResolveDict(a)
		if err != nil {
			return refuse(RefuseUnreadable, err, "read /AcroForm")
		}
		if d != nil {
			flags, _ := d.Int("SigFlags")
			if field == nil && flags&3 == 3 {
				return nil
			}
			d = d.Clone()
			if err := edit(d); err != nil {
				return err
			}
			if err := u.Set(a, d); err != nil {
				return fmt.Errorf("replace /AcroForm: %w", err)
			}
			return nil
		}
	case *pdf.Dict:
		flags, _ := a.Int("SigFlags")
		if field == nil && flags&3 == 3 {
			return nil
		}
		d := a.Clone()
		if err := edit(d); err != nil {
			return err
		}
		editCatalog().Set("AcroForm", d)
		return nil
	}
	if field == nil {
		return errors.New("sign: the field to sign is not in a form")
	}
	d := pdf.NewDict()
	if err := edit(d); err != nil {
		return err
	}
	editCatalog().Set("AcroForm", u.Add(d))
	return nil
}

// widgetRect reads a widget's /Rect as numbers, normalised so that x1<x2 and y1<y2.
func (b *signBuilder) widgetRect(w pdf.Widget) [4]float64 {
	var r [4]float64
	o, _ := b.f.Resolve(w.Rect)
	arr, _ := o.(pdf.Array)
	if len(arr) != 4 {
		return r
	}
	for i := range r {
		x, _ := b.f.Resolve(arr[i])
		r[i], _ = pdf.Number(x)
	}
	return signNormRect(r)
}

func signNormRect(r [4]float64) [4]float64 {
	if r[0] > r[2] {
		r[0], r[2] = r[2], r[0]
	}
	if r[1] > r[3] {
		r[1], r[3] = r[3], r[1]
	}
	return r
}

func signRectArray(r [4]float64) pdf.Array {
	return pdf.Array{pdf.Real(r[0]), pdf.Real(r[1]), pdf.Real(r[2]), pdf.Real(r[3])}
}

// signPDFDate formats t as a PDF date with its UTC offset (ISO 32000-1 §7.9.4).
func signPDFDate(t time.Time) string {
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("D:%s%c%02d'%02d'", t.Format("20060102150405"), sign, off/3600, off%3600/60)
}
