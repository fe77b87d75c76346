package pades

import (
	"testing"
)

func TestSignInvisible(t *testing.T) {
	p := mustPKI(t, "ec")
	in := writeTemp(t, "min.pdf", minimalPDF(0))
	out, res, err := signFile(t, in, p.opts())
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	if res.Field != "Signature1" || res.Level != LevelBB {
		t.Errorf("result %+v", res)
	}
	checkSigned(t, p, in, out, res.Field)
}
