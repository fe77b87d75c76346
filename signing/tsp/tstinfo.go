package tsp

import (
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"docgate/signing/cms"
)

// TSTInfo is the content of a timestamp token (RFC 3161 §2.4.2).
type TSTInfo struct {
	Version int
	Policy  asn1.ObjectIdentifier
	// HashAlgorithm and HashedMessage are the message imprint; Hash is 0 when the algorithm is
	// unknown.
	HashAlgorithm asn1.ObjectIdentifier
	Hash          crypto.Hash
	HashedMessage []byte
	SerialNumber  *big.Int
	// GenTime keeps the fractional seconds the authority wrote.
	GenTime  time.Time
	Accuracy time.Duration // 0 when absent
	Ordering bool
	Nonce    *big.Int // nil when absent
	// TSAName is the authority's directory name as text, when it gave one as a directoryName.
	TSAName    string
	RawTSAName []byte // the GeneralName as DER, nil when absent
	Raw        []byte
}

type imprint struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

type accuracy struct {
	Seconds int `asn1:"optional"`
	Millis  int `asn1:"optional,tag:0"`
	Micros  int `asn1:"optional,tag:1"`
}

type rawTSTInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint imprint
	SerialNumber   *big.Int
	GenTime        asn1.RawValue
	Accuracy       accuracy      `asn1:"optional"`
	Ordering       bool          `asn1:"optional,default:false"`
	Nonce          *big.Int      `asn1:"optional"`
	TSA            asn1.RawValue `asn1:"optional,explicit,tag:0"`
	Extensions     asn1.RawValue `asn1:"optional,tag:1"`
}

// ParseTSTInfo decodes a DER TSTInfo.
func ParseTSTInfo(der []byte) (*TSTInfo, error) {
	var r rawTSTInfo
	rest, err := asn1.Unmarshal(der, &r)
	if err != nil {
		return nil, fmt.Errorf("tsp: tstinfo: %w", err)
	}
	if len(rest) != 0 {
		return nil, errors.New("tsp: tstinfo: trailing data")
	}
	if r.Version != 1 {
		return nil, fmt.Errorf("tsp: tstinfo: version %d", r.Version)
	}
	if r.SerialNumber == nil {
		return nil, errors.New("tsp: tstinfo: no serial number")
	}
	if r.GenTime.Class != asn1.ClassUniversal || r.GenTime.Tag != asn1.TagGeneralizedTime {
		return nil, errors.New("tsp: tstinfo: genTime is not a GeneralizedTime")
	}
	gt, err := parseGeneralizedTime(string(r.GenTime.Bytes))
	if err != nil {
		return nil, fmt.Errorf("tsp: tstinfo: genTime: %w", err)
	}
	a := r.Accuracy
	if a.Seconds < 0 || a.Millis < 0 || a.Millis > 999 || a.Micros < 0 || a.Micros > 999 {
		return nil, errors.New("tsp: tstinfo: accuracy out of range")
	}
	info := &TSTInfo{
		Version:       r.Version,
		Policy:        r.Policy,
		HashAlgorithm: r.MessageImprint.HashAlgorithm.Algorithm,
		HashedMessage: r.MessageImprint.HashedMessage,
		SerialNumber:  r.SerialNumber,
		GenTime:       gt,
		Accuracy: time.Duration(a.Seconds)*time.Second + time.Duration(a.Millis)*time.Millisecond +
			time.Duration(a.Micros)*time.Microsecond,
		Ordering: r.Ordering,
		Nonce:    r.Nonce,
		Raw:      der,
	}
	if a.Seconds > int(24*time.Hour/time.Second) {
		return nil, errors.New("tsp: tstinfo: accuracy of more than a day")
	}
	info.Hash, _ = cms.HashFromOID(info.HashAlgorithm)
	if len(r.TSA.FullBytes) > 0 {
		info.RawTSAName = r.TSA.Bytes
		var gn asn1.RawValue
		if _, err := asn1.Unmarshal(r.TSA.Bytes, &gn); err == nil && gn.Class == asn1.ClassContextSpecific && gn.Tag == 4 {
			var name pkix.RDNSequence
			if _, err := asn1.Unmarshal(gn.Bytes, &name); err == nil {
				info.TSAName = name.String()
			}
		}
	}
	return info, nil
}

// parseGeneralizedTime reads YYYYMMDDHHMMSS[.f+](Z|±hhmm). It is more lenient than DER (trailing
// zeros in the fraction, an offset) because deployed authorities write both.
func parseGeneralizedTime(s string) (time.Time, error) {
	if len(s) < 15 || strings.ContainsAny(s, " \t") {
		return time.Time{}, fmt.Errorf("malformed time %q", s)
	}
	// Go's parser takes a fraction after the seconds even when the layout has none.
	t, err := time.Parse("20060102150405Z0700", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("malformed time %q", s)
	}
	return t.UTC(), nil
}

// formatGeneralizedTime writes t in UTC as DER wants it: fraction without trailing zeros, no
// dot for whole seconds.
func formatGeneralizedTime(t time.Time) []byte {
	s := t.UTC().Format("20060102150405.999999999") + "Z"
	return mustMarshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagGeneralizedTime, Bytes: []byte(s)})
}

func mustMarshal(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		// Only used on values of fixed types built in this package.
		panic(fmt.Sprintf("tsp: marshal %T: %v", v, err))
	}
	return b
}
