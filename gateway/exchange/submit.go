package exchange

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"docgate/gateway"
	"docgate/gateway/evidence"
)

// Upload is one file of a submission as it arrives.
type Upload struct {
	Name        string
	ContentType string
	Body        io.Reader
}

// Uploads yields the attachments of a submission one at a time, io.EOF after
// the last; a multipart reader fits behind it.
type Uploads interface {
	Next() (*Upload, error)
}

// NoUploads is an empty Uploads.
type NoUploads struct{}

// Next implements Uploads.
func (NoUploads) Next() (*Upload, error) { return nil, io.EOF }

// Submitted is the result of a submit.
type Submitted struct {
	Document *gateway.Document `json:"document"`
	Receipt  *gateway.Receipt  `json:"receipt"`
	// Created is false when the message id was used before and the original
	// is returned.
	Created bool `json:"-"`
}

// spooled is an upload on local disk, hashed and bounded.
type spooled struct {
	part gateway.Part
	file *os.File
	// prefixes are the SHA-256 states kept while spooling, so that the
	// verifier resumes from them instead of hashing the file again; nil
	// once the file is replaced (sealed).
	prefixes *gateway.PrefixHasher
}

// reader is what the verifier reads: the file, with its hash states when
// they still describe it.
func (sp *spooled) reader() io.ReaderAt {
	if sp.prefixes != nil {
		return sp.prefixes.Reader(sp.file)
	}
	return sp.file
}

// spool copies an upload to an unlinked temporary file, hashing it on the
// way; for the PDF (verify set) it keeps the hash states the verifier
// resumes from.
func (s *Service) spool(u *Upload, limit int64, what string, verify bool) (*spooled, error) {
	f, err := os.CreateTemp(s.TempDir, "docgate-upload-*")
	if err != nil {
		return nil, fmt.Errorf("spool %s: %w", what, err)
	}
	os.Remove(f.Name()) // unlinked now, gone when closed, even after a crash
	var prefixes *gateway.PrefixHasher
	var h interface {
		io.Writer
		Sum([]byte) []byte
	} = sha256.New()
	if verify {
		prefixes = gateway.NewPrefixHasher()
		h = prefixes
	}
	buf := make([]byte, spoolBuffer)
	n, err := io.CopyBuffer(io.MultiWriter(f, h), fullReader{io.LimitReader(u.Body, limit+1)}, buf)
	if err != nil {
		f.Close()
		var ge *gateway.Error
		if errors.As(err, &ge) {
			return nil, err
		}
		return nil, gateway.Errorf(gateway.EINVALID, "%s: the upload broke off: %v", what, err)
	}
	if n > limit {
		f.Close()
		return nil, gateway.Errorf(gateway.ETOOLARGE, "%s is larger than the limit of %d bytes", what, limit)
	}
	ct := u.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	return &spooled{file: f, prefixes: prefixes, part: gateway.Part{Name: cleanName(u.Name), ContentType: ct, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}}, nil
}

// spoolBuffer is how much of an upload is written to the spool file at once.
const spoolBuffer = 256 << 10

// fullReader fills each buffer it is given before returning, but at the end:
// an HTTP multipart part comes in pieces of at most 4 KiB, and writing each
// piece to the spool file on its own was a system call per 4 KiB.
type fullReader struct{ r io.Reader }

func (f fullReader) Read(p []byte) (int, error) {
	n, err := io.ReadFull(f.r, p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil
	}
	return n, err
}

// cleanName keeps only the base name of what a client calls its file, as
// valid UTF-8 without control characters.
func cleanName(n string) string {
	if i := strings.LastIndexAny(n, `/\`); i >= 0 {
		n = n[i+1:]
	}
	n = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, strings.ToValidUTF8(n, ""))
	for len(n) > 255 { // whole characters only
		_, size := utf8.DecodeLastRuneInString(n)
		n = n[:len(n)-size]
	}
	return n
}

// Submit runs a submission: who may send, the envelope, the recipients, the
// parts and their limits, and the signature policy are all checked before
// anything is stored. Blobs are written only after every check passed, then
// the document, its deliveries, events and receipts in one transaction; a
// crash between the two leaves unreferenced blobs for the orphan sweeper,
// never a document without its bytes. A message id used before by the same
// sender returns the original (Created false).
func (s *Service) Submit(ctx context.Context, env gateway.Envelope, pdf *Upload, atts Uploads) (*Submitted, error) {
	p, err := asAgency(ctx)
	if err != nil {
		return nil, err
	}
	if env.From == "" {
		env.From = p.AgencyCode
	}
	if env.From != p.AgencyCode {
		return nil, gateway.Errorf(gateway.EFORBIDDEN, "from is %s but the token is %s's; an agency sends only as itself", env.From, p.AgencyCode)
	}
	if err := env.Validate(s.CodeRule); err != nil {
		return nil, err
	}
	if env.MessageID != "" {
		if orig, err := s.original(ctx, env.From, env.MessageID); err != nil || orig != nil {
			if err == nil {
				err = sameMessage(env, orig.Document)
			}
			if err == nil {
				err = s.samePDF(ctx, pdf, orig.Document)
			}
			if err != nil {
				return nil, err
			}
			return orig, nil
		}
	}
	sender, err := s.Store.Agency(ctx, env.From)
	if err != nil {
		return nil, err
	}
	if sender.Status != gateway.AgencyActive {
		return nil, gateway.Errorf(gateway.EFORBIDDEN, "agency %s is suspended and cannot send", env.From)
	}
	for _, to := range env.To {
		a, err := s.Store.Agency(ctx, to)
		if gateway.ErrorCode(err) == gateway.ENOTFOUND {
			return nil, gateway.Errorf(gateway.EINVALID, "to: %s is not a registered agency", to)
		} else if err != nil {
			return nil, err
		}
		if a.Status != gateway.AgencyActive {
			return nil, gateway.Errorf(gateway.EINVALID, "to: %s is suspended and cannot receive documents", to)
		}
	}
	supersedes, err := s.checkBusiness(ctx, &env)
	if err != nil {
		return nil, err
	}
	if pdf == nil {
		return nil, gateway.Errorf(gateway.EINVALID, "document: the PDF part is missing")
	}

	lim := s.limits()
	doc, err := s.spool(pdf, lim.MaxDocument, "document", true)
	if err != nil {
		return nil, err
	}
	defer func() { doc.file.Close() }() // verify may replace the file with the sealed PDF
	// checkPDF makes sure it is one, whatever the sender's part said.
	doc.part.ContentType = "application/pdf"
	if err := checkPDF(doc); err != nil {
		return nil, err
	}
	report, err := s.verify(ctx, doc, env.From)
	if err != nil {
		return nil, err
	}

	var parts []*spooled
	defer func() {
		for _, sp := range parts {
			sp.file.Close()
		}
	}()
	for {
		u, err := atts.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, err
		}
		if len(parts) == lim.MaxAttachments {
			return nil, gateway.Errorf(gateway.ETOOLARGE, "attachment: at most %d attachments per document", lim.MaxAttachments)
		}
		sp, err := s.spool(u, lim.MaxAttachment, fmt.Sprintf("attachment %d (%s)", len(parts), cleanName(u.Name)), false)
		if err != nil {
			return nil, err
		}
		parts = append(parts, sp)
	}

	// Marked before written: the orphan sweeper leaves marked blobs alone
	// for its grace period, so it cannot delete one this submission is
	// about to reference.
	all := append([]*spooled{doc}, parts...)
	digests := make([]string, len(all))
	for i, sp := range all {
		digests[i] = sp.part.SHA256
	}
	if err := s.Store.MarkBlobs(ctx, digests, s.now()); err != nil {
		return nil, err
	}
	for _, sp := range all {
		if err := s.putBlob(ctx, sp); err != nil {
			return nil, err
		}
	}

	at := s.now()
	d := &gateway.Document{ID: newID("doc_"), Envelope: env, PDF: doc.part, Attachments: []gateway.Part{},
		Verification: report, State: gateway.DocumentActive, SubmittedAt: at}
	for _, sp := range parts {
		d.Attachments = append(d.Attachments, sp.part)
	}
	sub := &gateway.Submission{Document: d, Supersedes: supersedes}
	prev := ""
	r, err := s.record(ctx, d, &stepInfo{event: gateway.EventSubmissionAcceptance, actor: env.From, at: at, previous: prev})
	if err != nil {
		return nil, err
	}
	sub.Receipts, sub.Events = append(sub.Receipts, r.receipt), append(sub.Events, r.event)
	prev = r.receipt.ID
	for _, to := range env.To {
		sub.Deliveries = append(sub.Deliveries, &gateway.Delivery{DocumentID: d.ID, Recipient: to, State: gateway.DeliveryPending, UpdatedAt: at})
		r, err := s.record(ctx, d, &stepInfo{event: gateway.EventContentConsignment, actor: "gateway", recipient: to, at: at, previous: prev})
		if err != nil {
			return nil, err
		}
		sub.Receipts, sub.Events = append(sub.Receipts, r.receipt), append(sub.Events, r.event)
		prev = r.receipt.ID
	}
	if err := s.Store.CreateDocument(ctx, sub); err != nil {
		if gateway.ErrorCode(err) == gateway.ECONFLICT && env.MessageID != "" {
			// Another request with the same message id won the race.
			if orig, oerr := s.original(ctx, env.From, env.MessageID); oerr == nil && orig != nil {
				if err := sameMessage(env, orig.Document); err != nil {
					return nil, err
				}
				return orig, nil
			}
		}
		return nil, err
	}
	s.appendLog(ctx, d, sub.Events)
	s.logger().InfoContext(ctx, "document submitted", "document", d.ID, "from", env.From, "to", strings.Join(env.To, ","),
		"size", d.PDF.Size, "attachments", len(d.Attachments))
	return &Submitted{Document: d, Receipt: sub.Receipts[0], Created: true}, nil
}

// sameMessage refuses (ECONFLICT) a message id used again for what is
// plainly another document: other recipients or subject, or another number,
// notation, type or replaced document where both requests give one.
// Returning the original then would tell the sender the new document was
// sent when it never was; a retry repeats these (or leaves out optional
// ones).
func sameMessage(env gateway.Envelope, orig *gateway.Document) error {
	o := orig.Envelope
	differs := func(a, b string) bool { return a != "" && b != "" && a != b }
	field := ""
	switch {
	case !sameSet(env.To, o.To):
		field = "recipients"
	case env.Subject != o.Subject:
		field = "subject"
	case differs(env.Number, o.Number):
		field = "number"
	case differs(env.Notation, o.Notation):
		field = "notation"
	case differs(env.Type, o.Type):
		field = "type"
	case differs(env.Replaces, o.Replaces):
		field = "replaced document"
	default:
		return nil
	}
	return gateway.Errorf(gateway.ECONFLICT, "messageId %q was used for document %s (subject %q, to %s), whose %s differs from this one's; "+
		"sending it again returns that document, and a different document needs a message id of its own",
		env.MessageID, orig.ID, o.Subject, strings.Join(o.To, ","), field)
}

// samePDF refuses (ECONFLICT) a resubmission under a used message id whose
// PDF is not the original's: the bytes must be the stored PDF or, when the
// gateway sealed that one, its beginning (a seal is an incremental update
// after the submitted bytes). A resubmission without a PDF is the original's
// retry all the same.
func (s *Service) samePDF(ctx context.Context, u *Upload, orig *gateway.Document) error {
	if u == nil || u.Body == nil {
		return nil
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(u.Body, orig.PDF.Size+1))
	if err != nil {
		return gateway.Errorf(gateway.EINVALID, "document: the upload broke off: %v", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if n == orig.PDF.Size && sum == orig.PDF.SHA256 {
		return nil
	}
	if n > 0 && n < orig.PDF.Size {
		rc, _, err := s.Blobs.Get(ctx, orig.PDF.SHA256)
		if err != nil {
			return err
		}
		ph := sha256.New()
		_, err = io.CopyN(ph, rc, n)
		rc.Close()
		if err != nil {
			return fmt.Errorf("read the PDF of document %s: %w", orig.ID, err)
		}
		if hex.EncodeToString(ph.Sum(nil)) == sum {
			return nil
		}
	}
	return gateway.Errorf(gateway.ECONFLICT, "messageId %q was used for document %s with another PDF (sha256 %s); "+
		"sending it again returns that document, and a different document needs a message id of its own",
		orig.Envelope.MessageID, orig.ID, orig.PDF.SHA256)
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// original returns the document a sender submitted under messageID with its
// submission receipt, or nil when there is none.
func (s *Service) original(ctx context.Context, from, messageID string) (*Submitted, error) {
	d, err := s.Store.DocumentByMessageID(ctx, from, messageID)
	if gateway.ErrorCode(err) == gateway.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	rs, err := s.Store.Receipts(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if r.Event == gateway.EventSubmissionAcceptance {
			return &Submitted{Document: d, Receipt: r}, nil
		}
	}
	return nil, fmt.Errorf("document %s has no submission receipt", d.ID)
}

// checkBusiness resolves what a replacement or update refers to: an active
// document of the same sender. A recall is its own request.
func (s *Service) checkBusiness(ctx context.Context, env *gateway.Envelope) (string, error) {
	switch env.Business {
	case "", gateway.BusinessNew:
		if env.Replaces != "" {
			return "", gateway.Errorf(gateway.EINVALID, "replaces: set business to replace or update when a document replaces another")
		}
		return "", nil
	case gateway.BusinessRecall:
		return "", gateway.Errorf(gateway.EINVALID, "business: to recall a document, POST /v1/documents/%s/recall (docgate recall)", env.Replaces)
	}
	orig, err := s.Store.Document(ctx, env.Replaces)
	if gateway.ErrorCode(err) == gateway.ENOTFOUND || (err == nil && orig.Envelope.From != env.From) {
		return "", gateway.Errorf(gateway.EINVALID, "replaces: %s is not a document of %s", env.Replaces, env.From)
	} else if err != nil {
		return "", err
	}
	if orig.State != gateway.DocumentActive {
		return "", gateway.Errorf(gateway.ECONFLICT, "replaces: document %s is %s already", orig.ID, orig.State)
	}
	return orig.ID, nil
}

// checkPDF refuses what is plainly not a PDF before the verifier sees it.
func checkPDF(sp *spooled) error {
	if sp.part.Size == 0 {
		return gateway.Errorf(gateway.EINVALID, "document: the PDF part is empty")
	}
	head := make([]byte, 1024)
	n, _ := sp.file.ReadAt(head, 0)
	if !bytes.Contains(head[:n], []byte("%PDF-")) {
		return gateway.Errorf(gateway.EINVALID, "document: the part is not a PDF (no %%PDF- header)")
	}
	return nil
}

// verify runs the verifier over the spooled PDF, adds the sender's seal when
// the gateway holds it and the PDF lacks it (sp then holds the sealed PDF),
// and applies the policy.
func (s *Service) verify(ctx context.Context, sp *spooled, from string) (*gateway.Report, error) {
	if s.Verifier == nil {
		return nil, s.Policy.apply(nil, from, signers{})
	}
	rep, err := s.verifyOnly(ctx, sp)
	if err != nil {
		return nil, err
	}
	certs, err := s.Store.AgencyCertificates(ctx, from)
	if err != nil {
		return nil, err
	}
	k := signers{registered: map[string]bool{}, seals: map[string]bool{}}
	for _, c := range certs {
		k.registered[strings.ToLower(c.SHA256)] = true
	}
	if seal, ok := s.Seals[from]; ok && seal.CertificateSHA256 != "" {
		k.seals[strings.ToLower(seal.CertificateSHA256)] = true
	}
	if rep, err = s.addSeal(ctx, sp, rep, from, k); err != nil {
		return nil, err
	}
	if err := s.Policy.apply(rep, from, k); err != nil {
		return nil, err
	}
	return rep, nil
}

// verifyOnly runs the verifier over the spooled PDF.
func (s *Service) verifyOnly(ctx context.Context, sp *spooled) (*gateway.Report, error) {
	rep, err := s.Verifier.VerifyPDF(ctx, sp.reader(), sp.part.Size, gateway.VerifyOptions{At: s.now()})
	if err != nil {
		if gateway.ErrorCode(err) == gateway.EINVALID {
			return nil, gateway.Errorf(gateway.EINVALID, "document: %s", gateway.ErrorMessage(err))
		}
		return nil, fmt.Errorf("verify document: %w", err)
	}
	rep.Document.SHA256, rep.Document.Size = sp.part.SHA256, sp.part.Size
	return rep, nil
}

func (s *Service) putBlob(ctx context.Context, sp *spooled) error {
	opts := gateway.PutOptions{SHA256: sp.part.SHA256, ContentType: sp.part.ContentType}
	var err error
	if fp, ok := s.Blobs.(gateway.FilePutter); ok {
		// The spool file is already hashed and its size known: the store
		// need not stage it again (s3 uploads it in one request).
		_, err = fp.PutFile(ctx, sp.file, gateway.BlobInfo{SHA256: sp.part.SHA256, Size: sp.part.Size}, opts)
	} else {
		if _, err := sp.file.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("rewind upload: %w", err)
		}
		_, err = s.Blobs.Put(ctx, sp.file, opts)
	}
	if err != nil {
		return fmt.Errorf("store %s: %w", sp.part.Name, err)
	}
	return nil
}

// stepInfo is what differs between the receipts of a document's steps.
type stepInfo struct {
	event     string
	actor     string
	recipient string
	status    gateway.ProcessingStatus
	note      string
	reasons   []string
	at        time.Time
	previous  string
}

type sealed struct {
	receipt *gateway.Receipt
	event   *gateway.Event
}

// record seals the evidence of one step and the event that names it.
func (s *Service) record(ctx context.Context, d *gateway.Document, st *stepInfo) (*sealed, error) {
	rec := &evidence.Record{
		EvidenceID: evidence.NewID(), Event: st.event, EventTime: st.at, SubmissionTime: d.SubmittedAt,
		DocumentID: d.ID, MessageID: d.Envelope.MessageID, Sender: d.Envelope.From, Recipients: d.Envelope.To,
		Number: d.Envelope.Number, Subject: d.Envelope.Subject, Document: digest(d.PDF),
		Status: string(st.status), Reasons: st.reasons, Previous: st.previous,
	}
	if st.recipient != "" {
		rec.Recipients = []string{st.recipient}
	}
	for _, a := range d.Attachments {
		rec.Attachments = append(rec.Attachments, digest(a))
	}
	der, pending, err := s.Sealer.Seal(ctx, rec)
	if err != nil {
		return nil, fmt.Errorf("seal %s evidence of %s: %w", st.event, d.ID, err)
	}
	if pending {
		s.logger().WarnContext(ctx, "receipt stored without its timestamp; it will be stamped when the TSA is back",
			"document", d.ID, "receipt", rec.EvidenceID)
	}
	r := &gateway.Receipt{ID: rec.EvidenceID, DocumentID: d.ID, Event: st.event, CMS: der, At: st.at, Pending: pending}
	e := &gateway.Event{DocumentID: d.ID, Type: st.event, Actor: st.actor, Recipient: st.recipient, Status: st.status,
		Note: st.note, At: st.at, ReceiptID: r.ID}
	return &sealed{receipt: r, event: e}, nil
}

func digest(p gateway.Part) evidence.PartDigest {
	return evidence.PartDigest{Name: p.Name, ContentType: p.ContentType, DigestMethod: "SHA-256", Digest: p.SHA256}
}
