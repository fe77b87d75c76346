package edxml

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"docgate/gateway"
)

// TestCorpusLabels checks every row of LABELS.tsv: documents parse with the
// labelled codes and business type, the malformed file fails naming a line,
// status messages parse with their code.
func TestCorpusLabels(t *testing.T) {
	dir := mustCorpus(t)
	kinds := map[string]int{}
	for _, l := range mustLabels(t) {
		kinds[l.kind]++
		t.Run(l.path, func(t *testing.T) {
			f := mustOpen(t, filepath.Join(dir, l.path))
			switch l.kind {
			case "document":
				var got collected
				pkg, err := ParsePackage(f, Options{Attachment: got.sink})
				if err != nil {
					t.Fatalf("ParsePackage: %v", err)
				}
				if pkg.Header.From.OrganID != l.from {
					t.Errorf("from %q, label says %q", pkg.Header.From.OrganID, l.from)
				}
				var to []string
				for _, o := range pkg.Header.To {
					to = append(to, o.OrganID)
				}
				if strings.Join(to, ",") != l.to {
					t.Errorf("to %q, label says %q", strings.Join(to, ","), l.to)
				}
				m := regexp.MustCompile(`BussinessDocType (\d)`).FindStringSubmatch(l.code)
				if m == nil {
					t.Fatalf("label code %q names no BussinessDocType", l.code)
				}
				want := map[string]gateway.BusinessType{"0": gateway.BusinessNew, "1": gateway.BusinessRecall,
					"2": gateway.BusinessUpdate, "3": gateway.BusinessReplace}[m[1]]
				if pkg.Business == nil || pkg.Business.Type != want {
					t.Errorf("business %+v, label says %s", pkg.Business, want)
				}
				if env := pkg.Envelope(); env.Business != want || env.From != l.from {
					t.Errorf("envelope business %s from %s; want %s %s", env.Business, env.From, want, l.from)
				}
				if len(got.infos) != len(pkg.Attachments) {
					t.Errorf("sink saw %d attachments, package lists %d", len(got.infos), len(pkg.Attachments))
				}
				for i, b := range got.bodies {
					if int64(len(b)) != pkg.Attachments[i].Size {
						t.Errorf("attachment %d: sink read %d bytes, Size says %d", i, len(b), pkg.Attachments[i].Size)
					}
				}
			case "malformed":
				_, err := ParsePackage(f, Options{})
				wantCode(t, err, gateway.EINVALID, "line ")
			case "status":
				st, err := ParseStatus(f, Options{})
				if err != nil {
					t.Fatalf("ParseStatus: %v", err)
				}
				if st.Code != l.code {
					t.Errorf("StatusCode %q, label says %q", st.Code, l.code)
				}
				if st.From.OrganID != l.from {
					t.Errorf("from %q, label says %q", st.From.OrganID, l.from)
				}
				if _, err := st.Name(); err != nil {
					t.Errorf("Name: %v", err)
				}
			default:
				t.Fatalf("unknown kind %q in LABELS.tsv", l.kind)
			}
		})
	}
	for _, k := range []string{"document", "malformed", "status"} {
		if kinds[k] == 0 {
			t.Errorf("LABELS.tsv has no %s row", k)
		}
	}
}

// TestCorpusMalformedLine pins the line of edoc.edxml's error: the end tag of
// MessageHeader that closes the unbalanced From.
func TestCorpusMalformedLine(t *testing.T) {
	dir := mustCorpus(t)
	data, err := os.ReadFile(filepath.Join(dir, "edoc.edxml"))
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for i, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, "</edXML:MessageHeader>") {
			want = i + 1
			break
		}
	}
	_, err = ParsePackage(bytes.NewReader(data), Options{})
	wantCode(t, err, gateway.EINVALID, "line "+strconv.Itoa(want)+":", "From")
}

// TestCorpusAttachmentIsZip decodes the attachment of edoc_new.edxml, which
// is a zip archive.
func TestCorpusAttachmentIsZip(t *testing.T) {
	dir := mustCorpus(t)
	var got collected
	pkg, err := ParsePackage(mustOpen(t, filepath.Join(dir, "edoc_new.edxml")), Options{Attachment: got.sink})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.bodies) != 1 {
		t.Fatalf("%d attachments; want 1", len(got.bodies))
	}
	if got.infos[0].ContentID != "cid:209" || got.infos[0].ContentType != "application/zip" {
		t.Errorf("attachment info %+v", got.infos[0])
	}
	zr, err := zip.NewReader(bytes.NewReader(got.bodies[0]), int64(len(got.bodies[0])))
	if err != nil {
		t.Fatalf("attachment is not a zip: %v", err)
	}
	if len(zr.File) == 0 {
		t.Fatal("zip has no files")
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := bytes.NewBuffer(nil).ReadFrom(rc); err != nil {
		t.Fatalf("read %s from the zip: %v", zr.File[0].Name, err)
	}
	if pkg.Signature == nil || !bytes.HasPrefix(pkg.Signature, []byte("<Signature")) || !bytes.HasSuffix(pkg.Signature, []byte("</Signature>")) {
		t.Errorf("signature not kept as raw XML: %.60q", pkg.Signature)
	}
	if StandardCode(pkg.Header.To[0].OrganID) {
		t.Errorf("%s reported as a standard code", pkg.Header.To[0].OrganID)
	}
	if !StandardCode(pkg.Header.From.OrganID) {
		t.Errorf("%s reported as non-standard", pkg.Header.From.OrganID)
	}
}

// TestCorpusReencode writes every corpus package and status again and reads
// the result: the same values and attachment bytes come back, and the output
// uses the corpus's element names, every one edXML:-prefixed.
func TestCorpusReencode(t *testing.T) {
	dir := mustCorpus(t)
	for _, l := range mustLabels(t) {
		if l.kind != "document" && l.kind != "status" {
			continue
		}
		t.Run(l.path, func(t *testing.T) {
			orig, err := os.ReadFile(filepath.Join(dir, l.path))
			if err != nil {
				t.Fatal(err)
			}
			var out []byte
			if l.kind == "document" {
				var first, second collected
				pkg, err := ParsePackage(bytes.NewReader(orig), Options{Attachment: first.sink})
				if err != nil {
					t.Fatal(err)
				}
				out = mustEncode(t, pkg, first.bodies)
				again, err := ParsePackage(bytes.NewReader(out), Options{Attachment: second.sink})
				if err != nil {
					t.Fatalf("re-parse: %v", err)
				}
				if !reflect.DeepEqual(pkg, again) {
					t.Errorf("re-parsed package differs:\n got %+v\nwant %+v", again, pkg)
				}
				for i := range first.bodies {
					if digest(first.bodies[i]) != digest(second.bodies[i]) {
						t.Errorf("attachment %d changed in the round trip", i)
					}
				}
			} else {
				st, err := ParseStatus(bytes.NewReader(orig), Options{})
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := EncodeStatus(&buf, st); err != nil {
					t.Fatal(err)
				}
				out = buf.Bytes()
				again, err := ParseStatus(bytes.NewReader(out), Options{})
				if err != nil {
					t.Fatalf("re-parse: %v", err)
				}
				if !reflect.DeepEqual(st, again) {
					t.Errorf("re-parsed status differs:\n got %+v\nwant %+v", again, st)
				}
			}
			compareNames(t, elementNames(t, orig), elementNames(t, out))
			compareDates(t, orig, out)
		})
	}
}

// compareNames: our output uses the corpus file's element names (by local
// name), adds none the corpus does not have, and prefixes every element.
func compareNames(t *testing.T, corpus, ours map[string]bool) {
	t.Helper()
	corpusLocal := map[string]bool{}
	for n := range corpus {
		corpusLocal[localName(n)] = true
	}
	oursLocal := map[string]bool{}
	for n := range ours {
		if !strings.HasPrefix(n, "edXML:") {
			t.Errorf("our output has element %q without the edXML: prefix", n)
		}
		oursLocal[localName(n)] = true
	}
	for n := range corpusLocal {
		if !oursLocal[n] {
			t.Errorf("the corpus file has element %s, our output does not", n)
		}
	}
	for n := range oursLocal {
		if !corpusLocal[n] {
			t.Errorf("our output has element %s, the corpus file does not", n)
		}
	}
}

// compareDates: every date-like text in our output has one of the corpus's
// two shapes, and the corpus uses the same shapes.
func compareDates(t *testing.T, corpus, ours []byte) {
	t.Helper()
	dateLike := regexp.MustCompile(`>([0-9]{1,4}[/-][0-9]{1,2}[/-][0-9]{1,4}[^<]*)<`)
	shape := regexp.MustCompile(`^[0-9]{4}/[0-9]{2}/[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2})?$`)
	check := func(what string, doc []byte) int {
		n := 0
		for _, m := range dateLike.FindAllSubmatch(doc, -1) {
			n++
			if !shape.Match(m[1]) {
				t.Errorf("%s has a date %q not in yyyy/MM/dd [HH:mm:ss]", what, m[1])
			}
		}
		return n
	}
	if check("the corpus file", corpus) == 0 || check("our output", ours) == 0 {
		t.Error("no dates found to compare")
	}
}
