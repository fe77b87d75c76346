package cms

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Attribute is a CMS attribute: a type and its values, each given as a complete DER encoding.
type Attribute struct {
	Type   asn1.ObjectIdentifier
	Values [][]byte
}

func (a Attribute) marshal() ([]byte, error) {
	oid, err := asn1.Marshal(a.Type)
	if err != nil {
		return nil, fmt.Errorf("attribute type %v: %w", a.Type, err)
	}
	if len(a.Values) == 0 {
		return nil, fmt.Errorf("attribute %v has no values", a.Type)
	}
	for _, v := range a.Values {
		var rv asn1.RawValue
		if rest, err := asn1.Unmarshal(v, &rv); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("attribute %v: value is not one DER element", a.Type)
		}
	}
	return tlv(tagSequence, oid, derSetOf(tagSet, a.Values)), nil
}

// SignOptions says what to sign and how. Either Content or Digest is set; Digest only with
// Detached, because an encapsulated signature carries the content itself.
type SignOptions struct {
	// Content is the data signed. Encapsulated in the SignedData unless Detached.
	Content []byte
	// Digest is the caller's digest of the content under Hash, for detached signatures over data
	// that is streamed rather than held in memory (a PDF's /ByteRange).
	Digest []byte

	Signer      crypto.Signer
	Certificate *x509.Certificate   // the signer's certificate; its key must be Signer's
	Chain       []*x509.Certificate // further certificates to embed (intermediates, maybe the root)
	// OmitCertificates leaves the certificates field empty (an RFC 3161 reply to a request
	// without certReq). The signer is still identified by issuer and serial number.
	OmitCertificates bool
	// SubjectKeyIdentifier names the signer by the certificate's subject key identifier
	// (SignerInfo version 3) instead of issuer and serial number.
	SubjectKeyIdentifier bool

	Hash        crypto.Hash           // SHA-256 when zero; SHA-384 and SHA-512 also allowed
	Detached    bool                  // leave the content out of the SignedData
	ContentType asn1.ObjectIdentifier // id-data when nil

	// SigningTime adds the signing-time attribute. Nil leaves it out, as PAdES B-B requires
	// (the time goes in the signature dictionary's /M instead).
	SigningTime *time.Time
	// SigningCertificateV2 adds the ESS signing-certificate-v2 attribute (RFC 5035), binding the
	// signer's certificate into what is signed; PAdES and RFC 3161 tokens need it.
	SigningCertificateV2 bool
	// PSS signs with RSASSA-PSS (salt length = hash length, MGF1 with the same hash) instead of
	// PKCS #1 v1.5. Only for RSA keys.
	PSS bool

	ExtraSignedAttributes []Attribute
	UnsignedAttributes    []Attribute

	// Timestamp, when set, is called with the signature value once it exists and returns an
	// RFC 3161 token over it (the caller hashes the value, usually with tsp); the token is
	// added as the signature-time-stamp unsigned attribute (PAdES B-T). Its error fails Sign:
	// a caller that can do without the timestamp signs without one and adds it later with
	// AddUnsignedAttribute.
	Timestamp func(ctx context.Context, signature []byte) ([]byte, error)

	CRLs          [][]byte // DER CertificateLists for RevocationInfoChoices
	OCSPResponses [][]byte // DER OCSPResponses, embedded as id-ri-ocsp-response (RFC 5940)
}

// Sign returns a DER ContentInfo holding a SignedData with one signer. ctx bounds the call
// only before the key is used: crypto.Signer takes no context.
func Sign(ctx context.Context, o SignOptions) ([]byte, error) {
	if o.Signer == nil || o.Certificate == nil {
		return nil, errors.New("cms: sign: signer and certificate are required")
	}
	h := o.Hash
	if h == 0 {
		h = crypto.SHA256
	}
	if h != crypto.SHA256 && h != crypto.SHA384 && h != crypto.SHA512 {
		return nil, fmt.Errorf("cms: sign: hash %v not allowed for new signatures", h)
	}
	if eq, ok := o.Signer.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(o.Certificate.PublicKey) {
		return nil, errors.New("cms: sign: the signer's public key is not the certificate's")
	}
	contentType := o.ContentType
	if contentType == nil {
		contentType = OIDData
	}
	ctDER, err := asn1.Marshal(contentType)
	if err != nil {
		return nil, fmt.Errorf("cms: sign: content type: %w", err)
	}

	var digest []byte
	switch {
	case o.Digest != nil && o.Content != nil:
		return nil, errors.New("cms: sign: give Content or Digest, not both")
	case o.Digest != nil:
		if !o.Detached {
			return nil, errors.New("cms: sign: an encapsulated signature needs the content, not a digest")
		}
		if len(o.Digest) != h.Size() {
			return nil, fmt.Errorf("cms: sign: digest is %d bytes, %v needs %d", len(o.Digest), h, h.Size())
		}
		digest = o.Digest
	default:
		hh := h.New()
		hh.Write(o.Content)
		digest = hh.Sum(nil)
	}

	// Signed attributes.
	attrs := []Attribute{
		{Type: OIDAttrContentType, Values: [][]byte{ctDER}},
		{Type: OIDAttrMessageDigest, Values: [][]byte{mustMarshal(digest)}},
	}
	if o.SigningTime != nil {
		t, err := asn1.Marshal(o.SigningTime.UTC().Truncate(time.Second))
		if err != nil {
			return nil, fmt.Errorf("cms: sign: signing time: %w", err)
		}
		attrs = append(attrs, Attribute{Type: OIDAttrSigningTime, Values: [][]byte{t}})
	}
	if o.SigningCertificateV2 {
		attrs = append(attrs, SigningCertificateV2Attribute(o.Certificate, h))
	}
	attrs = append(attrs, o.ExtraSignedAttributes...)
	seen := map[string]bool{}
	encAttrs := make([][]byte, 0, len(attrs))
	for _, a := range attrs {
		if seen[a.Type.String()] {
			return nil, fmt.Errorf("cms: sign: attribute %v given twice", a.Type)
		}
		seen[a.Type.String()] = true
		b, err := a.marshal()
		if err != nil {
			return nil, fmt.Errorf("cms: sign: %w", err)
		}
		encAttrs = append(encAttrs, b)
	}
	// The signature covers the attributes encoded as an explicit SET OF (RFC 5652 §5.4); in the
	// SignerInfo the same bytes carry the [0] IMPLICIT tag instead.
	signedAttrs := derSetOf(tagSet, encAttrs)
	ah := h.New()
	ah.Write(signedAttrs)
	attrDigest := ah.Sum(nil)

	var sigAlg []byte
	var signerOpts crypto.SignerOpts = h
	switch pub := o.Certificate.PublicKey.(type) {
	case *rsa.PublicKey:
		if o.PSS {
			signerOpts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
			sigAlg = algorithmID(oidRSASSAPSS, pssParams(h))
		} else {
			sigAlg = algorithmID(oidRSAEncryption, derNull)
		}
	case *ecdsa.PublicKey:
		if o.PSS {
			return nil, errors.New("cms: sign: PSS needs an RSA key")
		}
		sigAlg = algorithmID(ecdsaOIDFor(h), nil)
	default:
		return nil, fmt.Errorf("cms: sign: unsupported key type %T", pub)
	}

	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("cms: sign: %w", err)
	}
	sig, err := o.Signer.Sign(rand.Reader, attrDigest, signerOpts)
	if err != nil {
		return nil, fmt.Errorf("cms: sign: %w", err)
	}

	// SignerInfo.
	version := 1
	var sid []byte
	if o.SubjectKeyIdentifier {
		if len(o.Certificate.SubjectKeyId) == 0 {
			return nil, errors.New("cms: sign: certificate has no subject key identifier")
		}
		version = 3
		sid = tlv(0x80, o.Certificate.SubjectKeyId)
	} else {
		sid = issuerAndSerial(o.Certificate)
	}
	digestAlg := algorithmID(HashOID(h), nil)
	parts := [][]byte{
		mustMarshal(version),
		sid,
		digestAlg,
		append([]byte{tagContext0}, signedAttrs[1:]...),
		sigAlg,
		mustMarshal(sig),
	}
	unsigned := o.UnsignedAttributes
	if o.Timestamp != nil {
		token, err := o.Timestamp(ctx, sig)
		if err != nil {
			return nil, fmt.Errorf("cms: sign: signature timestamp: %w", err)
		}
		unsigned = append(slices.Clone(unsigned), TimestampAttribute(token))
	}
	if len(unsigned) > 0 {
		var enc [][]byte
		for _, a := range unsigned {
			b, err := a.marshal()
			if err != nil {
				return nil, fmt.Errorf("cms: sign: %w", err)
			}
			enc = append(enc, b)
		}
		parts = append(parts, derSetOf(tagContext1, enc))
	}
	signerInfo := tlv(tagSequence, parts...)

	// SignedData.
	var certs [][]byte
	if !o.OmitCertificates {
		certs = append(certs, o.Certificate.Raw)
		for _, c := range o.Chain {
			if c != nil && !c.Equal(o.Certificate) {
				certs = append(certs, c.Raw)
			}
		}
	}
	var revs [][]byte
	revs = append(revs, o.CRLs...)
	for _, r := range o.OCSPResponses {
		revs = append(revs, tlv(tagContext1, mustMarshal(oidOCSPResponseRevInfo), r))
	}
	sdVersion := 1
	switch {
	case len(o.OCSPResponses) > 0:
		sdVersion = 5 // an "other" RevocationInfoChoice
	case version == 3 || !contentType.Equal(OIDData):
		sdVersion = 3
	}
	encap := [][]byte{ctDER}
	if !o.Detached {
		encap = append(encap, tlv(tagContext0, mustMarshal(o.Content)))
	}
	sd := [][]byte{
		mustMarshal(sdVersion),
		tlv(tagSet, digestAlg),
		tlv(tagSequence, encap...),
	}
	if len(certs) > 0 {
		// Certificates keep the signer's first: some verifiers look no further.
		sd = append(sd, tlv(tagContext0, certs...))
	}
	if len(revs) > 0 {
		sd = append(sd, tlv(tagContext1, revs...))
	}
	sd = append(sd, tlv(tagSet, signerInfo))
	return tlv(tagSequence, mustMarshal(OIDSignedData), tlv(tagContext0, tlv(tagSequence, sd...))), nil
}

func issuerAndSerial(c *x509.Certificate) []byte {
	return tlv(tagSequence, c.RawIssuer, mustMarshal(c.SerialNumber))
}

// pssParams encodes RSASSA-PSS-params (RFC 4055) for hash h with MGF1 over the same hash and a
// salt as long as the hash; the trailer field keeps its default and is left out.
func pssParams(h crypto.Hash) []byte {
	hashAlg := algorithmID(HashOID(h), derNull)
	return tlv(tagSequence,
		tlv(tagContext0, hashAlg),
		tlv(tagContext1, algorithmID(oidMGF1, hashAlg)),
		tlv(tagContext2, mustMarshal(h.Size())),
	)
}

// SigningCertificateV2Attribute builds the ESS signing-certificate-v2 attribute (RFC 5035) for
// cert, hashing it with h (the hash algorithm is left out when it is the default SHA-256).
func SigningCertificateV2Attribute(cert *x509.Certificate, h crypto.Hash) Attribute {
	hh := h.New()
	hh.Write(cert.Raw)
	var id [][]byte
	if h != crypto.SHA256 {
		id = append(id, algorithmID(HashOID(h), nil))
	}
	id = append(id, mustMarshal(hh.Sum(nil)), essIssuerSerial(cert))
	v := tlv(tagSequence, tlv(tagSequence, tlv(tagSequence, id...)))
	return Attribute{Type: OIDAttrSigningCertV2, Values: [][]byte{v}}
}

// essIssuerSerial is IssuerSerial: the issuer as GeneralNames holding one directoryName.
func essIssuerSerial(cert *x509.Certificate) []byte {
	return tlv(tagSequence, tlv(tagSequence, tlv(tagContext4, cert.RawIssuer)), mustMarshal(cert.SerialNumber))
}

// TimestampAttribute wraps an RFC 3161 token as the unsigned signature-time-stamp attribute
// (id-aa-signatureTimeStampToken) that makes a PAdES B-B signature B-T.
func TimestampAttribute(token []byte) Attribute {
	return Attribute{Type: OIDAttrTimestampToken, Values: [][]byte{token}}
}

// RevocationArchivalAttribute builds Adobe's adbe-revocationInfoArchival signed attribute
// carrying CRLs and OCSP responses for the signer's chain.
func RevocationArchivalAttribute(crls, ocsps [][]byte) Attribute {
	var parts [][]byte
	if len(crls) > 0 {
		parts = append(parts, tlv(tagContext0, tlv(tagSequence, crls...)))
	}
	if len(ocsps) > 0 {
		parts = append(parts, tlv(tagContext1, tlv(tagSequence, ocsps...)))
	}
	return Attribute{Type: OIDAttrAdobeRevocation, Values: [][]byte{tlv(tagSequence, parts...)}}
}
