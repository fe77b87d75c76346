package pades

import (
	"bytes"
	"context"
	"crypto/x509"
	"strconv"
	"strings"
	"testing"
	"time"

	"docgate/gateway"
	"docgate/signing/pdf"
)

// Every sample here is generated: the attack classes of the 2019 and 2021 PDF
// signature research (USF, ISA, SWA, shadow hide/replace/hide-and-replace),
// each next to the permitted change it imitates.

func TestVerifyTrustedSignatureIsValid(t *testing.T) {
	p := vNewPKI(t)
	signed := vSign(t, p, vBuildPDF(vDoc{}), vSignOpts{timestamp: true})
	rep := vMustVerify(t, signed, p.trust())
	if rep.Document.Verdict != gateway.VerdictValid || rep.Document.Modification != gateway.ModificationNone {
		t.Fatalf("verdict %s, modification %s: %+v", rep.Document.Verdict, rep.Document.Modification, rep)
	}
	s := rep.Signatures[0]
	if !s.Intact || s.Indication != gateway.IndicationPassed || s.Coverage != CoverageEntireFile || s.Level != "B-T" ||
		s.TimeSource != TimeSourceTimestamp || s.AgencyCode != "000.00.00.H41" || s.Organization != "UBND tinh Test" || len(s.Chain) != 2 {
		t.Errorf("signature report: %+v", s)
	}
	// The same file without the anchor: intact, but not trusted.
	rep = vMustVerify(t, signed, nil)
	if rep.Document.Verdict != gateway.VerdictIndeterminate || rep.Signatures[0].SubIndication != "NO_CERTIFICATE_CHAIN_FOUND" || !rep.Signatures[0].Intact {
		t.Errorf("untrusted: verdict %s, %+v", rep.Document.Verdict, rep.Signatures[0])
	}
}

func TestVerifyRevokedSigner(t *testing.T) {
	p := vNewPKI(t)
	crl := p.makeCRL(t, []x509.RevocationListEntry{{SerialNumber: p.leaf.SerialNumber, RevocationTime: time.Now().Add(-2 * time.Hour)}})
	rep := vMustVerify(t, vSign(t, p, vBuildPDF(vDoc{}), vSignOpts{crl: crl}), p.trust())
	s := rep.Signatures[0]
	if s.Revocation != "revoked" || s.Indication == gateway.IndicationPassed || rep.Document.Verdict == gateway.VerdictValid {
		t.Errorf("revoked signer: %s %s/%s, verdict %s", s.Revocation, s.Indication, s.SubIndication, rep.Document.Verdict)
	}
	// With a signature timestamp after the revocation, the time is proven: TOTAL_FAILED/REVOKED.
	rep = vMustVerify(t, vSign(t, p, vBuildPDF(vDoc{}), vSignOpts{crl: crl, timestamp: true}), p.trust())
	s = rep.Signatures[0]
	if s.Indication != gateway.IndicationFailed || s.SubIndication != "REVOKED" || rep.Document.Verdict != gateway.VerdictInvalid {
		t.Errorf("revoked before a proven time: %s/%s, verdict %s", s.Indication, s.SubIndication, rep.Document.Verdict)
	}
}

func TestVerifyUnsigned(t *testing.T) {
	rep := vMustVerify(t, vBuildPDF(vDoc{}), nil)
	if rep.Document.Verdict != gateway.VerdictUnsigned || len(rep.Signatures) != 0 {
		t.Errorf("verdict %s", rep.Document.Verdict)
	}
	if _, err := vVerify(t, []byte("not a pdf at all"), nil); err == nil {
		t.Error("garbage verified without an error")
	}
}

func TestVerifyByteFlipIsHashFailure(t *testing.T) {
	p := vNewPKI(t)
	signed := vSign(t, p, vBuildPDF(vDoc{}), vSignOpts{})
	i := bytes.Index(signed, []byte("Official document"))
	signed[i] = 'o'
	rep := vMustVerify(t, signed, p.trust())
	s := rep.Signatures[0]
	if s.Intact || s.SubIndication != "HASH_FAILURE" || rep.Document.Verdict != gateway.VerdictInvalid {
		t.Errorf("flipped byte: intact %v %s, verdict %s", s.Intact, s.SubIndication, rep.Document.Verdict)
	}
}

// Permitted: a second signature, a DSS and a document timestamp.
func TestVerifyPermittedUpdates(t *testing.T) {
	p := vNewPKI(t)
	one := vSign(t, p, vBuildPDF(vDoc{}), vSignOpts{timestamp: true})
	two := vSign(t, p, one, vSignOpts{field: "Seal"})
	withDSS := vUpdate(t, two, func(f *pdf.File, u *pdf.Update) {
		cert := u.Add(pdf.NewStream(pdf.NewDict(), p.root.Raw))
		vri := u.Add(pdf.NewDict())
		crl := u.Add(pdf.NewStream(pdf.NewDict(), p.crl))
		cat, _ := f.Catalog()
		nc := cat.Clone()
		nc.Set("DSS", pdf.NewDict("Certs", pdf.Array{cert}, "CRLs", pdf.Array{crl}, "VRI", vri))
		root, _ := f.Trailer().Ref("Root")
		vMustSet(t, u, root, nc)
	})
	lta := vSign(t, p, withDSS, vSignOpts{field: "DocTS", docTS: true})

	rep := vMustVerify(t, two, p.trust())
	if rep.Document.Verdict != gateway.VerdictValid || rep.Document.Modification != gateway.ModificationNone ||
		rep.Signatures[0].Modification != "FORM_FILLING" || rep.Signatures[0].Coverage != CoverageEntireRevision {
		t.Errorf("two signatures: %s %s %+v", rep.Document.Verdict, rep.Document.Modification, rep.Signatures)
	}
	rep = vMustVerify(t, withDSS, p.trust())
	if rep.Document.Modification != gateway.ModificationPermitted || !strings.Contains(vChanges(rep), "DSS added") || rep.Document.Verdict != gateway.VerdictValid {
		t.Errorf("DSS: %s %s %v", rep.Document.Verdict, rep.Document.Modification, rep.Document.Changes)
	}
	rep = vMustVerify(t, lta, p.trust())
	if len(rep.Signatures) != 3 || rep.Signatures[2].Kind != KindTimestamp || !rep.Signatures[2].Intact {
		t.Fatalf("document timestamp: %+v", rep.Signatures)
	}
	if rep.Signatures[0].Level != "B-LTA" || rep.Signatures[1].Modification != "LTA_UPDATES" || rep.Document.Verdict != gateway.VerdictValid {
		t.Errorf("LTA: level %s, modification %s, verdict %s: %v", rep.Signatures[0].Level, rep.Signatures[1].Modification, rep.Document.Verdict, rep.Document.Changes)
	}
}

// ISA: content appended in a new revision after signing.
func TestAttackIncrementalSaving(t *testing.T) {
	p := vNewPKI(t)
	base := vBuildPDF(vDoc{pages: 2, resources: "<< /Font << /F1 10 0 R >> /XObject << /X1 99 0 R >> >>"})
	signed := vSign(t, p, base, vSignOpts{})
	cases := []struct {
		name   string
		change func(f *pdf.File, u *pdf.Update)
		want   string
	}{
		{"content stream replaced", func(f *pdf.File, u *pdf.Update) {
			vMustSet(t, u, pdf.Ref{Num: 11}, pdf.NewStream(pdf.NewDict(), []byte("BT /F1 24 Tf 72 720 Td (Pay 1,000,000) Tj ET")))
		}, "page 1: content stream replaced (object 11)"},
		{"page contents repointed", func(f *pdf.File, u *pdf.Update) {
			c := u.Add(pdf.NewStream(pdf.NewDict(), []byte("BT /F1 24 Tf 72 720 Td (Forged) Tj ET")))
			pages, _ := f.Pages()
			d := pages[0].Dict.Clone()
			d.Set("Contents", c)
			vMustSet(t, u, pages[0].Ref, d)
		}, "page 1: content stream replaced"},
		{"page added", func(f *pdf.File, u *pdf.Update) {
			pages, _ := f.Pages()
			np := pages[1].Dict.Clone()
			nr := u.Add(np)
			vMustSet(t, u, pdf.Ref{Num: 2}, pdf.NewDict("Type", pdf.Name("Pages"), "Kids", pdf.Array{pages[0].Ref, pages[1].Ref, nr}, "Count", pdf.Integer(3)))
		}, "page(s) added"},
		{"page removed", func(f *pdf.File, u *pdf.Update) {
			pages, _ := f.Pages()
			vMustSet(t, u, pdf.Ref{Num: 2}, pdf.NewDict("Type", pdf.Name("Pages"), "Kids", pdf.Array{pages[0].Ref}, "Count", pdf.Integer(1)))
		}, "page(s) removed"},
		{"annotation drawn", func(f *pdf.File, u *pdf.Update) {
			ap := u.Add(pdf.NewStream(pdf.NewDict("Type", pdf.Name("XObject"), "Subtype", pdf.Name("Form"), "BBox", pdf.Array{pdf.Integer(0), pdf.Integer(0), pdf.Integer(300), pdf.Integer(50)}),
				[]byte("1 1 1 rg 0 0 300 50 re f")))
			a := u.Add(pdf.NewDict("Type", pdf.Name("Annot"), "Subtype", pdf.Name("Square"), "Rect", pdf.Array{pdf.Integer(72), pdf.Integer(700), pdf.Integer(372), pdf.Integer(750)},
				"AP", pdf.NewDict("N", ap)))
			pages, _ := f.Pages()
			d := pages[0].Dict.Clone()
			arr, _ := f.Resolve(d.Get("Annots"))
			annots, _ := arr.(pdf.Array)
			d.Set("Annots", append(append(pdf.Array{}, annots...), a))
			vMustSet(t, u, pages[0].Ref, d)
		}, "new annotation /Square on page 1"},
		{"annotation drawn, policy allows annotations", func(f *pdf.File, u *pdf.Update) {
			a := u.Add(pdf.NewDict("Type", pdf.Name("Annot"), "Subtype", pdf.Name("Text"), "Rect", pdf.Array{pdf.Integer(72), pdf.Integer(700), pdf.Integer(92), pdf.Integer(720)}))
			pages, _ := f.Pages()
			d := pages[0].Dict.Clone()
			arr, _ := f.Resolve(d.Get("Annots"))
			annots, _ := arr.(pdf.Array)
			d.Set("Annots", append(append(pdf.Array{}, annots...), a))
			vMustSet(t, u, pages[0].Ref, d)
		}, "new annotation /Text on page 1"},
		{"dangling reference filled", func(f *pdf.File, u *pdf.Update) {
			// Object 99 did not exist when signing: /X1 read as null. The
			// update defines it without touching the page.
			vMustSet(t, u, pdf.Ref{Num: 99}, pdf.NewStream(pdf.NewDict("Type", pdf.Name("XObject"), "Subtype", pdf.Name("Form"),
				"BBox", pdf.Array{pdf.Integer(0), pdf.Integer(0), pdf.Integer(612), pdf.Integer(792)}), []byte("0 0 612 792 re f")))
		}, "new object 99 fills a reference"},
		{"content stream passed off as DSS data", func(f *pdf.File, u *pdf.Update) {
			// The page's own content stream is listed in a new DSS and
			// rewritten in the same revision: it is still page content.
			vMustSet(t, u, pdf.Ref{Num: 11}, pdf.NewStream(pdf.NewDict(), []byte("BT /F1 24 Tf 72 720 Td (Forged) Tj ET")))
			cat, _ := f.Catalog()
			nc := cat.Clone()
			nc.Set("DSS", pdf.NewDict("Certs", pdf.Array{pdf.Ref{Num: 11}}))
			root, _ := f.Trailer().Ref("Root")
			vMustSet(t, u, root, nc)
		}, "page 1: content stream replaced (object 11)"},
		{"signed field's appearance redrawn", func(f *pdf.File, u *pdf.Update) {
			fields, _ := f.Fields()
			w := fields[0].Widgets[0]
			ap := u.Add(pdf.NewStream(pdf.NewDict("Type", pdf.Name("XObject"), "Subtype", pdf.Name("Form"),
				"BBox", pdf.Array{pdf.Integer(0), pdf.Integer(0), pdf.Integer(1), pdf.Integer(1)}), []byte("0 0 1 1 re f")))
			d := w.Dict.Clone()
			d.Set("AP", pdf.NewDict("N", ap))
			vMustSet(t, u, w.Ref, d)
		}, "appearance of a signed field changed"},
		{"catalog open action", func(f *pdf.File, u *pdf.Update) {
			cat, _ := f.Catalog()
			nc := cat.Clone()
			nc.Set("OpenAction", pdf.NewDict("S", pdf.Name("JavaScript"), "JS", pdf.NewString("app.alert(1)")))
			root, _ := f.Trailer().Ref("Root")
			vMustSet(t, u, root, nc)
		}, "catalog /OpenAction changed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "dangling reference filled" && !bytes.Contains(signed, []byte("/X1 99 0 R")) {
				t.Fatal("sample lost its dangling reference")
			}
			if tc.name == "dangling reference filled" {
				// u.Set refuses numbers the file does not define; write the
				// object through a raw update instead.
				attacked := vAppendRaw(t, signed, 99, "<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Length 16 >>\nstream\n0 0 612 792 re f\nendstream")
				vExpectIllegal(t, attacked, p, tc.want)
				return
			}
			attacked := vUpdate(t, signed, tc.change)
			vExpectIllegal(t, attacked, p, tc.want)
			if strings.Contains(tc.name, "policy allows annotations") {
				v := &Verifier{Trust: p.trust(), UncertifiedP: 3}
				rep, err := v.VerifyPDF(context.Background(), vBytes(attacked), int64(len(attacked)), gateway.VerifyOptions{Offline: true})
				if err != nil || rep.Document.Modification != gateway.ModificationPermitted || rep.Signatures[0].Modification != "ANNOTATIONS" ||
					!strings.Contains(vChanges(rep), tc.want) {
					t.Errorf("with UncertifiedP=3: %v %+v", err, rep)
				}
			}
		})
	}
}

func vExpectIllegal(t *testing.T, attacked []byte, p *vPKI, want string) {
	t.Helper()
	rep := vMustVerify(t, attacked, p.trust())
	if !rep.Signatures[0].Intact {
		t.Fatalf("the signature itself should still verify: %+v", rep.Signatures[0])
	}
	if rep.Document.Modification != gateway.ModificationIllegal || rep.Document.Verdict != gateway.VerdictInvalid || rep.Signatures[0].Modification == "NONE" {
		t.Fatalf("modification %s, verdict %s, changes %v", rep.Document.Modification, rep.Document.Verdict, rep.Document.Changes)
	}
	if !strings.Contains(vChanges(rep), want) {
		t.Errorf("changes %q do not say %q", rep.Document.Changes, want)
	}
}

// vAppendRaw appends a classic update defining object num with body, the
// way a hand-written attack would.
func vAppendRaw(t *testing.T, in []byte, num int, body string) []byte {
	t.Helper()
	return appendUpdate(t, in, map[int]string{num: itoa(num) + " 0 obj\n" + body + "\nendobj\n"}, inUse(0))
}

func itoa(n int) string { return strconv.Itoa(n) }

// SWA: the signed ranges do not leave out exactly /Contents.
func TestAttackSignatureWrapping(t *testing.T) {
	p := vNewPKI(t)
	base := vBuildPDF(vDoc{})
	cases := map[string]func(br [4]int64, size int64) [4]int64{
		"hole moved left": func(br [4]int64, size int64) [4]int64 {
			return [4]int64{0, br[1] - 100, br[2] - 100, size - (br[2] - 100)}
		},
		"hole wider": func(br [4]int64, size int64) [4]int64 { return [4]int64{0, br[1] - 10, br[2], br[3]} },
		"overlap":    func(br [4]int64, size int64) [4]int64 { return [4]int64{0, br[2] + 5, br[2], br[3]} },
		"beyond eof": func(br [4]int64, size int64) [4]int64 { return [4]int64{0, br[1], br[2], br[3] + 4096} },
		"not at 0":   func(br [4]int64, size int64) [4]int64 { return [4]int64{7, br[1] - 7, br[2], br[3]} },
		"short":      func(br [4]int64, size int64) [4]int64 { return [4]int64{0, br[1], br[2], br[3] - 20} },
	}
	for name, patch := range cases {
		t.Run(name, func(t *testing.T) {
			b := vSign(t, p, base, vSignOpts{patchRange: patch})
			rep := vMustVerify(t, b, p.trust())
			if len(rep.Signatures) != 1 {
				t.Fatalf("%d signatures", len(rep.Signatures))
			}
			s := rep.Signatures[0]
			if s.Intact || rep.Document.Verdict != gateway.VerdictInvalid || s.Indication != gateway.IndicationFailed {
				t.Errorf("intact %v, indication %s/%s, verdict %s, errors %v", s.Intact, s.Indication, s.SubIndication, rep.Document.Verdict, s.Errors)
			}
		})
	}
}

// USF: missing, empty, null or malformed /Contents or /ByteRange.
func TestAttackUniversalForgery(t *testing.T) {
	p := vNewPKI(t)
	base := vBuildPDF(vDoc{})
	cases := map[string]vSignOpts{
		"contents missing":      {mutate: func(d *pdf.Dict) { d.Delete("Contents") }},
		"contents empty":        {mutate: func(d *pdf.Dict) { d.Set("Contents", pdf.NewHexString(nil)) }},
		"contents null":         {mutate: func(d *pdf.Dict) { d.Set("Contents", pdf.Null{}) }},
		"contents not a string": {mutate: func(d *pdf.Dict) { d.Set("Contents", pdf.Integer(0)) }},
		"contents zeros":        {emptyContents: true},
		"byterange missing":     {mutate: func(d *pdf.Dict) { d.Delete("ByteRange") }},
		"byterange null":        {mutate: func(d *pdf.Dict) { d.Set("ByteRange", pdf.Null{}) }},
		"byterange three":       {mutate: func(d *pdf.Dict) { d.Set("ByteRange", pdf.Array{pdf.Integer(0), pdf.Integer(10), pdf.Integer(20)}) }},
		"byterange negative": {mutate: func(d *pdf.Dict) {
			d.Set("ByteRange", pdf.Array{pdf.Integer(0), pdf.Integer(-1), pdf.Integer(20), pdf.Integer(5)})
		}},
		"byterange names": {mutate: func(d *pdf.Dict) {
			d.Set("ByteRange", pdf.Array{pdf.Name("a"), pdf.Name("b"), pdf.Name("c"), pdf.Name("d")})
		}},
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			b := vSign(t, p, base, o)
			rep, err := vVerify(t, b, p.trust())
			if err != nil {
				return // unreadable is an acceptable answer: never valid
			}
			if len(rep.Signatures) != 1 {
				t.Fatalf("%d signatures reported; a broken signature must be reported, not skipped", len(rep.Signatures))
			}
			s := rep.Signatures[0]
			if s.Intact || rep.Document.Verdict != gateway.VerdictInvalid || len(s.Errors) == 0 {
				t.Errorf("intact %v, verdict %s, errors %v", s.Intact, rep.Document.Verdict, s.Errors)
			}
		})
	}
}

// Shadow attacks: content prepared before signing, revealed after it by a
// change that looks permitted.
func TestAttackShadow(t *testing.T) {
	p := vNewPKI(t)
	t.Run("hide: overlay annotation removed", func(t *testing.T) {
		// Signed with a white box over the text; removing the box reveals it.
		doc := vDoc{
			pageExtra: "/Annots [20 0 R]",
			extraObjects: []string{
				"<< /Type /Annot /Subtype /Square /Rect [72 700 372 750] /AP << /N 21 0 R >> >>",
				"<< /Type /XObject /Subtype /Form /BBox [0 0 300 50] /Length 24 >>\nstream\n1 1 1 rg 0 0 300 50 re f\nendstream",
			},
		}
		signed := vSign(t, p, vBuildPDF(doc), vSignOpts{})
		attacked := vUpdate(t, signed, func(f *pdf.File, u *pdf.Update) {
			pages, _ := f.Pages()
			d := pages[0].Dict.Clone()
			arr, _ := f.Resolve(d.Get("Annots"))
			var keep pdf.Array
			for _, a := range arr.(pdf.Array) {
				if r, ok := a.(pdf.Ref); ok && r.Num == 20 {
					continue
				}
				keep = append(keep, a)
			}
			d.Set("Annots", keep)
			vMustSet(t, u, pages[0].Ref, d)
		})
		vExpectIllegal(t, attacked, p, "annotation (object 20) removed from page 1")
	})
	t.Run("hide: form widget unhidden", func(t *testing.T) {
		// A text field prepared hidden (/F 2) before signing, shown after.
		doc := vDoc{
			pageExtra: "/Annots [20 0 R]",
			acroForm:  "<< /Fields [20 0 R] >>",
			extraObjects: []string{
				"<< /FT /Tx /T (Note) /V (Pay 1,000,000) /F 2 /Type /Annot /Subtype /Widget /Rect [72 600 300 620] /P 3 0 R /AP << /N 21 0 R >> >>",
				"<< /Type /XObject /Subtype /Form /BBox [0 0 228 20] /Length 44 >>\nstream\nBT /F1 12 Tf 2 5 Td (Pay 1,000,000) Tj ET\nendstream",
			},
		}
		signed := vSign(t, p, vBuildPDF(doc), vSignOpts{})
		attacked := vUpdate(t, signed, func(f *pdf.File, u *pdf.Update) {
			o, _ := f.Object(pdf.Ref{Num: 20})
			d := o.(*pdf.Dict).Clone()
			d.Set("F", pdf.Integer(4))
			vMustSet(t, u, pdf.Ref{Num: 20}, d)
		})
		vExpectIllegal(t, attacked, p, "form field Note changed beyond its value and appearance (/F)")
	})
	t.Run("replace: XObject swapped through resources", func(t *testing.T) {
		doc := vDoc{
			content:   "q 612 792 cm /Im0 Do Q",
			resources: "<< /XObject << /Im0 20 0 R >> >>",
			extraObjects: []string{
				"<< /Type /XObject /Subtype /Form /BBox [0 0 1 1] /Length 18 >>\nstream\n0 0 0 rg 0 0 1 1 re\nendstream",
				"<< /Type /XObject /Subtype /Form /BBox [0 0 1 1] /Length 18 >>\nstream\n1 0 0 rg 0 0 1 1 re\nendstream",
			},
		}
		signed := vSign(t, p, vBuildPDF(doc), vSignOpts{})
		attacked := vUpdate(t, signed, func(f *pdf.File, u *pdf.Update) {
			pages, _ := f.Pages()
			d := pages[0].Dict.Clone()
			d.Set("Resources", pdf.NewDict("XObject", pdf.NewDict("Im0", pdf.Ref{Num: 21})))
			vMustSet(t, u, pages[0].Ref, d)
		})
		vExpectIllegal(t, attacked, p, "page 1: /Resources changed")
	})
	t.Run("replace: shared resource dictionary rewritten", func(t *testing.T) {
		doc := vDoc{
			content:   "q 612 792 cm /Im0 Do Q",
			resources: "22 0 R",
			extraObjects: []string{
				"<< /Type /XObject /Subtype /Form /BBox [0 0 1 1] /Length 18 >>\nstream\n0 0 0 rg 0 0 1 1 re\nendstream",
				"<< /Type /XObject /Subtype /Form /BBox [0 0 1 1] /Length 18 >>\nstream\n1 0 0 rg 0 0 1 1 re\nendstream",
				"<< /XObject << /Im0 20 0 R >> >>",
			},
		}
		signed := vSign(t, p, vBuildPDF(doc), vSignOpts{})
		attacked := vUpdate(t, signed, func(f *pdf.File, u *pdf.Update) {
			vMustSet(t, u, pdf.Ref{Num: 22}, pdf.NewDict("XObject", pdf.NewDict("Im0", pdf.Ref{Num: 21})))
		})
		vExpectIllegal(t, attacked, p, "page 1: resources replaced (object 22)")
	})
	t.Run("hide-and-replace: prepared content stream swapped in", func(t *testing.T) {
		doc := vDoc{extraObjects: []string{"<< /Length 42 >>\nstream\nBT /F1 24 Tf 72 720 Td (Pay 1,000,000) Tj ET\nendstream"}}
		signed := vSign(t, p, vBuildPDF(doc), vSignOpts{})
		attacked := vUpdate(t, signed, func(f *pdf.File, u *pdf.Update) {
			pages, _ := f.Pages()
			d := pages[0].Dict.Clone()
			d.Set("Contents", pdf.Ref{Num: 20})
			vMustSet(t, u, pages[0].Ref, d)
		})
		vExpectIllegal(t, attacked, p, "page 1: content stream replaced (object 20)")
	})
	t.Run("replace: form field value (permitted, disclosed)", func(t *testing.T) {
		doc := vDoc{
			pageExtra: "/Annots [20 0 R]",
			acroForm:  "<< /Fields [20 0 R] >>",
			extraObjects: []string{
				"<< /FT /Tx /T (Amount) /V (100) /Type /Annot /Subtype /Widget /Rect [72 600 300 620] /P 3 0 R /AP << /N 21 0 R >> >>",
				"<< /Type /XObject /Subtype /Form /BBox [0 0 228 20] /Length 36 >>\nstream\nBT /F1 12 Tf 2 5 Td (100) Tj ET\nendstream",
			},
		}
		signed := vSign(t, p, vBuildPDF(doc), vSignOpts{})
		filled := vUpdate(t, signed, func(f *pdf.File, u *pdf.Update) {
			ap := u.Add(pdf.NewStream(pdf.NewDict("Type", pdf.Name("XObject"), "Subtype", pdf.Name("Form"),
				"BBox", pdf.Array{pdf.Integer(0), pdf.Integer(0), pdf.Integer(228), pdf.Integer(20)}), []byte("BT /F1 12 Tf 2 5 Td (1000000) Tj ET")))
			o, _ := f.Object(pdf.Ref{Num: 20})
			d := o.(*pdf.Dict).Clone()
			d.Set("V", pdf.NewString("1000000"))
			d.Set("AP", pdf.NewDict("N", ap))
			vMustSet(t, u, pdf.Ref{Num: 20}, d)
		})
		rep := vMustVerify(t, filled, p.trust())
		if rep.Document.Modification == gateway.ModificationNone || !strings.Contains(vChanges(rep), "form field Amount filled") {
			t.Errorf("form filling not disclosed: %s %v", rep.Document.Modification, rep.Document.Changes)
		}
		if rep.Signatures[0].Modification != "FORM_FILLING" {
			t.Errorf("signature modification %s", rep.Signatures[0].Modification)
		}
		// Certified with P=1, the same filling is illegal.
		certified := vSign(t, p, vBuildPDF(doc), vSignOpts{docMDP: 1})
		filled = vUpdate(t, certified, func(f *pdf.File, u *pdf.Update) {
			o, _ := f.Object(pdf.Ref{Num: 20})
			d := o.(*pdf.Dict).Clone()
			d.Set("V", pdf.NewString("1000000"))
			vMustSet(t, u, pdf.Ref{Num: 20}, d)
		})
		rep = vMustVerify(t, filled, p.trust())
		if rep.Document.Modification != gateway.ModificationIllegal {
			t.Errorf("filling a P=1 certified document: %s %v", rep.Document.Modification, rep.Document.Changes)
		}
		// Locked by the signature's /FieldMDP: illegal too.
		locked := vSign(t, p, vBuildPDF(doc), vSignOpts{lock: pdf.NewDict("Type", pdf.Name("SigFieldLock"), "Action", pdf.Name("Include"), "Fields", pdf.Array{pdf.NewString("Amount")})})
		filled = vUpdate(t, locked, func(f *pdf.File, u *pdf.Update) {
			o, _ := f.Object(pdf.Ref{Num: 20})
			d := o.(*pdf.Dict).Clone()
			d.Set("V", pdf.NewString("1000000"))
			vMustSet(t, u, pdf.Ref{Num: 20}, d)
		})
		rep = vMustVerify(t, filled, p.trust())
		if rep.Document.Modification != gateway.ModificationIllegal || !strings.Contains(vChanges(rep), "/FieldMDP") {
			t.Errorf("filling a locked field: %s %v", rep.Document.Modification, rep.Document.Changes)
		}
	})
	t.Run("certified P=1 then signed", func(t *testing.T) {
		certified := vSign(t, p, vBuildPDF(vDoc{}), vSignOpts{docMDP: 1})
		two := vSign(t, p, certified, vSignOpts{field: "Approval"})
		rep := vMustVerify(t, two, p.trust())
		if rep.Document.Modification != gateway.ModificationIllegal || rep.Document.Verdict != gateway.VerdictInvalid {
			t.Errorf("signing a P=1 document: %s %v", rep.Document.Modification, rep.Document.Changes)
		}
	})
}

// ISA without a cross-reference section: objects appended after the last
// %%EOF, for viewers that rebuild the table. No revision lists them, so no
// signature covers them.
func TestAttackAppendedWithoutXref(t *testing.T) {
	p := vNewPKI(t)
	signed := vSign(t, p, vBuildPDF(vDoc{}), vSignOpts{})
	for name, tc := range map[string]struct {
		tail    string
		illegal bool
	}{
		"white space": {"\r\n  \n", false},
		"object":      {"11 0 obj\n<< /Length 10 >>\nstream\n0 0 9 9 re\nendstream\nendobj\n", true},
		"junk":        {"garbage", false},
	} {
		t.Run(name, func(t *testing.T) {
			rep := vMustVerify(t, append(append([]byte{}, signed...), tc.tail...), p.trust())
			s := rep.Signatures[0]
			if tc.illegal != (rep.Document.Modification == gateway.ModificationIllegal) || !s.Intact {
				t.Errorf("modification %s, intact %v, changes %v", rep.Document.Modification, s.Intact, rep.Document.Changes)
			}
			if wantFile := name == "white space"; wantFile != (s.Coverage == CoverageEntireFile) {
				t.Errorf("coverage %s", s.Coverage)
			}
			if name == "junk" && len(rep.Document.Errors) == 0 {
				t.Error("trailing junk not mentioned")
			}
		})
	}
}

// A signature field whose /V names an object that does not exist is not
// signed (the reference reads as null): an empty field, not a broken
// signature, and the document is unsigned.
func TestVerifyDanglingSignatureValue(t *testing.T) {
	doc := vDoc{
		pageExtra:    "/Annots [20 0 R]",
		acroForm:     "<< /Fields [20 0 R] /SigFlags 3 >>",
		extraObjects: []string{"<< /FT /Sig /T (Approval) /V 99 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R >>"},
	}
	rep := vMustVerify(t, vBuildPDF(doc), nil)
	if rep.Document.Verdict != gateway.VerdictUnsigned || len(rep.Document.EmptyFields) != 1 || rep.Document.EmptyFields[0] != "Approval" {
		t.Errorf("verdict %s, empty fields %v, signatures %d", rep.Document.Verdict, rep.Document.EmptyFields, len(rep.Signatures))
	}
}

// A later update that removes the signed field and changes the page must not
// make the document look unsigned.
func TestAttackSignatureFieldRemoved(t *testing.T) {
	p := vNewPKI(t)
	signed := vSign(t, p, vBuildPDF(vDoc{}), vSignOpts{})
	attacked := vUpdate(t, signed, func(f *pdf.File, u *pdf.Update) {
		cat, _ := f.Catalog()
		nc := cat.Clone()
		nc.Delete("AcroForm")
		root, _ := f.Trailer().Ref("Root")
		vMustSet(t, u, root, nc)
		pages, _ := f.Pages()
		d := pages[0].Dict.Clone()
		d.Delete("Annots")
		vMustSet(t, u, pages[0].Ref, d)
		vMustSet(t, u, pdf.Ref{Num: 11}, pdf.NewStream(pdf.NewDict(), []byte("BT /F1 24 Tf 72 720 Td (Forged) Tj ET")))
	})
	rep := vMustVerify(t, attacked, p.trust())
	if len(rep.Signatures) != 1 || rep.Document.Verdict != gateway.VerdictInvalid || rep.Document.Modification != gateway.ModificationIllegal ||
		!strings.Contains(vChanges(rep), "form field Signature1 removed") {
		t.Errorf("verdict %s, modification %s, %d signatures, changes %v", rep.Document.Verdict, rep.Document.Modification, len(rep.Signatures), rep.Document.Changes)
	}
}
