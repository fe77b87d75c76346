package cms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"slices"
)

// VerifyOptions gives Verify the content of a detached signature. Leave both empty for an
// encapsulated one.
type VerifyOptions struct {
	// Digest is the caller's digest of the detached content under the signer's Hash (read it
	// from Signers[i].Hash after Parse, then stream the content).
	Digest []byte
	// Content is the detached content itself, hashed here. For small content only.
	Content []byte
	// Signer is the index of the signer to verify in Signers.
	Signer int
	// Certificates are further candidates for the signer's certificate, for signatures that
	// do not embed it (a PAdES file may keep it in its /DSS instead).
	Certificates []*x509.Certificate
}

// Verify checks one signer: that a certificate in the SignedData matches its identifier (and
// its ESS signing-certificate attribute, when present), that the message digest matches the
// content, and that the signature verifies with that certificate's key. It returns the signer's
// certificate. Trust, validity periods and revocation are the caller's to check.
func (sd *SignedData) Verify(o VerifyOptions) (*x509.Certificate, error) {
	if o.Signer < 0 || o.Signer >= len(sd.Signers) {
		return nil, errf(KindFormat, "no signer %d (there are %d)", o.Signer, len(sd.Signers))
	}
	si := sd.Signers[o.Signer]
	if si.Hash == 0 {
		return nil, errf(KindUnsupported, "digest algorithm %v", si.DigestAlgorithm)
	}

	var contentDigest []byte
	switch {
	case !sd.Detached:
		if o.Digest != nil || o.Content != nil {
			return nil, errf(KindFormat, "the content is encapsulated; a detached one was given too")
		}
		contentDigest = digestOf(si.Hash, sd.Content)
	case o.Digest != nil:
		if len(o.Digest) != si.Hash.Size() {
			return nil, errf(KindFormat, "digest is %d bytes, %v needs %d", len(o.Digest), si.Hash, si.Hash.Size())
		}
		contentDigest = o.Digest
	case o.Content != nil:
		contentDigest = digestOf(si.Hash, o.Content)
	default:
		return nil, errf(KindFormat, "detached signature and no content or digest given")
	}

	cert, err := sd.SignerCertificate(o.Signer, o.Certificates...)
	if err != nil {
		return nil, err
	}

	// The signature's own hash: usually the digest algorithm, but a signature algorithm may
	// name another (sha3-256WithRSA over a SHA-256 message digest, seen in the DSS corpus);
	// the signed attributes are then hashed with the signature's, as BouncyCastle and DSS do.
	sigHash, _, err := si.signatureHash()
	if err != nil {
		return nil, err
	}
	signed := contentDigest
	if si.RawSignedAttributes == nil && sigHash != si.Hash {
		content := sd.Content
		if sd.Detached {
			content = o.Content
		}
		if content == nil {
			return nil, errf(KindUnsupported, "signature hash %v differs from digest algorithm %v and only a digest was given", sigHash, si.Hash)
		}
		signed = digestOf(sigHash, content)
	}
	if si.RawSignedAttributes != nil {
		if si.MessageDigest == nil {
			return nil, errf(KindFormat, "signed attributes lack message-digest")
		}
		if si.ContentType == nil {
			return nil, errf(KindFormat, "signed attributes lack content-type")
		}
		if !si.ContentType.Equal(sd.ContentType) {
			return nil, errf(KindFormat, "content-type attribute %v differs from the content's %v", si.ContentType, sd.ContentType)
		}
		if !bytes.Equal(si.MessageDigest, contentDigest) {
			return nil, errf(KindDigestMismatch, "message-digest attribute does not match the content")
		}
		signed = digestOf(sigHash, si.RawSignedAttributes)
	}
	if err := verifySignature(cert.PublicKey, si, signed); err != nil {
		return nil, err
	}
	return cert, nil
}

func digestOf(h crypto.Hash, b []byte) []byte {
	hh := h.New()
	hh.Write(b)
	return hh.Sum(nil)
}

// SignerCertificate finds the certificate that signer i names among the embedded ones and then
// extra, and checks it against the ESS signing-certificate attribute when there is one (which
// defeats substituting another certificate with the same key).
func (sd *SignedData) SignerCertificate(i int, extra ...*x509.Certificate) (*x509.Certificate, error) {
	if i < 0 || i >= len(sd.Signers) {
		return nil, errf(KindFormat, "no signer %d", i)
	}
	si := sd.Signers[i]
	var cert *x509.Certificate
	for _, c := range slices.Concat(sd.Certificates, extra) {
		if c == nil {
			continue
		}
		if si.SubjectKeyID != nil {
			if len(c.SubjectKeyId) > 0 && bytes.Equal(c.SubjectKeyId, si.SubjectKeyID) {
				cert = c
				break
			}
			continue
		}
		if c.SerialNumber.Cmp(si.Serial) == 0 && sameIssuer(c.RawIssuer, si.RawIssuer) {
			cert = c
			break
		}
	}
	if cert == nil {
		return nil, errf(KindSignerNotFound, "no certificate matches the signer identifier")
	}
	if sc := si.SigningCertificate; sc != nil {
		// The first ESSCertID names the signing certificate (RFC 5035 §5.4).
		id := sc.Certs[0]
		if id.Hash == 0 || !id.Hash.Available() {
			return nil, errf(KindUnsupported, "signing-certificate hash %v", id.HashOID)
		}
		if !bytes.Equal(digestOf(id.Hash, cert.Raw), id.CertHash) {
			return nil, errf(KindSignerNotFound, "signing-certificate attribute names a different certificate")
		}
		if id.Serial != nil && (id.Serial.Cmp(cert.SerialNumber) != 0 || (id.RawIssuer != nil && !sameIssuer(id.RawIssuer, cert.RawIssuer))) {
			return nil, errf(KindSignerNotFound, "signing-certificate attribute's issuer and serial differ from the certificate's")
		}
	}
	return cert, nil
}

type rawPSSParams struct {
	Hash       pkix.AlgorithmIdentifier `asn1:"optional,explicit,tag:0"`
	MGF        pkix.AlgorithmIdentifier `asn1:"optional,explicit,tag:1"`
	SaltLength int                      `asn1:"optional,explicit,tag:2,default:20"`
	Trailer    int                      `asn1:"optional,explicit,tag:3,default:1"`
}

// signatureHash returns the hash the signature algorithm applies, with the PSS options when it
// is RSASSA-PSS.
func (si *SignerInfo) signatureHash() (crypto.Hash, *rsa.PSSOptions, error) {
	kind, implied := classifySigAlg(si.SignatureAlgorithm)
	switch {
	case kind == sigUnknown:
		return 0, nil, errf(KindUnsupported, "signature algorithm %v", si.SignatureAlgorithm)
	case kind == sigRSAPSS:
		return si.pssOptions()
	case implied == crypto.RIPEMD160:
		return 0, nil, errf(KindUnsupported, "plain-ECDSA with RIPEMD-160")
	case implied != 0:
		return implied, nil, nil
	}
	return si.Hash, nil, nil
}

func (si *SignerInfo) pssOptions() (crypto.Hash, *rsa.PSSOptions, error) {
	var p rawPSSParams
	if len(si.SignatureAlgorithmParams) == 0 {
		return 0, nil, errf(KindFormat, "RSASSA-PSS without parameters")
	}
	if rest, err := asn1.Unmarshal(si.SignatureAlgorithmParams, &p); err != nil || len(rest) != 0 {
		return 0, nil, wrapErr(KindFormat, err, "RSASSA-PSS parameters")
	}
	h := crypto.SHA1
	if p.Hash.Algorithm != nil {
		var ok bool
		if h, ok = HashFromOID(p.Hash.Algorithm); !ok {
			return 0, nil, errf(KindUnsupported, "RSASSA-PSS hash %v", p.Hash.Algorithm)
		}
	}
	mgfHash := crypto.SHA1
	if p.MGF.Algorithm != nil {
		if !p.MGF.Algorithm.Equal(oidMGF1) {
			return 0, nil, errf(KindUnsupported, "RSASSA-PSS mask generation %v", p.MGF.Algorithm)
		}
		var mh pkix.AlgorithmIdentifier
		if _, err := asn1.Unmarshal(p.MGF.Parameters.FullBytes, &mh); err != nil {
			return 0, nil, wrapErr(KindFormat, err, "MGF1 parameters")
		}
		var ok bool
		if mgfHash, ok = HashFromOID(mh.Algorithm); !ok {
			return 0, nil, errf(KindUnsupported, "MGF1 hash %v", mh.Algorithm)
		}
	}
	if mgfHash != h {
		// crypto/rsa ties MGF1 to the message hash; mixed choices are legal but unseen in practice.
		return 0, nil, errf(KindUnsupported, "RSASSA-PSS with MGF1 over %v and message hash %v", mgfHash, h)
	}
	if p.Trailer != 1 {
		return 0, nil, errf(KindFormat, "RSASSA-PSS trailer field %d", p.Trailer)
	}
	if p.SaltLength < 0 {
		return 0, nil, errf(KindFormat, "RSASSA-PSS salt length %d", p.SaltLength)
	}
	saltLen := p.SaltLength
	if saltLen == 0 {
		// rsa.PSSOptions reads 0 as "any length"; there is no way to ask for exactly none.
		saltLen = rsa.PSSSaltLengthAuto
	}
	return h, &rsa.PSSOptions{SaltLength: saltLen, Hash: h}, nil
}

// verifySignature checks si's signature over digest, computed with si.signatureHash().
func verifySignature(pub crypto.PublicKey, si *SignerInfo, digest []byte) error {
	h, pss, err := si.signatureHash()
	if err != nil {
		return err
	}
	if !h.Available() {
		return errf(KindUnsupported, "hash %v", h)
	}
	kind, _ := classifySigAlg(si.SignatureAlgorithm)
	switch kind {
	case sigRSA:
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return errf(KindSignatureInvalid, "RSA signature but the certificate holds a %T", pub)
		}
		if err := rsa.VerifyPKCS1v15(k, h, digest, si.Signature); err != nil {
			return wrapErr(KindSignatureInvalid, err, "RSA signature")
		}
		return nil
	case sigRSAPSS:
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return errf(KindSignatureInvalid, "RSASSA-PSS signature but the certificate holds a %T", pub)
		}
		if err := rsa.VerifyPSS(k, h, digest, si.Signature, pss); err != nil {
			return wrapErr(KindSignatureInvalid, err, "RSASSA-PSS signature")
		}
		return nil
	case sigECDSA:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return errf(KindSignatureInvalid, "ECDSA signature but the certificate holds a %T", pub)
		}
		if !ecdsa.VerifyASN1(k, digest, si.Signature) {
			return errf(KindSignatureInvalid, "ECDSA signature does not verify")
		}
		return nil
	case sigPlainECDSA:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return errf(KindSignatureInvalid, "plain-ECDSA signature but the certificate holds a %T", pub)
		}
		// BSI TR-03111: r and s as fixed-width big-endian integers of the order's byte length.
		n := (k.Curve.Params().N.BitLen() + 7) / 8
		if len(si.Signature) != 2*n {
			return errf(KindSignatureInvalid, "plain-ECDSA signature is %d bytes, the curve needs %d", len(si.Signature), 2*n)
		}
		r := new(big.Int).SetBytes(si.Signature[:n])
		s := new(big.Int).SetBytes(si.Signature[n:])
		if !ecdsa.Verify(k, digest, r, s) {
			return errf(KindSignatureInvalid, "plain-ECDSA signature does not verify")
		}
		return nil
	}
	return errf(KindUnsupported, "signature algorithm %v", si.SignatureAlgorithm)
}
