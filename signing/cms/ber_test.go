package cms

import (
	"bytes"
	"crypto"
	"testing"
)

// berify re-encodes DER the way streaming encoders write BER: every constructed element with
// an indefinite length, OCTET STRINGs longer than three bytes cut into constructed chunks,
// and other primitive lengths in a needlessly long form.
func berify(tb testing.TB, der []byte) []byte {
	tb.Helper()
	var out []byte
	for len(der) > 0 {
		tag, constructed, _, length, hdr, err := berHeader(der)
		if err != nil || length < 0 {
			tb.Fatalf("berify: %v", err)
		}
		body := der[hdr : hdr+length]
		switch {
		case constructed:
			out = append(out, tag...)
			out = append(out, 0x80)
			out = append(out, berify(tb, body)...)
			out = append(out, 0, 0)
		case len(tag) == 1 && tag[0] == 0x04 && len(body) > 3:
			out = append(out, 0x24, 0x80)
			for i := 0; i < len(body); i += 3 {
				chunk := body[i:min(i+3, len(body))]
				out = append(out, 0x04, byte(len(chunk)))
				out = append(out, chunk...)
			}
			out = append(out, 0, 0)
		default:
			out = append(out, tag...)
			out = append(out, 0x84, byte(length>>24), byte(length>>16), byte(length>>8), byte(length))
			out = append(out, body...)
		}
		der = der[hdr+length:]
	}
	return out
}

func TestBER(t *testing.T) {
	p := mustPKI(t)
	s := p.signer(t, "rsa2048")
	content := []byte("a document streamed by a BER encoder")
	der := mustSign(t, SignOptions{Signer: s.key, Certificate: s.cert, Content: content, SigningCertificateV2: true})
	ber := berify(t, der)
	if bytes.Equal(ber, der) || len(ber) <= len(der) {
		t.Fatalf("berify did not change the encoding")
	}
	sd, err := Parse(append(ber, 0, 0, 0))
	if err != nil {
		t.Fatalf("Parse(BER): %v", err)
	}
	if !bytes.Equal(sd.Raw, der) {
		t.Fatalf("normalised BER differs from the original DER")
	}
	if !bytes.Equal(sd.Content, content) {
		t.Fatalf("content = %q", sd.Content)
	}
	if _, err := sd.Verify(VerifyOptions{}); err != nil {
		t.Fatalf("Verify(BER): %v", err)
	}
	_ = crypto.SHA256
}

func TestBERLimits(t *testing.T) {
	deep := bytes.Repeat([]byte{0x30, 0x80}, maxDepth+2)
	deep = append(deep, bytes.Repeat([]byte{0, 0}, maxDepth+2)...)
	if _, _, err := toDER(deep); err == nil {
		t.Fatalf("nesting beyond the limit accepted")
	}
	ok := bytes.Repeat([]byte{0x30, 0x80}, maxDepth-1)
	ok = append(ok, bytes.Repeat([]byte{0, 0}, maxDepth-1)...)
	if _, _, err := toDER(ok); err != nil {
		t.Fatalf("nesting within the limit: %v", err)
	}
	bad := [][]byte{
		{0x04, 0x80, 0, 0},                   // indefinite primitive
		{0x30, 0x80, 0x02, 0x01, 0x01},       // no end-of-contents
		{0x24, 0x80, 0x02, 0x01, 0x01, 0, 0}, // chunk of another type
		{0x30, 0x85, 1, 0, 0, 0, 0},          // length too long
		{0x04, 0x05, 1},                      // truncated
		{0x1f},                               // truncated tag
	}
	for _, b := range bad {
		if _, _, err := toDER(b); err == nil {
			t.Errorf("toDER(%x) accepted", b)
		}
	}
	// Chunked BIT STRING: unused-bit counts are handled per chunk.
	got, _, err := toDER([]byte{0x23, 0x80, 0x03, 0x02, 0x00, 0xaa, 0x03, 0x02, 0x04, 0xb0, 0, 0})
	if err != nil || !bytes.Equal(got, []byte{0x03, 0x03, 0x04, 0xaa, 0xb0}) {
		t.Fatalf("bit string: %x, %v", got, err)
	}
}
