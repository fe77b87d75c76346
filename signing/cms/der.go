package cms

import (
	"bytes"
	"encoding/asn1"
	"fmt"
	"slices"
)

// DER tags used when building structures by hand. Building the few CMS structures directly
// keeps the encoding exactly what RFC 5652 says (IMPLICIT SETs, DEFAULT fields left out), which
// encoding/asn1's reflection makes awkward.
const (
	tagInteger     = 0x02
	tagOctetString = 0x04
	tagSequence    = 0x30
	tagSet         = 0x31
	tagContext0    = 0xa0 // [0] constructed
	tagContext1    = 0xa1 // [1] constructed
	tagContext2    = 0xa2
	tagContext4    = 0xa4
)

// tlv encodes one element whose identifier is a single octet.
func tlv(tag byte, parts ...[]byte) []byte {
	size := 0
	for _, p := range parts {
		size += len(p)
	}
	out := make([]byte, 0, headerLen(1, size)+size)
	out = append(out, tag)
	out = appendLength(out, size)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// derSetOf encodes a SET OF with its elements in DER order (ascending by encoding).
func derSetOf(tag byte, elems [][]byte) []byte {
	sorted := slices.Clone(elems)
	slices.SortFunc(sorted, bytes.Compare)
	return tlv(tag, sorted...)
}

func mustMarshal(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		// Only called on values of fixed, valid types built here.
		panic(fmt.Sprintf("cms: marshal %T: %v", v, err))
	}
	return b
}

// algorithmID encodes an AlgorithmIdentifier; params nil leaves the parameters absent.
func algorithmID(oid asn1.ObjectIdentifier, params []byte) []byte {
	return tlv(tagSequence, mustMarshal(oid), params)
}

var derNull = []byte{0x05, 0x00}

// elements splits the content of a constructed element into its child elements.
func elements(content []byte) ([]asn1.RawValue, error) {
	var out []asn1.RawValue
	for len(content) > 0 {
		var v asn1.RawValue
		rest, err := asn1.Unmarshal(content, &v)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		content = rest
	}
	return out, nil
}
