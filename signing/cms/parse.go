package cms

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"time"
)

// SignedData is a parsed CMS SignedData. Parse fills every field; nothing is verified yet.
type SignedData struct {
	Version int
	// ContentType is the eContentType: id-data for PDF signatures, id-ct-TSTInfo for timestamp
	// tokens, or a receipt's own type.
	ContentType asn1.ObjectIdentifier
	// Content is the encapsulated content; nil when the signature is detached. For Adobe's
	// adbe.pkcs7.sha1 it is the SHA-1 digest of the signed bytes, which the caller must compare.
	Content  []byte
	Detached bool

	DigestAlgorithms []asn1.ObjectIdentifier
	// Certificates holds every certificate that parsed, in the order found. BadCertificates
	// holds the DER of those that did not (the signer may still be among the good ones).
	Certificates    []*x509.Certificate
	BadCertificates [][]byte
	CRLs            [][]byte // DER CertificateLists from RevocationInfoChoices
	OCSPResponses   [][]byte // DER OCSPResponses from RevocationInfoChoices (RFC 5940)

	Signers []*SignerInfo

	// Raw is the whole ContentInfo as DER (BER input normalised, padding removed).
	Raw []byte
	// Trailing counts the bytes after the structure other than final zero padding. Parse
	// accepts them because PDF signers leave junk in /Contents holes; nothing signs them, but a
	// strict caller (a receipt verifier) may refuse input where this is not zero.
	Trailing int
}

// SignerInfo is one signer. The fields after Raw are decoded from the attributes for the
// convenience of a validator; the attribute lists hold everything as found.
type SignerInfo struct {
	Version int
	// The signer identifier: IssuerAndSerialNumber (RawIssuer, Serial) or SubjectKeyID.
	RawIssuer    []byte
	Serial       *big.Int
	SubjectKeyID []byte

	DigestAlgorithm          asn1.ObjectIdentifier
	Hash                     crypto.Hash // 0 when DigestAlgorithm is unknown
	SignatureAlgorithm       asn1.ObjectIdentifier
	SignatureAlgorithmParams []byte // DER parameters, nil when absent
	Signature                []byte

	SignedAttributes   []Attribute
	UnsignedAttributes []Attribute
	// RawSignedAttributes is the DER of the signed attributes with the SET OF tag: the bytes
	// the signature covers. Nil when there are none (the signature then covers the content).
	RawSignedAttributes []byte

	ContentType   asn1.ObjectIdentifier // content-type attribute
	MessageDigest []byte                // message-digest attribute
	SigningTime   *time.Time            // signing-time attribute, nil when absent
	// SigningCertificate holds the ESS signing-certificate (v1, SHA-1) or -v2 identifiers.
	SigningCertificate *SigningCertificate
	// Revocation holds Adobe's adbe-revocationInfoArchival signed attribute, if present.
	Revocation *RevocationArchival
	// TimestampTokens are the DER tokens of the unsigned signature-time-stamp attributes.
	TimestampTokens [][]byte

	raw []byte // the whole SignerInfo, for re-encoding with new unsigned attributes
}

// SigningCertificate is the content of an ESS signing-certificate(-v2) attribute.
type SigningCertificate struct {
	V2    bool
	Certs []ESSCertID
}

// ESSCertID identifies a certificate by its hash and, optionally, its issuer and serial number.
type ESSCertID struct {
	Hash      crypto.Hash // 0 when the hash algorithm is unknown
	HashOID   asn1.ObjectIdentifier
	CertHash  []byte
	RawIssuer []byte   // the directoryName of IssuerSerial, nil when absent
	Serial    *big.Int // nil when IssuerSerial is absent
}

// RevocationArchival is Adobe's adbe-revocationInfoArchival attribute.
type RevocationArchival struct {
	CRLs          [][]byte
	OCSPResponses [][]byte
}

// DigestAlgorithmName is the name of the signer's digest algorithm, such as "SHA-256".
func (si *SignerInfo) DigestAlgorithmName() string {
	if si.Hash == 0 {
		return si.DigestAlgorithm.String()
	}
	return si.Hash.String()
}

// SignatureAlgorithmName is the family of the signature algorithm: "RSA", "RSASSA-PSS",
// "ECDSA", "PLAIN-ECDSA", or the OID when unknown.
func (si *SignerInfo) SignatureAlgorithmName() string {
	k, _ := classifySigAlg(si.SignatureAlgorithm)
	if k == sigUnknown {
		return si.SignatureAlgorithm.String()
	}
	return k.String()
}

// Attribute returns the values of the first signed attribute of type t.
func (si *SignerInfo) Attribute(t asn1.ObjectIdentifier) ([][]byte, bool) {
	for _, a := range si.SignedAttributes {
		if a.Type.Equal(t) {
			return a.Values, true
		}
	}
	return nil, false
}

type rawContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,tag:0"`
}

type rawEncap struct {
	EContentType asn1.ObjectIdentifier
	EContent     asn1.RawValue `asn1:"explicit,optional,tag:0"`
}

type rawSignedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	EncapContentInfo rawEncap
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      asn1.RawValue
}

type rawSignerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type rawIssuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type rawAttribute struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue `asn1:"set"`
}

// Parse reads a ContentInfo holding a SignedData, in DER or BER, ignoring what follows it
// (see SignedData.Trailing).
func Parse(der []byte) (*SignedData, error) {
	norm, trailing, err := toDER(der)
	if err != nil {
		return nil, wrapErr(KindFormat, err, "encoding")
	}
	var ci rawContentInfo
	if rest, err := asn1.Unmarshal(norm, &ci); err != nil {
		return nil, wrapErr(KindFormat, err, "content info")
	} else if len(rest) != 0 {
		return nil, errf(KindFormat, "data after the content info")
	}
	if !ci.ContentType.Equal(OIDSignedData) {
		return nil, errf(KindFormat, "content type %v is not signed-data", ci.ContentType)
	}
	var rsd rawSignedData
	if rest, err := asn1.Unmarshal(ci.Content.Bytes, &rsd); err != nil {
		return nil, wrapErr(KindFormat, err, "signed data")
	} else if len(rest) != 0 {
		return nil, errf(KindFormat, "data after the signed data")
	}
	sd := &SignedData{Version: rsd.Version, ContentType: rsd.EncapContentInfo.EContentType, Raw: norm, Trailing: trailing}
	if rsd.DigestAlgorithms.Class != asn1.ClassUniversal || rsd.DigestAlgorithms.Tag != asn1.TagSet {
		return nil, errf(KindFormat, "digest algorithms are not a set")
	}
	algs, err := elements(rsd.DigestAlgorithms.Bytes)
	if err != nil {
		return nil, wrapErr(KindFormat, err, "digest algorithms")
	}
	for _, a := range algs {
		var ai pkix.AlgorithmIdentifier
		if _, err := asn1.Unmarshal(a.FullBytes, &ai); err != nil {
			return nil, wrapErr(KindFormat, err, "digest algorithm")
		}
		sd.DigestAlgorithms = append(sd.DigestAlgorithms, ai.Algorithm)
	}
	if len(rsd.EncapContentInfo.EContent.Bytes) == 0 && rsd.EncapContentInfo.EContent.Tag == 0 && rsd.EncapContentInfo.EContent.Class == 0 {
		sd.Detached = true
	} else {
		var content []byte
		if rest, err := asn1.Unmarshal(rsd.EncapContentInfo.EContent.Bytes, &content); err != nil {
			return nil, wrapErr(KindFormat, err, "encapsulated content")
		} else if len(rest) != 0 {
			return nil, errf(KindFormat, "data after the encapsulated content")
		}
		if content == nil {
			content = []byte{}
		}
		sd.Content = content
	}
	if len(rsd.Certificates.FullBytes) > 0 {
		if !rsd.Certificates.IsCompound {
			return nil, errf(KindFormat, "certificates are not a set")
		}
		certs, err := elements(rsd.Certificates.Bytes)
		if err != nil {
			return nil, wrapErr(KindFormat, err, "certificates")
		}
		for _, c := range certs {
			// Attribute certificates and other choices carry tags; only plain ones matter here.
			if c.Class != asn1.ClassUniversal || c.Tag != asn1.TagSequence {
				continue
			}
			cert, err := x509.ParseCertificate(c.FullBytes)
			if err != nil {
				sd.BadCertificates = append(sd.BadCertificates, c.FullBytes)
				continue
			}
			sd.Certificates = append(sd.Certificates, cert)
		}
	}
	if len(rsd.CRLs.FullBytes) > 0 {
		if !rsd.CRLs.IsCompound {
			return nil, errf(KindFormat, "revocation information is not a set")
		}
		revs, err := elements(rsd.CRLs.Bytes)
		if err != nil {
			return nil, wrapErr(KindFormat, err, "revocation information")
		}
		for _, r := range revs {
			switch {
			case r.Class == asn1.ClassUniversal && r.Tag == asn1.TagSequence:
				sd.CRLs = append(sd.CRLs, r.FullBytes)
			case r.Class == asn1.ClassContextSpecific && r.Tag == 1 && r.IsCompound:
				var format asn1.ObjectIdentifier
				rest, err := asn1.Unmarshal(r.Bytes, &format)
				if err != nil {
					return nil, wrapErr(KindFormat, err, "other revocation information")
				}
				if format.Equal(oidOCSPResponseRevInfo) {
					sd.OCSPResponses = append(sd.OCSPResponses, rest)
				}
			}
		}
	}
	if rsd.SignerInfos.Class != asn1.ClassUniversal || rsd.SignerInfos.Tag != asn1.TagSet {
		return nil, errf(KindFormat, "signer infos are not a set")
	}
	infos, err := elements(rsd.SignerInfos.Bytes)
	if err != nil {
		return nil, wrapErr(KindFormat, err, "signer infos")
	}
	for i, raw := range infos {
		si, err := parseSignerInfo(raw.FullBytes)
		if err != nil {
			return nil, wrapErr(KindFormat, err, "signer %d", i)
		}
		sd.Signers = append(sd.Signers, si)
	}
	return sd, nil
}

func parseSignerInfo(der []byte) (*SignerInfo, error) {
	var r rawSignerInfo
	if rest, err := asn1.Unmarshal(der, &r); err != nil {
		return nil, err
	} else if len(rest) != 0 {
		return nil, errf(KindFormat, "data after the signer info")
	}
	si := &SignerInfo{
		Version:                  r.Version,
		DigestAlgorithm:          r.DigestAlgorithm.Algorithm,
		SignatureAlgorithm:       r.SignatureAlgorithm.Algorithm,
		SignatureAlgorithmParams: r.SignatureAlgorithm.Parameters.FullBytes,
		Signature:                r.Signature,
		raw:                      der,
	}
	si.Hash, _ = HashFromOID(si.DigestAlgorithm)
	switch {
	case r.SID.Class == asn1.ClassUniversal && r.SID.Tag == asn1.TagSequence:
		var ias rawIssuerAndSerial
		if rest, err := asn1.Unmarshal(r.SID.FullBytes, &ias); err != nil || len(rest) != 0 || ias.Serial == nil {
			return nil, errf(KindFormat, "issuer and serial number")
		}
		si.RawIssuer, si.Serial = ias.Issuer.FullBytes, ias.Serial
	case r.SID.Class == asn1.ClassContextSpecific && r.SID.Tag == 0 && !r.SID.IsCompound:
		si.SubjectKeyID = r.SID.Bytes
	default:
		return nil, errf(KindFormat, "unknown signer identifier")
	}
	if len(r.SignedAttrs.FullBytes) > 0 {
		if !r.SignedAttrs.IsCompound {
			return nil, errf(KindFormat, "signed attributes are not a set")
		}
		attrs, err := parseAttributes(r.SignedAttrs.Bytes)
		if err != nil {
			return nil, wrapErr(KindFormat, err, "signed attributes")
		}
		si.SignedAttributes = attrs
		si.RawSignedAttributes = append([]byte{tagSet}, r.SignedAttrs.FullBytes[1:]...)
		if err := si.decodeSignedAttributes(); err != nil {
			return nil, err
		}
	}
	if len(r.UnsignedAttrs.FullBytes) > 0 {
		if !r.UnsignedAttrs.IsCompound {
			return nil, errf(KindFormat, "unsigned attributes are not a set")
		}
		attrs, err := parseAttributes(r.UnsignedAttrs.Bytes)
		if err != nil {
			return nil, wrapErr(KindFormat, err, "unsigned attributes")
		}
		si.UnsignedAttributes = attrs
		for _, a := range attrs {
			if a.Type.Equal(OIDAttrTimestampToken) {
				si.TimestampTokens = append(si.TimestampTokens, a.Values...)
			}
		}
	}
	return si, nil
}

func parseAttributes(content []byte) ([]Attribute, error) {
	elems, err := elements(content)
	if err != nil {
		return nil, err
	}
	out := make([]Attribute, 0, len(elems))
	for _, e := range elems {
		var ra rawAttribute
		if rest, err := asn1.Unmarshal(e.FullBytes, &ra); err != nil {
			return nil, err
		} else if len(rest) != 0 {
			return nil, errf(KindFormat, "data after an attribute")
		}
		if ra.Values.Class != asn1.ClassUniversal || ra.Values.Tag != asn1.TagSet {
			return nil, errf(KindFormat, "attribute values are not a set")
		}
		vals, err := elements(ra.Values.Bytes)
		if err != nil {
			return nil, err
		}
		a := Attribute{Type: ra.Type}
		for _, v := range vals {
			a.Values = append(a.Values, v.FullBytes)
		}
		out = append(out, a)
	}
	return out, nil
}

// single returns the one value of attribute t, an error when it has several values or occurs
// more than once (RFC 5652 §11 forbids both for the attributes decoded here), and nil when absent.
func (si *SignerInfo) single(t asn1.ObjectIdentifier) ([]byte, error) {
	var found []byte
	n := 0
	for _, a := range si.SignedAttributes {
		if a.Type.Equal(t) {
			n++
			if len(a.Values) != 1 {
				return nil, errf(KindFormat, "attribute %v has %d values", t, len(a.Values))
			}
			found = a.Values[0]
		}
	}
	if n > 1 {
		return nil, errf(KindFormat, "attribute %v occurs %d times", t, n)
	}
	return found, nil
}

func (si *SignerInfo) decodeSignedAttributes() error {
	if v, err := si.single(OIDAttrContentType); err != nil {
		return err
	} else if v != nil {
		if _, err := asn1.Unmarshal(v, &si.ContentType); err != nil {
			return wrapErr(KindFormat, err, "content-type attribute")
		}
	}
	if v, err := si.single(OIDAttrMessageDigest); err != nil {
		return err
	} else if v != nil {
		if _, err := asn1.Unmarshal(v, &si.MessageDigest); err != nil {
			return wrapErr(KindFormat, err, "message-digest attribute")
		}
		if si.MessageDigest == nil {
			si.MessageDigest = []byte{}
		}
	}
	if v, err := si.single(OIDAttrSigningTime); err != nil {
		return err
	} else if v != nil {
		var t time.Time
		if _, err := asn1.Unmarshal(v, &t); err != nil {
			return wrapErr(KindFormat, err, "signing-time attribute")
		}
		si.SigningTime = &t
	}
	v1, err := si.single(OIDAttrSigningCert)
	if err != nil {
		return err
	}
	v2, err := si.single(OIDAttrSigningCertV2)
	if err != nil {
		return err
	}
	switch {
	case v2 != nil:
		sc, err := parseSigningCertificate(v2, true)
		if err != nil {
			return wrapErr(KindFormat, err, "signing-certificate-v2 attribute")
		}
		si.SigningCertificate = sc
	case v1 != nil:
		sc, err := parseSigningCertificate(v1, false)
		if err != nil {
			return wrapErr(KindFormat, err, "signing-certificate attribute")
		}
		si.SigningCertificate = sc
	}
	if v, err := si.single(OIDAttrAdobeRevocation); err != nil {
		return err
	} else if v != nil {
		ra, err := parseRevocationArchival(v)
		if err != nil {
			return wrapErr(KindFormat, err, "adbe-revocationInfoArchival attribute")
		}
		si.Revocation = ra
	}
	return nil
}

type rawSigningCertificate struct {
	Certs    []asn1.RawValue
	Policies asn1.RawValue `asn1:"optional"`
}

type rawIssuerSerial struct {
	Issuer []asn1.RawValue // GeneralNames
	Serial *big.Int
}

func parseSigningCertificate(v []byte, v2 bool) (*SigningCertificate, error) {
	var r rawSigningCertificate
	if _, err := asn1.Unmarshal(v, &r); err != nil {
		return nil, err
	}
	if len(r.Certs) == 0 {
		return nil, errf(KindFormat, "no certificate identifiers")
	}
	sc := &SigningCertificate{V2: v2}
	for _, c := range r.Certs {
		elems, err := elements(c.Bytes)
		if err != nil {
			return nil, err
		}
		id := ESSCertID{Hash: crypto.SHA1, HashOID: oidSHA1}
		if v2 {
			id.Hash, id.HashOID = crypto.SHA256, oidSHA256
			if len(elems) > 0 && elems[0].Class == asn1.ClassUniversal && elems[0].Tag == asn1.TagSequence {
				var ai pkix.AlgorithmIdentifier
				if _, err := asn1.Unmarshal(elems[0].FullBytes, &ai); err != nil {
					return nil, err
				}
				id.HashOID = ai.Algorithm
				id.Hash, _ = HashFromOID(ai.Algorithm)
				elems = elems[1:]
			}
		}
		if len(elems) == 0 || elems[0].Class != asn1.ClassUniversal || elems[0].Tag != asn1.TagOctetString {
			return nil, errf(KindFormat, "certificate hash missing")
		}
		id.CertHash = elems[0].Bytes
		if len(elems) > 1 {
			var is rawIssuerSerial
			if _, err := asn1.Unmarshal(elems[1].FullBytes, &is); err != nil {
				return nil, err
			}
			id.Serial = is.Serial
			for _, gn := range is.Issuer {
				if gn.Class == asn1.ClassContextSpecific && gn.Tag == 4 {
					id.RawIssuer = gn.Bytes
					break
				}
			}
		}
		sc.Certs = append(sc.Certs, id)
	}
	return sc, nil
}

func parseRevocationArchival(v []byte) (*RevocationArchival, error) {
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(v, &seq); err != nil {
		return nil, err
	}
	if seq.Tag != asn1.TagSequence {
		return nil, errf(KindFormat, "not a sequence")
	}
	fields, err := elements(seq.Bytes)
	if err != nil {
		return nil, err
	}
	ra := &RevocationArchival{}
	for _, f := range fields {
		if f.Class != asn1.ClassContextSpecific || f.Tag > 2 {
			return nil, errf(KindFormat, "unexpected field")
		}
		var inner asn1.RawValue
		if _, err := asn1.Unmarshal(f.Bytes, &inner); err != nil {
			return nil, err
		}
		items, err := elements(inner.Bytes)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			switch f.Tag {
			case 0:
				ra.CRLs = append(ra.CRLs, it.FullBytes)
			case 1:
				ra.OCSPResponses = append(ra.OCSPResponses, it.FullBytes)
			}
		}
	}
	return ra, nil
}

// sameIssuer compares two DER Names: byte equality first, then as decoded names, because
// some signers re-encode the issuer (string types) in the signer identifier.
func sameIssuer(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var na, nb pkix.RDNSequence
	if _, err := asn1.Unmarshal(a, &na); err != nil {
		return false
	}
	if _, err := asn1.Unmarshal(b, &nb); err != nil {
		return false
	}
	return na.String() == nb.String()
}
