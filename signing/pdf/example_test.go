package pdf_test

import (
	"bytes"
	"fmt"
	"log"

	"docgate/signing/pdf"
)

// A minimal document for the example.
const minimal = "%PDF-1.7\n" +
	"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" +
	"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n" +
	"xref\n0 3\n0000000000 65535 f\r\n0000000009 00000 n\r\n0000000058 00000 n\r\n" +
	"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n109\n%%EOF\n"

// Example_sign shows how a signer appends a signature dictionary and patches its placeholders.
func Example_sign() {
	orig := []byte(minimal)
	f, err := pdf.Open(bytes.NewReader(orig), int64(len(orig)), nil)
	if err != nil {
		log.Fatal(err)
	}
	u := f.NewUpdate()
	contents := pdf.NewContentsPlaceholder(8192)
	byteRange := pdf.NewByteRangePlaceholder()
	u.Add(pdf.NewDict("Type", pdf.Name("Sig"), "Filter", pdf.Name("Adobe.PPKLite"),
		"SubFilter", pdf.Name("ETSI.CAdES.detached"), "ByteRange", byteRange, "Contents", contents))
	var out bytes.Buffer
	out.Write(orig) // the original stays an unchanged prefix
	res, err := u.Append(&out, int64(len(orig)))
	if err != nil {
		log.Fatal(err)
	}
	b := out.Bytes()
	br := [4]int64{0, contents.Start, contents.End, res.End - contents.End}
	patched, err := pdf.FormatByteRange(int(byteRange.End-byteRange.Start), br)
	if err != nil {
		log.Fatal(err)
	}
	copy(b[byteRange.Start:], patched)
	// Hash b[0:contents.Start] and b[contents.End:], sign, and write the hex CMS into
	// b[contents.Start+1 : contents.End-1].
	g, err := pdf.Open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(g.Revisions()), g.Revisions()[1].End == int64(len(b)), b[contents.Start] == '<')
	// Output: 2 true true
}
