package pdf

import (
	"bytes"
	"math/rand"
	"testing"
)

// TestMutations is a deterministic, always-run complement to FuzzOpen: a thousand random
// corruptions of the generated documents must never panic.
func TestMutations(t *testing.T) {
	seeds := [][]byte{classicPDF(), xrefStreamPDF(), hybridPDF()}
	for _, c := range hostileCases() {
		if len(c) < 64<<10 {
			seeds = append(seeds, c)
		}
	}
	rng := rand.New(rand.NewSource(1))
	opts := &Options{MaxDecodedSize: 1 << 20, MaxObjects: 100000, MaxDepth: 50}
	for it := 0; it < 1000; it++ {
		s := bytes.Clone(seeds[rng.Intn(len(seeds))])
		for k := 0; k < 1+rng.Intn(4); k++ {
			switch rng.Intn(3) {
			case 0:
				s[rng.Intn(len(s))] = byte(rng.Intn(256))
			case 1:
				s = s[:rng.Intn(len(s))+1]
			case 2:
				p := rng.Intn(len(s))
				s = append(s[:p], append([]byte("0 1 2 R obj << [ ("), s[p:]...)...)
			}
		}
		// A hang is caught by go test's own timeout; wall-clock limits here would only flake on a
		// loaded machine.
		pf, err := Open(bytes.NewReader(s), int64(len(s)), opts)
		if err == nil {
			walkAll(pf)
		}
	}
}
