// Package cms creates and reads CMS SignedData (RFC 5652) for PAdES signatures, RFC 3161
// timestamp tokens and the gateway's receipts.
//
// It signs with any crypto.Signer (so keys in an HSM or behind PKCS#11 work), from the content or
// from a digest the caller computed by streaming, with RSA PKCS#1 v1.5, RSASSA-PSS or ECDSA, and
// it can add an unsigned attribute (a signature timestamp) to a signature after the fact. It reads
// what real signers produce: BER with indefinite lengths and constructed strings, zero padding
// after the structure (a PDF /Contents hole), certificates in any order, signers named by issuer
// and serial or by subject key identifier, plain-ECDSA, and Adobe's revocation archive.
//
// Input is untrusted: parsing is bounded in size and nesting and reports malformed input as an
// *Error of KindFormat, never a panic. Verification failures are *Error values whose Kind a
// validator maps to an indication (HASH_FAILURE, SIG_CRYPTO_FAILURE, ...).
//
// It must not decide trust: it finds the signer's certificate and checks the signature with its
// key, and returns every certificate, CRL and OCSP response it found so that the caller can build
// and check chains, revocation and validity times. It does no I/O.
package cms
