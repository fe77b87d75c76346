package bundle

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"strings"
	"time"

	"docgate/gateway"
	"docgate/gateway/auditlog"
	"docgate/gateway/exchange"
	"docgate/signing/cms"
	"docgate/signing/tsp"
)

// Exporter gathers a document's bundle. Its fields are set by whoever wires
// it; all three are required.
type Exporter struct {
	Exchange *exchange.Service
	Log      *auditlog.Log
	// LogKey is the log's public verifier key (signed-note text), put in the
	// bundle for convenience and used here to read the checkpoint's size.
	LogKey string
	// Now stamps the zip entries; time.Now when nil.
	Now func() time.Time
}

// Contents is a bundle gathered and ready to write: everything but the
// bytes of the document and its attachments, which are streamed from the
// blob store by Write.
type Contents struct {
	ex       *exchange.Service
	doc      *exchange.DocumentView
	receipts []receiptFile
	cp       []byte
	cpSize   uint64
	origin   string
	logKey   string
	certs    []*x509.Certificate
	report   []byte
	at       time.Time
}

type receiptFile struct {
	event    string
	id       string
	der      []byte
	logIndex *int64
	proof    []byte // c2sp.org/tlog-proof text; nil when the event is not in the log
}

// Collect gathers what a bundle of document id holds, as the caller may see
// it: ENOTFOUND for anyone but the document's sender, recipients and
// auditors (the exchange decides). Everything that can fail before the
// first byte is written fails here, so that an HTTP handler can still
// answer with an error. ENOTIMPL when the gateway keeps no audit log.
func (e *Exporter) Collect(ctx context.Context, id string) (*Contents, error) {
	if e.Exchange == nil || e.Log == nil || e.LogKey == "" {
		return nil, gateway.Errorf(gateway.ENOTIMPL, "this gateway keeps no audit log, and an evidence bundle needs one")
	}
	dv, err := e.Exchange.Document(ctx, id)
	if err != nil {
		return nil, err
	}
	// The parts are streamed only after the headers are out, so whether
	// the caller may read them (a recipient may not once the document is
	// recalled) and whether they are there is asked now.
	rc, _, err := e.Exchange.Open(ctx, id, -1)
	if err != nil {
		return nil, err
	}
	rc.Close()
	trail, err := e.Exchange.Trail(ctx, id)
	if err != nil {
		return nil, err
	}
	rs, err := e.Exchange.Receipts(ctx, id)
	if err != nil {
		return nil, err
	}
	ders := map[string][]byte{}
	for _, r := range rs {
		ders[r.ID] = r.CMS
	}
	// One checkpoint for every proof, signed now, so that an auditor
	// checks one signature and compares one root with what others saw.
	cp, err := e.Log.Checkpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("sign a checkpoint for the bundle of %s: %w", id, err)
	}
	v, err := auditlog.NewLogVerifier(e.LogKey)
	if err != nil {
		return nil, fmt.Errorf("the gateway's log key: %w", err)
	}
	sc, err := v.OpenCheckpoint(cp)
	if err != nil {
		return nil, fmt.Errorf("the checkpoint just signed does not verify with the gateway's log key: %w", err)
	}
	c := &Contents{ex: e.Exchange, doc: dv, cp: cp, cpSize: sc.Size, origin: sc.Origin, logKey: strings.TrimSpace(e.LogKey) + "\n", at: time.Now()}
	if e.Now != nil {
		c.at = e.Now()
	}
	for _, te := range trail {
		if te.ReceiptID == "" {
			continue
		}
		der, ok := ders[te.ReceiptID]
		if !ok {
			return nil, fmt.Errorf("receipt %s of document %s is in the trail but not stored", te.ReceiptID, id)
		}
		rf := receiptFile{event: te.Type, id: te.ReceiptID, der: der, logIndex: te.LogIndex}
		if te.LogIndex != nil && *te.LogIndex >= 0 && uint64(*te.LogIndex) < sc.Size {
			idx := uint64(*te.LogIndex)
			p, err := e.Log.InclusionProof(ctx, idx, sc.Size)
			if err != nil {
				return nil, fmt.Errorf("inclusion proof of leaf %d: %w", idx, err)
			}
			if rf.proof, err = (&auditlog.Proof{Index: idx, Path: p, Checkpoint: cp}).MarshalText(); err != nil {
				return nil, err
			}
		}
		c.receipts = append(c.receipts, rf)
	}
	c.certs = receiptCertificates(c.receipts)
	if dv.Verification != nil {
		if c.report, err = json.MarshalIndent(dv.Verification, "", "  "); err != nil {
			return nil, fmt.Errorf("encode the validation report: %w", err)
		}
	}
	return c, nil
}

// receiptCertificates collects, without duplicates, the certificates the
// receipts and their timestamp tokens carry: the seal's chain and the TSA's.
// A receipt that does not parse contributes nothing; the verifier reports it.
func receiptCertificates(rs []receiptFile) []*x509.Certificate {
	var out []*x509.Certificate
	seen := map[string]bool{}
	add := func(cs []*x509.Certificate) {
		for _, c := range cs {
			if !seen[string(c.Raw)] {
				seen[string(c.Raw)] = true
				out = append(out, c)
			}
		}
	}
	for _, r := range rs {
		sd, err := cms.Parse(r.der)
		if err != nil {
			continue
		}
		add(sd.Certificates)
		for _, s := range sd.Signers {
			for _, a := range s.UnsignedAttributes {
				if !a.Type.Equal(cms.OIDAttrTimestampToken) || len(a.Values) == 0 {
					continue
				}
				if tok, err := tsp.ParseToken(a.Values[0]); err == nil && tok.SignedData != nil {
					add(tok.SignedData.Certificates)
				}
			}
		}
	}
	return out
}

// certRole says what a certificate is for, for the manifest's reader.
func certRole(c *x509.Certificate) string {
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageTimeStamping {
			return "the timestamp authority's certificate"
		}
	}
	if c.IsCA {
		if bytes.Equal(c.RawIssuer, c.RawSubject) {
			return "a root CA certificate (compare it with the root you were given: this copy proves nothing)"
		}
		return "an intermediate CA certificate"
	}
	return "the gateway seal's certificate, which signs the receipts"
}

// docPath is where the PDF goes: its original name, sanitized, still a .pdf.
func docPath(p gateway.Part) string {
	name := SafeName(p.Name, "document.pdf")
	if !strings.HasSuffix(strings.ToLower(name), ".pdf") {
		name += ".pdf"
	}
	return "document/" + name
}

// attachmentPath keeps each attachment's original name in a numbered
// directory, so that two attachments of one name do not collide.
func attachmentPath(i int, p gateway.Part) string {
	return fmt.Sprintf("attachments/%02d/%s", i+1, SafeName(p.Name, "attachment"))
}

// Write streams the bundle as a zip to w. The PDF and the attachments are
// read from the blob store and checked against their recorded digests on
// the way; a mismatch fails the write (the zip is then unusable, as it
// should be).
func (c *Contents) Write(ctx context.Context, w io.Writer) error {
	zw := zip.NewWriter(w)
	m := &Manifest{Format: Format, DocumentID: c.doc.ID, LogOrigin: c.origin, CheckpointSize: c.cpSize}
	add := func(f File, method uint16, data []byte) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.Path, Method: method, Modified: c.at})
		if err != nil {
			return fmt.Errorf("bundle %s: %w", f.Path, err)
		}
		if _, err := fw.Write(data); err != nil {
			return fmt.Errorf("bundle %s: %w", f.Path, err)
		}
		sum := sha256.Sum256(data)
		f.SHA256, f.Size = hex.EncodeToString(sum[:]), int64(len(data))
		m.Files = append(m.Files, f)
		return nil
	}
	part := func(f File, n int, p gateway.Part) error {
		rc, _, err := c.ex.Open(ctx, c.doc.ID, n)
		if err != nil {
			return err
		}
		defer rc.Close()
		// PDFs and most attachments are compressed already; storing them
		// lets a verifier read them in place.
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.Path, Method: zip.Store, Modified: c.at})
		if err != nil {
			return fmt.Errorf("bundle %s: %w", f.Path, err)
		}
		h := sha256.New()
		size, err := io.Copy(io.MultiWriter(fw, h), rc)
		if err != nil {
			return fmt.Errorf("bundle %s: %w", f.Path, err)
		}
		f.SHA256, f.Size, f.ContentType = hex.EncodeToString(h.Sum(nil)), size, p.ContentType
		if f.SHA256 != p.SHA256 {
			return gateway.Errorf(gateway.EINTEGRITY, "the stored bytes of %s no longer match their recorded digest", f.Path)
		}
		m.Files = append(m.Files, f)
		return nil
	}
	d := c.doc.Document
	if err := part(File{Path: docPath(d.PDF), Kind: KindDocument, Description: "the document as submitted: " + d.PDF.Name}, -1, d.PDF); err != nil {
		return err
	}
	for i, a := range d.Attachments {
		idx := i
		if err := part(File{Path: attachmentPath(i, a), Kind: KindAttachment, Index: &idx,
			Description: fmt.Sprintf("attachment %d as submitted: %s", i, a.Name)}, i, a); err != nil {
			return err
		}
	}
	for i, r := range c.receipts {
		base := fmt.Sprintf("%02d-%s", i+1, SafeName(r.event, "event"))
		f := File{Path: "receipts/" + base + ".p7m", Kind: KindReceipt, Event: r.event, EvidenceID: r.id, LogIndex: r.logIndex,
			Description: fmt.Sprintf("receipt %d: %s evidence, CMS SignedData (DER) by the gateway seal", i+1, r.event)}
		if r.proof != nil {
			f.Proof = "proofs/" + base + ".tlog-proof"
		}
		if err := add(f, zip.Deflate, r.der); err != nil {
			return err
		}
		if r.proof != nil {
			if err := add(File{Path: f.Proof, Kind: KindProof, EvidenceID: r.id, LogIndex: r.logIndex,
				Description: fmt.Sprintf("receipt %d's inclusion proof (c2sp.org/tlog-proof@v1) against the bundle's checkpoint", i+1)}, zip.Deflate, r.proof); err != nil {
				return err
			}
		}
	}
	if err := add(File{Path: CheckpointPath, Kind: KindCheckpoint,
		Description: fmt.Sprintf("the delivery log's signed checkpoint (c2sp.org/tlog-checkpoint) of %d leaves that every proof leads to", c.cpSize)}, zip.Deflate, c.cp); err != nil {
		return err
	}
	if err := add(File{Path: LogKeyPath, Kind: KindLogKey,
		Description: "the log's public verifier key as the gateway states it; pin the one you were given instead"}, zip.Deflate, []byte(c.logKey)); err != nil {
		return err
	}
	for i, cert := range c.certs {
		name := SafeName(cert.Subject.CommonName, "certificate")
		data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
		if err := add(File{Path: fmt.Sprintf("certs/%02d-%s.pem", i+1, name), Kind: KindCertificate,
			Description: certRole(cert) + ": " + cert.Subject.String()}, zip.Deflate, data); err != nil {
			return err
		}
	}
	if c.report != nil {
		if err := add(File{Path: ReportPath, Kind: KindReport,
			Description: "the gateway's validation report of the PDF's signatures at submission"}, zip.Deflate, c.report); err != nil {
			return err
		}
	}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the manifest: %w", err)
	}
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: ManifestPath, Method: zip.Deflate, Modified: c.at})
	if err != nil {
		return fmt.Errorf("bundle manifest: %w", err)
	}
	if _, err := fw.Write(append(mb, '\n')); err != nil {
		return fmt.Errorf("bundle manifest: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("finish the bundle: %w", err)
	}
	return nil
}

// Filename is a download name for the bundle.
func (c *Contents) Filename() string {
	return SafeName(c.doc.ID, "document") + "-evidence.zip"
}
