// Package gateway holds docgate's domain: agencies, credentials, documents and
// their evidence, the error type every layer speaks, and the interfaces that
// adapters (storage, signing, certificates) implement.
//
// It imports only the standard library. It must not know about HTTP, SQL, S3 or
// any concrete signing library: those live in the adapter packages, and
// cmd/docgate wires them together.
package gateway
