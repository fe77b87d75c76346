package pades

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"docgate/gateway"
	"docgate/signing/pdf"
)

// Modification levels of one signature, in increasing order of what they
// allow (pyHanko's scale). A change at a level above what /DocMDP permits, or
// at lvlOther, is illegal.
const (
	lvlNone = iota
	lvlLTA
	lvlForm
	lvlAnnot
	lvlOther
)

var lvlNames = [...]string{"NONE", "LTA_UPDATES", "FORM_FILLING", "ANNOTATIONS", "OTHER"}

// change is one finding about one revision.
type change struct {
	rev   int // index of the revision that made it
	level int
	text  string
}

// revChanges is what one revision changed relative to the one before.
type revChanges struct {
	changes []change
	// fields whose value changed (form filling or signing), for /FieldMDP locks.
	fields []string
}

// modResult is the outcome of the whole analysis.
type modResult struct {
	doc     string
	changes []string
}

// Bounds on the analysis of hostile files.
const (
	maxAnalysedRevisions = 2000
	maxWalk              = 500000 // objects visited by one reachability walk
	maxCompareDepth      = 64
	maxCompareSteps      = 2000000
)

// analyse diffs every revision after the first signature against its
// predecessor, then judges each signature against what followed it.
func (vr *verification) analyse(sigs []*sigEntry) (*modResult, error) {
	res := &modResult{doc: gateway.ModificationNone}
	first, last := -1, -1
	for _, s := range sigs {
		if s.rev < 0 {
			continue
		}
		if first < 0 || s.rev < first {
			first = s.rev
		}
		if s.rev > last {
			last = s.rev
		}
	}
	revs := vr.f.Revisions()
	if first < 0 {
		return res, nil
	}
	if len(revs)-1-first > maxAnalysedRevisions {
		return nil, fmt.Errorf("%d revisions after the first signature: too many to analyse", len(revs)-1-first)
	}

	// Certification and its permission level: without a certification the
	// document gets P=2 (form filling and signing), as for a certified
	// document without /P. Annotations after an approval signature are then
	// reported as illegal, which catches overlays drawn by annotations.
	allowed := lvlForm
	if vr.uncertifiedP == 3 {
		allowed = lvlAnnot
	}
	certified := false
	if _, _, p, ok, err := vr.f.DocMDP(); err == nil && ok {
		certified = true
		switch p {
		case 1:
			allowed = lvlLTA
		case 3:
			allowed = lvlAnnot
		default:
			allowed = lvlForm
		}
	}

	diffs := make([]*revChanges, len(revs))
	for k := first + 1; k < len(revs); k++ {
		if err := vr.ctx.Err(); err != nil {
			return nil, err
		}
		rc, err := vr.diffRevision(k)
		if err != nil {
			return nil, fmt.Errorf("revision %d: %w", k+1, err)
		}
		diffs[k] = rc
		for _, c := range rc.changes {
			res.changes = append(res.changes, fmt.Sprintf("revision %d: %s", k+1, c.text))
		}
	}

	illegal := false
	for _, s := range sigs {
		if s.rev < 0 {
			continue
		}
		level := lvlNone
		locks := vr.fieldLocks(s)
		for k := s.rev + 1; k < len(revs); k++ {
			for _, c := range diffs[k].changes {
				level = max(level, c.level)
			}
			for _, name := range diffs[k].fields {
				if locks != nil && locks(name) {
					illegal = true
					res.changes = append(res.changes, fmt.Sprintf("revision %d: field %s changed, but signature %s locks it (/FieldMDP)", k+1, name, s.field))
					level = lvlOther
				}
			}
		}
		s.report.Modification = lvlNames[level]
		if level == lvlOther || level > allowed {
			illegal = true
			if level != lvlOther && level > allowed {
				why := "the document is not certified, and the policy for such documents permits no more than " + lvlNames[allowed]
				if certified {
					why = fmt.Sprintf("the certification (/DocMDP) permits no more than %s", lvlNames[allowed])
				}
				msg := fmt.Sprintf("changes after signature %s reach %s: %s", s.field, lvlNames[level], why)
				if !slices.Contains(res.changes, msg) {
					res.changes = append(res.changes, msg)
				}
			}
		}
	}
	switch {
	case illegal:
		res.doc = gateway.ModificationIllegal
	default:
		for k := last + 1; k < len(revs); k++ {
			if len(diffs[k].changes) > 0 {
				res.doc = gateway.ModificationPermitted
			}
		}
	}
	return res, nil
}

// fieldLocks returns a predicate naming the fields s locks through its
// field's /Lock or its /Reference FieldMDP transform, nil when none.
func (vr *verification) fieldLocks(s *sigEntry) func(string) bool {
	var lock *pdf.Dict
	if s.lock != nil {
		lock, _ = vr.f.ResolveDict(s.lock)
	}
	if lock == nil && s.dict != nil {
		if o, err := vr.f.Resolve(s.dict.Get("Reference")); err == nil {
			if arr, ok := o.(pdf.Array); ok {
				for _, e := range arr {
					ref, _ := vr.f.ResolveDict(e)
					if ref == nil {
						continue
					}
					if m, _ := ref.Name("TransformMethod"); m == "FieldMDP" {
						lock, _ = vr.f.ResolveDict(ref.Get("TransformParams"))
					}
				}
			}
		}
	}
	if lock == nil {
		return nil
	}
	action, _ := lock.Name("Action")
	var names []string
	if o, err := vr.f.Resolve(lock.Get("Fields")); err == nil {
		if arr, ok := o.(pdf.Array); ok {
			for _, e := range arr {
				if so, err := vr.f.Resolve(e); err == nil {
					if str, ok := so.(pdf.String); ok {
						names = append(names, pdf.TextString(str.Value))
					}
				}
			}
		}
	}
	self := s.field
	in := func(n string) bool {
		for _, x := range names {
			if n == x || strings.HasPrefix(n, x+".") {
				return true
			}
		}
		return false
	}
	switch action {
	case "All":
		return func(n string) bool { return n != self }
	case "Include":
		return func(n string) bool { return n != self && in(n) }
	case "Exclude":
		return func(n string) bool { return n != self && !in(n) }
	}
	return nil
}

// revDiff holds the two views of one revision step and what is known about
// the objects it touched.
type revDiff struct {
	vr       *verification
	k        int
	old, new *pdf.View
	changed  map[pdf.Ref]bool // objects whose meaning changed, new ones included
	isNew    map[pdf.Ref]bool
	done     map[pdf.Ref]bool // changed objects that a rule explained
	out      *revChanges
	// roles names objects the old pages used directly, for readable findings.
	roles map[pdf.Ref]string
	// deletedUnknown are freed objects no rule accounts for.
	deletedUnknown []pdf.Ref
	// budget bounds the comparisons of one revision step: objects that
	// share children under different numbers could otherwise make the
	// comparison exponential. When it runs out, objects compare unequal,
	// which reports a change rather than hiding one.
	budget int
}

func (d *revDiff) add(level int, format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	for _, c := range d.out.changes {
		if c.text == text {
			return
		}
	}
	d.out.changes = append(d.out.changes, change{rev: d.k, level: level, text: text})
}

// explain marks ref as accounted for when it changed; it reports whether it had.
func (d *revDiff) explain(ref pdf.Ref) bool {
	if d.changed[ref] {
		d.done[ref] = true
		return true
	}
	return false
}

// diffRevision compares revision k with revision k-1.
func (vr *verification) diffRevision(k int) (*revChanges, error) {
	old, err := vr.f.At(k - 1)
	if err != nil {
		return nil, err
	}
	nv, err := vr.f.At(k)
	if err != nil {
		return nil, err
	}
	d := &revDiff{vr: vr, k: k, old: old, new: nv, changed: map[pdf.Ref]bool{}, isNew: map[pdf.Ref]bool{}, done: map[pdf.Ref]bool{}, out: &revChanges{}, budget: maxCompareSteps}
	rev := vr.f.Revisions()[k]
	freed := rev.Freed()
	compare := func(ref pdf.Ref) {
		no, err := nv.Object(ref)
		if err != nil {
			return // unreadable in the new revision: it reads as null, as does anything else undefined
		}
		oo, err := old.Object(ref)
		if errors.Is(err, pdf.ErrNotFound) {
			d.changed[ref], d.isNew[ref] = true, true
			if was, ok := old.InUse(ref.Num); ok && was != ref {
				// The number in use under another generation: the object the
				// signed revision had is gone (every "n g R" to it now reads
				// null) as surely as if the entry were free.
				freed = append(freed, ref.Num)
			}
			return
		}
		if err != nil {
			d.changed[ref] = true
			return
		}
		if ol, e1 := old.Locate(ref); e1 == nil {
			if nl, e2 := nv.Locate(ref); e2 == nil && ol == nl {
				return // the section lists the same stored object again
			}
		}
		if d.same(oo, no, 0) {
			return
		}
		d.changed[ref] = true
	}
	listed := rev.Objects()
	var inStreams map[uint32][]pdf.Ref
	for i, ref := range listed {
		if i%256 == 0 {
			if err := vr.ctx.Err(); err != nil {
				return nil, err
			}
		}
		compare(ref)
		// An object stream the signed revision read objects from, defined
		// anew (as another object stream, or as anything else): every
		// object in it that this section does not list changes with it, or
		// is gone, though nothing lists it.
		if !wasObjStm(old, ref.Num) {
			continue
		}
		if inStreams == nil {
			inStreams = old.CompressedObjects()
		}
		for _, r := range inStreams[ref.Num] {
			if rev.Defines(r.Num) {
				continue
			}
			if _, err := nv.Object(r); err != nil {
				freed = append(freed, r.Num) // unreadable now: deleted
				continue
			}
			compare(r)
		}
	}

	// Containers of the update itself explain nothing and change nothing.
	for ref := range d.changed {
		o, _ := nv.Object(ref)
		if st, ok := o.(*pdf.Stream); ok {
			if t, _ := st.Dict.Name("Type"); t == "XRef" || t == "ObjStm" {
				d.done[ref] = true
			}
		}
	}

	if err := d.catalog(); err != nil {
		return nil, err
	}
	d.info()
	if err := d.fields(); err != nil {
		return nil, err
	}
	if err := d.pages(); err != nil {
		return nil, err
	}
	d.structTree()
	d.deleted(freed)
	if err := d.leftovers(); err != nil {
		return nil, err
	}
	return d.out, nil
}

// wasObjStm reports whether object number num is an object stream in v.
func wasObjStm(v *pdf.View, num uint32) bool {
	ref, ok := v.InUse(num)
	if !ok {
		return false
	}
	o, err := v.Object(ref)
	if err != nil {
		return false
	}
	st, ok := o.(*pdf.Stream)
	if !ok {
		return false
	}
	t, _ := st.Dict.Name("Type")
	return t == "ObjStm"
}

// same compares two objects by meaning: references by identity (a changed
// target is judged on its own), streams by decoded data, numbers by value.
func (d *revDiff) same(a, b pdf.Object, depth int) bool {
	if depth > maxCompareDepth || d.budget <= 0 {
		return false
	}
	d.budget--
	ra, aRef := a.(pdf.Ref)
	rb, bRef := b.(pdf.Ref)
	switch {
	case aRef && bRef:
		if ra == rb {
			return true
		}
		x, e1 := d.old.Resolve(ra)
		y, e2 := d.new.Resolve(rb)
		return e1 == nil && e2 == nil && d.same(x, y, depth+1)
	case aRef:
		x, err := d.old.Resolve(ra)
		return err == nil && d.same(x, b, depth+1)
	case bRef:
		y, err := d.new.Resolve(rb)
		return err == nil && d.same(a, y, depth+1)
	}
	if a == nil {
		a = pdf.Null{}
	}
	if b == nil {
		b = pdf.Null{}
	}
	switch x := a.(type) {
	case pdf.Null:
		_, ok := b.(pdf.Null)
		return ok
	case pdf.Bool:
		y, ok := b.(pdf.Bool)
		return ok && x == y
	case pdf.Integer, pdf.Real:
		fx, _ := pdf.Number(a)
		fy, ok := pdf.Number(b)
		return ok && fx == fy
	case pdf.Name:
		y, ok := b.(pdf.Name)
		return ok && x == y
	case pdf.String:
		y, ok := b.(pdf.String)
		return ok && bytes.Equal(x.Value, y.Value)
	case pdf.Array:
		y, ok := b.(pdf.Array)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !d.same(x[i], y[i], depth+1) {
				return false
			}
		}
		return true
	case *pdf.Dict:
		y, ok := b.(*pdf.Dict)
		return ok && d.sameDict(x, y, nil, depth)
	case *pdf.Stream:
		y, ok := b.(*pdf.Stream)
		if !ok {
			return false
		}
		if x.Offset == y.Offset && x.Length == y.Length && x.Offset > 0 {
			return d.sameDict(x.Dict, y.Dict, nil, depth)
		}
		if !d.sameDict(x.Dict, y.Dict, streamEncodingKeys, depth) {
			return false
		}
		return d.sameStreamData(x, y)
	}
	return false
}

var streamEncodingKeys = []pdf.Name{"Length", "Filter", "DecodeParms", "DL"}

// sameDict compares dictionaries, ignoring the keys in skip and treating a
// null value like an absent key.
func (d *revDiff) sameDict(x, y *pdf.Dict, skip []pdf.Name, depth int) bool {
	keys := map[pdf.Name]bool{}
	for _, k := range x.Keys() {
		keys[k] = true
	}
	for _, k := range y.Keys() {
		keys[k] = true
	}
	for k := range keys {
		if slices.Contains(skip, k) {
			continue
		}
		if !d.same(x.Get(k), y.Get(k), depth+1) {
			return false
		}
	}
	return true
}

// diffKeys names the keys whose values differ between x and y.
func (d *revDiff) diffKeys(x, y *pdf.Dict, skip []pdf.Name) string {
	var out []string
	for _, k := range unionKeys(x, y) {
		if slices.Contains(skip, k) {
			continue
		}
		if !d.same(x.Get(k), y.Get(k), 1) {
			out = append(out, "/"+string(k))
		}
	}
	return strings.Join(out, " ")
}

func (d *revDiff) sameStreamData(x, y *pdf.Stream) bool {
	f := d.vr.f
	dx, rx, e1 := f.Decode(x)
	dy, ry, e2 := f.Decode(y)
	if e1 != nil || e2 != nil {
		// Undecodable data: only identical raw bytes count as the same.
		bx, e1 := f.RawData(x)
		by, e2 := f.RawData(y)
		return e1 == nil && e2 == nil && bytes.Equal(bx, by)
	}
	return slices.Equal(rx, ry) && bytes.Equal(dx, dy)
}

// refsUnder collects the references reachable from o in view v, not
// descending into dictionaries for which stop says so (pages, for example).
func (d *revDiff) refsUnder(v *pdf.View, o pdf.Object, stop func(*pdf.Dict) bool, seen map[pdf.Ref]bool) {
	var walk func(o pdf.Object, depth int)
	walk = func(o pdf.Object, depth int) {
		if depth > maxCompareDepth || len(seen) > maxWalk || d.vr.ctx.Err() != nil {
			return
		}
		switch x := o.(type) {
		case pdf.Ref:
			if seen[x] {
				return
			}
			t, err := v.Object(x)
			if err != nil {
				return
			}
			if dd := dictOf(t); dd != nil && stop != nil && stop(dd) {
				return
			}
			seen[x] = true
			walk(t, depth+1)
		case pdf.Array:
			for _, e := range x {
				walk(e, depth+1)
			}
		case *pdf.Dict:
			for _, e := range x.Entries {
				walk(e.Value, depth+1)
			}
		case *pdf.Stream:
			walk(x.Dict, depth+1)
		}
	}
	walk(o, 0)
}

// explainUnder accounts for the changed objects reachable from newRoot that
// are new, or that were already reachable from oldRoot in the previous
// revision. An existing object newly brought under a structure is not
// explained by it: otherwise a page's content stream listed in a DSS, or
// shared with a widget's appearance, could be rewritten as "validation data"
// or "form filling". It returns how many objects it explained.
func (d *revDiff) explainUnder(newRoot, oldRoot pdf.Object, stop func(*pdf.Dict) bool) int {
	if newRoot == nil {
		return 0
	}
	seen := map[pdf.Ref]bool{}
	d.refsUnder(d.new, newRoot, stop, seen)
	var before map[pdf.Ref]bool
	n := 0
	for r := range seen {
		if !d.changed[r] || d.done[r] {
			continue
		}
		if !d.isNew[r] {
			if before == nil {
				before = map[pdf.Ref]bool{}
				if oldRoot != nil {
					d.refsUnder(d.old, oldRoot, stop, before)
				}
			}
			if !before[r] {
				continue
			}
		}
		d.done[r] = true
		n++
	}
	return n
}

// oldDict returns ref's dictionary as of the previous revision, or nil.
func (d *revDiff) oldDict(ref pdf.Ref) *pdf.Dict {
	o, err := d.old.Object(ref)
	if err != nil {
		return nil
	}
	return dictOf(o)
}

// explainAppearances accounts for the appearance objects of f's widgets.
func (d *revDiff) explainAppearances(f pdf.Field) {
	for _, w := range f.Widgets {
		var oap, omk pdf.Object
		if od := d.oldDict(w.Ref); od != nil {
			oap, omk = od.Get("AP"), od.Get("MK")
		}
		d.explainUnder(w.Dict.Get("AP"), oap, isPageLike)
		d.explainUnder(w.Dict.Get("MK"), omk, isPageLike)
	}
}

func dictOf(o pdf.Object) *pdf.Dict {
	switch x := o.(type) {
	case *pdf.Dict:
		return x
	case *pdf.Stream:
		return x.Dict
	}
	return nil
}

func isPageLike(dd *pdf.Dict) bool {
	t, _ := dd.Name("Type")
	return t == "Page" || t == "Pages" || t == "Catalog"
}

// catalog judges changes to the document catalog and the DSS.
func (d *revDiff) catalog() error {
	newRoot, _ := d.new.Trailer().Ref("Root")
	oc, err := d.old.Catalog()
	if err != nil {
		return err
	}
	nc, err := d.new.Catalog()
	if err != nil {
		return err
	}
	if oc == nil || nc == nil {
		return errors.New("catalog missing")
	}
	// A catalog written under another number is judged by its content below,
	// like one rewritten in place.
	d.explain(newRoot)
	keys := map[pdf.Name]bool{}
	for _, k := range oc.Keys() {
		keys[k] = true
	}
	for _, k := range nc.Keys() {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, string(k))
	}
	sort.Strings(sorted)
	for _, ks := range sorted {
		k := pdf.Name(ks)
		ov, nvv := oc.Get(k), nc.Get(k)
		if d.same(ov, nvv, 0) {
			continue
		}
		switch k {
		case "DSS":
			if ov == nil {
				d.add(lvlLTA, "DSS added")
			} else {
				d.add(lvlLTA, "DSS updated")
			}
		case "AcroForm":
			// Judged with the fields.
		case "Metadata":
			d.add(lvlLTA, "XMP metadata replaced")
		case "Version", "Extensions", "PieceInfo", "LastModified", "ITXT":
			d.add(lvlLTA, "catalog /%s updated", k)
		case "StructTreeRoot", "MarkInfo", "Lang":
			d.add(lvlForm, "catalog /%s updated", k)
		case "Pages":
			d.add(lvlOther, "catalog /Pages replaced: another page tree")
		case "Perms":
			d.add(lvlOther, "catalog /Perms changed: the certification permissions were altered")
		case "OCProperties":
			d.add(lvlOther, "catalog /OCProperties changed: optional content (layers) shown or hidden differently")
		default:
			d.add(lvlOther, "catalog /%s changed", k)
		}
	}
	// Everything the DSS holds is validation data.
	if n := d.explainUnder(nc.Get("DSS"), oc.Get("DSS"), isPageLike); n > 0 && oc.Get("DSS") != nil {
		d.add(lvlLTA, "DSS updated")
	}
	if ref, ok := nc.Get("Metadata").(pdf.Ref); ok && d.explain(ref) {
		d.add(lvlLTA, "XMP metadata updated")
	}
	if ref, ok := nc.Get("Extensions").(pdf.Ref); ok && d.explain(ref) {
		d.add(lvlLTA, "catalog /Extensions updated")
	}
	return nil
}

// info accepts an updated document information dictionary.
func (d *revDiff) info() {
	oi := d.old.Trailer().Get("Info")
	ni := d.new.Trailer().Get("Info")
	if ref, ok := ni.(pdf.Ref); ok && d.explain(ref) {
		d.add(lvlLTA, "document information (/Info) updated")
	} else if !d.same(oi, ni, 0) {
		d.add(lvlLTA, "document information (/Info) updated")
	}
	d.explainUnder(ni, oi, isPageLike)
}

// producerKeys are private entries producers update on every save (iText's
// version marker, Acrobat's page-piece data): they do not change what is shown.
var producerKeys = []pdf.Name{"ITXT", "PieceInfo", "LastModified"}

// fieldKeysFilled are the entries form filling may change in a field or its
// widget: the value, the appearance and its state. Not /F: showing or hiding a
// widget after signing is how a hide attack reveals prepared content.
var fieldKeysFilled = []pdf.Name{"V", "AS", "AP", "MK", "DV", "RV", "Ff", "DA", "Q", "I"}

// fields judges the AcroForm, signature fields and form filling.
func (d *revDiff) fields() error {
	oldFields, err := d.old.Fields()
	if err != nil {
		return err
	}
	newFields, err := d.new.Fields()
	if err != nil {
		return err
	}
	oldByRef := map[pdf.Ref]pdf.Field{}
	oldNames := map[string]bool{}
	for _, f := range oldFields {
		oldByRef[f.Ref] = f
		oldNames[f.Name] = true
	}
	newRefs := map[pdf.Ref]bool{}
	for _, f := range newFields {
		newRefs[f.Ref] = true
	}
	for _, f := range oldFields {
		if !newRefs[f.Ref] {
			d.add(lvlOther, "form field %s removed", f.Name)
		}
	}

	// The AcroForm dictionary: fields may be added, the signature flags and
	// default resources set; anything else is a change of the form.
	oc, _ := d.old.Catalog()
	nc, _ := d.new.Catalog()
	oaf, _ := d.old.ResolveDict(oc.Get("AcroForm"))
	naf, _ := d.new.ResolveDict(nc.Get("AcroForm"))
	if ref, ok := nc.Get("AcroForm").(pdf.Ref); ok {
		d.explain(ref)
	}
	if naf != nil {
		if oaf == nil {
			oaf = pdf.NewDict()
		}
		for _, k := range []pdf.Name{"DR", "DA", "NeedAppearances"} {
			// Permitted with form filling, but they change how every field
			// is drawn (a font swapped in /DR redraws values): disclosed.
			if !d.same(oaf.Get(k), naf.Get(k), 0) {
				d.add(lvlForm, "form: default /%s changed", k)
			}
		}
		for _, k := range naf.Keys() {
			if slices.Contains([]pdf.Name{"Fields", "SigFlags", "DR", "DA", "NeedAppearances"}, k) {
				continue
			}
			if !d.same(oaf.Get(k), naf.Get(k), 0) {
				if k == "XFA" {
					d.add(lvlOther, "form: XFA changed")
				} else {
					d.add(lvlOther, "form: /%s changed", k)
				}
			}
		}
		if ref, ok := naf.Get("Fields").(pdf.Ref); ok {
			d.explain(ref)
		}
		if d.explainUnder(naf.Get("DR"), oaf.Get("DR"), isPageLike) > 0 {
			d.add(lvlForm, "form: default resources (/DR) updated")
		}
	}

	fieldDirty := func(f pdf.Field) bool {
		if d.changed[f.Ref] {
			return true
		}
		for _, w := range f.Widgets {
			if d.changed[w.Ref] {
				return true
			}
		}
		if ref, ok := f.Value.(pdf.Ref); ok && d.changed[ref] {
			return true
		}
		return false
	}

	for _, f := range newFields {
		if err := d.vr.ctx.Err(); err != nil {
			return err
		}
		of, existed := oldByRef[f.Ref]
		if !fieldDirty(f) && existed {
			continue
		}
		if f.Type == "Sig" {
			d.sigField(f, of, existed)
			continue
		}
		if !existed {
			d.add(lvlOther, "new form field %s", f.Name)
			d.explain(f.Ref)
			for _, w := range f.Widgets {
				d.explain(w.Ref)
			}
			d.explainAppearances(f)
			continue
		}
		// Form filling: only the value and appearances may differ.
		ok := d.sameDict(of.Dict, f.Dict, fieldKeysFilled, 0)
		why := d.diffKeys(of.Dict, f.Dict, fieldKeysFilled)
		for _, w := range f.Widgets {
			if w.Ref == f.Ref || !d.changed[w.Ref] {
				continue
			}
			ow, err := d.old.Object(w.Ref)
			if err != nil {
				ok = false
				why += fmt.Sprintf(" new widget %d", w.Ref.Num)
				continue
			}
			if od := dictOf(ow); od == nil || !d.sameDict(od, w.Dict, fieldKeysFilled, 0) {
				ok = false
				if od != nil {
					why += " widget " + d.diffKeys(od, w.Dict, fieldKeysFilled)
				}
			}
		}
		if !ok {
			d.add(lvlOther, "form field %s changed beyond its value and appearance (%s)", f.Name, strings.TrimSpace(why))
		} else {
			d.add(lvlForm, "form field %s filled", f.Name)
		}
		d.out.fields = append(d.out.fields, f.Name)
		d.explain(f.Ref)
		for _, w := range f.Widgets {
			d.explain(w.Ref)
		}
		d.explainUnder(f.Value, of.Value, isPageLike)
		d.explainAppearances(f)
	}
	// Intermediate field nodes whose /Kids grew to take a new field.
	for ref := range d.changed {
		if d.done[ref] || d.isNew[ref] {
			continue
		}
		no, _ := d.new.Object(ref)
		oo, _ := d.old.Object(ref)
		nd, od := dictOf(no), dictOf(oo)
		if nd == nil || od == nil || !nd.Has("Kids") || !nd.Has("T") || nd.Has("Type") {
			continue
		}
		if d.sameDict(od, nd, []pdf.Name{"Kids"}, 0) {
			d.explain(ref)
			d.add(lvlForm, "form field group %s takes a new field", pdf.TextString(stringOf(nd.Get("T"))))
		}
	}
	return nil
}

func stringOf(o pdf.Object) []byte {
	if s, ok := o.(pdf.String); ok {
		return s.Value
	}
	return nil
}

// sigField judges a new or changed signature field.
func (d *revDiff) sigField(f pdf.Field, of pdf.Field, existed bool) {
	wasSigned := existed && of.Value != nil && !isNull(of.Value)
	signedNow := f.Value != nil && !isNull(f.Value)
	valueRef, _ := f.Value.(pdf.Ref)
	explainAll := func() {
		d.explain(f.Ref)
		for _, w := range f.Widgets {
			d.explain(w.Ref)
		}
		d.explainAppearances(f)
		for _, k := range []pdf.Name{"Lock", "SV"} {
			var old pdf.Object
			if existed {
				old = of.Dict.Get(k)
			}
			d.explainUnder(f.Dict.Get(k), old, isPageLike)
		}
	}
	switch {
	case wasSigned:
		if !d.same(of.Value, f.Value, 0) || (valueRef != (pdf.Ref{}) && d.changed[valueRef]) {
			d.add(lvlOther, "signature field %s: its signature was replaced or altered", f.Name)
			d.explain(valueRef)
		}
		if d.changed[f.Ref] {
			od := of.Dict
			if keys := d.diffKeys(od, f.Dict, []pdf.Name{"AP", "MK", "F", "P", "Ff"}); keys != "" {
				d.add(lvlOther, "signature field %s changed (%s)", f.Name, keys)
			} else if !d.same(od.Get("AP"), f.Dict.Get("AP"), 0) {
				// What a signed field shows is part of what was signed.
				d.add(lvlAnnot, "signature field %s: appearance of a signed field changed", f.Name)
			} else {
				d.add(lvlForm, "signature field %s: flags updated", f.Name)
			}
		}
		for _, w := range f.Widgets {
			if w.Ref != f.Ref && d.changed[w.Ref] {
				if ow := d.oldDict(w.Ref); ow == nil || !d.sameDict(ow, w.Dict, []pdf.Name{"AP", "MK", "F", "P"}, 0) {
					d.add(lvlOther, "signature field %s: widget changed", f.Name)
				} else if !d.same(ow.Get("AP"), w.Dict.Get("AP"), 0) {
					d.add(lvlAnnot, "signature field %s: appearance of a signed field changed", f.Name)
				} else {
					d.add(lvlForm, "signature field %s: flags updated", f.Name)
				}
			}
		}
		explainAll()
	case signedNow:
		sd, _ := d.new.ResolveDict(f.Value)
		sub := pdf.Name("")
		if sd != nil {
			sub, _ = sd.Name("SubFilter")
		}
		if existed && d.changed[f.Ref] && !d.sameDict(of.Dict, f.Dict, []pdf.Name{"V", "AP", "MK", "F", "P", "Lock", "SV"}, 0) {
			d.add(lvlOther, "signature field %s changed beyond being signed", f.Name)
		}
		if sub == subFilterRFC3161 {
			d.add(lvlLTA, "document timestamp %s added", f.Name)
		} else {
			d.add(lvlForm, "signature field %s signed", f.Name)
			d.out.fields = append(d.out.fields, f.Name)
		}
		if valueRef != (pdf.Ref{}) {
			if !d.isNew[valueRef] && d.changed[valueRef] {
				d.add(lvlOther, "signature field %s: an existing object was reused as its signature", f.Name)
			}
			d.explain(valueRef)
			seen := map[pdf.Ref]bool{}
			d.refsUnder(d.new, valueRef, isPageLike, seen)
			for r := range seen {
				if d.isNew[r] {
					d.explain(r)
				}
			}
		}
		explainAll()
	default:
		if existed {
			if !d.sameDict(of.Dict, f.Dict, []pdf.Name{"AP", "MK", "F", "P", "Lock", "SV"}, 0) {
				d.add(lvlOther, "empty signature field %s changed", f.Name)
			}
		} else {
			d.add(lvlForm, "empty signature field %s added", f.Name)
		}
		explainAll()
	}
}

func isNull(o pdf.Object) bool {
	_, ok := o.(pdf.Null)
	return ok
}

// pages judges the page tree: the pages themselves, their content,
// resources and annotations.
func (d *revDiff) pages() error {
	op, err := d.old.Pages()
	if err != nil {
		return err
	}
	np, err := d.new.Pages()
	if err != nil {
		return err
	}
	if len(np) > len(op) {
		d.add(lvlOther, "%d page(s) added (now %d)", len(np)-len(op), len(np))
	} else if len(np) < len(op) {
		d.add(lvlOther, "%d page(s) removed (now %d)", len(op)-len(np), len(np))
	}
	// Widgets of signature fields in the new revision may be added to pages.
	newFields, _ := d.new.Fields()
	widgetOf := map[pdf.Ref]pdf.Field{}
	for _, f := range newFields {
		for _, w := range f.Widgets {
			widgetOf[w.Ref] = f
		}
	}
	for i := 0; i < len(np) && i < len(op); i++ {
		if err := d.vr.ctx.Err(); err != nil {
			return err
		}
		o, n := op[i], np[i]
		d.oldPageRoles(o)
		if o.Ref != n.Ref {
			if !d.same(o.Dict, n.Dict, 0) {
				d.add(lvlOther, "page %d replaced by object %d", i+1, n.Ref.Num)
			}
			d.explain(n.Ref)
			continue
		}
		// Inherited attributes first: a changed parent changes the page.
		for _, attr := range []struct {
			name pdf.Name
			o, n pdf.Object
		}{{"Resources", o.Resources, n.Resources}, {"MediaBox", o.MediaBox, n.MediaBox}, {"CropBox", o.CropBox, n.CropBox}} {
			if !d.same(attr.o, attr.n, 0) {
				d.add(lvlOther, "page %d: /%s changed", i+1, attr.name)
			}
		}
		if o.Rotate != n.Rotate {
			d.add(lvlOther, "page %d: /Rotate changed", i+1)
		}
		if !d.changed[n.Ref] && !d.changedRef(n.Dict.Get("Annots")) {
			continue
		}
		d.explain(n.Ref)
		for _, k := range unionKeys(o.Dict, n.Dict) {
			if k == "Annots" || k == "Resources" || k == "MediaBox" || k == "CropBox" || k == "Rotate" || k == "Parent" {
				continue
			}
			if d.same(o.Dict.Get(k), n.Dict.Get(k), 0) {
				continue
			}
			switch k {
			case "Contents":
				d.add(lvlOther, "page %d: content stream replaced (%s)", i+1, describeRefs(n.Dict.Get("Contents")))
			case "StructParents", "Tabs", "PieceInfo", "LastModified", "ITXT":
				d.add(lvlForm, "page %d: /%s updated", i+1, k)
			default:
				d.add(lvlOther, "page %d: /%s changed", i+1, k)
			}
		}
		// /Parent may point to an equal node under another number.
		if !d.same(o.Dict.Get("Parent"), n.Dict.Get("Parent"), 0) {
			d.add(lvlOther, "page %d: moved in the page tree", i+1)
		}
		d.annots(i, o, n, widgetOf)
	}
	// Page tree nodes whose meaning changed without changing any page's
	// inherited attributes (for example /Count when pages were added).
	for _, p := range np {
		if pr, ok := p.Dict.Get("Parent").(pdf.Ref); ok {
			for depth := 0; depth < maxCompareDepth; depth++ {
				if d.changed[pr] && !d.done[pr] {
					d.explain(pr)
					oo, _ := d.old.Object(pr)
					if od, nd := dictOf(oo), dictOf(pd0(d.new, pr)); len(np) == len(op) && od != nil && nd != nil {
						if keys := d.diffKeys(od, nd, producerKeys); keys != "" {
							d.add(lvlOther, "page tree node %d changed (%s)", pr.Num, keys)
						} else {
							d.add(lvlLTA, "page tree node %d: producer data (%s) updated", pr.Num, d.diffKeys(od, nd, nil))
						}
					}
				}
				pd, _ := d.new.ResolveDict(pr)
				if pd == nil {
					break
				}
				next, ok := pd.Get("Parent").(pdf.Ref)
				if !ok {
					break
				}
				pr = next
			}
		}
	}
	return nil
}

func unionKeys(a, b *pdf.Dict) []pdf.Name {
	var out []pdf.Name
	seen := map[pdf.Name]bool{}
	for _, dd := range []*pdf.Dict{a, b} {
		for _, k := range dd.Keys() {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

func describeRefs(o pdf.Object) string {
	var nums []string
	switch x := o.(type) {
	case pdf.Ref:
		nums = append(nums, fmt.Sprint(x.Num))
	case pdf.Array:
		for _, e := range x {
			if r, ok := e.(pdf.Ref); ok {
				nums = append(nums, fmt.Sprint(r.Num))
			}
		}
	}
	if len(nums) == 0 {
		return "direct object"
	}
	if len(nums) == 1 {
		return "object " + nums[0]
	}
	return "objects " + strings.Join(nums, ", ")
}

func (d *revDiff) changedRef(o pdf.Object) bool {
	r, ok := o.(pdf.Ref)
	return ok && d.changed[r]
}

// oldPageRoles names, for the leftovers, the objects a page uses directly, so
// that a replaced content stream or image is reported as such.
func (d *revDiff) oldPageRoles(p pdf.Page) {
	if d.roles == nil {
		d.roles = map[pdf.Ref]string{}
	}
	set := func(o pdf.Object, role string) {
		if r, ok := o.(pdf.Ref); ok {
			if _, has := d.roles[r]; !has {
				d.roles[r] = role
			}
		}
	}
	n := p.Index + 1
	switch c := p.Dict.Get("Contents").(type) {
	case pdf.Ref:
		set(c, fmt.Sprintf("page %d: content stream", n))
		if arr, err := d.old.Resolve(c); err == nil {
			if a, ok := arr.(pdf.Array); ok {
				for _, e := range a {
					set(e, fmt.Sprintf("page %d: content stream", n))
				}
			}
		}
	case pdf.Array:
		for _, e := range c {
			set(e, fmt.Sprintf("page %d: content stream", n))
		}
	}
	set(p.Resources, fmt.Sprintf("page %d: resources", n))
	if res, _ := d.old.ResolveDict(p.Resources); res != nil {
		for _, cat := range []pdf.Name{"XObject", "Font", "ExtGState", "Pattern", "Shading", "ColorSpace", "Properties"} {
			set(res.Get(cat), fmt.Sprintf("page %d: /%s resources", n, cat))
			if rd, _ := d.old.ResolveDict(res.Get(cat)); rd != nil {
				for _, e := range rd.Entries {
					set(e.Value, fmt.Sprintf("page %d: %s /%s", n, strings.TrimSuffix(string(cat), "s"), e.Key))
				}
			}
		}
	}
	if a, err := d.old.Resolve(p.Dict.Get("Annots")); err == nil {
		if arr, ok := a.(pdf.Array); ok {
			for _, e := range arr {
				st := "annotation"
				if ad, _ := d.old.ResolveDict(e); ad != nil {
					if s, ok := ad.Name("Subtype"); ok {
						st = "annotation /" + string(s)
					}
				}
				set(e, fmt.Sprintf("page %d: %s", n, st))
			}
		}
	}
}

// annots compares the annotations of one page.
func (d *revDiff) annots(i int, o, n pdf.Page, widgetOf map[pdf.Ref]pdf.Field) {
	if r, ok := n.Dict.Get("Annots").(pdf.Ref); ok {
		d.explain(r)
	}
	list := func(v *pdf.View, dd *pdf.Dict) []pdf.Object {
		a, err := v.Resolve(dd.Get("Annots"))
		if err != nil {
			return nil
		}
		arr, _ := a.(pdf.Array)
		return arr
	}
	oa, na := list(d.old, o.Dict), list(d.new, n.Dict)
	oldSet := map[pdf.Ref]bool{}
	for _, a := range oa {
		if r, ok := a.(pdf.Ref); ok {
			oldSet[r] = true
		}
	}
	newSet := map[pdf.Ref]bool{}
	for _, a := range na {
		r, ok := a.(pdf.Ref)
		if !ok {
			continue
		}
		newSet[r] = true
		if oldSet[r] {
			continue
		}
		if _, isWidget := widgetOf[r]; isWidget {
			continue // a widget of a signature or form field: judged with the fields
		}
		d.newAnnot(i, r)
	}
	for _, a := range oa {
		if r, ok := a.(pdf.Ref); ok && !newSet[r] {
			d.add(lvlAnnot, "annotation (object %d) removed from page %d", r.Num, i+1)
		}
	}
	// Direct (inline) annotation dictionaries are compared as a whole.
	directOld, directNew := 0, 0
	for _, a := range oa {
		if _, ok := a.(pdf.Ref); !ok {
			directOld++
		}
	}
	for _, a := range na {
		if _, ok := a.(pdf.Ref); !ok {
			directNew++
		}
	}
	if directOld != directNew {
		d.add(lvlAnnot, "page %d: annotations written inline changed", i+1)
	}
	// Existing annotations that changed.
	for r := range oldSet {
		if !newSet[r] || !d.changed[r] || d.done[r] {
			continue
		}
		if _, isWidget := widgetOf[r]; isWidget {
			continue // judged with the fields
		}
		d.explain(r)
		st := "annotation"
		if ad, _ := d.new.ResolveDict(r); ad != nil {
			if s, ok := ad.Name("Subtype"); ok {
				st = "annotation /" + string(s)
			}
		}
		d.add(lvlAnnot, "page %d: %s (object %d) changed", i+1, st, r.Num)
		if ad, _ := d.new.ResolveDict(r); ad != nil {
			var oap pdf.Object
			if od := d.oldDict(r); od != nil {
				oap = od.Get("AP")
			}
			d.explainUnder(ad.Get("AP"), oap, isPageLike)
		}
	}
}

// newAnnot judges an annotation added to page i.
func (d *revDiff) newAnnot(i int, r pdf.Ref) {
	d.explain(r)
	ad, _ := d.new.ResolveDict(r)
	st := pdf.Name("?")
	if ad != nil {
		st, _ = ad.Name("Subtype")
		// A new annotation owns only new objects.
		d.explainUnder(ad.Get("AP"), nil, isPageLike)
		d.explainUnder(ad.Get("Popup"), nil, isPageLike)
	}
	if !d.isNew[r] {
		d.add(lvlAnnot, "existing object %d added as an annotation /%s on page %d", r.Num, st, i+1)
		return
	}
	d.add(lvlAnnot, "new annotation /%s on page %d", st, i+1)
}

// structTree accepts updates of the logical structure (tagging), which does
// not change what is shown and accompanies new signature widgets.
func (d *revDiff) structTree() {
	nc, err := d.new.Catalog()
	if err != nil || nc == nil {
		return
	}
	st := nc.Get("StructTreeRoot")
	if st == nil {
		return
	}
	// The walk keeps to the structure itself: pages, annotations, XObjects
	// and streams (marked content a structure element points at) belong to
	// the page and are judged there.
	stop := func(dd *pdf.Dict) bool {
		t, _ := dd.Name("Type")
		switch t {
		case "Page", "Pages", "Annot", "XObject", "Catalog", "Sig":
			return true
		}
		if dd.Has("Length") {
			return true
		}
		s, _ := dd.Name("Subtype")
		return s != "" // annotations and XObjects without /Type
	}
	oc, _ := d.old.Catalog()
	var oldST pdf.Object
	if oc != nil {
		oldST = oc.Get("StructTreeRoot")
	}
	n := d.explainUnder(st, oldST, stop)
	if n > 0 {
		d.add(lvlForm, "structure tree updated (%d objects)", n)
	}
}

// deleted judges objects the revision frees.
func (d *revDiff) deleted(freed []uint32) {
	if len(freed) == 0 {
		return
	}
	oc, _ := d.old.Catalog()
	oldDSS := map[pdf.Ref]bool{}
	if oc != nil {
		d.refsUnder(d.old, oc.Get("DSS"), isPageLike, oldDSS)
	}
	for _, num := range freed {
		ref, ok := d.old.InUse(num) // whatever its generation
		if !ok {
			continue // nothing was there to delete
		}
		if _, err := d.old.Object(ref); err != nil {
			continue
		}
		if oldDSS[ref] {
			d.add(lvlLTA, "DSS updated")
			continue
		}
		oo, _ := d.old.Object(ref)
		if st, ok := oo.(*pdf.Stream); ok {
			if t, _ := st.Dict.Name("Type"); t == "XRef" || t == "ObjStm" {
				continue
			}
		}
		if role, ok := d.roles[ref]; ok {
			d.add(lvlOther, "%s deleted (object %d)", role, num)
			continue
		}
		d.deletedUnknown = append(d.deletedUnknown, ref)
	}
}

// leftovers judges what no rule explained. A changed object that existed
// before is an illegal change. A new object matters only when something the
// revision did not change refers to it: that is how an update fills a
// reference that used to point nowhere (read as null) without touching the
// page that makes it. A deleted object matters when something still uses it.
func (d *revDiff) leftovers() error {
	var pending []pdf.Ref
	for ref := range d.changed {
		if d.done[ref] {
			continue
		}
		if d.isNew[ref] {
			pending = append(pending, ref)
			continue
		}
		d.done[ref] = true
		if role, ok := d.roles[ref]; ok {
			d.add(lvlOther, "%s replaced (object %d)", role, ref.Num)
			continue
		}
		o, _ := d.new.Object(ref)
		what := "object"
		if dd := dictOf(o); dd != nil {
			if t, ok := dd.Name("Type"); ok {
				what = "/" + string(t) + " object"
			} else if st, ok := dd.Name("Subtype"); ok {
				what = "/" + string(st) + " object"
			}
		}
		d.add(lvlOther, "%s %d replaced", what, ref.Num)
	}
	if len(pending) == 0 && len(d.deletedUnknown) == 0 {
		return nil
	}
	wanted := map[pdf.Ref]bool{}
	for _, r := range pending {
		wanted[r] = true
	}
	for _, r := range d.deletedUnknown {
		wanted[r] = true
	}
	found := map[pdf.Ref]pdf.Ref{} // wanted object -> unchanged object that refers to it
	seen := map[pdf.Ref]bool{}
	queue := []pdf.Ref{}
	if r, ok := d.new.Trailer().Get("Root").(pdf.Ref); ok {
		queue = append(queue, r)
	}
	if r, ok := d.new.Trailer().Get("Info").(pdf.Ref); ok {
		queue = append(queue, r)
	}
	var refs []pdf.Ref
	var collect func(o pdf.Object, depth int)
	collect = func(o pdf.Object, depth int) {
		if depth > maxCompareDepth {
			return
		}
		switch x := o.(type) {
		case pdf.Ref:
			refs = append(refs, x)
		case pdf.Array:
			for _, e := range x {
				collect(e, depth+1)
			}
		case *pdf.Dict:
			for _, e := range x.Entries {
				collect(e.Value, depth+1)
			}
		case *pdf.Stream:
			collect(x.Dict, depth+1)
		}
	}
	for len(queue) > 0 && len(seen) < maxWalk {
		if len(seen)%512 == 0 {
			if err := d.vr.ctx.Err(); err != nil {
				return err
			}
		}
		cur := queue[0]
		queue = queue[1:]
		if seen[cur] {
			continue
		}
		seen[cur] = true
		o, err := d.new.Object(cur)
		if err != nil {
			continue
		}
		refs = refs[:0]
		collect(o, 0)
		unchanged := !d.changed[cur]
		for _, r := range refs {
			if wanted[r] && unchanged {
				if _, has := found[r]; !has {
					found[r] = cur
				}
			}
			if !seen[r] {
				queue = append(queue, r)
			}
		}
	}
	for _, r := range pending {
		if by, ok := found[r]; ok {
			if role, has := d.roles[by]; has {
				d.add(lvlOther, "new object %d fills a reference of an unchanged object (%s, object %d)", r.Num, role, by.Num)
			} else {
				d.add(lvlOther, "new object %d fills a reference of unchanged object %d", r.Num, by.Num)
			}
		}
	}
	for _, r := range d.deletedUnknown {
		if by, ok := found[r]; ok {
			d.add(lvlOther, "object %d deleted though object %d still uses it", r.Num, by.Num)
		}
	}
	return nil
}

func pd0(v *pdf.View, r pdf.Ref) pdf.Object {
	o, _ := v.Object(r)
	return o
}
