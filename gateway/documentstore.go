package gateway

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Submission is everything a submit writes: the document with its deliveries,
// the events of the submission and their receipts. A store writes it in one
// transaction, so that a document never exists without its deliveries or its
// submission receipt.
// DefaultPageSize is the size of a page of the inbox or the sent box that
// names none.
const DefaultPageSize = 100

type Submission struct {
	Document   *Document
	Deliveries []*Delivery
	Events     []*Event
	Receipts   []*Receipt
	// Supersedes is the id of an earlier document of the same sender that
	// this one replaces or updates; the store marks it replaced in the same
	// transaction. Empty for a new document.
	Supersedes string
}

// DocumentSnapshot is a document as UpdateDocument's callback sees it, with
// its rows locked for the transaction.
type DocumentSnapshot struct {
	Document   *Document
	Deliveries []*Delivery
	// LastReceiptID is the newest receipt of the document, so that the next
	// evidence can name the previous one.
	LastReceiptID string
}

// DocumentChange is what UpdateDocument's callback decides: the new document
// state (empty keeps it), the deliveries it changed (matched by recipient),
// and the events and receipts that record the change.
type DocumentChange struct {
	State      DocumentState
	Deliveries []*Delivery
	Events     []*Event
	Receipts   []*Receipt
}

// InboxFilter pages through an inbox, newest first, and narrows it.
type InboxFilter struct {
	// Before is the Cursor of the last item of the previous page; 0 starts at
	// the newest.
	Before int64
	// Limit is the page size; 0 means DefaultPageSize.
	Limit int
	// From keeps documents whose sender's code starts with it (one agency,
	// or a ministry's or province's units).
	From string
	// All lists every delivery to the agency, acknowledged ones included
	// (its register of incoming documents), instead of only those waiting.
	// A Status or State implies it.
	All bool
	DocumentSearch
}

// SentFilter pages through the documents an agency sent, newest first, and
// narrows them.
type SentFilter struct {
	// Before is the Cursor of the last item of the previous page; 0 starts at
	// the newest.
	Before int64
	// Limit is the page size; 0 means DefaultPageSize.
	Limit int
	// To keeps documents with a recipient whose code starts with it; Status,
	// State and OverdueAt then look at those recipients' deliveries only.
	To string
	DocumentSearch
}

// DocumentSearch is what the inbox and the sent box search by. Zero values
// do not filter.
type DocumentSearch struct {
	// Q is words that must each occur in the subject or in the number and
	// notation ("7816/VPCP-TTĐT"). Letters with diacritics always match as
	// typed; how far case is ignored for them depends on the store (see
	// storage/postgres and storage/sqlite).
	Q string
	// Since and Until bound the submission time: Since <= t < Until.
	Since, Until time.Time
	// OverdueAt keeps documents due before it that a recipient has not
	// finished (status neither done nor rejected) and not recalled.
	OverdueAt time.Time
	// Status keeps deliveries at this processing status ("none" for those
	// with none reported yet).
	Status ProcessingStatus
	// State keeps deliveries in this state.
	State DeliveryState
}

// MaxSearchLength bounds DocumentSearch.Q, in bytes.
const MaxSearchLength = 200

// Validate checks a search's values. EINVALID.
func (s *DocumentSearch) Validate() error {
	if len(s.Q) > MaxSearchLength {
		return Errorf(EINVALID, "q must be at most %d bytes", MaxSearchLength)
	}
	if !utf8.ValidString(s.Q) {
		return Errorf(EINVALID, "q is not valid UTF-8")
	}
	if !s.Since.IsZero() && !s.Until.IsZero() && !s.Since.Before(s.Until) {
		return Errorf(EINVALID, "since must be before until")
	}
	if _, ok := statusRank[s.Status]; !ok && s.Status != StatusNone {
		return Errorf(EINVALID, "status must be one of none, received, rejected, accepted, assigned, processing, done")
	}
	switch s.State {
	case "", DeliveryPending, DeliveryDelivered, DeliveryFailed, DeliveryAcknowledged, DeliveryRecalled:
	default:
		return Errorf(EINVALID, "state must be one of pending, delivered, failed, acknowledged, recalled")
	}
	return nil
}

// StatusNone is DocumentSearch.Status for deliveries without a reported
// status; it is never stored.
const StatusNone ProcessingStatus = "none"

// Words splits Q into the words a store matches, at most 8 of them.
func (s *DocumentSearch) Words() []string {
	w := strings.Fields(s.Q)
	return w[:min(len(w), 8)]
}

// SentItem is one document an agency sent, with every delivery.
type SentItem struct {
	Cursor     int64       `json:"cursor"`
	Document   *Document   `json:"document"`
	Deliveries []*Delivery `json:"deliveries"`
}

// InboxItem is one document waiting for a recipient.
type InboxItem struct {
	Cursor   int64     `json:"cursor"`
	Document *Document `json:"document"`
	Delivery *Delivery `json:"delivery"`
}

// DocumentStore keeps documents, their deliveries, events and receipts.
// Implementations: storage/postgres, storage/sqlite (conformance suite in
// storage/storetest).
type DocumentStore interface {
	// CreateDocument writes a submission in one transaction; events get
	// their Seq, and the blobs of its parts are recorded as referenced.
	// ECONFLICT when the sender used the envelope's MessageID before (fetch
	// the original with DocumentByMessageID) or the id exists, or when a
	// part's blob is being deleted by the orphan sweeper; ENOTFOUND when
	// Supersedes names no document.
	CreateDocument(ctx context.Context, s *Submission) error
	// Document returns one document. ENOTFOUND.
	Document(ctx context.Context, id string) (*Document, error)
	// DocumentByMessageID finds a sender's document by its idempotency key.
	// ENOTFOUND.
	DocumentByMessageID(ctx context.Context, from, messageID string) (*Document, error)
	// Deliveries lists a document's deliveries ordered by recipient.
	Deliveries(ctx context.Context, documentID string) ([]*Delivery, error)
	// Inbox lists the documents waiting for a recipient: not acknowledged,
	// not recalled, newest first; with f.All (or a Status or State) every
	// delivery to it.
	Inbox(ctx context.Context, recipient string, f InboxFilter) ([]*InboxItem, error)
	// Sent lists the documents an agency sent, newest first, each with all
	// its deliveries ordered by recipient.
	Sent(ctx context.Context, sender string, f SentFilter) ([]*SentItem, error)
	// Trail lists a document's events in the order they happened.
	Trail(ctx context.Context, documentID string) ([]*Event, error)
	// Receipts lists a document's receipts, oldest first, with their CMS.
	Receipts(ctx context.Context, documentID string) ([]*Receipt, error)
	// Receipt returns one receipt of a document. ENOTFOUND.
	Receipt(ctx context.Context, documentID, receiptID string) (*Receipt, error)
	// UpdateDocument locks the document and its deliveries, hands them to fn
	// and writes the change fn returns, all in one transaction, so that two
	// concurrent status reports cannot both pass ValidTransition. An error
	// from fn is returned as is and nothing is written; a nil change writes
	// nothing. ENOTFOUND.
	UpdateDocument(ctx context.Context, id string, fn func(s *DocumentSnapshot) (*DocumentChange, error)) error
	// MarkBlobs records that a submission is about to write (or reuse)
	// these blobs, before it writes them, so that the orphan sweeper leaves
	// them alone for its grace period. ECONFLICT when one is being deleted
	// by the sweeper: submit again shortly.
	MarkBlobs(ctx context.Context, digests []string, at time.Time) error
	// ClaimOrphanBlobs marks as being deleted, claimed at now, up to limit
	// blobs that no document references and that were neither marked by a
	// submission nor claimed at or after before, and returns them. A claim
	// holds the blob for as long as a submission's mark does: another
	// sweeper (replica) cannot claim it again meanwhile, and one a crashed
	// sweep left claimed comes back once the claim is that old.
	ClaimOrphanBlobs(ctx context.Context, before, now time.Time, limit int) ([]string, error)
	// ReleaseBlob ends a claim without deleting the blob (its delete failed
	// or it is under retention): the blob counts as marked at at, and
	// submissions may take it up again at once.
	ReleaseBlob(ctx context.Context, digest string, at time.Time) error
	// ForgetBlob drops the record of a blob the sweeper deleted, unless a
	// document references it after all.
	ForgetBlob(ctx context.Context, digest string) error
	// ClaimUnloggedEvents claims up to limit events that happened before
	// before and have no audit log index (their append failed), leasing
	// each until now+lease so that no other replica appends it meanwhile.
	// Oldest first.
	ClaimUnloggedEvents(ctx context.Context, before, now time.Time, lease time.Duration, limit int) ([]*Event, error)
	// SetLogIndex records where the audit log holds the leaf of a receipt's
	// event. ENOTFOUND.
	SetLogIndex(ctx context.Context, receiptID string, index int64) error
	// SetLogIndexes does what SetLogIndex does for many receipts (receipt ID
	// to index) in one transaction, so that a submit with many recipients
	// costs one round of writes. All or nothing: ENOTFOUND, and no index
	// recorded, when any receipt has no event.
	SetLogIndexes(ctx context.Context, indexes map[string]int64) error
	// ReceiptsPendingTimestamp lists receipts signed while the timestamp
	// authority was down, oldest first, at most limit.
	ReceiptsPendingTimestamp(ctx context.Context, limit int) ([]*Receipt, error)
	// SetReceiptCMS replaces a pending receipt's CMS with one that carries its
	// timestamp and clears the mark. ENOTFOUND.
	SetReceiptCMS(ctx context.Context, id string, cms []byte) error
}
