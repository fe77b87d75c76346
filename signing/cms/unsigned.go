package cms

import (
	"encoding/asn1"
	"fmt"
)

// SignatureValue returns the signature value of signer i in der: the bytes a signature
// timestamp's imprint is computed over (ETSI EN 319 122-1, signature-time-stamp).
func SignatureValue(der []byte, i int) ([]byte, error) {
	sd, err := Parse(der)
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= len(sd.Signers) {
		return nil, errf(KindFormat, "no signer %d (there are %d)", i, len(sd.Signers))
	}
	return sd.Signers[i].Signature, nil
}

// AddUnsignedAttribute returns der (a ContentInfo with SignedData) with attr added to the
// unsigned attributes of signer i. Unsigned attributes are outside what the signature covers,
// so the signature stays valid; this is how a signature timestamp is attached after signing.
// Everything else is kept byte for byte (after BER normalisation).
func AddUnsignedAttribute(der []byte, i int, attr Attribute) ([]byte, error) {
	sd, err := Parse(der)
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= len(sd.Signers) {
		return nil, fmt.Errorf("cms: no signer %d", i)
	}
	enc, err := attr.marshal()
	if err != nil {
		return nil, fmt.Errorf("cms: add unsigned attribute: %w", err)
	}
	// ContentInfo → [0] → SignedData: split down to the signer infos.
	var ci rawContentInfo
	if _, err := asn1.Unmarshal(sd.Raw, &ci); err != nil {
		return nil, wrapErr(KindFormat, err, "content info")
	}
	var sdSeq asn1.RawValue
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sdSeq); err != nil {
		return nil, wrapErr(KindFormat, err, "signed data")
	}
	fields, err := elements(sdSeq.Bytes)
	if err != nil || len(fields) == 0 {
		return nil, errf(KindFormat, "signed data fields")
	}
	infos, err := elements(fields[len(fields)-1].Bytes)
	if err != nil || i >= len(infos) {
		return nil, errf(KindFormat, "signer infos")
	}
	siFields, err := elements(infos[i].Bytes)
	if err != nil || len(siFields) < 5 {
		return nil, errf(KindFormat, "signer info fields")
	}
	parts := make([][]byte, 0, len(siFields)+1)
	var unsigned [][]byte
	for _, f := range siFields {
		if f.Class == asn1.ClassContextSpecific && f.Tag == 1 {
			old, err := elements(f.Bytes)
			if err != nil {
				return nil, wrapErr(KindFormat, err, "unsigned attributes")
			}
			for _, o := range old {
				unsigned = append(unsigned, o.FullBytes)
			}
			continue
		}
		parts = append(parts, f.FullBytes)
	}
	unsigned = append(unsigned, enc)
	parts = append(parts, derSetOf(tagContext1, unsigned))

	newInfos := make([][]byte, len(infos))
	for j, in := range infos {
		newInfos[j] = in.FullBytes
	}
	newInfos[i] = tlv(tagSequence, parts...)
	sdParts := make([][]byte, 0, len(fields))
	for _, f := range fields[:len(fields)-1] {
		sdParts = append(sdParts, f.FullBytes)
	}
	sdParts = append(sdParts, tlv(tagSet, newInfos...))
	return tlv(tagSequence, mustMarshal(OIDSignedData), tlv(tagContext0, tlv(tagSequence, sdParts...))), nil
}
