package edxml

import (
	"bytes"
	"crypto/sha256"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"docgate/gateway"
)

// corpusDir is the shared corpus of real edXML files, outside the repository.
const corpusDir = "../../../shared/corpus/edxml"

func mustCorpus(tb testing.TB) string {
	tb.Helper()
	if _, err := os.Stat(filepath.Join(corpusDir, "LABELS.tsv")); err != nil {
		tb.Skipf("edXML corpus not found at %s: %v", corpusDir, err)
	}
	return corpusDir
}

func mustOpen(tb testing.TB, path string) *os.File {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}

// label is one row of LABELS.tsv.
type label struct {
	path, kind, from, to, code string
}

func mustLabels(tb testing.TB) []label {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(mustCorpus(tb), "LABELS.tsv"))
	if err != nil {
		tb.Fatal(err)
	}
	var out []label
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Split(strings.TrimRight(line, "\r"), "\t")
		if i == 0 {
			if len(f) < 5 || f[0] != "path" || f[1] != "kind" || f[2] != "from" || f[3] != "to" || f[4] != "code" {
				tb.Fatalf("LABELS.tsv header changed: %q", line)
			}
			continue
		}
		if len(f) < 5 {
			tb.Fatalf("LABELS.tsv line %d has %d columns", i+1, len(f))
		}
		out = append(out, label{path: f[0], kind: f[1], from: f[2], to: f[3], code: f[4]})
	}
	if len(out) == 0 {
		tb.Fatal("LABELS.tsv has no rows")
	}
	return out
}

// wantCode asserts err is a *gateway.Error with code and a message holding
// every one of parts.
func wantCode(tb testing.TB, err error, code string, parts ...string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("no error; want %s", code)
	}
	var ge *gateway.Error
	if !errors.As(err, &ge) {
		tb.Fatalf("error %v is not a *gateway.Error; want %s", err, code)
	}
	if ge.Code != code {
		tb.Fatalf("error code %s (%s); want %s", ge.Code, ge.Message, code)
	}
	for _, p := range parts {
		if !strings.Contains(ge.Message, p) {
			tb.Fatalf("error message %q does not mention %q", ge.Message, p)
		}
	}
}

// collected gathers the decoded attachments of a parse.
type collected struct {
	infos  []AttachmentInfo
	bodies [][]byte
}

func (c *collected) sink(att AttachmentInfo, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	c.infos = append(c.infos, att)
	c.bodies = append(c.bodies, b)
	return nil
}

func readers(bodies [][]byte) []io.Reader {
	out := make([]io.Reader, len(bodies))
	for i, b := range bodies {
		out[i] = bytes.NewReader(b)
	}
	return out
}

func mustEncode(tb testing.TB, pkg *Package, bodies [][]byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, pkg, readers(bodies)); err != nil {
		tb.Fatalf("Encode: %v", err)
	}
	return buf.Bytes()
}

// elementNames lists "prefix:local" (or "local") of every element of doc,
// leaving out the XML-DSig Signature subtree, which is not edXML.
func elementNames(tb testing.TB, doc []byte) map[string]bool {
	tb.Helper()
	names := map[string]bool{}
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	// RawToken keeps the prefixes as written.
	sig := 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatalf("tokenize: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if sig > 0 || t.Name.Local == "Signature" {
				sig++
				continue
			}
			n := t.Name.Local
			if t.Name.Space != "" {
				n = t.Name.Space + ":" + n
			}
			names[n] = true
		case xml.EndElement:
			if sig > 0 {
				sig--
			}
		}
	}
	return names
}

func localName(n string) string {
	if i := strings.IndexByte(n, ':'); i >= 0 {
		return n[i+1:]
	}
	return n
}

func digest(b []byte) string {
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// genText makes a trimmed value with the characters real packages carry:
// Vietnamese letters, XML's special characters, digits and inner spaces.
func genText(rng *rand.Rand, max int) string {
	alphabet := []rune("abcxyzABC019 đĐăâêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ&<>\"'/.,-()")
	n := 1 + rng.IntN(max)
	var b strings.Builder
	for range n {
		b.WriteRune(alphabet[rng.IntN(len(alphabet))])
	}
	s := strings.TrimSpace(b.String())
	if s == "" || strings.EqualFold(s, "N/A") {
		return "x"
	}
	return s
}

// maybe returns genText or "" with equal odds.
func maybe(rng *rand.Rand, max int) string {
	if rng.IntN(2) == 0 {
		return ""
	}
	return genText(rng, max)
}

func genCode(rng *rand.Rand) string {
	if rng.IntN(4) == 0 {
		return fmt.Sprintf("%02d.%02d.H%02d", rng.IntN(100), rng.IntN(100), rng.IntN(100))
	}
	return fmt.Sprintf("%03d.%02d.%02d.%c%02d", rng.IntN(1000), rng.IntN(100), rng.IntN(100), 'A'+rune(rng.IntN(26)), rng.IntN(100))
}

func genDate(rng *rand.Rand) time.Time {
	return time.Date(2000+rng.IntN(40), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, vietnam)
}

func genTimestamp(rng *rand.Rand) time.Time {
	return time.Date(2000+rng.IntN(40), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60), 0, vietnam)
}

func genOrg(rng *rand.Rand) Organization {
	return Organization{
		OrganID: genCode(rng), OrganizationInCharge: maybe(rng, 30), OrganName: genText(rng, 40), OrganAdd: maybe(rng, 60),
		Email: maybe(rng, 20), Telephone: maybe(rng, 12), Fax: maybe(rng, 12), Website: maybe(rng, 20),
	}
}

func genStaff(rng *rand.Rand) StaffInfo {
	return StaffInfo{Department: genText(rng, 20), Staff: maybe(rng, 20), Mobile: maybe(rng, 12), Email: maybe(rng, 20)}
}

func genList(rng *rand.Rand, max, size int) []string {
	var out []string
	for range rng.IntN(max + 1) {
		out = append(out, genText(rng, size))
	}
	return out
}

// genPackage makes a package the writer accepts and the reader must give
// back unchanged, with its attachment bodies.
func genPackage(rng *rand.Rand) (*Package, [][]byte) {
	p := &Package{}
	h := &p.Header
	h.From = genOrg(rng)
	for range 1 + rng.IntN(4) {
		h.To = append(h.To, genOrg(rng))
	}
	h.Code = Code{Number: fmt.Sprint(rng.IntN(10000)), Notation: maybe(rng, 15)}
	h.Promulgation = PromulgationInfo{Place: maybe(rng, 15)}
	if rng.IntN(3) > 0 {
		h.Promulgation.Date = genDate(rng)
	}
	h.DocumentType = DocumentType{Type: fmt.Sprint(rng.IntN(30)), TypeDetail: maybe(rng, 3), TypeName: maybe(rng, 20)}
	h.Subject = genText(rng, 80)
	h.Content = maybe(rng, 200)
	h.Signer = SignerInfo{Competence: maybe(rng, 15), Position: maybe(rng, 20), FullName: maybe(rng, 25)}
	if rng.IntN(2) == 0 {
		h.DueDate = genDate(rng)
	}
	h.ToPlaces = genList(rng, 3, 20)
	if rng.IntN(2) == 0 {
		h.Other = OtherInfo{Priority: fmt.Sprint(rng.IntN(5)), SphereOfPromulgation: maybe(rng, 20), TyperNotation: maybe(rng, 5),
			PromulgationAmount: maybe(rng, 3), PageAmount: maybe(rng, 3), Direction: maybe(rng, 5), Appendixes: genList(rng, 2, 30)}
	}
	for range rng.IntN(3) {
		h.ResponseFor = append(h.ResponseFor, ResponseFor{OrganID: genCode(rng), Code: maybe(rng, 15), PromulgationDate: genDate(rng), DocumentID: maybe(rng, 40)})
	}
	h.SteeringType = maybe(rng, 1)
	h.DocumentID = maybe(rng, 40)
	for range rng.IntN(3) {
		p.Trace = append(p.Trace, TraceHeader{OrganID: genCode(rng), Timestamp: genTimestamp(rng)})
	}
	if rng.IntN(3) > 0 {
		types := []gateway.BusinessType{gateway.BusinessNew, gateway.BusinessRecall, gateway.BusinessUpdate, gateway.BusinessReplace}
		b := &Business{Type: types[rng.IntN(4)], Reason: maybe(rng, 30), DocumentID: maybe(rng, 40), Paper: maybe(rng, 1)}
		if rng.IntN(2) == 0 {
			b.Staff = genStaff(rng)
		}
		if rng.IntN(3) == 0 {
			b.DocumentInfo = &BusinessDocumentInfo{DocumentInfo: maybe(rng, 1), DocumentReceiver: maybe(rng, 1)}
			for range rng.IntN(3) {
				b.DocumentInfo.Receivers = append(b.DocumentInfo.Receivers, genCode(rng))
			}
		}
		for range rng.IntN(3) {
			r := ReplacementInfo{DocumentID: genText(rng, 40)}
			for range rng.IntN(3) {
				r.OrganIDs = append(r.OrganIDs, genCode(rng))
			}
			b.Replacements = append(b.Replacements, r)
		}
		p.Business = b
	}
	if rng.IntN(2) == 0 {
		p.Signature = []byte(`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><Reference URI=""><DigestValue>` +
			fmt.Sprintf("%x", rng.Uint64()) + "</DigestValue></Reference></SignedInfo>\n  <SignatureValue>c2ln</SignatureValue></Signature>")
	}
	var bodies [][]byte
	for i := range rng.IntN(4) {
		body := make([]byte, rng.IntN(3000))
		for j := range body {
			body[j] = byte(rng.Uint32())
		}
		info := AttachmentInfo{ContentID: fmt.Sprintf("cid:%d-%d", i, rng.IntN(1000)), Name: genText(rng, 20) + ".pdf",
			ContentType: "application/pdf", Description: genText(rng, 30), Size: int64(len(body))}
		p.AddAttachment(info)
		bodies = append(bodies, body)
	}
	return p, bodies
}

func genStatus(rng *rand.Rand) *Status {
	codes := []string{"01", "02", "03", "04", "05", "06", "13", "15", "16"}
	st := &Status{
		ResponseFor: ResponseFor{OrganID: genCode(rng), Code: maybe(rng, 15), DocumentID: genText(rng, 40)},
		From:        genOrg(rng),
		Code:        codes[rng.IntN(len(codes))],
		Description: maybe(rng, 60),
		Timestamp:   genTimestamp(rng),
	}
	if rng.IntN(2) == 0 {
		st.ResponseFor.PromulgationDate = genDate(rng)
	}
	if rng.IntN(2) == 0 {
		st.Staff = genStaff(rng)
	}
	if st.Code == "02" && st.Description == "" {
		st.Description = genText(rng, 40)
	}
	return st
}
