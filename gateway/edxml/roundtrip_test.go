package edxml

import (
	"bytes"
	"io"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"docgate/gateway"
)

// TestRoundTripGenerated: parse(encode(x)) == x for generated packages, and
// the attachment bytes come back unchanged.
func TestRoundTripGenerated(t *testing.T) {
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		pkg, bodies := genPackage(rng)
		out := mustEncode(t, pkg, bodies)
		var got collected
		back, err := ParsePackage(bytes.NewReader(out), Options{Attachment: got.sink})
		if err != nil {
			t.Fatalf("seed %d: parse: %v\n%s", seed, err, out)
		}
		if !reflect.DeepEqual(pkg, back) {
			t.Fatalf("seed %d: round trip differs:\n got %#v\nwant %#v", seed, back, pkg)
		}
		if len(got.bodies) != len(bodies) {
			t.Fatalf("seed %d: %d bodies back; want %d", seed, len(got.bodies), len(bodies))
		}
		for i := range bodies {
			if !bytes.Equal(got.bodies[i], bodies[i]) {
				t.Fatalf("seed %d: attachment %d changed", seed, i)
			}
			if got.infos[i].ContentID != pkg.Attachments[i].ContentID {
				t.Fatalf("seed %d: sink got attachment %q at %d; want %q", seed, got.infos[i].ContentID, i, pkg.Attachments[i].ContentID)
			}
		}
	}
}

func TestRoundTripStatus(t *testing.T) {
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 11))
		st := genStatus(rng)
		var buf bytes.Buffer
		if err := EncodeStatus(&buf, st); err != nil {
			t.Fatalf("seed %d: encode: %v", seed, err)
		}
		back, err := ParseStatus(&buf, Options{})
		if err != nil {
			t.Fatalf("seed %d: parse: %v", seed, err)
		}
		if !reflect.DeepEqual(st, back) {
			t.Fatalf("seed %d: round trip differs:\n got %#v\nwant %#v", seed, back, st)
		}
	}
}

// TestWriterShape pins what the strict writer emits: the declaration, the
// prefix on every element, the date formats in Vietnam time and 76-column
// base64 lines.
func TestWriterShape(t *testing.T) {
	pkg := &Package{Header: MessageHeader{
		From:         Organization{OrganID: "000.00.00.G22"},
		To:           []Organization{{OrganID: "000.00.00.H41"}},
		Subject:      "Thử",
		Promulgation: PromulgationInfo{Date: time.Date(2026, 3, 4, 23, 30, 0, 0, time.UTC)}, // 05/03 in Vietnam
	}, Trace: []TraceHeader{{OrganID: "000.00.00.G22", Timestamp: time.Date(2026, 3, 4, 23, 30, 5, 0, time.UTC)}},
		Attachments: []AttachmentInfo{{ContentID: "cid:1", Name: "a.bin"}}}
	body := bytes.Repeat([]byte{0xfb, 0xff, 0x00}, 200)
	out := string(mustEncode(t, pkg, [][]byte{body}))
	if !strings.HasPrefix(out, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no UTF-8 declaration: %.60q", out)
	}
	for _, want := range []string{"<edXML:PromulgationDate>2026/03/05</edXML:PromulgationDate>",
		"<edXML:Timestamp>2026/03/05 06:30:05</edXML:Timestamp>", `<edXML:edXML xmlns:edXML="` + Namespace + `">`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s", want)
		}
	}
	for name := range elementNames(t, []byte(out)) {
		if !strings.HasPrefix(name, "edXML:") {
			t.Errorf("element %s is not prefixed", name)
		}
	}
	i := strings.Index(out, "<edXML:ContentTransferEncoded>\n") + len("<edXML:ContentTransferEncoded>\n")
	j := strings.Index(out, "</edXML:ContentTransferEncoded>")
	lines := strings.Split(strings.TrimSpace(out[i:j]), "\n")
	if len(lines) != 11 { // 800 base64 characters
		t.Errorf("%d base64 lines; want 11", len(lines))
	}
	for k, l := range lines[:len(lines)-1] {
		if len(l) != 76 {
			t.Errorf("base64 line %d is %d characters; want 76", k, len(l))
		}
	}
}

func TestEncodeRefuses(t *testing.T) {
	valid := func() *Package {
		return &Package{Header: MessageHeader{From: Organization{OrganID: "000.00.00.G22"}, To: []Organization{{OrganID: "000.00.00.H41"}}, Subject: "s"}}
	}
	tests := []struct {
		name   string
		change func(p *Package)
		bodies int
		want   string
	}{
		{"no from", func(p *Package) { p.Header.From.OrganID = " " }, 0, "From/OrganId"},
		{"no to", func(p *Package) { p.Header.To = nil }, 0, "To"},
		{"to without code", func(p *Package) { p.Header.To = append(p.Header.To, Organization{OrganName: "x"}) }, 0, "To[2]/OrganId"},
		{"no subject or code", func(p *Package) { p.Header.Subject = "" }, 0, "Subject"},
		{"bodies mismatch", func(p *Package) { p.Attachments = []AttachmentInfo{{ContentID: "a"}} }, 0, "bodies"},
		{"no content id", func(p *Package) { p.Attachments = []AttachmentInfo{{Name: "a"}} }, 1, "ContentID"},
		{"duplicate content id", func(p *Package) { p.Attachments = []AttachmentInfo{{ContentID: "a"}, {ContentID: "a"}} }, 2, "twice"},
		{"control character", func(p *Package) { p.Header.Content = "a\x01b" }, 0, "Content"},
		{"invalid utf-8", func(p *Package) { p.Header.Subject = "a\xffb" }, 0, "UTF-8"},
		{"signature not xml", func(p *Package) { p.Signature = []byte("<Signature><a></Signature>") }, 0, "Signature"},
		{"signature two elements", func(p *Package) { p.Signature = []byte("<Signature/><Signature/>") }, 0, "Signature"},
		{"bad business type", func(p *Package) { p.Business = &Business{Type: "merge"} }, 0, "merge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid()
			tt.change(p)
			bodies := make([]io.Reader, tt.bodies)
			for i := range bodies {
				bodies[i] = strings.NewReader("x")
			}
			err := Encode(io.Discard, p, bodies)
			wantCode(t, err, gateway.EINVALID, tt.want)
		})
	}
	if err := Encode(io.Discard, valid(), nil); err != nil {
		t.Fatalf("the valid package is refused: %v", err)
	}
}

// TestStreamingMemory: a 24 MiB attachment goes from Encode through
// ParsePackage to a sink without either holding it. The live heap is sampled
// while the sink reads; holding the attachment (or its base64) would put at
// least its size on the heap. Peak heap rather than total allocation is the
// measure, because the race detector's allocation pattern makes totals grow
// with the input even when nothing is held.
func TestStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 24 MiB")
	}
	const size = 24 << 20
	pkg := &Package{Header: MessageHeader{From: Organization{OrganID: "000.00.00.G22"}, To: []Organization{{OrganID: "000.00.00.H41"}}, Subject: "big"},
		Attachments: []AttachmentInfo{{ContentID: "cid:big", Name: "big.bin"}}}
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(Encode(pw, pkg, []io.Reader{io.LimitReader(zeroReader{}, size)}))
	}()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	sample := func() {
		runtime.ReadMemStats(&ms)
		if ms.HeapAlloc > base && ms.HeapAlloc-base > peak {
			peak = ms.HeapAlloc - base
		}
	}
	var n int64
	got, err := ParsePackage(pr, Options{Attachment: func(_ AttachmentInfo, r io.Reader) error {
		buf := make([]byte, 64<<10)
		for {
			k, err := r.Read(buf)
			n += int64(k)
			if n%(1<<20) < int64(k) {
				sample()
			}
			if err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if n != size || got.Attachments[0].Size != size {
		t.Fatalf("sink read %d bytes, Size %d; want %d", n, got.Attachments[0].Size, size)
	}
	t.Logf("peak live heap above baseline while streaming: %d bytes", peak)
	if peak > size/2 {
		t.Errorf("live heap grew by %d bytes while streaming a %d-byte attachment", peak, size)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
