package exchange

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"docgate/gateway"
	"docgate/gateway/auditlog"
	"docgate/gateway/evidence"
)

// Limits bound what one submission may hold.
type Limits struct {
	MaxDocument    int64 // bytes of the PDF
	MaxAttachment  int64 // bytes of each attachment
	MaxAttachments int   // number of attachments
}

// DefaultLimits suit official documents: scanned dossiers run to tens of
// megabytes, never gigabytes.
var DefaultLimits = Limits{MaxDocument: 100 << 20, MaxAttachment: 100 << 20, MaxAttachments: 50}

// Service runs the exchange use cases. Its fields are set by whoever wires it
// (cmd/docgate); Store, Blobs and Sealer are required.
type Service struct {
	Store gateway.Store
	Blobs gateway.BlobStore
	// Verifier checks the PDF's signatures; nil accepts only under a policy
	// that requires no signature.
	Verifier gateway.Verifier
	Sealer   *evidence.Sealer
	// Log, when set, gets one leaf per event after it is committed.
	Log    *auditlog.Log
	Policy Policy
	// Seals are agencies' seals the gateway holds, by agency code: a PDF
	// from one of them without its seal is sealed before it is verified.
	Seals    map[string]AgencySeal
	Limits   Limits
	CodeRule gateway.AgencyCodeRule
	// TempDir holds uploads while they are checked (the OS default when
	// empty): parts are spooled to disk, never held in memory.
	TempDir string
	Now     func() time.Time
	Logger  *slog.Logger

	logq logQueue // groups concurrent audit log appends
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func (s *Service) limits() Limits {
	l := s.Limits
	if l.MaxDocument <= 0 {
		l.MaxDocument = DefaultLimits.MaxDocument
	}
	if l.MaxAttachment <= 0 {
		l.MaxAttachment = DefaultLimits.MaxAttachment
	}
	if l.MaxAttachments <= 0 {
		l.MaxAttachments = DefaultLimits.MaxAttachments
	}
	return l
}

// newID returns a document id: random, so that ids reveal nothing about
// volume or order.
func newID(prefix string) string {
	var b [12]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// asAgency returns the calling agency, or EFORBIDDEN for other roles.
func asAgency(ctx context.Context) (*gateway.Principal, error) {
	p := gateway.PrincipalFromContext(ctx)
	if p == nil {
		return nil, gateway.Errorf(gateway.EUNAUTHORIZED, "this needs a bearer token")
	}
	if p.Role != gateway.RoleAgency || p.AgencyCode == "" {
		return nil, gateway.Errorf(gateway.EFORBIDDEN, "only an agency's token can do this; %s tokens cannot", p.Role)
	}
	return p, nil
}

// notFound is what anyone who may not see a document is told, so that the
// answer does not reveal that it exists.
func notFound(id string) error {
	return gateway.Errorf(gateway.ENOTFOUND, "no document %s", id)
}

// view is a document and the caller's relation to it.
type view struct {
	doc        *gateway.Document
	deliveries []*gateway.Delivery
	principal  *gateway.Principal
	sender     bool
	recipient  *gateway.Delivery // the caller's delivery, when a recipient
}

// load fetches a document the caller may see: its sender, a recipient, or an
// auditor. Anyone else gets ENOTFOUND.
func (s *Service) load(ctx context.Context, id string) (*view, error) {
	p := gateway.PrincipalFromContext(ctx)
	if p == nil {
		return nil, gateway.Errorf(gateway.EUNAUTHORIZED, "this needs a bearer token")
	}
	doc, err := s.Store.Document(ctx, id)
	if gateway.ErrorCode(err) == gateway.ENOTFOUND {
		return nil, notFound(id)
	} else if err != nil {
		return nil, err
	}
	ds, err := s.Store.Deliveries(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &view{doc: doc, deliveries: ds, principal: p}
	if p.Role == gateway.RoleAgency {
		v.sender = doc.Envelope.From == p.AgencyCode
		for _, d := range ds {
			if d.Recipient == p.AgencyCode {
				v.recipient = d
			}
		}
	}
	if !v.sender && v.recipient == nil && p.Role != gateway.RoleAuditor {
		return nil, notFound(id)
	}
	return v, nil
}

// Bounds returns the limits in force, defaults filled in, so that the HTTP
// layer can bound a whole request body.
func (s *Service) Bounds() Limits { return s.limits() }
