package auditlog

import (
	"encoding/binary"
	"time"
	"unicode/utf8"

	"docgate/gateway"
	"github.com/transparency-dev/merkle/rfc6962"
)

// LeafRecord is what the log commits to for one evidence or event: enough to
// identify the event and the exact PDF it concerns, and nothing of the
// document's content.
type LeafRecord struct {
	DocumentID string
	From       string   // the sender's agency code
	To         []string // recipients' agency codes, in the order the evidence lists them
	Event      string   // an ETSI EN 319 522 event name (gateway.Event*)
	PDFSHA256  [32]byte // digest of the PDF as stored
	// Time is when the event happened. It must carry at most microsecond
	// precision (Truncate(time.Microsecond)): that is what PostgreSQL keeps,
	// so a record rebuilt from a database row encodes to the same bytes.
	Time       time.Time
	EvidenceID string // the receipt / evidence identifier
}

// leafVersion is the first byte of every encoded record, so that a later
// format can coexist with this one in the same log.
const leafVersion = 1

// maxField bounds each string in a record: identifiers and agency codes are
// short, and a bound keeps a hostile record from costing much to parse.
const maxField = 1024

// maxRecipients mirrors the envelope's limit on recipients.
const maxRecipients = 1000

// Validate reports whether the record can be encoded. EINVALID.
func (r *LeafRecord) Validate() error {
	for _, f := range []struct{ name, v string }{
		{"documentId", r.DocumentID}, {"from", r.From}, {"event", r.Event}, {"evidenceId", r.EvidenceID},
	} {
		if f.v == "" {
			return gateway.Errorf(gateway.EINVALID, "leaf record: %s is required", f.name)
		}
		if err := checkField(f.name, f.v); err != nil {
			return err
		}
	}
	if len(r.To) > maxRecipients {
		return gateway.Errorf(gateway.EINVALID, "leaf record: at most %d recipients", maxRecipients)
	}
	for _, to := range r.To {
		if to == "" {
			return gateway.Errorf(gateway.EINVALID, "leaf record: empty recipient")
		}
		if err := checkField("to", to); err != nil {
			return err
		}
	}
	if r.PDFSHA256 == ([32]byte{}) {
		return gateway.Errorf(gateway.EINVALID, "leaf record: pdf digest is required")
	}
	if r.Time.IsZero() {
		return gateway.Errorf(gateway.EINVALID, "leaf record: time is required")
	}
	if y := r.Time.UTC().Year(); y < 1 || y > 9999 {
		return gateway.Errorf(gateway.EINVALID, "leaf record: time %d is out of range", y)
	}
	if r.Time.Nanosecond()%1000 != 0 {
		return gateway.Errorf(gateway.EINVALID, "leaf record: time has sub-microsecond precision; truncate it to microseconds")
	}
	return nil
}

func checkField(name, v string) error {
	if len(v) > maxField {
		return gateway.Errorf(gateway.EINVALID, "leaf record: %s is longer than %d bytes", name, maxField)
	}
	if !utf8.ValidString(v) {
		return gateway.Errorf(gateway.EINVALID, "leaf record: %s is not valid UTF-8", name)
	}
	return nil
}

// MarshalBinary returns the record's canonical encoding, the bytes the leaf
// hash covers. The format is length-prefixed binary in the style of the TLS
// presentation language that RFC 9162 itself uses, chosen because it leaves
// nothing to agree on (no escaping, key order, whitespace or number format):
//
//	uint8  version = 1
//	string document_id
//	string from
//	uint16 recipient count, then that many strings (to)
//	string event
//	opaque pdf_sha256[32]
//	int64  time, microseconds since 1970-01-01T00:00:00Z
//	string evidence_id
//
// where string is a big-endian uint16 byte length followed by UTF-8 bytes.
// Every record has exactly one encoding and every encoding exactly one
// record. EINVALID when the record does not validate.
func (r *LeafRecord) MarshalBinary() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	n := 1 + 2 + len(r.DocumentID) + 2 + len(r.From) + 2 + 2 + len(r.Event) + 32 + 8 + 2 + len(r.EvidenceID)
	for _, to := range r.To {
		n += 2 + len(to)
	}
	b := make([]byte, 0, n)
	b = append(b, leafVersion)
	b = appendString(b, r.DocumentID)
	b = appendString(b, r.From)
	b = binary.BigEndian.AppendUint16(b, uint16(len(r.To)))
	for _, to := range r.To {
		b = appendString(b, to)
	}
	b = appendString(b, r.Event)
	b = append(b, r.PDFSHA256[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Time.UnixMicro()))
	b = appendString(b, r.EvidenceID)
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// ParseLeafRecord decodes a canonical encoding, for example leaf data an
// auditor received, and accepts only bytes that MarshalBinary could have
// produced. The record's time is in UTC. EINVALID.
func ParseLeafRecord(data []byte) (LeafRecord, error) {
	d := decoder{b: data}
	var r LeafRecord
	if v := d.byte(); v != leafVersion {
		return LeafRecord{}, gateway.Errorf(gateway.EINVALID, "leaf record: unknown version %d", v)
	}
	r.DocumentID = d.string()
	r.From = d.string()
	if n := d.uint16(); n > 0 && d.err == nil {
		if n > maxRecipients {
			return LeafRecord{}, gateway.Errorf(gateway.EINVALID, "leaf record: %d recipients, at most %d", n, maxRecipients)
		}
		r.To = make([]string, 0, n)
		for range n {
			r.To = append(r.To, d.string())
		}
	}
	r.Event = d.string()
	copy(r.PDFSHA256[:], d.take(32))
	r.Time = time.UnixMicro(int64(d.uint64())).UTC()
	r.EvidenceID = d.string()
	if d.err != nil {
		return LeafRecord{}, d.err
	}
	if len(d.b) != 0 {
		return LeafRecord{}, gateway.Errorf(gateway.EINVALID, "leaf record: %d trailing bytes", len(d.b))
	}
	if err := r.Validate(); err != nil {
		return LeafRecord{}, err
	}
	return r, nil
}

// decoder reads big-endian fields and remembers the first shortage, so that
// ParseLeafRecord reads straight through and checks once.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b) < n {
		d.err = gateway.Errorf(gateway.EINVALID, "leaf record: truncated")
		d.b = nil
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if v := d.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (d *decoder) uint16() uint16 {
	if v := d.take(2); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

func (d *decoder) uint64() uint64 {
	if v := d.take(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func (d *decoder) string() string {
	n := int(d.uint16())
	if n > maxField && d.err == nil {
		d.err = gateway.Errorf(gateway.EINVALID, "leaf record: a field is longer than %d bytes", maxField)
	}
	return string(d.take(n))
}

// LeafHash is the RFC 9162 leaf hash of data: SHA-256(0x00 || data).
func LeafHash(data []byte) []byte {
	return rfc6962.DefaultHasher.HashLeaf(data)
}
