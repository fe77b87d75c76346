package pdf

import (
	"bytes"
	"os"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// TestStreamsAgreeWithPDFCPU decodes every stream of the newest revision of the corpus files
// with this package and with pdfcpu, an independent reader, and compares the bytes. Streams whose
// filters either side does not fully decode, or that pdfcpu did not load, are skipped.
func TestStreamsAgreeWithPDFCPU(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes the corpus twice; skipped with -short")
	}
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	compared, files := 0, 0
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
	t.Logf("%d streams in %d files decode identically", compared, files)
}
