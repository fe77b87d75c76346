package pades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"docgate/certs/devca"
	"docgate/signing/cms"
	"docgate/signing/pdf"
	"docgate/signing/tsp"
)

// signedCMS reads back the CMS of the signature in field from a signed file, with the /ByteRange
// digest recomputed independently of the signer.
func signedCMS(tb testing.TB, file, field string) (*cms.SignedData, *pdf.Dict, []byte) {
	tb.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := pdf.Open(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		tb.Fatalf("reopen signed file: %v", err)
	}
	fields, err := f.Fields()
	if err != nil {
		tb.Fatal(err)
	}
	for _, fd := range fields {
		if fd.Name != field {
			continue
		}
		sig, err := f.ResolveDict(fd.Value)
		if err != nil || sig == nil {
			tb.Fatalf("field %s: no signature dictionary (%v)", field, err)
		}
		c, _ := sig.Get("Contents").(pdf.String)
		sd, err := cms.Parse(c.Value)
		if err != nil {
			tb.Fatalf("parse CMS: %v", err)
		}
		br, _ := sig.Get("ByteRange").(pdf.Array)
		var r [4]int64
		for i := range r {
			n, _ := br[i].(pdf.Integer)
			r[i] = int64(n)
		}
		h := sd.Signers[0].Hash.New()
		h.Write(data[r[0] : r[0]+r[1]])
		h.Write(data[r[2] : r[2]+r[3]])
		return sd, sig, h.Sum(nil)
	}
	tb.Fatalf("no field %s", field)
	return nil, nil, nil
}

// TestSignKeysAndHashes signs with every key type and hash the CLI offers; pdfsig must accept
// each, and the CMS must verify against the digest we compute ourselves over the /ByteRange.
func TestSignKeysAndHashes(t *testing.T) {
	ec := mustPKI(t, "ec")
	rsaPKI := mustPKI(t, "rsa")
	in := writeTemp(t, "min.pdf", minimalPDF(0))
	cases := []struct {
		name      string
		p         *signPKI
		hash      crypto.Hash
		pss       bool
		subFilter string
		wantAlg   string
	}{
		{"ecdsa-sha256", ec, crypto.SHA256, false, "", "ECDSA"},
		{"ecdsa-sha384", ec, crypto.SHA384, false, "", "ECDSA"},
		{"rsa-pkcs1-sha256", rsaPKI, crypto.SHA256, false, "", "RSA"},
		{"rsa-pss-sha256", rsaPKI, crypto.SHA256, true, "", "RSASSA-PSS"},
		{"rsa-pkcs1-sha512", rsaPKI, crypto.SHA512, false, "", "RSA"},
		{"rsa-pkcs7-subfilter", rsaPKI, crypto.SHA256, false, SubFilterPKCS7, "RSA"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := c.p.opts()
			o.Hash, o.PSS, o.SubFilter = c.hash, c.pss, c.subFilter
			o.Reason, o.Location = "Phê duyệt", "Vinh, Nghệ An"
			out, res, err := signFile(t, in, o)
			if err != nil {
				t.Fatal(err)
			}
			checkSigned(t, c.p, in, out, res.Field)
			sd, sig, digest := signedCMS(t, out, res.Field)
			if !bytes.Equal(digest, res.Digest) {
				t.Errorf("digest over /ByteRange %x, signer reported %x", digest, res.Digest)
			}
			if _, err := sd.Verify(cms.VerifyOptions{Digest: digest}); err != nil {
				t.Errorf("CMS verify: %v", err)
			}
			si := sd.Signers[0]
			if si.Hash != c.hash || si.SignatureAlgorithmName() != c.wantAlg {
				t.Errorf("signer uses %v %s", si.Hash, si.SignatureAlgorithmName())
			}
			wantSF := SubFilterCAdES
			if c.subFilter != "" {
				wantSF = c.subFilter
			}
			if sf, _ := sig.Name("SubFilter"); string(sf) != wantSF {
				t.Errorf("/SubFilter %s", sf)
			}
			// PAdES B-B: no signingTime in the CMS (the time is /M), signing-certificate-v2 present.
			if (si.SigningTime != nil) != (wantSF == SubFilterPKCS7) {
				t.Errorf("signingTime present: %v with %s", si.SigningTime != nil, wantSF)
			}
			if si.SigningCertificate == nil || !si.SigningCertificate.V2 {
				t.Error("no ESS signing-certificate-v2")
			}
			m, _ := sig.Get("M").(pdf.String)
			if !strings.HasPrefix(string(m.Value), "D:") || !strings.Contains(string(m.Value), "'") {
				t.Errorf("/M %q has no time zone", m.Value)
			}
			if r, _ := sig.Get("Reason").(pdf.String); pdf.TextString(r.Value) != "Phê duyệt" {
				t.Errorf("/Reason %q", pdf.TextString(r.Value))
			}
		})
	}
}

// TestSignTwice adds a second signature on top of ours; both stay valid, and an earlier revision
// is never touched: the first signed file is a byte prefix of the second.
func TestSignTwice(t *testing.T) {
	p := mustPKI(t, "ec")
	in := writeTemp(t, "min.pdf", minimalPDF(0))
	first, res1, err := signFile(t, in, p.opts())
	if err != nil {
		t.Fatal(err)
	}
	o := p.orgOpts()
	o.Visible = &Appearance{Page: 1, Rect: [4]float64{50, 50, 300, 110}}
	second, res2, err := signFile(t, first, o)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Field != "Signature2" || res1.Field != "Signature1" {
		t.Errorf("fields %s, %s", res1.Field, res2.Field)
	}
	a, _ := os.ReadFile(first)
	b, _ := os.ReadFile(second)
	if !bytes.HasPrefix(b, a) {
		t.Fatal("the second signature rewrote bytes of the first revision")
	}
	r := checkSigned(t, p, first, second, res2.Field)
	if !r.sigs[0].valid {
		t.Errorf("first signature no longer valid:\n%s", r.sigs[0].block)
	}
}

// TestSignIntoFields covers named fields: an empty one is used, a read-only one is locked, a
// missing or non-signature one is refused, a signed one is refused the second time.
func TestSignIntoFields(t *testing.T) {
	p := mustPKI(t, "ec")
	in := writeTemp(t, "form.pdf", formPDF())
	o := p.opts()
	o.FieldName = "Empty"
	o.Visible = &Appearance{} // keep the field's own rectangle
	out, res, err := signFile(t, in, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Field != "Empty" {
		t.Fatalf("signed into %s", res.Field)
	}
	checkSigned(t, p, in, out, "Empty")

	for _, c := range []struct {
		file, field string
		want        RefusalKind
	}{
		{in, "RO", RefuseLocked},
		{out, "Later", RefuseLocked}, // locked by the signature in "Empty"
		{in, "Missing", RefuseNoField},
		{in, "Text1", RefuseNoField},
		{out, "Empty", RefuseFieldSigned},
	} {
		o := p.opts()
		o.FieldName = c.field
		_, _, err := signFile(t, c.file, o)
		var ref *RefusalError
		if !errors.As(err, &ref) || ref.Kind != c.want {
			t.Errorf("field %s: %v, want refusal kind %d", c.field, err, c.want)
		}
	}

	// Before "Empty" is signed, "Later" is free.
	o = p.opts()
	o.FieldName = "Later"
	if _, _, err := signFile(t, in, o); err != nil {
		t.Errorf("Later before the lock applies: %v", err)
	}
	// UseEmptyField picks "Empty" (not the read-only one) on its own.
	o = p.opts()
	o.UseEmptyField = true
	if _, res, err := signFile(t, in, o); err != nil || res.Field != "Empty" {
		t.Errorf("UseEmptyField: %v, %+v", err, res)
	}
}

// TestSignCertified makes certification signatures: P=1 must stop any later signature with a
// message saying so; P=2 allows one, and both stay valid.
func TestSignCertified(t *testing.T) {
	p := mustPKI(t, "ec")
	in := writeTemp(t, "min.pdf", minimalPDF(0))
	for _, perm := range []int{1, 2} {
		o := p.opts()
		o.Certify = perm
		cert, res, err := signFile(t, in, o)
		if err != nil {
			t.Fatal(err)
		}
		checkSigned(t, p, in, cert, res.Field)
		after, res2, err := signFile(t, cert, p.orgOpts())
		var ref *RefusalError
		switch perm {
		case 1:
			if !errors.As(err, &ref) || ref.Kind != RefuseCertified || !strings.Contains(err.Error(), "certified with no changes allowed") {
				t.Errorf("P=1: %v", err)
			}
		case 2:
			if err != nil {
				t.Fatalf("P=2: %v", err)
			}
			checkSigned(t, p, cert, after, res2.Field)
		}
		// Certifying an already signed document is refused: certification comes first.
		o.Certify = 2
		if _, _, err := signFile(t, cert, o); !errors.As(err, &ref) || ref.Kind != RefuseCertified {
			t.Errorf("second certification: %v", err)
		}
	}
}

// TestSignRefusesBadInput: encrypted (made by qpdf), garbage and truncated files are refused with
// a typed error, never signed and never a panic.
func TestSignRefusesBadInput(t *testing.T) {
	p := mustPKI(t, "ec")
	plain := writeTemp(t, "min.pdf", minimalPDF(0))
	cases := map[string]struct {
		data []byte
		want RefusalKind
	}{
		"garbage":   {[]byte("this is not a PDF at all\n"), RefuseUnreadable},
		"empty":     {nil, RefuseUnreadable},
		"truncated": {minimalPDF(0)[:200], RefuseUnreadable},
	}
	if _, err := exec.LookPath("qpdf"); err == nil {
		enc := filepath.Join(t.TempDir(), "enc.pdf")
		run(t, "qpdf", "--encrypt", "", "owner", "256", "--", plain, enc)
		b, _ := os.ReadFile(enc)
		cases["encrypted"] = struct {
			data []byte
			want RefusalKind
		}{b, RefuseEncrypted}
	} else {
		t.Log("qpdf not installed: the encrypted case is not run")
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := Sign(context.Background(), bytes.NewReader(c.data), int64(len(c.data)), &out, p.opts())
			var ref *RefusalError
			if !errors.As(err, &ref) || ref.Kind != c.want {
				t.Fatalf("got %v, want refusal kind %d", err, c.want)
			}
			if out.Len() != 0 {
				t.Errorf("%d bytes written for a refused file", out.Len())
			}
			if name == "encrypted" && !strings.Contains(err.Error(), "encrypted") {
				t.Errorf("message does not say encrypted: %v", err)
			}
		})
	}
}

// TestSignGrowsHole reserves far too little room: the signer must notice and sign again with a
// bigger hole, still producing a valid file.
func TestSignGrowsHole(t *testing.T) {
	p := mustPKI(t, "ec")
	in := writeTemp(t, "min.pdf", minimalPDF(0))
	o := p.opts()
	o.ContentsSize = 64
	out, res, err := signFile(t, in, o)
	if err != nil {
		t.Fatal(err)
	}
	checkSigned(t, p, in, out, res.Field)
}

// TestSignTimestamped makes a B-T signature against our own TSA over HTTP: the token verifies
// over the signature value with tsp and with openssl ts, and pdfsig still calls it valid.
func TestSignTimestamped(t *testing.T) {
	p := mustPKI(t, "ec")
	tsaCert, tsaKey, err := p.ca.TSA()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&tsp.Authority{Signer: tsaKey, Certificate: tsaCert, Chain: []*x509.Certificate{p.ca.Root()},
		Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}})
	defer srv.Close()
	in := writeTemp(t, "min.pdf", minimalPDF(0))
	o := p.opts()
	o.Timestamper = &tsp.Client{URL: srv.URL}
	out, res, err := signFile(t, in, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Level != LevelBT {
		t.Errorf("level %s", res.Level)
	}
	checkSigned(t, p, in, out, res.Field)
	sd, _, _ := signedCMS(t, out, res.Field)
	si := sd.Signers[0]
	if len(si.TimestampTokens) != 1 {
		t.Fatalf("%d timestamp tokens", len(si.TimestampTokens))
	}
	tok, err := tsp.ParseToken(si.TimestampTokens[0])
	if err != nil {
		t.Fatal(err)
	}
	v, err := tok.VerifyData(si.Signature)
	if err != nil {
		t.Fatalf("token does not verify over the signature value: %v", err)
	}
	if !v.Certificate.Equal(tsaCert) || time.Since(v.GenTime) > time.Minute {
		t.Errorf("token by %s at %v", v.Certificate.Subject, v.GenTime)
	}
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Log("openssl not installed: token not checked with openssl ts")
		return
	}
	dir := t.TempDir()
	tokFile, dataFile := filepath.Join(dir, "tok.der"), filepath.Join(dir, "sig.bin")
	os.WriteFile(tokFile, si.TimestampTokens[0], 0o644)
	os.WriteFile(dataFile, si.Signature, 0o644)
	run(t, "openssl", "ts", "-verify", "-token_in", "-in", tokFile, "-data", dataFile,
		"-CAfile", filepath.Join(p.dir, devca.RootCertFile), "-untrusted", writeTemp(t, "tsa.pem", devca.EncodeCert(tsaCert)))
}

// TestSignTimestampFailure: a TSA that fails fails the signature (no half-made B-T file).
func TestSignTimestampFailure(t *testing.T) {
	p := mustPKI(t, "ec")
	o := p.opts()
	o.Timestamper = &tsp.Client{URL: "http://127.0.0.1:1/"}
	data := minimalPDF(0)
	_, err := Sign(context.Background(), bytes.NewReader(data), int64(len(data)), new(bytes.Buffer), o)
	if err == nil || !errors.Is(err, tsp.ErrUnavailable) {
		t.Fatalf("got %v, want tsp.ErrUnavailable", err)
	}
}

// TestSignOptionsChecked rejects options that cannot make a signature.
func TestSignOptionsChecked(t *testing.T) {
	p := mustPKI(t, "ec")
	k, _ := rsa.GenerateKey(rand.Reader, 1024)
	data := minimalPDF(0)
	for name, mut := range map[string]func(*SignOptions){
		"no signer": func(o *SignOptions) { o.Signer = nil },
		"no chain":  func(o *SignOptions) { o.Chain = nil },
		"sha1":      func(o *SignOptions) { o.Hash = crypto.SHA1 },
		"pss on ec": func(o *SignOptions) { o.PSS = true },
		"subfilter": func(o *SignOptions) { o.SubFilter = "adbe.x509.rsa_sha1" },
		"certify 4": func(o *SignOptions) { o.Certify = 4 },
		"wrong key": func(o *SignOptions) { o.Signer = k },
		"no page 9": func(o *SignOptions) { o.Visible = &Appearance{Page: 9, Rect: [4]float64{0, 0, 100, 100}} },
		"not a png": func(o *SignOptions) {
			o.Visible = &Appearance{Rect: [4]float64{0, 0, 100, 100}, Image: []byte("GIF89a")}
		},
		"huge png": func(o *SignOptions) {
			o.Visible = &Appearance{Rect: [4]float64{0, 0, 100, 100}, Image: hugePNGHeader()}
		},
		"empty rect": func(o *SignOptions) { o.Visible = &Appearance{Page: 1, Rect: [4]float64{5, 5, 5, 50}} },
	} {
		o := p.opts()
		mut(&o)
		if _, err := Sign(context.Background(), bytes.NewReader(data), int64(len(data)), new(bytes.Buffer), o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestSignHugeImage: a PNG claiming a huge canvas is refused from its header, before decoding.
func TestSignHugeImage(t *testing.T) {
	p := mustPKI(t, "ec")
	o := p.opts()
	o.Visible = &Appearance{Rect: [4]float64{0, 0, 100, 100}, Image: hugePNGHeader()}
	data := minimalPDF(0)
	_, err := Sign(context.Background(), bytes.NewReader(data), int64(len(data)), new(bytes.Buffer), o)
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("got %v", err)
	}
}

func TestSealRect(t *testing.T) {
	person := [4]float64{300, 100, 450, 160}
	s := SealRect(person, 90, 90)
	// The seal's right edge is a third into the signature; it is centred vertically on it.
	if s[2] != 350 || s[0] != 260 || s[1] != 85 || s[3] != 175 {
		t.Fatalf("seal at %v", s)
	}
}

// hugePNGHeader is a PNG whose header claims 100000x100000 pixels: refused before decoding.
func hugePNGHeader() []byte {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1)))
	data := b.Bytes()
	// IHDR's width and height sit at bytes 16..23, its CRC (over type and data) at 29..32.
	binary.BigEndian.PutUint32(data[16:], 100000)
	binary.BigEndian.PutUint32(data[20:], 100000)
	binary.BigEndian.PutUint32(data[29:], crc32.ChecksumIEEE(data[12:29]))
	return data
}

// TestSignVisibleIntoEmptyField: a visible signature without a rectangle goes into the first
// empty field that has an area, drawn in the field's own rectangle; a field without area is
// passed over.
func TestSignVisibleIntoEmptyField(t *testing.T) {
	p := mustPKI(t, "ec")
	in := writeTemp(t, "in.pdf", buildPDF(
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 5 0 R] >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R 5 0 R] >>",
		"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Hidden) /Rect [0 0 0 0] /P 3 0 R >>",
		"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Box) /Rect [60 80 260 140] /P 3 0 R >>",
	))
	o := p.opts()
	o.UseEmptyField = true
	o.Visible = &Appearance{Lines: []string{"Phạm Thị Hồng"}}
	out, res, err := signFile(t, in, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Field != "Box" {
		t.Fatalf("signed into %q, want Box", res.Field)
	}
	checkSigned(t, p, in, out, res.Field)
	if _, err := exec.LookPath("pdftotext"); err == nil {
		// -x -y -W -H crop to the field's rectangle (72 dpi, y from the top).
		txt := run(t, "pdftotext", "-x", "60", "-y", "702", "-W", "200", "-H", "60", out, "-")
		if !strings.Contains(txt, "Phạm Thị Hồng") {
			t.Errorf("the field's rectangle shows %q", txt)
		}
	}
}
