package pdf

import (
	"errors"
	"fmt"
)

// walkAll exercises every read path: revisions, pages, fields, every object of every revision,
// every stream decoded. It returns the first error that is not a plain "not found".
func walkAll(f *File) error {
	var first error
	note := func(err error) {
		if err != nil && first == nil && !errors.Is(err, ErrNotFound) {
			first = err
		}
	}
	for _, r := range f.Revisions() {
		v, err := f.At(r.Index)
		if err != nil {
			return err
		}
		_, err = v.Pages()
		note(err)
		_, err = v.Fields()
		note(err)
		_, _, _, _, err = v.DocMDP()
		note(err)
		for _, ref := range r.Objects() {
			o, err := v.Object(ref)
			if err != nil {
				note(fmt.Errorf("revision %d: %w", r.Index, err))
				continue
			}
			if _, _, err := v.ObjectSpan(ref); err != nil {
				note(err)
			}
			if st, ok := o.(*Stream); ok {
				_, _, err := f.Decode(st)
				note(err)
			}
		}
	}
	return first
}
