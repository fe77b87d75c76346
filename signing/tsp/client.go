package tsp

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
)

// ErrUnavailable is wrapped by Client errors that say the authority could not be reached or
// asked to come back later (network failure, timeout, HTTP 5xx or 429, PKIStatus waiting). The
// caller should keep its work and timestamp later; retrying soon may succeed.
var ErrUnavailable = errors.New("tsp: timestamp authority unavailable")

// Client asks an RFC 3161 authority over HTTP for timestamp tokens.
type Client struct {
	URL    string
	HTTP   *http.Client          // http.DefaultClient when nil; set a Timeout on it
	Policy asn1.ObjectIdentifier // requested policy, nil for the authority's default
}

// Timestamp returns a token (DER ContentInfo) over digest, a hash of the data computed with
// hash. It sends a random nonce and asks for the TSA certificate, and checks the status, nonce,
// imprint and token signature; whether the TSA is trusted is the caller's decision.
func (c *Client) Timestamp(ctx context.Context, digest []byte, hash crypto.Hash) ([]byte, error) {
	if c.URL == "" {
		// A missing URL is a configuration error, not an outage: say so rather than "unavailable".
		return nil, errors.New("tsp: client has no authority URL")
	}
	if !hash.Available() || len(digest) != hash.Size() {
		return nil, fmt.Errorf("tsp: digest of %d bytes does not fit hash %v", len(digest), hash)
	}
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 8*nonceBytes-1))
	if err != nil {
		return nil, fmt.Errorf("tsp: nonce: %w", err)
	}
	reqDER, err := (&Request{Hash: hash, HashedMessage: digest, Policy: c.Policy, Nonce: nonce, CertReq: true}).Marshal()
	if err != nil {
		return nil, err
	}
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(reqDER))
	if err != nil {
		return nil, fmt.Errorf("tsp: request to %s: %w", c.URL, err)
	}
	httpReq.Header.Set("Content-Type", contentTypeQuery)
	httpReq.Header.Set("Accept", contentTypeReply)
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	httpResp, err := hc.Do(httpReq)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, c.URL, err)
	}
	defer httpResp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(httpResp.Body, maxResponseSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: reading reply: %w", ErrUnavailable, c.URL, err)
	}
	switch {
	case httpResp.StatusCode >= 500, httpResp.StatusCode == http.StatusTooManyRequests,
		httpResp.StatusCode == http.StatusRequestTimeout:
		return nil, fmt.Errorf("%w: %s: HTTP %s", ErrUnavailable, c.URL, httpResp.Status)
	case httpResp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("tsp: %s: HTTP %s", c.URL, httpResp.Status)
	}
	resp, err := ParseResponse(body)
	if err != nil {
		return nil, fmt.Errorf("tsp: %s: %w", c.URL, err)
	}
	switch resp.Status {
	case StatusGranted, StatusGrantedWithMods:
	case StatusWaiting:
		return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, c.URL, resp.statusError())
	default:
		se := resp.statusError()
		for _, b := range se.FailInfo {
			if b == FailTimeNotAvailable || b == FailSystemFailure {
				return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, c.URL, se)
			}
		}
		return nil, fmt.Errorf("tsp: %s: %w", c.URL, se)
	}
	if resp.Token == nil {
		return nil, fmt.Errorf("tsp: %s: granted without a token", c.URL)
	}
	tok, err := ParseToken(resp.Token)
	if err != nil {
		return nil, fmt.Errorf("tsp: %s: %w", c.URL, err)
	}
	if tok.Info.Nonce == nil || tok.Info.Nonce.Cmp(nonce) != 0 {
		return nil, fmt.Errorf("tsp: %s: token nonce does not match the request's (a replayed reply?)", c.URL)
	}
	if c.Policy != nil && !tok.Info.Policy.Equal(c.Policy) {
		return nil, fmt.Errorf("tsp: %s: token policy %v, requested %v", c.URL, tok.Info.Policy, c.Policy)
	}
	if _, err := tok.Verify(digest, hash); err != nil {
		return nil, fmt.Errorf("tsp: %s: %w", c.URL, err)
	}
	return resp.Token, nil
}
