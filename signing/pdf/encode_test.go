package pdf

import (
	"compress/lzw"
	"encoding/ascii85"
	"io"
)

func a85Encoder(w io.Writer) io.WriteCloser { return ascii85.NewEncoder(w) }

// lzwEncode encodes with the standard library's MSB LZW, which matches PDF's LZW with
// EarlyChange 0 (and with the default EarlyChange 1 while fewer than 511 codes are used).
func lzwEncode(b []byte) []byte {
	var out bytesBuffer
	w := lzw.NewWriter(&out, lzw.MSB, 8)
	w.Write(b)
	w.Close()
	return out.b
}

type bytesBuffer struct{ b []byte }

func (w *bytesBuffer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
