// Package auditlog is docgate's tamper-evident delivery log: an append-only
// RFC 9162 Merkle tree with one leaf per evidence or event, signed checkpoints
// in the C2SP signed-note format (c2sp.org/tlog-checkpoint), and inclusion and
// consistency proofs that an auditor verifies offline with nothing but the
// log's public key (c2sp.org/tlog-proof for a self-contained proof).
//
// The log holds canonical records of events (LeafRecord), never document
// content: the PDF appears only as its SHA-256 digest.
//
// What it must not do: import the exchange or the metadata stores (the narrow
// Storage it needs is gateway.AuditLogStorage, which storage adapters
// implement without importing this package); rewrite or drop a leaf once
// appended; sign a checkpoint it cannot compute from stored hashes; or accept
// a proof without first checking the checkpoint's signature by the log key,
// because an auditor who checks only the Merkle path can be shown any tree at
// all.
//
// The tree math (leaf and node hashing, compact ranges, proof node selection
// and verification) comes from github.com/transparency-dev/merkle; this package
// decides what is stored, what is signed and what is checked first.
package auditlog
