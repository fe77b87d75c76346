package cms

import (
	"bufio"
	"bytes"
	"crypto"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var byteRangeRE = regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`)

// corpusSignature is one signature found in a PDF by its /ByteRange: the CMS is the hex string in
// the gap between the two ranges, and the digest covers the ranges.
type corpusSignature struct {
	cms    []byte
	ranges [2][2]int
}

// findSignatures locates signatures with a regular expression, not a PDF parser (signing/pdf is
// someone else's, and this test is about CMS). Signature dictionaries inside compressed object
// streams are missed, which only makes the test see fewer signatures.
func findSignatures(pdf []byte) []corpusSignature {
	var out []corpusSignature
	for _, m := range byteRangeRE.FindAllSubmatch(pdf, -1) {
		var n [4]int
		ok := true
		for i := range n {
			v, err := strconv.Atoi(string(m[i+1]))
			if err != nil || v < 0 {
				ok = false
			}
			n[i] = v
		}
		start, end := n[0]+n[1], n[2]
		if !ok || n[0] != 0 || start >= end || end > len(pdf) || n[2]+n[3] > len(pdf) {
			continue
		}
		gap := bytes.TrimSpace(pdf[start:end])
		gap = bytes.TrimPrefix(gap, []byte("<"))
		gap = bytes.TrimSuffix(gap, []byte(">"))
		gap = bytes.Map(func(r rune) rune {
			if strings.ContainsRune(" \r\n\t", r) {
				return -1
			}
			return r
		}, gap)
		if len(gap)%2 == 1 {
			gap = append(gap, '0')
		}
		der := make([]byte, len(gap)/2)
		if _, err := hex.Decode(der, gap); err != nil {
			continue
		}
		out = append(out, corpusSignature{cms: der, ranges: [2][2]int{{n[0], n[1]}, {n[2], n[3]}}})
	}
	return out
}

func (s corpusSignature) digest(pdf []byte, h crypto.Hash) []byte {
	hh := h.New()
	for _, r := range s.ranges {
		hh.Write(pdf[r[0] : r[0]+r[1]])
	}
	return hh.Sum(nil)
}

// decidedOpen says what this package answers for corpus files labelled "open", and why.
var decidedOpen = map[string]Kind{
	// The signature algorithm says sha3-*WithRSA, but the PKCS #1 DigestInfo inside the
	// signature is SHA-256: the signature does not verify under the algorithm it declares, and
	// accepting another would let a signature claim an algorithm it does not use.
	"validation/dss-1420/PAdES-BpB-att-SHA256-SHA3_224withRSA.pdf": KindSignatureInvalid,
	"validation/dss-1420/PAdES-BpB-att-SHA256-SHA3_256withRSA.pdf": KindSignatureInvalid,
	// A curve OID where the signature algorithm belongs: nothing to verify with.
	"validation/pades-unsupported-signature-algorithm.pdf": KindUnsupported,
	// No certificate embedded: the caller must supply it (VerifyOptions.Certificates).
	"validation/pades-bes-no-certificates.pdf": KindSignerNotFound,
}

// TestCorpus parses and verifies every signature of the DSS corpus's files that must be intact:
// CMS made by many real products (BER, PSS, plain-ECDSA, adbe.pkcs7.sha1, document timestamps).
// Other files must only not make the parser panic.
func TestCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "dss")
	labels, err := os.Open(filepath.Join(dir, "LABELS.tsv"))
	if err != nil {
		t.Skipf("no corpus at %s (a fresh clone has none): %v", dir, err)
	}
	defer labels.Close()
	var total, verified int
	sc := bufio.NewScanner(labels)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 2 || f[0] == "path" {
			continue
		}
		path, expect := f[0], f[1]
		pdf, err := os.ReadFile(filepath.Join(dir, path))
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		mustBeIntact := expect == "intact" || expect == "intact-none" || expect == "countersign"
		for i, s := range findSignatures(pdf) {
			total++
			sd, err := Parse(s.cms)
			if err != nil {
				if mustBeIntact {
					t.Errorf("%s #%d: %v", path, i, err)
				}
				continue
			}
			if len(sd.Signers) == 0 {
				if mustBeIntact {
					t.Errorf("%s #%d: no signer", path, i)
				}
				continue
			}
			si := sd.Signers[0]
			if si.Hash == 0 {
				t.Errorf("%s #%d: digest algorithm %v unknown", path, i, si.DigestAlgorithm)
				continue
			}
			var verr error
			switch {
			case !sd.Detached && sd.ContentType.Equal(OIDTSTInfo):
				// A document timestamp: the token's imprint covers the byte range.
				_, verr = sd.Verify(VerifyOptions{})
				if verr == nil && !bytes.Contains(sd.Content, s.digest(pdf, crypto.SHA256)) &&
					!bytes.Contains(sd.Content, s.digest(pdf, crypto.SHA512)) && !bytes.Contains(sd.Content, s.digest(pdf, crypto.SHA1)) &&
					!bytes.Contains(sd.Content, s.digest(pdf, crypto.SHA384)) {
					verr = errf(KindDigestMismatch, "timestamp imprint does not cover the byte range")
				}
			case !sd.Detached:
				// adbe.pkcs7.sha1: the encapsulated content is the SHA-1 of the byte range.
				_, verr = sd.Verify(VerifyOptions{})
				if verr == nil && !bytes.Equal(sd.Content, s.digest(pdf, crypto.SHA1)) {
					verr = errf(KindDigestMismatch, "encapsulated SHA-1 does not match the byte range")
				}
			default:
				_, verr = sd.Verify(VerifyOptions{Digest: s.digest(pdf, si.Hash)})
			}
			if want, ok := decidedOpen[path]; ok && KindOf(verr) != want {
				t.Errorf("%s #%d: got %v, decided %v", path, i, verr, want)
			}
			if verr != nil {
				if mustBeIntact {
					t.Errorf("%s #%d (%s/%s): %v", path, i, si.DigestAlgorithmName(), si.SignatureAlgorithmName(), verr)
				} else {
					t.Logf("%s #%d (%s, expected %s): %v", path, i, si.SignatureAlgorithmName(), expect, verr)
				}
				continue
			}
			verified++
		}
	}
	t.Logf("%d signatures found, %d verified", total, verified)
}
