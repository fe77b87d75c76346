// Package bundle builds and checks offline evidence bundles: one zip per
// document holding everything an auditor needs to prove, without trusting or
// even reaching the gateway, what happened to it. The document and its
// attachments as their original files, every receipt (DER CMS), each
// receipt's inclusion proof against one signed checkpoint of the delivery
// log, that checkpoint, the log's public key, the certificates the receipts
// carry, the gateway's validation report, and a manifest.json naming every
// file with its SHA-256 and what it is.
//
// Verify trusts nothing in the bundle but what it can check: the manifest
// only lists hashes (it is not signed, so a file missing from both the zip
// and the manifest is caught through the receipts' evidence chain, not the
// manifest), receipts chain to roots the caller gives, and the checkpoint is
// checked with the log key the caller pins.
//
// What it must not do: speak HTTP or read flags (httpapi and cmd/docgate
// do), trust a name, a size or a count read from a zip without a bound, or
// write a file outside the archive it is given.
package bundle

import (
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"docgate/gateway/auditlog"
	"docgate/gateway/evidence"
)

// Format names the bundle layout in the manifest; a reader refuses others.
const Format = "docgate-evidence-bundle@v1"

// File kinds in the manifest.
const (
	KindDocument    = "document"
	KindAttachment  = "attachment"
	KindReceipt     = "receipt"
	KindProof       = "inclusion-proof"
	KindCheckpoint  = "checkpoint"
	KindLogKey      = "log-key"
	KindCertificate = "certificate"
	KindReport      = "validation-report"
)

// Fixed paths inside a bundle.
const (
	ManifestPath   = "manifest.json"
	CheckpointPath = "log/checkpoint"
	LogKeyPath     = "log/key.pub"
	ReportPath     = "validation-report.json"
)

// Manifest is manifest.json: what the bundle holds. It is unsigned; every
// claim in it is checked against signed data before it counts.
type Manifest struct {
	Format     string `json:"format"`
	DocumentID string `json:"documentId"`
	// LogOrigin and CheckpointSize describe the one checkpoint every proof
	// leads to.
	LogOrigin      string `json:"logOrigin,omitempty"`
	CheckpointSize uint64 `json:"checkpointSize,omitempty"`
	Files          []File `json:"files"`
}

// File is one entry of the manifest.
type File struct {
	Path        string `json:"path"`
	Kind        string `json:"kind"`
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	Description string `json:"description"`
	// For receipts: the event, the evidence id, the log index and the path
	// of the proof file (empty when the event never reached the log).
	Event      string `json:"event,omitempty"`
	EvidenceID string `json:"evidenceId,omitempty"`
	LogIndex   *int64 `json:"logIndex,omitempty"`
	Proof      string `json:"proof,omitempty"`
	// For attachments: the position in the document (from 0).
	Index *int `json:"index,omitempty"`
	// ContentType is the declared type of documents and attachments.
	ContentType string `json:"contentType,omitempty"`
}

// LeafOf rebuilds the audit log leaf of a receipt from its evidence record,
// the way the exchange builds it when it appends the event: the evidence's
// recipients are the event's (one recipient for delivery steps, all of them
// otherwise), its event time is the event's.
func LeafOf(rec *evidence.Record) (auditlog.LeafRecord, error) {
	var pdf [32]byte
	b, err := hex.DecodeString(rec.Document.Digest)
	if err != nil || len(b) != len(pdf) {
		return auditlog.LeafRecord{}, fmt.Errorf("the evidence's document digest %q is not a SHA-256", rec.Document.Digest)
	}
	copy(pdf[:], b)
	return auditlog.LeafRecord{DocumentID: rec.DocumentID, From: rec.Sender, To: rec.Recipients, Event: rec.Event,
		PDFSHA256: pdf, Time: rec.EventTime, EvidenceID: rec.EvidenceID}, nil
}

// maxNameBytes bounds a file name taken from a document's metadata.
const maxNameBytes = 120

// SafeName turns a name from a document's metadata (chosen by its sender)
// into one file name that every unzip tool writes where it is told: no
// directories, no "..", no control or reserved characters, no leading dot,
// bounded length, the extension kept. fallback is used when nothing is left.
func SafeName(name, fallback string) string {
	// Senders on Windows send backslash paths; keep only the last element.
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), strings.ContainsRune(`<>:"|?*`, r):
			b.WriteByte('_')
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	name = strings.Trim(b.String(), " .")
	if name == "" {
		return fallback
	}
	if len(name) > maxNameBytes {
		ext := path.Ext(name)
		if len(ext) > 16 || !utf8.ValidString(ext) {
			ext = ""
		}
		cut := maxNameBytes - len(ext)
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = strings.TrimRight(name[:cut], " .") + ext
	}
	return name
}

// validPath reports whether a path read from a zip or a manifest is one a
// bundle may hold: relative, slash-separated, clean, no "..", no empty or
// dot elements, valid UTF-8 without control characters, bounded.
func validPath(p string) error {
	switch {
	case p == "" || len(p) > 512:
		return errors.New("empty or longer than 512 bytes")
	case !utf8.ValidString(p):
		return errors.New("not UTF-8")
	case strings.ContainsAny(p, "\\\x00:"):
		return errors.New("holds a backslash, NUL or colon")
	case strings.HasPrefix(p, "/"):
		return errors.New("absolute")
	case path.Clean(p) != p:
		return errors.New("not a clean path")
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." || el == "." || el == "" {
			return errors.New("has a '..' or empty element")
		}
	}
	for _, r := range p {
		if unicode.IsControl(r) {
			return errors.New("holds a control character")
		}
	}
	return nil
}
