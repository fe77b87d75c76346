package tsp

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"net/http"
	"time"

	"docgate/signing/cms"
)

// Authority is the built-in timestamp authority. It holds no state between requests: serial
// numbers are random, so any number of gateway replicas can sign with the same key.
type Authority struct {
	Signer      crypto.Signer
	Certificate *x509.Certificate   // must carry the critical id-kp-timeStamping usage
	Chain       []*x509.Certificate // intermediates (and root) sent when a request asks for certificates
	Policy      asn1.ObjectIdentifier
	Now         func() time.Time // time.Now when nil
	// Accuracy is stated in every token; zero leaves it out. genTime carries milliseconds.
	Accuracy time.Duration
	Hash     crypto.Hash  // hash of the token signature, SHA-256 when zero
	Logger   *slog.Logger // slog.Default() when nil; only failures of our own are logged
}

var _ http.Handler = (*Authority)(nil)

// rejection is a request the authority refuses, with the PKIFailureInfo bit that says why.
type rejection struct {
	bit  int
	text string
}

func (r *rejection) Error() string { return "tsp: request rejected: " + r.text }

// Timestamp issues a token over digest for in-process callers (receipts, signature timestamps),
// with the certificates included and no nonce.
func (a *Authority) Timestamp(ctx context.Context, digest []byte, hash crypto.Hash) ([]byte, error) {
	oid := cms.HashOID(hash)
	if oid == nil {
		return nil, fmt.Errorf("tsp: unsupported hash %v", hash)
	}
	return a.issue(ctx, &Request{HashAlgorithm: oid, HashAlgorithmParams: []byte{0x05, 0x00}, Hash: hash,
		HashedMessage: digest, CertReq: true})
}

// Respond turns a DER TimeStampReq into a DER TimeStampResp. Requests it will not serve get a
// rejection response; the error is non-nil only when the authority itself failed (a signing
// error), and the response is then a systemFailure rejection that can still be sent.
func (a *Authority) Respond(ctx context.Context, reqDER []byte) ([]byte, error) {
	req, err := ParseRequest(reqDER)
	if err != nil {
		return marshalRejection(FailBadDataFormat, "malformed request"), nil
	}
	token, err := a.issue(ctx, req)
	var rej *rejection
	switch {
	case errors.As(err, &rej):
		return marshalRejection(rej.bit, rej.text), nil
	case err != nil:
		return marshalRejection(FailSystemFailure, "the authority cannot sign now"), err
	}
	return marshalGranted(token), nil
}

func (a *Authority) issue(ctx context.Context, req *Request) ([]byte, error) {
	if a.Signer == nil || a.Certificate == nil || len(a.Policy) == 0 {
		return nil, errors.New("tsp: authority needs a signer, a certificate and a policy")
	}
	switch req.Hash {
	case crypto.SHA256, crypto.SHA384, crypto.SHA512:
	default:
		// SHA-1 imprints are refused: a collision would let one token date two documents.
		return nil, &rejection{FailBadAlg, fmt.Sprintf("hash algorithm %v not accepted", req.HashAlgorithm)}
	}
	if len(req.HashedMessage) != req.Hash.Size() {
		return nil, &rejection{FailBadDataFormat, "imprint length does not match its hash algorithm"}
	}
	if req.Policy != nil && !req.Policy.Equal(a.Policy) {
		return nil, &rejection{FailUnacceptedPolicy, fmt.Sprintf("policy %v not offered", req.Policy)}
	}
	if req.HasExtensions {
		return nil, &rejection{FailUnacceptedExtension, "no request extensions are supported"}
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	genTime := now().UTC().Truncate(time.Millisecond)

	serialBuf := make([]byte, serialBytes)
	if _, err := rand.Read(serialBuf); err != nil {
		return nil, fmt.Errorf("tsp: serial: %w", err)
	}
	serialBuf[0] &= 0x7f // positive
	serialBuf[0] |= 0x01 // and never zero, so the length is fixed
	serial := new(big.Int).SetBytes(serialBuf)

	info := rawTSTInfoOut{
		Version: 1,
		Policy:  a.Policy,
		MessageImprint: imprintOut{
			HashAlgorithm: asn1.RawValue{FullBytes: algorithmIdentifier(req.HashAlgorithm, req.HashAlgorithmParams)},
			HashedMessage: req.HashedMessage,
		},
		SerialNumber: serial,
		GenTime:      asn1.RawValue{FullBytes: formatGeneralizedTime(genTime)},
		Nonce:        req.Nonce,
		// The TSA names itself with its certificate's subject, which verifiers compare.
		TSA: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true,
			Bytes: mustMarshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: a.Certificate.RawSubject})},
	}
	if a.Accuracy > 0 {
		acc := a.Accuracy
		info.Accuracy = accuracy{
			Seconds: int(acc / time.Second),
			Millis:  int(acc % time.Second / time.Millisecond),
			Micros:  int(acc % time.Millisecond / time.Microsecond),
		}
	}
	content, err := asn1.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("tsp: tstinfo: %w", err)
	}
	token, err := cms.Sign(ctx, cms.SignOptions{
		Content:              content,
		ContentType:          cms.OIDTSTInfo,
		Signer:               a.Signer,
		Certificate:          a.Certificate,
		Chain:                a.Chain,
		OmitCertificates:     !req.CertReq,
		Hash:                 a.Hash,
		SigningTime:          &genTime,
		SigningCertificateV2: true,
	})
	if err != nil {
		return nil, fmt.Errorf("tsp: sign token: %w", err)
	}
	return token, nil
}

type imprintOut struct {
	HashAlgorithm asn1.RawValue
	HashedMessage []byte
}

type rawTSTInfoOut struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint imprintOut
	SerialNumber   *big.Int
	GenTime        asn1.RawValue
	Accuracy       accuracy      `asn1:"optional"`
	Nonce          *big.Int      `asn1:"optional"`
	TSA            asn1.RawValue `asn1:"optional"`
}

// algorithmIdentifier echoes the request's algorithm with its parameters as sent (RFC 3161
// wants the token's imprint to be the request's).
func algorithmIdentifier(oid asn1.ObjectIdentifier, params []byte) []byte {
	body := append(mustMarshal(oid), params...)
	return mustMarshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
}

// ServeHTTP answers application/timestamp-query POSTs. Malformed or unacceptable requests get
// a PKIStatus rejection (HTTP 200, as RFC 3161 §3.4 has it); wrong methods, media types and
// oversized bodies get 405, 415 and 413. It never answers 500: a signing failure is a
// systemFailure rejection, logged here.
func (a *Authority) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "timestamp requests are POSTed", http.StatusMethodNotAllowed)
		return
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != contentTypeQuery {
		http.Error(w, "content type must be "+contentTypeQuery, http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestSize))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "timestamp request too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read the request", http.StatusBadRequest)
		return
	}
	resp, err := a.Respond(r.Context(), body)
	if err != nil {
		logger := a.Logger
		if logger == nil {
			logger = slog.Default()
		}
		logger.ErrorContext(r.Context(), "timestamp authority cannot sign", slog.Any("err", err))
	}
	w.Header().Set("Content-Type", contentTypeReply)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(resp)
}
