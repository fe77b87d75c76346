package pdf

import (
	"sync"
	"testing"
)

// TestConcurrentViews reads one File from several goroutines through different revisions: the
// caches are shared, so run this under -race.
func TestConcurrentViews(t *testing.T) {
	g := newGen("1.5")
	g.obj(1, "<< /Type /Catalog /Pages 2 0 R /V 3 0 R >>")
	g.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	g.objStm(8, map[uint32]string{3: "(old)"})
	g.xrefStream(9, true, "/Root 1 0 R")
	g.objStm(8, map[uint32]string{3: "(new)"})
	g.xrefStream(10, false, "/Root 1 0 R")
	f := mustOpen(t, g.bytes())
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			v, _ := f.At(i % 2)
			for range 200 {
				o, err := v.Object(Ref{3, 0})
				if err != nil || string(o.(String).Value) != []string{"old", "new"}[i%2] {
					t.Errorf("revision %d: %v %v", i%2, o, err)
					return
				}
				if _, err := v.Pages(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
