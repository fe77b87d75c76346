package pades

import (
	"errors"
	"time"

	"docgate/signing/pdf"
)

// Appearance is how a visible signature looks on its page.
type Appearance struct {
	// Page is the 1-based page number; 1 when zero.
	Page int
	// Rect is the widget's rectangle in default user space: x1, y1, x2, y2.
	Rect [4]float64
	// Image is a PNG (transparency kept) drawn at the left of the rectangle.
	Image []byte
	// Lines are drawn right of the image; when nil: the signer's name, organisation and the
	// signing time in Vietnam time (ISO 8601).
	Lines []string
}

func (a *Appearance) check() error {
	r := signNormRect(a.Rect)
	if a.Rect != ([4]float64{}) && (r[2]-r[0] < 1 || r[3]-r[1] < 1) {
		return errors.New("sign: the appearance rectangle is empty")
	}
	return nil
}

func (b *signBuilder) appearance(u *pdf.Update, rect [4]float64, signed time.Time) (pdf.Ref, error) {
	return pdf.Ref{}, errors.New("sign: visible signatures are not implemented yet")
}
