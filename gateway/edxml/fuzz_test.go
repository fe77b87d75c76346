package edxml

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"

	"docgate/gateway"
)

// packageSeeds are corpus-shaped inputs made here: generated packages as the
// writer emits them, the same without prefixes (as the national hub's
// examples write AttachmentEncoded), and the generated testdata.
func packageSeeds(f *testing.F) {
	for seed := range uint64(6) {
		pkg, bodies := genPackage(rand.New(rand.NewPCG(seed, 3)))
		var buf bytes.Buffer
		if err := Encode(&buf, pkg, readers(bodies)); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
		f.Add(bytes.ReplaceAll(buf.Bytes(), []byte("edXML:"), nil))
	}
	for _, name := range []string{"testdata/unprefixed_dmy.edxml", "testdata/status_element.edxml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(pkgXML(okHeader, attXML("<![CDATA[QUJD]]>&#13;&#10;<!-- c -->"))))
	f.Add([]byte("<edXML>\n<edXMLEnvelope><edXMLHeader><MessageHeader><From><From></MessageHeader>"))
	f.Add([]byte("<edXML><edXMLEnvelope><edXMLHeader><MessageHeader><From><OrganId>1</OrganId></From><To><OrganId>2</OrganId></To>" +
		"<Subject>s</Subject><DueDate>01/02/2026</DueDate></MessageHeader><Signature><a/></Signature></edXMLHeader></edXMLEnvelope>" +
		"<AttachmentEncoded><Attachment><ContentId>c</ContentId><ContentTransferEncoded>QUJD</ContentTransferEncoded></Attachment></AttachmentEncoded></edXML>"))
}

// checkError: a parse of in-memory bytes fails only with a client-visible
// error (never EINTERNAL or a bare error).
func checkError(t *testing.T, err error) {
	var ge *gateway.Error
	if !errors.As(err, &ge) || (ge.Code != gateway.EINVALID && ge.Code != gateway.ETOOLARGE) {
		t.Fatalf("error is not EINVALID or ETOOLARGE: %v", err)
	}
	if strings.TrimSpace(ge.Message) == "" {
		t.Fatal("empty error message")
	}
}

func FuzzParsePackage(f *testing.F) {
	packageSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		opts := Options{MaxAttachmentBytes: 1 << 20, MaxHeaderBytes: 1 << 20}
		var first collected
		opts.Attachment = first.sink
		pkg, err := ParsePackage(bytes.NewReader(in), opts)
		if err != nil {
			checkError(t, err)
			return
		}
		if len(first.bodies) != len(pkg.Attachments) {
			t.Fatalf("the sink saw %d attachments, the package lists %d", len(first.bodies), len(pkg.Attachments))
		}
		var out bytes.Buffer
		if err := Encode(&out, pkg, readers(first.bodies)); err != nil {
			// The writer is stricter than the reader about attachment ids
			// only; anything else it refuses, the reader should have.
			var ge *gateway.Error
			if errors.As(err, &ge) && ge.Code == gateway.EINVALID && strings.Contains(ge.Message, "ContentID") {
				return
			}
			t.Fatalf("Encode of a parsed package: %v", err)
		}
		var second collected
		opts.Attachment = second.sink
		again, err := ParsePackage(bytes.NewReader(out.Bytes()), opts)
		if err != nil {
			t.Fatalf("re-parse of our own output: %v\n%s", err, out.Bytes())
		}
		if !reflect.DeepEqual(pkg, again) {
			t.Fatalf("re-parse differs:\n got %#v\nwant %#v", again, pkg)
		}
		if !reflect.DeepEqual(first.bodies, second.bodies) {
			t.Fatal("attachment bodies changed")
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	for seed := range uint64(6) {
		var buf bytes.Buffer
		if err := EncodeStatus(&buf, genStatus(rand.New(rand.NewPCG(seed, 5)))); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
		f.Add(bytes.ReplaceAll(buf.Bytes(), []byte("edXML:"), nil))
	}
	b, err := os.ReadFile("testdata/status_element.edxml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, in []byte) {
		st, err := ParseStatus(bytes.NewReader(in), Options{MaxHeaderBytes: 1 << 20})
		if err != nil {
			checkError(t, err)
			return
		}
		if st.Timestamp.IsZero() {
			return // EncodeStatus requires a timestamp; the reader does not
		}
		var out bytes.Buffer
		if err := EncodeStatus(&out, st); err != nil {
			t.Fatalf("EncodeStatus of a parsed status: %v", err)
		}
		again, err := ParseStatus(bytes.NewReader(out.Bytes()), Options{})
		if err != nil {
			t.Fatalf("re-parse of our own output: %v\n%s", err, out.Bytes())
		}
		// The writer normalises a one-digit code to two digits.
		if len(st.Code) == 1 {
			st.Code = "0" + st.Code
		}
		if !reflect.DeepEqual(st, again) {
			t.Fatalf("re-parse differs:\n got %#v\nwant %#v", again, st)
		}
	})
}
