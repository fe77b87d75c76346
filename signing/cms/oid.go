package cms

import (
	"crypto"
	"encoding/asn1"

	// Register the hash functions that signatures may name.
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha3"
	_ "crypto/sha512"
)

// Object identifiers from RFC 5652, RFC 3370, RFC 4055, RFC 5035, RFC 5754, RFC 5758, BSI TR-03111
// and Adobe's PDF reference.
var (
	OIDData                = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	OIDSignedData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	OIDTSTInfo             = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	OIDAttrContentType     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	OIDAttrMessageDigest   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	OIDAttrSigningTime     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	OIDAttrSigningCert     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	OIDAttrSigningCertV2   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	OIDAttrTimestampToken  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	OIDAttrAdobeRevocation = asn1.ObjectIdentifier{1, 2, 840, 113583, 1, 1, 8}
	oidOCSPResponseRevInfo = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 16, 2}
	oidRSAEncryption       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSASSAPSS           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1                = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidECPublicKey         = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidSHA1                = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA224              = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}
	oidSHA256              = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384              = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512              = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidSHA3Prefix          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4}
	oidBSIPlainECDSAPrefix = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1}
	oidSHA1WithRSA         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	oidSHA224WithRSA       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 14}
	oidSHA256WithRSA       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384WithRSA       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidECDSAWithSHA1       = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	oidECDSAWithSHA224     = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 1}
	oidECDSAWithSHA256     = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384     = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA512     = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
)

// HashOID returns the digest algorithm identifier of h, or nil when h is not one CMS names here.
func HashOID(h crypto.Hash) asn1.ObjectIdentifier {
	switch h {
	case crypto.SHA1:
		return oidSHA1
	case crypto.SHA224:
		return oidSHA224
	case crypto.SHA256:
		return oidSHA256
	case crypto.SHA384:
		return oidSHA384
	case crypto.SHA512:
		return oidSHA512
	case crypto.SHA3_224, crypto.SHA3_256, crypto.SHA3_384, crypto.SHA3_512:
		return asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, int(7 + h - crypto.SHA3_224)}
	}
	return nil
}

// HashFromOID maps a digest algorithm identifier to its hash. Some signers put a signature
// algorithm (sha256WithRSAEncryption) where a digest algorithm belongs; those are accepted too,
// because the hash they imply is unambiguous.
func HashFromOID(oid asn1.ObjectIdentifier) (crypto.Hash, bool) {
	switch {
	case oid.Equal(oidSHA1), oid.Equal(oidSHA1WithRSA), oid.Equal(oidECDSAWithSHA1):
		return crypto.SHA1, true
	case oid.Equal(oidSHA224), oid.Equal(oidSHA224WithRSA), oid.Equal(oidECDSAWithSHA224):
		return crypto.SHA224, true
	case oid.Equal(oidSHA256), oid.Equal(oidSHA256WithRSA), oid.Equal(oidECDSAWithSHA256):
		return crypto.SHA256, true
	case oid.Equal(oidSHA384), oid.Equal(oidSHA384WithRSA), oid.Equal(oidECDSAWithSHA384):
		return crypto.SHA384, true
	case oid.Equal(oidSHA512), oid.Equal(oidSHA512WithRSA), oid.Equal(oidECDSAWithSHA512):
		return crypto.SHA512, true
	}
	if h, _ := sha3Family(oid); h != 0 {
		return h, true
	}
	return 0, false
}

// sha3Family maps the NIST SHA-3 digest (2.16.840.1.101.3.4.2.7-10) and signature
// (…4.3.9-16, ECDSA then RSA PKCS #1 v1.5) identifiers to their hash and family.
func sha3Family(oid asn1.ObjectIdentifier) (crypto.Hash, sigAlgKind) {
	if len(oid) != len(oidSHA3Prefix)+2 || !oid[:len(oidSHA3Prefix)].Equal(oidSHA3Prefix) {
		return 0, sigUnknown
	}
	hashes := []crypto.Hash{crypto.SHA3_224, crypto.SHA3_256, crypto.SHA3_384, crypto.SHA3_512}
	arc, n := oid[len(oid)-2], oid[len(oid)-1]
	switch {
	case arc == 2 && n >= 7 && n <= 10:
		return hashes[n-7], sigUnknown
	case arc == 3 && n >= 9 && n <= 12:
		return hashes[n-9], sigECDSA
	case arc == 3 && n >= 13 && n <= 16:
		return hashes[n-13], sigRSA
	}
	return 0, sigUnknown
}

// sigAlgKind is the family of a signature algorithm identifier, and the hash it fixes, if any.
type sigAlgKind int

const (
	sigUnknown sigAlgKind = iota
	sigRSA
	sigRSAPSS
	sigECDSA
	sigPlainECDSA
)

func (k sigAlgKind) String() string {
	switch k {
	case sigRSA:
		return "RSA"
	case sigRSAPSS:
		return "RSASSA-PSS"
	case sigECDSA:
		return "ECDSA"
	case sigPlainECDSA:
		return "PLAIN-ECDSA"
	}
	return "unknown"
}

// classifySigAlg says which family oid belongs to and the hash the identifier itself implies
// (0 when it leaves the hash to the digestAlgorithm field, as rsaEncryption does).
func classifySigAlg(oid asn1.ObjectIdentifier) (sigAlgKind, crypto.Hash) {
	switch {
	case oid.Equal(oidRSAEncryption):
		return sigRSA, 0
	case oid.Equal(oidRSASSAPSS):
		return sigRSAPSS, 0
	case oid.Equal(oidECPublicKey):
		return sigECDSA, 0
	case oid.Equal(oidSHA1WithRSA), oid.Equal(oidSHA224WithRSA), oid.Equal(oidSHA256WithRSA),
		oid.Equal(oidSHA384WithRSA), oid.Equal(oidSHA512WithRSA):
		h, _ := HashFromOID(oid)
		return sigRSA, h
	case oid.Equal(oidECDSAWithSHA1), oid.Equal(oidECDSAWithSHA224), oid.Equal(oidECDSAWithSHA256),
		oid.Equal(oidECDSAWithSHA384), oid.Equal(oidECDSAWithSHA512):
		h, _ := HashFromOID(oid)
		return sigECDSA, h
	}
	if h, k := sha3Family(oid); k != sigUnknown {
		return k, h
	}
	if len(oid) == len(oidBSIPlainECDSAPrefix)+1 && oid[:len(oidBSIPlainECDSAPrefix)].Equal(oidBSIPlainECDSAPrefix) {
		switch oid[len(oid)-1] {
		case 1:
			return sigPlainECDSA, crypto.SHA1
		case 2:
			return sigPlainECDSA, crypto.SHA224
		case 3:
			return sigPlainECDSA, crypto.SHA256
		case 4:
			return sigPlainECDSA, crypto.SHA384
		case 5:
			return sigPlainECDSA, crypto.SHA512
		case 6:
			// RIPEMD-160: recognised so that the error says what it is, not implemented.
			return sigPlainECDSA, crypto.RIPEMD160
		}
	}
	return sigUnknown, 0
}

func ecdsaOIDFor(h crypto.Hash) asn1.ObjectIdentifier {
	switch h {
	case crypto.SHA256:
		return oidECDSAWithSHA256
	case crypto.SHA384:
		return oidECDSAWithSHA384
	case crypto.SHA512:
		return oidECDSAWithSHA512
	}
	return nil
}
