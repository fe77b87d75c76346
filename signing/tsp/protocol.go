package tsp

import (
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"docgate/signing/cms"
)

// PKIStatus values (RFC 3161 §2.4.2).
const (
	StatusGranted                = 0
	StatusGrantedWithMods        = 1
	StatusRejection              = 2
	StatusWaiting                = 3
	StatusRevocationWarning      = 4
	StatusRevocationNotification = 5
)

// PKIFailureInfo bits.
const (
	FailBadAlg              = 0
	FailBadRequest          = 2
	FailBadDataFormat       = 5
	FailTimeNotAvailable    = 14
	FailUnacceptedPolicy    = 15
	FailUnacceptedExtension = 16
	FailAddInfoNotAvailable = 17
	FailSystemFailure       = 25
)

const (
	maxFailBit = 25
	// A request is a hash and a few small fields; anything larger is not one.
	maxRequestSize = 16 << 10
	// A reply carries a token with a certificate chain; a megabyte is far more than any needs.
	maxResponseSize  = 1 << 20
	contentTypeQuery = "application/timestamp-query"
	contentTypeReply = "application/timestamp-reply"
	nonceBytes       = 16
	serialBytes      = 16
)

// Request is a TimeStampReq.
type Request struct {
	HashAlgorithm       asn1.ObjectIdentifier
	HashAlgorithmParams []byte // DER parameters as sent (NULL or absent), echoed in the token
	Hash                crypto.Hash
	HashedMessage       []byte
	Policy              asn1.ObjectIdentifier
	Nonce               *big.Int
	CertReq             bool
	HasExtensions       bool
}

type rawRequest struct {
	Version        int
	MessageImprint imprint
	ReqPolicy      asn1.ObjectIdentifier `asn1:"optional"`
	Nonce          *big.Int              `asn1:"optional"`
	CertReq        bool                  `asn1:"optional,default:false"`
	Extensions     asn1.RawValue         `asn1:"optional,tag:0"`
}

// ParseRequest decodes a DER TimeStampReq.
func ParseRequest(der []byte) (*Request, error) {
	var r rawRequest
	rest, err := asn1.Unmarshal(der, &r)
	if err != nil {
		return nil, fmt.Errorf("tsp: request: %w", err)
	}
	if len(rest) != 0 {
		return nil, errors.New("tsp: request: trailing data")
	}
	if r.Version != 1 {
		return nil, fmt.Errorf("tsp: request: version %d", r.Version)
	}
	req := &Request{
		HashAlgorithm:       r.MessageImprint.HashAlgorithm.Algorithm,
		HashAlgorithmParams: r.MessageImprint.HashAlgorithm.Parameters.FullBytes,
		HashedMessage:       r.MessageImprint.HashedMessage,
		Policy:              r.ReqPolicy,
		Nonce:               r.Nonce,
		CertReq:             r.CertReq,
		HasExtensions:       len(r.Extensions.FullBytes) > 0,
	}
	req.Hash, _ = cms.HashFromOID(req.HashAlgorithm)
	return req, nil
}

// Marshal encodes the request. The hash algorithm carries NULL parameters, which every
// authority accepts.
func (r *Request) Marshal() ([]byte, error) {
	oid := r.HashAlgorithm
	if oid == nil {
		oid = cms.HashOID(r.Hash)
	}
	if oid == nil {
		return nil, fmt.Errorf("tsp: request: unsupported hash %v", r.Hash)
	}
	b, err := asn1.Marshal(rawRequest{
		Version: 1,
		MessageImprint: imprint{
			HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1.NullRawValue},
			HashedMessage: r.HashedMessage,
		},
		ReqPolicy: r.Policy,
		Nonce:     r.Nonce,
		CertReq:   r.CertReq,
	})
	if err != nil {
		return nil, fmt.Errorf("tsp: request: %w", err)
	}
	return b, nil
}

// Response is a TimeStampResp.
type Response struct {
	Status       int
	StatusString []string
	FailInfo     asn1.BitString
	Token        []byte // DER ContentInfo, nil unless granted
}

type rawStatusInfo struct {
	Status       int
	StatusString []string       `asn1:"optional"`
	FailInfo     asn1.BitString `asn1:"optional"`
}

type rawResponse struct {
	Status rawStatusInfo
	Token  asn1.RawValue `asn1:"optional"`
}

// ParseResponse decodes a DER TimeStampResp without judging it.
func ParseResponse(der []byte) (*Response, error) {
	if len(der) > maxResponseSize {
		return nil, fmt.Errorf("tsp: response of %d bytes is too large", len(der))
	}
	var r rawResponse
	rest, err := asn1.Unmarshal(der, &r)
	if err != nil {
		return nil, fmt.Errorf("tsp: response: %w", err)
	}
	if len(rest) != 0 {
		return nil, errors.New("tsp: response: trailing data")
	}
	resp := &Response{Status: r.Status.Status, StatusString: r.Status.StatusString, FailInfo: r.Status.FailInfo}
	if len(r.Token.FullBytes) > 0 {
		if r.Token.Class != asn1.ClassUniversal || r.Token.Tag != asn1.TagSequence {
			return nil, errors.New("tsp: response: token is not a content info")
		}
		resp.Token = r.Token.FullBytes
	}
	return resp, nil
}

// StatusError is an authority's refusal: its PKIStatus, failure bits and text.
type StatusError struct {
	Status   int
	FailInfo []int // the PKIFailureInfo bits set
	Text     string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("tsp: timestamp refused: status %d", e.Status)
	if len(e.FailInfo) > 0 {
		names := make([]string, len(e.FailInfo))
		for i, b := range e.FailInfo {
			names[i] = failName(b)
		}
		s += " (" + strings.Join(names, ", ") + ")"
	}
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

func failName(bit int) string {
	switch bit {
	case FailBadAlg:
		return "badAlg"
	case FailBadRequest:
		return "badRequest"
	case FailBadDataFormat:
		return "badDataFormat"
	case FailTimeNotAvailable:
		return "timeNotAvailable"
	case FailUnacceptedPolicy:
		return "unacceptedPolicy"
	case FailUnacceptedExtension:
		return "unacceptedExtension"
	case FailAddInfoNotAvailable:
		return "addInfoNotAvailable"
	case FailSystemFailure:
		return "systemFailure"
	}
	return fmt.Sprintf("bit%d", bit)
}

func (r *Response) statusError() *StatusError {
	e := &StatusError{Status: r.Status, Text: strings.Join(r.StatusString, "; ")}
	for i := 0; i < r.FailInfo.BitLength && i <= maxFailBit; i++ {
		if r.FailInfo.At(i) == 1 {
			e.FailInfo = append(e.FailInfo, i)
		}
	}
	return e
}

// statusInfoOut writes PKIFreeText as UTF8String, which encoding/asn1 does not do for a []string.
type statusInfoOut struct {
	Status       int
	StatusString []asn1.RawValue
	FailInfo     asn1.BitString
}

func marshalRejection(failBit int, text string) []byte {
	bits := make([]byte, failBit/8+1)
	bits[failBit/8] = 0x80 >> (failBit % 8)
	status := mustMarshal(statusInfoOut{
		Status:       StatusRejection,
		StatusString: []asn1.RawValue{{Tag: asn1.TagUTF8String, Bytes: []byte(text)}},
		FailInfo:     asn1.BitString{Bytes: bits, BitLength: failBit + 1},
	})
	return mustMarshal(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: status})
}

func marshalGranted(token []byte) []byte {
	return mustMarshal(rawResponse{Status: rawStatusInfo{Status: StatusGranted}, Token: asn1.RawValue{FullBytes: token}})
}
