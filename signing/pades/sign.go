package pades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"docgate/signing/cms"
	"docgate/signing/pdf"
)

// SubFilter values of a signature dictionary.
const (
	// SubFilterCAdES is PAdES proper (ETSI EN 319 142-1): a CAdES-style CMS without signingTime,
	// the time in the dictionary's /M.
	SubFilterCAdES = "ETSI.CAdES.detached"
	// SubFilterPKCS7 is the older Adobe form (ISO 32000-1 §12.8.3.3), which may carry signingTime.
	SubFilterPKCS7 = "adbe.pkcs7.detached"
)

// Levels a signature reaches when it is made (ETSI EN 319 142-1): B-LT and B-LTA come later, from
// validation data and document timestamps.
const (
	LevelBB = "B-B"
	LevelBT = "B-T"
)

// Timestamper returns an RFC 3161 token over digest, a hash of the data computed with hash.
// *tsp.Client and *tsp.Authority satisfy it.
type Timestamper interface {
	Timestamp(ctx context.Context, digest []byte, hash crypto.Hash) ([]byte, error)
}

// SignOptions says who signs and how.
type SignOptions struct {
	Signer crypto.Signer
	// Chain is the signer's certificate first, then the intermediates (and the root, if the
	// relying parties want it embedded).
	Chain []*x509.Certificate
	// SubFilter is SubFilterCAdES (the default) or SubFilterPKCS7.
	SubFilter string
	// Hash is SHA-256 when zero; SHA-384 and SHA-512 are also allowed.
	Hash crypto.Hash
	// PSS signs with RSASSA-PSS; only for RSA keys.
	PSS bool
	// Time is the clock of /M (and of signingTime for SubFilterPKCS7); time.Now when nil.
	Time func() time.Time

	Reason, Location, ContactInfo string
	// Name is the signer's name in the signature dictionary; the certificate's common name when
	// empty.
	Name string

	// FieldName signs into the existing empty signature field of that fully qualified name; a
	// name that no field has, or a field that is already signed, is refused.
	FieldName string
	// UseEmptyField signs into the first empty signature field when FieldName is empty and there
	// is one (for a visible signature without a Rect, one whose widget has an area). Otherwise a
	// new field Signature<N> is created.
	UseEmptyField bool

	// Timestamper, when set, timestamps the signature value (PAdES B-T). Nil makes B-B.
	Timestamper Timestamper
	// Visible draws the signature on a page; nil makes an invisible signature.
	Visible *Appearance
	// Certify makes a certification signature with DocMDP permission P (1 no changes, 2 form
	// filling and signing, 3 also annotations). Zero makes an approval signature. Only the first
	// signature of a document may certify it.
	Certify int
	// ContentsSize overrides the bytes reserved for the CMS; zero estimates them from the chain
	// and the timestamper. A signature that does not fit is made again with more room.
	ContentsSize int
}

// SignResult describes the signed file.
type SignResult struct {
	// Size is the number of bytes written to out.
	Size int64
	// ByteRange is the signed ranges: [0, a) and [b, b+c).
	ByteRange [4]int64
	// Field is the fully qualified name of the signature field.
	Field string
	// Hash and Digest are the digest of the signed ranges.
	Hash   crypto.Hash
	Digest []byte
	// Level is LevelBB or LevelBT.
	Level string
	// Signed is the time written in /M.
	Signed time.Time
}

// RefusalKind says why Sign refused a document.
type RefusalKind int

const (
	// RefuseUnreadable: the file is not a PDF this package can update (syntax errors, a
	// cross-reference table that had to be rebuilt, a missing page).
	RefuseUnreadable RefusalKind = iota + 1
	// RefuseEncrypted: the file is encrypted; docgate does not decrypt.
	RefuseEncrypted
	// RefuseCertified: a certification signature (DocMDP P=1, or a field lock with P=1) permits
	// no change, so any new signature would invalidate it.
	RefuseCertified
	// RefuseLocked: the field to sign is locked (read-only, or by a FieldMDP lock of a signature).
	RefuseLocked
	// RefuseNoField: the named field does not exist or is not a signature field.
	RefuseNoField
	// RefuseFieldSigned: the named field is signed already.
	RefuseFieldSigned
	// RefuseNoPage: the page asked for a visible signature does not exist.
	RefuseNoPage
)

// RefusalError is returned when a document must not or cannot be signed. Nothing useful has been
// written to out: the caller discards it.
type RefusalError struct {
	Kind RefusalKind
	Msg  string
	Err  error
}

func (e *RefusalError) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *RefusalError) Unwrap() error { return e.Err }

func refuse(k RefusalKind, err error, format string, args ...any) error {
	return &RefusalError{Kind: k, Msg: fmt.Sprintf(format, args...), Err: err}
}

// Sign adds a signature to the PDF in in (size bytes) as an incremental update and writes the
// whole signed file to out in one pass. Memory does not depend on the file's size: the original
// bytes are hashed while they are copied, and only the update is built in memory. On error, what
// was written to out is garbage; write to a temporary file and rename it on success.
func Sign(ctx context.Context, in io.ReaderAt, size int64, out io.Writer, opts SignOptions) (*SignResult, error) {
	if err := signCheckOptions(&opts); err != nil {
		return nil, err
	}
	f, err := pdf.Open(in, size, nil)
	if err != nil {
		return nil, refuse(RefuseUnreadable, err, "unreadable PDF")
	}
	b, err := newSignBuilder(f, &opts)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if opts.Time != nil {
		now = opts.Time
	}
	signed := now()

	hole := opts.ContentsSize
	if hole <= 0 {
		hole = signEstimateContents(&opts)
	}

	// The original bytes are copied and hashed before the update exists; the hash state after
	// them is saved so that a retry with a bigger hole does not read the file again.
	h := opts.Hash.New()
	cw := &signCountingWriter{w: io.MultiWriter(out, h), ctx: ctx}
	buf := make([]byte, 256<<10)
	if _, err := io.CopyBuffer(cw, io.NewSectionReader(in, 0, size), buf); err != nil {
		return nil, fmt.Errorf("copy original: %w", err)
	}
	state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("save hash state: %w", err)
	}

	for attempt := 0; attempt < 3; attempt++ {
		upd, err := b.build(signed, hole)
		if err != nil {
			return nil, err
		}
		var ub bytes.Buffer
		res, err := upd.u.Append(&ub, size)
		if err != nil {
			return nil, refuse(RefuseUnreadable, err, "write update")
		}
		data := ub.Bytes()
		c, br := upd.contents, upd.byteRange
		r := [4]int64{0, c.Start, c.End, res.End - c.End}
		brText, err := pdf.FormatByteRange(len(br.Text), r)
		if err != nil {
			return nil, fmt.Errorf("format /ByteRange: %w", err)
		}
		copy(data[br.Start-size:br.End-size], brText)

		h2 := opts.Hash.New()
		if err := h2.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
			return nil, fmt.Errorf("restore hash state: %w", err)
		}
		h2.Write(data[:c.Start-size])
		h2.Write(data[c.End-size:])
		digest := h2.Sum(nil)

		der, err := signCMS(ctx, &opts, digest, signed)
		if err != nil {
			return nil, err
		}
		if 2*len(der)+2 > len(c.Text) {
			hole = len(der) + len(der)/4 + 1024
			continue
		}
		hex.Encode(data[c.Start-size+1:], der)
		if _, err := cw.Write(data); err != nil {
			return nil, fmt.Errorf("write update: %w", err)
		}
		level := LevelBB
		if opts.Timestamper != nil {
			level = LevelBT
		}
		return &SignResult{Size: cw.n, ByteRange: r, Field: upd.field, Hash: opts.Hash, Digest: digest,
			Level: level, Signed: signed}, nil
	}
	return nil, errors.New("signature does not fit the space reserved for it")
}

func signCheckOptions(o *SignOptions) error {
	if o.Signer == nil || len(o.Chain) == 0 || o.Chain[0] == nil {
		return errors.New("sign: a signer and its certificate are required")
	}
	// A key that is not the certificate's makes a signature no one can verify; a PKCS#11 label
	// pointing at the wrong key is an easy mistake, caught here rather than by the recipient.
	if pk, ok := o.Signer.Public().(interface{ Equal(crypto.PublicKey) bool }); ok && !pk.Equal(o.Chain[0].PublicKey) {
		return errors.New("sign: the private key does not belong to the signer's certificate")
	}
	if o.Hash == 0 {
		o.Hash = crypto.SHA256
	}
	switch o.Hash {
	case crypto.SHA256, crypto.SHA384, crypto.SHA512:
	default:
		return fmt.Errorf("sign: hash %v not allowed (SHA-256, SHA-384 or SHA-512)", o.Hash)
	}
	switch o.SubFilter {
	case "":
		o.SubFilter = SubFilterCAdES
	case SubFilterCAdES, SubFilterPKCS7:
	default:
		return fmt.Errorf("sign: unknown SubFilter %q", o.SubFilter)
	}
	if _, ok := o.Signer.Public().(*rsa.PublicKey); o.PSS && !ok {
		return errors.New("sign: PSS needs an RSA key")
	}
	if o.Certify < 0 || o.Certify > 3 {
		return fmt.Errorf("sign: DocMDP permission %d is not 1, 2 or 3", o.Certify)
	}
	if o.Visible != nil {
		if err := o.Visible.check(); err != nil {
			return err
		}
	}
	return nil
}

// signEstimateContents guesses the DER size of the CMS: certificates, signature, attributes, and
// a timestamp token whose size depends on the authority's chain.
func signEstimateContents(o *SignOptions) int {
	n := 2048
	for _, c := range o.Chain {
		n += len(c.Raw) + 16
	}
	switch k := o.Signer.Public().(type) {
	case *rsa.PublicKey:
		n += k.Size()
	case *ecdsa.PublicKey:
		n += 2*(k.Curve.Params().BitSize+7)/8 + 16
	case ed25519.PublicKey:
		n += 64
	default:
		n += 1024
	}
	if o.Timestamper != nil {
		n += 9 << 10
	}
	return n
}

func signCMS(ctx context.Context, o *SignOptions, digest []byte, signed time.Time) ([]byte, error) {
	co := cms.SignOptions{
		Digest:               digest,
		Signer:               o.Signer,
		Certificate:          o.Chain[0],
		Chain:                o.Chain[1:],
		Hash:                 o.Hash,
		Detached:             true,
		SigningCertificateV2: true,
		PSS:                  o.PSS,
	}
	if o.SubFilter == SubFilterPKCS7 {
		t := signed
		co.SigningTime = &t
	}
	if o.Timestamper != nil {
		ts, hh := o.Timestamper, o.Hash
		co.Timestamp = func(ctx context.Context, sig []byte) ([]byte, error) {
			h := hh.New()
			h.Write(sig)
			tok, err := ts.Timestamp(ctx, h.Sum(nil), hh)
			if err != nil {
				return nil, fmt.Errorf("timestamp: %w", err)
			}
			return tok, nil
		}
	}
	der, err := cms.Sign(ctx, co)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return der, nil
}

// signCountingWriter counts what it writes and stops when ctx is done, so that cancelling a
// signature over a large file takes effect during the copy.
type signCountingWriter struct {
	w   io.Writer
	ctx context.Context
	n   int64
}

func (c *signCountingWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
