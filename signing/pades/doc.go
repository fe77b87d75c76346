// Package pades signs PDF documents with PAdES signatures and verifies them.
//
// The verifier (Verifier, which implements gateway.Verifier) answers the
// auditor's question about a signed PDF: is every signature intact, who made
// it, can it be trusted at the time it was made, and has the document been
// changed since in a way the signatures do not allow? It checks each signature
// dictionary's /ByteRange against the /Contents token the PDF reader located
// (so wrapped, overlapping or out-of-file ranges are caught), streams the signed
// ranges through the digest, verifies the CMS (or the RFC 3161 token of a
// document timestamp), builds the signer's chain at the signing time and checks
// revocation with signing/cms, signing/tsp and certs. It then diffs every
// revision after each signature against the signed one, object by object and
// by meaning rather than by bytes, and classifies each change as permitted
// (later signatures, document timestamps, DSS/VRI updates, metadata, form
// filling or annotations where /DocMDP or /FieldMDP allow) or illegal (page
// content, pages, resources, drawn annotations, replaced objects). The result
// is a gateway.Report, the one report shape of the product. A document no
// signature certifies is held to /DocMDP P=2 (Verifier.UncertifiedP changes
// that), so annotations drawn after an approval signature are illegal.
//
// The signer (Sign) adds a signature as an incremental update in one streaming
// pass: the original bytes are copied to the output unchanged while they are
// hashed, the small update (signature dictionary, field, widget, appearance) is
// built in memory with a reserved /Contents hole, and the CMS made from the
// digest with any crypto.Signer (so PKCS#11 keys work) is written into the hole.
// Memory therefore does not grow with the document. ETSI.CAdES.detached (PAdES
// B-B, the time in /M and no CMS signingTime) is the default, a Timestamper
// makes it B-T, and visible signatures draw a seal image and text in an
// embedded subset of DejaVu Sans so Vietnamese diacritics render and extract.
// It refuses, with a RefusalError that names the reason and writes nothing,
// what it must not sign: encrypted or unreadable files, documents certified
// with no changes allowed, locked or already signed fields.
//
// Input is untrusted: files are read through an io.ReaderAt and never held in
// memory whole, every walk is bounded and honours the context, and hostile
// input yields a report or an error, never a panic.
//
// It must not: fetch anything unless the caller's revocation checker is
// allowed to, trust a certificate the caller did not make an anchor, read
// configuration by itself, or call a document valid because its signature
// bytes verify when the document was changed after signing in a way the
// signatures do not permit.
package pades
