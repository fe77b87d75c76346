package exchange

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"docgate/gateway"
)

// SealFunc adds an agency's seal to a PDF: it reads the PDF of size bytes
// through in and writes to out the same bytes followed by an incremental
// update holding the seal, so that earlier signatures stay valid. cmd/docgate
// builds one over signing/pades with the agency's key.
type SealFunc func(ctx context.Context, in io.ReaderAt, size int64, out io.Writer) error

// AgencySeal is an agency's seal that the gateway holds and applies for it
// when a submitted PDF lacks one.
type AgencySeal struct {
	// CertificateSHA256 is the hex SHA-256 of the seal certificate; a
	// signature with it counts as the agency's seal.
	CertificateSHA256 string
	Seal              SealFunc
}

// addSeal seals the spooled PDF with the agency's key held by the gateway,
// when the policy apart from the seal is met and the PDF has no seal of the
// sender yet. The gateway seals only what the agency signed: an unsigned or
// foreign document is refused as before, never made acceptable by the seal.
// On success sp holds the sealed PDF, its digest and size, and the report
// is of the sealed PDF.
func (s *Service) addSeal(ctx context.Context, sp *spooled, rep *gateway.Report, from string, k signers) (*gateway.Report, error) {
	seal, ok := s.Seals[from]
	if !ok || seal.Seal == nil || hasSeal(signatures(rep), from, k) {
		return rep, nil
	}
	lax := s.Policy
	lax.RequireSeal = false
	if err := lax.apply(rep, from, k); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(s.TempDir, "docgate-sealed-*")
	if err != nil {
		return nil, fmt.Errorf("spool sealed document: %w", err)
	}
	os.Remove(f.Name())
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	if err := seal.Seal(ctx, sp.file, sp.part.Size, cw); err != nil {
		f.Close()
		if gateway.ErrorCode(err) == gateway.EINVALID {
			return nil, gateway.Errorf(gateway.EINVALID, "document: the gateway cannot add the seal of %s: %s", from, gateway.ErrorMessage(err))
		}
		return nil, fmt.Errorf("seal document for %s: %w", from, err)
	}
	if cw.n > s.limits().MaxDocument {
		f.Close()
		return nil, gateway.Errorf(gateway.ETOOLARGE, "document: with the seal of %s it is larger than the limit of %d bytes", from, s.limits().MaxDocument)
	}
	sp.file.Close()
	sp.file, sp.prefixes = f, nil
	sp.part.SHA256, sp.part.Size = hex.EncodeToString(h.Sum(nil)), cw.n
	rep, err = s.verifyOnly(ctx, sp)
	if err != nil {
		return nil, err
	}
	s.logger().InfoContext(ctx, "the gateway sealed a document for its sender", "from", from, "sha256", sp.part.SHA256,
		"seal", strings.ToLower(seal.CertificateSHA256))
	return rep, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
