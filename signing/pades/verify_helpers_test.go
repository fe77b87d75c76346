package pades

// A minimal signer of the verifier's own, built on signing/pdf and
// signing/cms, so that the verifier's tests can forge exactly the structures
// an attacker would (moved byte ranges, missing /Contents, updates after
// signing) without depending on how the real signer lays things out.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"strings"
	"testing"
	"time"

	"docgate/certs"
	"docgate/gateway"
	"docgate/signing/cms"
	"docgate/signing/pdf"
	"docgate/signing/tsp"
)

// vPKI is a root, a signer certificate issued by it and a timestamp authority.
type vPKI struct {
	root    *x509.Certificate
	rootKey *ecdsa.PrivateKey
	leaf    *x509.Certificate
	key     *ecdsa.PrivateKey
	tsa     *tsp.Authority
	crl     []byte // a current CRL of the root revoking nothing
}

// makeCRL returns a current CRL of the root listing revoked.
func (p *vPKI) makeCRL(tb testing.TB, revoked []x509.RevocationListEntry) []byte {
	tb.Helper()
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(time.Now().UnixNano()), ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(24 * time.Hour),
		RevokedCertificateEntries: revoked,
	}, p.root, p.rootKey)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

func vMustKey(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func vMustCert(tb testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, priv crypto.Signer) *x509.Certificate {
	tb.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, priv)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func vNewPKI(tb testing.TB) *vPKI {
	tb.Helper()
	now := time.Now()
	p := &vPKI{rootKey: vMustKey(tb), key: vMustKey(tb)}
	rootTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "verify test root", Organization: []string{"docgate test"}},
		NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(10 * 366 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	p.root = vMustCert(tb, rootTmpl, rootTmpl, &p.rootKey.PublicKey, p.rootKey)
	p.leaf = vMustCert(tb, &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject: pkix.Name{CommonName: "Nguyen Van A", Organization: []string{"UBND tinh Test"},
			ExtraNames: []pkix.AttributeTypeAndValue{{Type: certs.OIDOrganizationIdentifier, Value: "000.00.00.H41"}}},
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}, p.root, &p.key.PublicKey, p.rootKey)
	tsaKey := vMustKey(tb)
	tsaCert := vMustCert(tb, &x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "verify test TSA"},
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
		ExtraExtensions: nil,
	}, p.root, &tsaKey.PublicKey, p.rootKey)
	if !vCriticalEKU(tsaCert) {
		// Go marks EKU non-critical; RFC 3161 wants it critical. Rebuild with
		// the extension given explicitly.
		ekuDER, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
		if err != nil {
			tb.Fatal(err)
		}
		tsaCert = vMustCert(tb, &x509.Certificate{
			SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "verify test TSA"},
			NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(10 * 365 * 24 * time.Hour),
			KeyUsage:        x509.KeyUsageDigitalSignature,
			ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: ekuDER}},
		}, p.root, &tsaKey.PublicKey, p.rootKey)
	}
	p.crl = p.makeCRL(tb, nil)
	p.tsa = &tsp.Authority{Signer: tsaKey, Certificate: tsaCert, Chain: []*x509.Certificate{p.root}, Policy: asn1.ObjectIdentifier{1, 2, 3, 4}}
	return p
}

func vCriticalEKU(c *x509.Certificate) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 37}) {
			return e.Critical
		}
	}
	return false
}

func (p *vPKI) trust() *certs.TrustStore {
	t := certs.NewTrustStore()
	t.AddAnchor(p.root)
	return t
}

// vDoc describes a generated unsigned PDF.
type vDoc struct {
	pages int
	// content is page 1's content stream.
	content string
	// extraObjects are written as they are after the fixed objects (numbers
	// from 20 up), for shadow attacks that prepare content before signing.
	extraObjects []string
	// pageExtra is added inside page 1's dictionary.
	pageExtra string
	// resources replaces page 1's resources dictionary.
	resources string
	// acroForm, when set, is the catalog's /AcroForm value.
	acroForm string
}

// vBuildPDF writes a classic PDF: 1 catalog, 2 pages, 3.. pages, then
// contents; extra objects from 20.
func vBuildPDF(d vDoc) []byte {
	if d.pages == 0 {
		d.pages = 1
	}
	if d.content == "" {
		d.content = "BT /F1 24 Tf 72 720 Td (Official document) Tj ET"
	}
	if d.resources == "" {
		d.resources = "<< /Font << /F1 10 0 R >> >>"
	}
	objs := map[int]string{}
	kids := []string{}
	for i := 0; i < d.pages; i++ {
		n := 3 + i
		kids = append(kids, fmt.Sprintf("%d 0 R", n))
		extra := ""
		if i == 0 {
			extra = d.pageExtra
		}
		objs[n] = fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources %s /Contents %d 0 R %s >>", d.resources, 11+i, extra)
		content := d.content
		if i > 0 {
			content = fmt.Sprintf("BT /F1 12 Tf 72 720 Td (Page %d) Tj ET", i+1)
		}
		objs[11+i] = fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content)+1, content)
	}
	cat := "<< /Type /Catalog /Pages 2 0 R"
	if d.acroForm != "" {
		cat += " /AcroForm " + d.acroForm
	}
	objs[1] = cat + " >>"
	objs[2] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), d.pages)
	objs[10] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
	for i, o := range d.extraObjects {
		objs[20+i] = o
	}
	max := 0
	for n := range objs {
		max = maxInt(max, n)
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, max+1)
	for n := 1; n <= max; n++ {
		o, ok := objs[n]
		if !ok {
			continue
		}
		offsets[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", max+1)
	for n := 1; n <= max; n++ {
		if _, ok := objs[n]; ok {
			fmt.Fprintf(&b, "%010d 00000 n \n", offsets[n])
		} else {
			b.WriteString("0000000000 65535 f \n")
		}
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", max+1, xref)
	return b.Bytes()
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

type vBytes []byte

func (b vBytes) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > int64(len(b)) {
		return 0, fmt.Errorf("offset %d out of range", off)
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func vOpen(tb testing.TB, b []byte) *pdf.File {
	tb.Helper()
	f, err := pdf.Open(vBytes(b), int64(len(b)), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// vSignOpts tunes vSign.
type vSignOpts struct {
	field     string
	subFilter string
	docMDP    int // certify with this P when non-zero
	lock      *pdf.Dict
	timestamp bool // add a signature timestamp (B-T)
	docTS     bool // a document timestamp instead of a signature
	// mutate may change the signature dictionary before it is written
	// (USF: drop /Contents, break /ByteRange).
	mutate func(sig *pdf.Dict)
	// patchRange, when set, replaces the /ByteRange written into the file.
	patchRange func(br [4]int64, size int64) [4]int64
	// emptyContents leaves the placeholder of zeros.
	emptyContents bool
	signingTime   time.Time
	// crl is embedded in the CMS; nil embeds the PKI's current empty CRL.
	crl []byte
}

// vSign appends a signature (or document timestamp) in a new revision.
func vSign(tb testing.TB, p *vPKI, in []byte, o vSignOpts) []byte {
	tb.Helper()
	if o.field == "" {
		o.field = "Signature1"
	}
	if o.subFilter == "" {
		o.subFilter = "ETSI.CAdES.detached"
		if o.docTS {
			o.subFilter = "ETSI.RFC3161"
		}
	}
	if o.signingTime.IsZero() {
		o.signingTime = time.Now().Add(-time.Minute)
	}
	f := vOpen(tb, in)
	u := f.NewUpdate()
	contents := pdf.NewContentsPlaceholder(8192)
	br := pdf.NewByteRangePlaceholder()
	typ := pdf.Name("Sig")
	if o.docTS {
		typ = "DocTimeStamp"
	}
	sig := pdf.NewDict("Type", typ, "Filter", pdf.Name("Adobe.PPKLite"), "SubFilter", pdf.Name(o.subFilter),
		"ByteRange", br, "Contents", contents, "M", pdf.NewString(o.signingTime.UTC().Format("D:20060102150405Z")))
	sigRef := u.Alloc()
	if o.docMDP > 0 {
		sig.Set("Reference", pdf.Array{pdf.NewDict("Type", pdf.Name("SigRef"), "TransformMethod", pdf.Name("DocMDP"),
			"TransformParams", pdf.NewDict("Type", pdf.Name("TransformParams"), "P", pdf.Integer(o.docMDP), "V", pdf.Name("1.2")))})
	}
	if o.mutate != nil {
		o.mutate(sig)
	}
	if err := u.Set(sigRef, sig); err != nil {
		tb.Fatal(err)
	}
	cat, err := f.Catalog()
	if err != nil {
		tb.Fatal(err)
	}
	rootRef, _ := f.Trailer().Ref("Root")
	pages, err := f.Pages()
	if err != nil {
		tb.Fatal(err)
	}
	page := pages[0]
	field := pdf.NewDict("FT", pdf.Name("Sig"), "T", pdf.NewTextString(o.field), "V", sigRef, "Type", pdf.Name("Annot"),
		"Subtype", pdf.Name("Widget"), "Rect", pdf.Array{pdf.Integer(0), pdf.Integer(0), pdf.Integer(0), pdf.Integer(0)},
		"F", pdf.Integer(132), "P", page.Ref)
	if o.lock != nil {
		field.Set("Lock", o.lock)
	}
	fieldRef := u.Add(field)
	nc := cat.Clone()
	var fields pdf.Array
	if af, _ := f.ResolveDict(cat.Get("AcroForm")); af != nil {
		if arr, err := f.Resolve(af.Get("Fields")); err == nil {
			if a, ok := arr.(pdf.Array); ok {
				fields = append(fields, a...)
			}
		}
	}
	fields = append(fields, fieldRef)
	nc.Set("AcroForm", pdf.NewDict("Fields", fields, "SigFlags", pdf.Integer(3)))
	if o.docMDP > 0 {
		nc.Set("Perms", pdf.NewDict("DocMDP", sigRef))
	}
	if err := u.Set(rootRef, nc); err != nil {
		tb.Fatal(err)
	}
	np := page.Dict.Clone()
	var annots pdf.Array
	if a, err := f.Resolve(page.Dict.Get("Annots")); err == nil {
		if arr, ok := a.(pdf.Array); ok {
			annots = append(annots, arr...)
		}
	}
	np.Set("Annots", append(annots, fieldRef))
	if err := u.Set(page.Ref, np); err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	out.Write(in)
	res, err := u.Append(&out, int64(len(in)))
	if err != nil {
		tb.Fatal(err)
	}
	b := out.Bytes()
	rng := [4]int64{0, contents.Start, contents.End, res.End - contents.End}
	if o.patchRange != nil {
		rng = o.patchRange(rng, res.End)
	}
	if br.Start > 0 {
		txt, err := pdf.FormatByteRange(int(br.End-br.Start), rng)
		if err != nil {
			tb.Fatal(err)
		}
		copy(b[br.Start:], txt)
	}
	if o.emptyContents || contents.Start <= 0 {
		return b
	}
	// Hash what the final ranges say (a forged range signs what it covers).
	real := [4]int64{0, contents.Start, contents.End, res.End - contents.End}
	h := crypto.SHA256.New()
	h.Write(b[real[0]:real[1]])
	h.Write(b[real[2] : real[2]+real[3]])
	digest := h.Sum(nil)
	var der []byte
	if o.docTS {
		der, err = p.tsa.Timestamp(context.Background(), digest, crypto.SHA256)
	} else {
		crl := o.crl
		if crl == nil {
			crl = p.crl
		}
		so := cms.SignOptions{Digest: digest, Detached: true, Signer: p.key, Certificate: p.leaf, Hash: crypto.SHA256, SigningCertificateV2: true, CRLs: [][]byte{crl}}
		if o.timestamp {
			so.Timestamp = func(ctx context.Context, sigValue []byte) ([]byte, error) {
				s := sha256Sum(sigValue)
				return p.tsa.Timestamp(ctx, s, crypto.SHA256)
			}
		}
		der, err = cms.Sign(context.Background(), so)
	}
	if err != nil {
		tb.Fatal(err)
	}
	hexed := []byte(strings.ToUpper(hex.EncodeToString(der)))
	if int64(len(hexed)) > contents.End-contents.Start-2 {
		tb.Fatalf("signature of %d bytes does not fit", len(der))
	}
	copy(b[contents.Start+1:], hexed)
	return b
}

func sha256Sum(b []byte) []byte {
	h := crypto.SHA256.New()
	h.Write(b)
	return h.Sum(nil)
}

// vUpdate appends an incremental update made by change.
func vUpdate(tb testing.TB, in []byte, change func(f *pdf.File, u *pdf.Update)) []byte {
	tb.Helper()
	f := vOpen(tb, in)
	u := f.NewUpdate()
	change(f, u)
	var out bytes.Buffer
	out.Write(in)
	if _, err := u.Append(&out, int64(len(in))); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// vVerify verifies b the way the CLI does.
func vVerify(tb testing.TB, b []byte, trust *certs.TrustStore) (*gateway.Report, error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return VerifyWithin(ctx, &Verifier{Trust: trust}, vBytes(b), int64(len(b)), gateway.VerifyOptions{Offline: true})
}

func vMustVerify(tb testing.TB, b []byte, trust *certs.TrustStore) *gateway.Report {
	tb.Helper()
	rep, err := vVerify(tb, b, trust)
	if err != nil {
		tb.Fatalf("verify: %v", err)
	}
	return rep
}

// vMustSet replaces an object in an update.
func vMustSet(tb testing.TB, u *pdf.Update, ref pdf.Ref, o pdf.Object) {
	tb.Helper()
	if err := u.Set(ref, o); err != nil {
		tb.Fatal(err)
	}
}

func vChanges(rep *gateway.Report) string { return strings.Join(rep.Document.Changes, "; ") }
