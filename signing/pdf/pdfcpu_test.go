package pdf

import (
	"bytes"
	"os"
	"slices"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// TestStreamsAgreeWithPDFCPU compares the keys of every dictionary object and decodes every stream of the newest revision of the corpus files
// with this package and with pdfcpu, an independent reader, and compares the bytes. Streams whose
// filters either side does not fully decode, or that pdfcpu did not load, are skipped.
func TestStreamsAgreeWithPDFCPU(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes the corpus twice; skipped with -short")
	}
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	compared, files, dicts := 0, 0, 0
	for _, path := range corpusFiles(t) {
		b, err := os.ReadFile(path)
		if err != nil || len(b) > 2<<20 {
			continue
		}
		ctx, err := pdfcpu.Read(bytes.NewReader(b), conf)
		if err != nil {
			continue
		}
		f, err := Open(bytes.NewReader(b), int64(len(b)), nil)
		if err != nil || f.Repaired() || f.Encrypted() {
			continue
		}
		files++
		for num, e := range ctx.XRefTable.Table {
			if e == nil || e.Free || e.Object == nil || num == 0 {
				continue
			}
			if d, ok := e.Object.(types.Dict); ok && keysAgree(t, f, path, num, e, d) {
				dicts++
			}
			sd, ok := e.Object.(types.StreamDict)
			if !ok || sd.Raw == nil {
				continue
			}
			gen := 0
			if e.Generation != nil {
				gen = *e.Generation
			}
			o, err := f.Object(Ref{uint32(num), uint16(gen)})
			if err != nil {
				t.Errorf("%s: object %d: pdfcpu reads it, we do not: %v", path, num, err)
				continue
			}
			st, ok := o.(*Stream)
			if !ok {
				t.Errorf("%s: object %d is a stream for pdfcpu, %T for us", path, num, o)
				continue
			}
			ours, rest, err := f.Decode(st)
			if err != nil || len(rest) > 0 {
				continue
			}
			if err := sd.Decode(); err != nil || sd.Content == nil {
				continue
			}
			if !bytes.Equal(ours, sd.Content) {
				t.Errorf("%s: object %d decodes to %d bytes here, %d with pdfcpu", path, num, len(ours), len(sd.Content))
				continue
			}
			compared++
		}
	}
	t.Logf("%d streams in %d files decode identically; %d dictionaries have the same keys", compared, files, dicts)
}

// keysAgree compares the keys of a dictionary object as both readers see them.
func keysAgree(t *testing.T, f *File, path string, num int, e *model.XRefTableEntry, d types.Dict) bool {
	t.Helper()
	gen := 0
	if e.Generation != nil {
		gen = *e.Generation
	}
	o, err := f.Object(Ref{uint32(num), uint16(gen)})
	if err != nil {
		t.Errorf("%s: object %d: pdfcpu reads it, we do not: %v", path, num, err)
		return false
	}
	ours, ok := o.(*Dict)
	if !ok {
		t.Errorf("%s: object %d is a dictionary for pdfcpu, %T for us", path, num, o)
		return false
	}
	var a, b []string
	for _, k := range ours.Keys() {
		a = append(a, string(k))
	}
	for k := range d {
		b = append(b, k)
	}
	slices.Sort(a)
	slices.Sort(b)
	a = slices.Compact(a)
	if !slices.Equal(a, b) {
		t.Errorf("%s: object %d keys %v, pdfcpu %v", path, num, a, b)
		return false
	}
	return true
}
