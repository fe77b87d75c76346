package pades

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"

	"docgate/certs"
	"docgate/gateway"
	"docgate/signing/cms"
	"docgate/signing/pdf"
	"docgate/signing/tsp"
)

// SubFilter values the verifier distinguishes.
const (
	subFilterRFC3161 = "ETSI.RFC3161"
	subFilterSHA1    = "adbe.pkcs7.sha1"
)

// prepareSignature starts s.report: structure, then the container parsed
// once, and the digest the signed ranges will need, so that one pass over the
// file can hash the ranges of every signature. finishSignature completes it.
// Neither fails: every problem is a finding in the report.
func (vr *verification) prepareSignature(s *sigEntry) {
	s.report = newSigReport(s.field)
	rep := &s.report
	d := s.dict
	subFilter, _ := d.Name("SubFilter")
	s.subFilter = subFilter
	rep.SubFilter = string(subFilter)
	if subFilter == subFilterRFC3161 {
		// A document timestamp whatever its /Type says (/Sig and null occur).
		s.docTS = true
		rep.Kind = KindTimestamp
	}

	br, contents, ok := vr.checkStructure(s)
	if !ok {
		s.broken = true
		return
	}
	if contents.Start >= 0 && allZero(contents.Value) {
		s.broken = true
		fail(rep, gateway.IndicationFailed, subFormatFailure, "/Contents holds no signature (the placeholder was never filled)")
		return
	}
	s.br, s.ready = br, true
	if s.docTS {
		s.tok, s.parseErr = tsp.ParseToken(contents.Value)
		if s.parseErr == nil && s.tok.Info.Hash != 0 && s.tok.Info.Hash.Available() {
			s.digestAlg = s.tok.Info.Hash
		}
		return
	}
	s.sd, s.parseErr = cms.Parse(contents.Value)
	if s.parseErr != nil || len(s.sd.Signers) == 0 {
		return
	}
	sd, si := s.sd, s.sd.Signers[0]
	switch {
	case isSHA1Container(sd, subFilter):
		s.digestAlg = crypto.SHA1
	case si.Hash != 0 && si.Hash.Available():
		s.digestAlg = si.Hash
	}
}

// isSHA1Container reports an adbe.pkcs7.sha1 signature: the CMS signs the
// SHA-1 digest of the ranges, carried inside it.
func isSHA1Container(sd *cms.SignedData, subFilter pdf.Name) bool {
	return subFilter == subFilterSHA1 || (!sd.Detached && len(sd.Content) == sha1.Size && subFilter != "ETSI.CAdES.detached")
}

// finishSignature checks integrity, signer, time, chain and revocation of a
// signature prepareSignature found well formed.
func (vr *verification) finishSignature(s *sigEntry) {
	if !s.ready {
		return
	}
	if s.docTS {
		vr.verifyDocTimestamp(s)
		return
	}
	vr.verifyCMSSignature(s)
}

// checkStructure checks /ByteRange against the file, the revisions and the
// /Contents token, and sets coverage and revision. Any failure is a forged or
// broken structure: USF and SWA land here.
func (vr *verification) checkStructure(s *sigEntry) (br [4]int64, contents pdf.String, ok bool) {
	rep := &s.report
	d := s.dict
	brObj, err := vr.f.Resolve(d.Get("ByteRange"))
	if err != nil {
		fail(rep, gateway.IndicationFailed, subFormatFailure, "/ByteRange unreadable: "+err.Error())
		return br, contents, false
	}
	arr, isArr := brObj.(pdf.Array)
	if !isArr || len(arr) != 4 {
		fail(rep, gateway.IndicationFailed, subFormatFailure, "/ByteRange is missing or not an array of four integers")
		return br, contents, false
	}
	for i, o := range arr {
		n, isInt := o.(pdf.Integer)
		if !isInt || n < 0 {
			fail(rep, gateway.IndicationFailed, subFormatFailure, "/ByteRange is not an array of four non-negative integers")
			return br, contents, false
		}
		br[i] = int64(n)
	}
	end := br[2] + br[3]
	switch {
	case br[0] != 0:
		fail(rep, gateway.IndicationFailed, subFormatFailure, fmt.Sprintf("/ByteRange starts at %d, not at the beginning of the file", br[0]))
		return br, contents, false
	case br[1] > br[2]:
		fail(rep, gateway.IndicationFailed, subFormatFailure, "/ByteRange ranges overlap")
		return br, contents, false
	case br[2] > vr.size || br[3] > vr.size || end > vr.size:
		fail(rep, gateway.IndicationFailed, subFormatFailure, fmt.Sprintf("/ByteRange reaches byte %d of a %d-byte file", end, vr.size))
		return br, contents, false
	}
	s.end = end

	// The revision the signature closes, and whether more follows.
	revs := vr.f.Revisions()
	s.rev = -1
	for i, rv := range revs {
		if end == rv.End || end == rv.EOF || (end > rv.EOF && end < rv.End) {
			s.rev = i
			break
		}
	}
	rep.Revision = s.rev + 1
	switch {
	case s.rev < 0:
		rep.Coverage = CoverageUnclear
	case s.rev == len(revs)-1 && !vr.tail.content:
		rep.Coverage = CoverageEntireFile
	default:
		rep.Coverage = CoverageEntireRevision
	}

	// /Contents as stored in the revision the signature closes: the hole in the
	// signed ranges must be exactly its token, delimiters included.
	dict := d
	if s.rev >= 0 && s.sigRef != (pdf.Ref{}) {
		if view, err := vr.f.At(s.rev); err == nil {
			if o, err := view.Object(s.sigRef); err == nil {
				if dd, isDict := o.(*pdf.Dict); isDict {
					dict = dd
				}
			}
		}
	}
	co := dict.Get("Contents")
	str, isStr := co.(pdf.String)
	if !isStr {
		if co == nil {
			fail(rep, gateway.IndicationFailed, subFormatFailure, "/Contents is missing")
		} else {
			fail(rep, gateway.IndicationFailed, subFormatFailure, "/Contents is not a string written in the signature dictionary")
		}
		return br, contents, false
	}
	if len(str.Value) == 0 {
		fail(rep, gateway.IndicationFailed, subFormatFailure, "/Contents is empty")
		return br, contents, false
	}
	if str.Start < 0 {
		fail(rep, gateway.IndicationFailed, subFormatFailure, "/Contents is inside an object stream, so the signed ranges cannot be checked against it")
		return br, contents, false
	}
	if br[1] != str.Start || br[2] != str.End {
		fail(rep, gateway.IndicationFailed, subFormatFailure, fmt.Sprintf(
			"/ByteRange leaves out bytes %d-%d, but /Contents lies at bytes %d-%d: the signed ranges do not match the signature (wrapping)",
			br[1], br[2], str.Start, str.End))
		return br, contents, false
	}
	if s.rev < 0 {
		fail(rep, gateway.IndicationFailed, subFormatFailure, fmt.Sprintf("the signed bytes end at %d, which is not the end of any revision", end))
		return br, str, false
	}
	return br, str, true
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// hashRanges streams the two signed ranges through every hasher.
func (vr *verification) hashRanges(br [4]int64, hs ...hash.Hash) error {
	ws := make([]io.Writer, len(hs))
	for i, h := range hs {
		ws[i] = h
	}
	w := io.MultiWriter(ws...)
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	buf := *bp
	for _, rg := range [][2]int64{{br[0], br[1]}, {br[2], br[3]}} {
		sr := io.NewSectionReader(vr.r, rg[0], rg[1])
		for {
			if err := vr.ctx.Err(); err != nil {
				return err
			}
			n, err := sr.Read(buf)
			if n > 0 {
				w.Write(buf[:n])
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("read signed range: %w", err)
			}
		}
	}
	return nil
}

// digestRanges returns the digest of the signed ranges under h.
func (vr *verification) digestRanges(br [4]int64, h crypto.Hash) ([]byte, error) {
	if sum, ok := vr.digests[digestKey{br, h}]; ok {
		return sum, nil
	}
	if !h.Available() {
		return nil, fmt.Errorf("digest algorithm %v not available", h)
	}
	hh := h.New()
	if err := vr.hashRanges(br, hh); err != nil {
		return nil, err
	}
	return hh.Sum(nil), nil
}

// cmsFailure maps a CMS error to an indication.
func cmsFailure(rep *gateway.SignatureReport, what string, err error) {
	msg := what + ": " + err.Error()
	switch cms.KindOf(err) {
	case cms.KindDigestMismatch:
		fail(rep, gateway.IndicationFailed, subHashFailure, msg)
	case cms.KindSignatureInvalid:
		fail(rep, gateway.IndicationFailed, subSigCryptoFailure, msg)
	case cms.KindSignerNotFound:
		fail(rep, gateway.IndicationIndeterminate, subSignerNotFound, msg)
	case cms.KindUnsupported:
		fail(rep, gateway.IndicationIndeterminate, subCryptoNoPOE, msg)
	default:
		fail(rep, gateway.IndicationFailed, subFormatFailure, msg)
	}
}

func (vr *verification) verifyCMSSignature(s *sigEntry) {
	rep := &s.report
	br, sd, subFilter := s.br, s.sd, s.subFilter
	if err := s.parseErr; err != nil {
		s.broken = true
		cmsFailure(rep, "signature container", err)
		return
	}
	if len(sd.Signers) == 0 {
		s.broken = true
		fail(rep, gateway.IndicationFailed, subFormatFailure, "the CMS holds no signer")
		return
	}
	if len(sd.Signers) > 1 {
		rep.Errors = append(rep.Errors, fmt.Sprintf("the CMS holds %d signers; the first is verified", len(sd.Signers)))
	}
	si := sd.Signers[0]
	rep.DigestAlg = si.DigestAlgorithmName()
	extra := vr.dss.certs

	var signer *x509.Certificate
	switch {
	case isSHA1Container(sd, subFilter):
		sum, err := vr.digestRanges(br, crypto.SHA1)
		if err != nil {
			fail(rep, gateway.IndicationIndeterminate, subSignedDataNF, "signed ranges: "+err.Error())
			return
		}
		if !bytes.Equal(sum, sd.Content) {
			fail(rep, gateway.IndicationFailed, subHashFailure, "the SHA-1 digest inside the signature does not match the signed bytes")
			return
		}
		signer, err = sd.Verify(cms.VerifyOptions{Certificates: extra})
		if err != nil {
			cmsFailure(rep, "signature", err)
			if signer == nil {
				signer, _ = sd.SignerCertificate(0, extra...)
			}
			vr.describeSigner(rep, signer)
			return
		}
	case !sd.Detached:
		// The CMS envelopes its content: it is this signature only if that
		// content is exactly the signed bytes.
		if si.Hash == 0 || !si.Hash.Available() {
			fail(rep, gateway.IndicationIndeterminate, subCryptoNoPOE, "unsupported digest algorithm "+si.DigestAlgorithm.String())
			return
		}
		sum, err := vr.digestRanges(br, si.Hash)
		if err != nil {
			fail(rep, gateway.IndicationIndeterminate, subSignedDataNF, "signed ranges: "+err.Error())
			return
		}
		h := si.Hash.New()
		h.Write(sd.Content)
		if !bytes.Equal(h.Sum(nil), sum) {
			fail(rep, gateway.IndicationFailed, subHashFailure, "the CMS envelopes other content than the signed bytes of the PDF")
			signer, _ = sd.SignerCertificate(0, extra...)
			vr.describeSigner(rep, signer)
			return
		}
		signer, err = sd.Verify(cms.VerifyOptions{Certificates: extra})
		if err != nil {
			cmsFailure(rep, "signature", err)
			vr.describeSigner(rep, signer)
			return
		}
	default:
		if si.Hash == 0 || !si.Hash.Available() {
			fail(rep, gateway.IndicationIndeterminate, subCryptoNoPOE, "unsupported digest algorithm "+si.DigestAlgorithm.String())
			signer, _ = sd.SignerCertificate(0, extra...)
			vr.describeSigner(rep, signer)
			return
		}
		sum, err := vr.digestRanges(br, si.Hash)
		if err != nil {
			fail(rep, gateway.IndicationIndeterminate, subSignedDataNF, "signed ranges: "+err.Error())
			return
		}
		signer, err = sd.Verify(cms.VerifyOptions{Digest: sum, Certificates: extra})
		if err != nil {
			cmsFailure(rep, "signature", err)
			if signer == nil {
				signer, _ = sd.SignerCertificate(0, extra...)
			}
			vr.describeSigner(rep, signer)
			return
		}
	}
	rep.Intact = true
	vr.describeSigner(rep, signer)
	rep.Level = "B-B"

	// The signing time: a valid signature timestamp proves it; otherwise the
	// signer's claim (/M or signingTime), otherwise the validation time.
	at, source := vr.claimedTime(s.dict, si)
	proven := false
	intermediates := append(append([]*x509.Certificate{}, sd.Certificates...), extra...)
	if len(si.TimestampTokens) > 0 {
		tok, err := tsp.ParseToken(si.TimestampTokens[0])
		var ver *tsp.Verified
		if err == nil {
			ver, err = tok.VerifyData(si.Signature, extra...)
		}
		if err != nil {
			rep.Errors = append(rep.Errors, "signature timestamp does not verify: "+err.Error())
		} else {
			rep.Level = "B-T"
			at, source = ver.GenTime.UTC(), TimeSourceTimestamp
			res, _ := vr.trust.Verify(vr.ctx, ver.Certificate, append(ver.Certificates, intermediates...), ver.GenTime,
				certs.VerifyOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}, Now: vr.now})
			if res != nil && res.Passed() {
				proven = true
			} else if len(vr.trust.Anchors()) > 0 && res != nil {
				rep.Errors = append(rep.Errors, "signature timestamp authority not trusted: "+res.Reason)
			}
		}
	}
	rep.SigningTime, rep.TimeSource = at, source

	vr.judgeTrust(rep, signer, intermediates, at, proven, revocationData(sd, si, vr.dss), certs.VerifyOptions{Now: vr.now})
}

// revocationData gathers what the CMS and the DSS embed.
func revocationData(sd *cms.SignedData, si *cms.SignerInfo, dss *dssData) certs.RevocationData {
	var d certs.RevocationData
	if sd != nil {
		d.CRLs = append(d.CRLs, sd.CRLs...)
		d.OCSPResponses = append(d.OCSPResponses, sd.OCSPResponses...)
	}
	if si != nil && si.Revocation != nil {
		d.CRLs = append(d.CRLs, si.Revocation.CRLs...)
		d.OCSPResponses = append(d.OCSPResponses, si.Revocation.OCSPResponses...)
	}
	d.CRLs = append(d.CRLs, dss.crls...)
	d.OCSPResponses = append(d.OCSPResponses, dss.ocsps...)
	return d
}

// judgeTrust builds the chain at the signing time and checks revocation.
func (vr *verification) judgeTrust(rep *gateway.SignatureReport, signer *x509.Certificate, intermediates []*x509.Certificate, at time.Time, proven bool, data certs.RevocationData, opts certs.VerifyOptions) {
	res, _ := vr.trust.Verify(vr.ctx, signer, intermediates, at, opts)
	if res == nil {
		fail(rep, gateway.IndicationIndeterminate, certs.SubNoCertificateChainFound, "no chain could be built")
		return
	}
	if len(res.Subjects) > 0 {
		rep.Chain = append([]string{}, res.Subjects...)
	}
	for _, n := range res.Notes {
		rep.Errors = append(rep.Errors, n)
	}
	if !res.Passed() {
		msg := res.Reason
		if msg == "" {
			msg = "the signer's certificate does not chain to a trusted anchor at the signing time"
		}
		fail(rep, res.Indication, res.SubIndication, msg)
		rep.Revocation = certs.StatusUnknown
		return
	}
	results, err := vr.checker.CheckChain(vr.ctx, res.Chain, at, data)
	if err != nil {
		fail(rep, gateway.IndicationIndeterminate, certs.SubTryLater, "revocation: "+err.Error())
		rep.Revocation = certs.StatusUnknown
		return
	}
	rep.Revocation = certs.StatusGood
	for i, rr := range results {
		if i == 0 {
			rep.Revocation = rr.Status
		} else if rr.Status != certs.StatusGood && rep.Revocation == certs.StatusGood {
			rep.Revocation = rr.Status
		}
		ind, sub := rr.Indication(at, proven)
		who := "signer's certificate"
		if i > 0 && i < len(res.Chain) {
			who = "certificate " + certs.SubjectString(res.Chain[i])
		}
		switch {
		case rr.Status == certs.StatusRevoked:
			fail(rep, ind, sub, fmt.Sprintf("%s revoked at %s (%s)", who, rr.RevokedAt.UTC().Format(time.RFC3339), rr.ReasonText))
		case ind != gateway.IndicationPassed:
			msg := who + ": revocation status unknown"
			if rr.Detail != "" {
				msg += ": " + rr.Detail
			}
			fail(rep, ind, sub, msg)
		}
	}
	if rep.Indication == "" {
		rep.Indication = gateway.IndicationPassed
	}
}

// describeSigner fills who signed.
func (vr *verification) describeSigner(rep *gateway.SignatureReport, c *x509.Certificate) {
	if c == nil {
		return
	}
	rep.Signer = certs.SubjectString(c)
	if len(c.Subject.Organization) > 0 {
		rep.Organization = strings.Join(c.Subject.Organization, ", ")
	}
	rep.AgencyCode = certs.AgencyCode(c)
	sum := sha256.Sum256(c.Raw)
	rep.CertificateSHA256 = hex.EncodeToString(sum[:])
	if len(rep.Chain) == 0 {
		rep.Chain = []string{rep.Signer}
	}
}

// claimedTime is the time the signer claims: the CMS signingTime, else /M,
// else the validation time.
func (vr *verification) claimedTime(d *pdf.Dict, si *cms.SignerInfo) (time.Time, string) {
	if si != nil && si.SigningTime != nil {
		return si.SigningTime.UTC(), TimeSourceClaimed
	}
	if o, err := vr.f.Resolve(d.Get("M")); err == nil {
		if s, ok := o.(pdf.String); ok {
			if t, ok := parsePDFDate(string(s.Value)); ok {
				return t.UTC(), TimeSourceClaimed
			}
		}
	}
	return vr.now.UTC(), TimeSourceValidation
}

// parsePDFDate reads "D:YYYYMMDDHHmmSSOHH'mm'" and its shortened forms.
func parsePDFDate(s string) (time.Time, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "D:")
	if len(s) < 4 {
		return time.Time{}, false
	}
	digits := func(str string, n int) (int, bool) {
		if len(str) < n {
			return 0, false
		}
		v := 0
		for i := 0; i < n; i++ {
			c := str[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	parts := []int{0, 1, 1, 0, 0, 0}
	widths := []int{4, 2, 2, 2, 2, 2}
	pos := 0
	for i, w := range widths {
		v, ok := digits(s[pos:], w)
		if !ok {
			break
		}
		parts[i] = v
		pos += w
	}
	loc := time.UTC
	rest := s[pos:]
	if len(rest) > 0 && (rest[0] == '+' || rest[0] == '-') {
		sign := 1
		if rest[0] == '-' {
			sign = -1
		}
		hh, ok1 := digits(rest[1:], 2)
		mm := 0
		if len(rest) > 4 {
			r := strings.TrimPrefix(rest[3:], "'")
			mm, _ = digits(r, 2)
		}
		if ok1 {
			loc = time.FixedZone("", sign*(hh*3600+mm*60))
		}
	}
	if parts[1] < 1 || parts[1] > 12 || parts[2] < 1 || parts[2] > 31 {
		return time.Time{}, false
	}
	return time.Date(parts[0], time.Month(parts[1]), parts[2], parts[3], parts[4], parts[5], 0, loc), true
}

// verifyDocTimestamp checks a document timestamp: an RFC 3161 token whose
// imprint is the digest of the signed ranges.
func (vr *verification) verifyDocTimestamp(s *sigEntry) {
	rep := &s.report
	br, tok := s.br, s.tok
	if err := s.parseErr; err != nil {
		s.broken = true
		cmsFailure(rep, "timestamp token", err)
		return
	}
	h := tok.Info.Hash
	if h == 0 || !h.Available() {
		fail(rep, gateway.IndicationIndeterminate, subCryptoNoPOE, "unsupported imprint algorithm "+tok.Info.HashAlgorithm.String())
		return
	}
	if len(tok.SignedData.Signers) > 0 {
		rep.DigestAlg = tok.SignedData.Signers[0].DigestAlgorithmName()
	}
	sum, err := vr.digestRanges(br, h)
	if err != nil {
		fail(rep, gateway.IndicationIndeterminate, subSignedDataNF, "signed ranges: "+err.Error())
		return
	}
	ver, err := tok.Verify(sum, h, vr.dss.certs...)
	if err != nil {
		cmsFailure(rep, "document timestamp", err)
		if c, e := tok.SignedData.SignerCertificate(0, vr.dss.certs...); e == nil {
			vr.describeSigner(rep, c)
		}
		return
	}
	rep.Intact = true
	vr.describeSigner(rep, ver.Certificate)
	rep.SigningTime, rep.TimeSource = ver.GenTime.UTC(), TimeSourceTimestamp
	inter := append(append([]*x509.Certificate{}, ver.Certificates...), vr.dss.certs...)
	var si *cms.SignerInfo
	if len(tok.SignedData.Signers) > 0 {
		si = tok.SignedData.Signers[0]
	}
	vr.judgeTrust(rep, ver.Certificate, inter, ver.GenTime, true, revocationData(tok.SignedData, si, vr.dss),
		certs.VerifyOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}, Now: vr.now})
}
