// Package tsp speaks the Time-Stamp Protocol of RFC 3161: a client that asks a timestamp
// authority for a token over a digest, the verification of such tokens, and a built-in
// authority (an http.Handler and an in-process call) for the gateway's own receipts and for
// PAdES signature timestamps.
//
// Tokens are CMS SignedData over a TSTInfo and are built and read with signing/cms. VerifyToken
// checks what a token itself can prove — its signature, the imprint, the critical timeStamping
// key usage of the TSA certificate — and returns the certificates so that the caller decides
// whether it trusts the TSA. The package must not decide trust, keep state between requests
// (serial numbers are random), or fail the caller's work when an authority is down: the client
// reports ErrUnavailable so that the gateway can carry on and timestamp later.
package tsp
