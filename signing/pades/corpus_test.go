package pades

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"docgate/gateway"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// corpusDir is the DSS corpus beside the project (../shared from the root).
const corpusDir = "../../../shared/corpus/dss"

type corpusRow struct{ path, expect, note string }

func corpusRows(tb testing.TB) []corpusRow {
	tb.Helper()
	f, err := os.Open(filepath.Join(corpusDir, "LABELS.tsv"))
	if errors.Is(err, os.ErrNotExist) {
		tb.Skipf("corpus not found at %s (a fresh clone has no ../shared): skipping the real-world corpus", corpusDir)
	}
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var rows []corpusRow
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		parts := strings.SplitN(sc.Text(), "\t", 3)
		if len(parts) < 2 {
			continue
		}
		r := corpusRow{path: parts[0], expect: parts[1]}
		if len(parts) == 3 {
			r.note = parts[2]
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return rows
}

// verifyCorpusFile verifies one file the way `docgate verify --json` does:
// through VerifyWithin, offline, with no trust anchors.
func verifyCorpusFile(tb testing.TB, path string, limit time.Duration) (*gateway.Report, error, time.Duration) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	start := time.Now()
	rep, err := VerifyWithin(ctx, &Verifier{}, f, st.Size(), gateway.VerifyOptions{Offline: true})
	return rep, err, time.Since(start)
}

// openDecisions says, for every row labelled `open`, what docgate does and
// why that is right. The expectation uses the same vocabulary as the labels.
var openDecisions = map[string]struct{ expect, why string }{
	"validation/DSS-2601.pdf":                                                                         {"intact", "signature, then DSS, then a document timestamp: a plain B-LTA history, every step permitted"},
	"validation/DSS-2821.pdf":                                                                         {"intact", "a document timestamp, then a new empty signature field with its structure-tree entry and metadata, then a signature: permitted (form filling level)"},
	"validation/Signature-P-BG_BOR-1.pdf":                                                             {"intact-none", "the signature verifies and covers the whole file; what DSS objects to is policy (its signed attributes), not integrity"},
	"validation/Signature-P-HU_MIC-3.pdf":                                                             {"intact", "signature, then DSS with a document timestamp: permitted LTA updates"},
	"validation/Signature-P-HU_NET-2.pdf":                                                             {"intact-none", "the signature verifies and covers the whole file"},
	"validation/dss-1376/DSS1376-rev_n-1.pdf":                                                         {"disclosed", "an approval signature followed by form filling: permitted (P=2) but the report must say which fields were filled"},
	"validation/dss-1376/DSS1376-rev_n-2.pdf":                                                         {"disclosed", "as rev_n-1: form filling after the signature, permitted and listed"},
	"validation/dss-1376/DSS1376-rev_n-3.pdf":                                                         {"disclosed", "as rev_n-1: form filling after the signature, permitted and listed"},
	"validation/dss-1376/DSS1376-rev_n-4.pdf":                                                         {"disclosed", "as rev_n-1: form filling after the signature, permitted and listed"},
	"validation/dss-1376/DSS1376-rev_n-5.pdf":                                                         {"intact-none", "the signed original, nothing after it"},
	"validation/dss-1376/DSS1376-rev_n.pdf":                                                           {"intact", "form filling then a second signature over it: every change permitted, nothing after the last signature"},
	"validation/dss-1420/PAdES-BpB-att-SHA256-SHA3_224withRSA.pdf":                                    {"invalid", "the SignerInfo declares RSA with SHA3-224, but the signature value decrypts to a SHA-256 DigestInfo: it does not verify under the declared algorithm (SIG_CRYPTO_FAILURE). openssl accepts it because it trusts the DigestInfo over the declaration; a verifier must not let the signature choose its own algorithm"},
	"validation/dss-1420/PAdES-BpB-att-SHA256-SHA3_256withRSA.pdf":                                    {"invalid", "as the SHA3-224 file: RSA with SHA3-256 declared, a SHA-256 DigestInfo signed"},
	"validation/dss-1696/Test.signed_Certipost-2048-SHA512.extended.extended-LTA-2019-07-02(DSS).pdf": {"intact", "signature, DSS and three document timestamps: permitted LTA updates, each timestamp intact"},
	"validation/dss-1696/Test.signed_Certipost-2048-SHA512.extended.extended-LTA-dss-5.4.pdf":         {"intact", "same history as the (DSS) variant"},
	"validation/dss-2236/annotation-and-visible-change.pdf":                                           {"illegal", "Link annotations are added after an approval signature (P=2 by default), and a certification (/Perms) is added after approval signatures, which ISO 32000 does not allow: both are reported"},
	"validation/dss-818/Signature-P-DE_CRY-2 (HASH_FAILURE).pdf":                                      {"intact-none", "DSS names it HASH_FAILURE for its policy's reasons, but the digest over the /ByteRange matches and pdfsig agrees the signature is valid; integrity is what we report"},
	"validation/dss-818/Signature-P-IT_ADO-1 (HASH_FAILURE) (ECDSA).pdf":                              {"intact-none", "as DE_CRY-2: the bytes verify (pdfsig agrees); the failure DSS reports is not one of integrity"},
	"validation/dss-818/Signature-P-SK-1 (HASH_FAILURE).pdf":                                          {"intact", "five signatures and a document timestamp, each intact (pdfsig agrees); changes between them are signatures and LTA data"},
	"validation/encrypted.pdf":                                                                        {"intact-none", "encrypted, but signature /Contents are never encrypted and the ranges hash as stored: the signature verifies; the report notes the encryption"},
	"validation/pades-5-signatures-and-1-document-timestamp.pdf":                                      {"intact", "five signatures and a document timestamp, each intact"},
	"validation/pades-bes-no-certificates.pdf":                                                        {"invalid-or-indeterminate", "the CMS carries no certificate and the DSS none either: the signer cannot be found, so the signature cannot be called intact; INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND, never VALID"},
	"validation/pades-enveloping-cms.pdf":                                                             {"intact-none", "the CMS envelopes exactly the signed bytes: the content it signs is the PDF's signed range, so it is intact"},
	"validation/pades-enveloping-other-pdf.pdf":                                                       {"intact", "the enveloped content equals the signed ranges (checked by digest), then DSS and a document timestamp follow"},
	"validation/pades-lta-copied-doctst.pdf":                                                          {"invalid", "the document timestamp was copied from another file: its imprint does not match the signed bytes (HASH_FAILURE)"},
	"validation/pades-multiple-pages-annots-overlap.pdf":                                              {"intact", "signatures, DSS and a document timestamp; the overlapping widgets are signature widgets, which signing permits"},
	"validation/pades-same-border-annotations.pdf":                                                    {"intact", "a signature followed by a DSS: permitted"},
	"validation/pades-signed-annot-added.pdf":                                                         {"illegal", "a FreeText annotation and an embedded-file name tree added after an approval signature: the document is not certified for annotations (P=2 by default), and annotations can hide or overlay signed content"},
	"validation/pades-signed-filled-form.pdf":                                                         {"disclosed", "fields filled (text values and a choice field's selection) after an approval signature: permitted at P=2, and the report lists each field"},
	"validation/pades-t-duplicated-doctst.pdf":                                                        {"invalid", "the last document timestamp is a duplicate of an earlier token: its imprint does not match the bytes it claims to cover"},
	"validation/pades-tst-with-null-type.pdf":                                                         {"intact", "a document timestamp whose /Type is null is still a document timestamp by its /SubFilter; DSS before it is permitted"},
	"validation/pades-two-sig-copied-tst.pdf":                                                         {"intact", "two intact signatures; the second's signature timestamp was copied from the first, so it does not verify over the second's value and the time falls back to the claimed one, which the errors say"},
	"validation/pades-unsupported-signature-algorithm.pdf":                                            {"invalid-or-indeterminate", "an algorithm we do not implement: we cannot say it is intact, so INDETERMINATE, never VALID"},
	"validation/pdf-with-empty-sig.pdf":                                                               {"invalid", "a signature dictionary whose /Contents was never filled: never valid (USF)"},
	"validation/pdf-with-two-empty-sigs.pdf":                                                          {"invalid", "two signature dictionaries with unfilled /Contents: never valid (USF)"},
	"validation/signature-referenced-from-multiple-fields.pdf":                                        {"intact-none", "one signature dictionary shown by two fields: reported once, the second field noted in the document errors"},
	"validation/test-with-vri.pdf":                                                                    {"illegal", "the signature's /FieldMDP lock names TestField2, and a later revision fills it: the DSS that follows is permitted, filling a locked field is not"},
	"validation/wrong-digest-algo.pdf":                                                                {"intact", "signature and document timestamps, each intact under the algorithm it declares"},
}

// knownFailures are rows we cannot pass yet, with the reason; a row listed
// here that passes fails the test, so the list cannot go stale.
var knownFailures = map[string]string{}

// checkExpectation returns why rep/err do not meet expect, or nil.
func checkExpectation(expect string, rep *gateway.Report, err error) error {
	allIntact := func() error {
		if err != nil {
			return fmt.Errorf("unreadable: %v", err)
		}
		if len(rep.Signatures) == 0 {
			return errors.New("no signature found")
		}
		for _, s := range rep.Signatures {
			if !s.Intact {
				return fmt.Errorf("signature %s not intact: %s %s %v", s.Field, s.Indication, s.SubIndication, s.Errors)
			}
		}
		return nil
	}
	switch expect {
	case "intact-none":
		if e := allIntact(); e != nil {
			return e
		}
		if rep.Document.Modification != gateway.ModificationNone {
			return fmt.Errorf("modification %s: %v", rep.Document.Modification, rep.Document.Changes)
		}
	case "intact":
		if e := allIntact(); e != nil {
			return e
		}
		if rep.Document.Modification == gateway.ModificationIllegal {
			return fmt.Errorf("modification ILLEGAL: %v", rep.Document.Changes)
		}
	case "illegal":
		if err != nil {
			return fmt.Errorf("unreadable: %v", err)
		}
		if rep.Document.Modification != gateway.ModificationIllegal || rep.Document.Verdict != gateway.VerdictInvalid {
			return fmt.Errorf("modification %s, verdict %s: %v", rep.Document.Modification, rep.Document.Verdict, rep.Document.Changes)
		}
	case "disclosed":
		if err != nil {
			return fmt.Errorf("unreadable: %v", err)
		}
		if rep.Document.Modification == gateway.ModificationNone || len(rep.Document.Changes) == 0 {
			return fmt.Errorf("modification %s, changes %v", rep.Document.Modification, rep.Document.Changes)
		}
	case "invalid", "unreadable":
		if err == nil && rep.Document.Verdict != gateway.VerdictInvalid {
			return fmt.Errorf("verdict %s", rep.Document.Verdict)
		}
	case "invalid-or-indeterminate":
		if err == nil && rep.Document.Verdict == gateway.VerdictValid {
			return fmt.Errorf("verdict %s", rep.Document.Verdict)
		}
		if err == nil && slices.ContainsFunc(rep.Signatures, func(s gateway.SignatureReport) bool { return s.Indication == gateway.IndicationPassed }) {
			return errors.New("a signature passed")
		}
	case "bounded":
		if err == nil && rep.Document.Verdict == gateway.VerdictValid {
			return errors.New("verdict VALID for a hostile file")
		}
	default:
		return fmt.Errorf("unknown expectation %q", expect)
	}
	return nil
}

func TestCorpus(t *testing.T) {
	rows := corpusRows(t)
	tally := map[string][2]int{}
	for _, row := range rows {
		switch row.expect {
		case "sign", "countersign", "sign-or-refuse", "sign-refused":
			continue // the signer's rows, checked by the signer's tests
		}
		t.Run(row.path, func(t *testing.T) {
			expect := row.expect
			if expect == "open" {
				dec, ok := openDecisions[row.path]
				if !ok {
					t.Fatalf("%s is labelled open but openDecisions has no decision for it", row.path)
				}
				expect = dec.expect
			}
			limit := 30 * time.Second
			if row.expect == "bounded" {
				limit = 5 * time.Second
			}
			rep, err, took := verifyCorpusFile(t, filepath.Join(corpusDir, row.path), limit)
			if took >= limit {
				t.Fatalf("%s: no answer within %v", row.path, limit)
			}
			if ge, ok := errorsAs[*gateway.Error](err); ok && ge.Code == gateway.EINTERNAL {
				t.Fatalf("%s: the verifier panicked: %v", row.path, err)
			}
			if os.Getenv("DOCGATE_CORPUS_DUMP") != "" {
				b, _ := json.MarshalIndent(rep, "", "  ")
				t.Logf("err=%v\n%s", err, b)
			}
			problem := checkExpectation(expect, rep, err)
			c := tally[row.expect]
			if reason, known := knownFailures[row.path]; known {
				if problem == nil {
					t.Errorf("%s: listed as a known failure (%s) but now meets %q: remove it from knownFailures", row.path, reason, expect)
				} else {
					t.Logf("%s: known failure: %s (we said: %v)", row.path, reason, problem)
				}
				return
			}
			if problem != nil {
				t.Errorf("%s: expected %s, but %v", row.path, expect, problem)
				c[1]++
			} else {
				c[0]++
			}
			tally[row.expect] = c
		})
	}
	for label, c := range tally {
		t.Logf("%-12s %d passing, %d failing", label, c[0], c[1])
	}
}

// TestCorpusAgreesWithPdfsig checks our intact against poppler's verdict on
// the same bytes, signature by signature, matched by field name.
func TestCorpusAgreesWithPdfsig(t *testing.T) {
	bin, err := exec.LookPath("pdfsig")
	if err != nil {
		t.Skip("pdfsig not installed: skipping the cross-check with poppler")
	}
	rows := corpusRows(t)
	if testing.Short() {
		t.Skip("-short: skipping the pdfsig cross-check")
	}
	compared := 0
	for _, row := range rows {
		switch row.expect {
		case "sign", "countersign", "sign-or-refuse", "sign-refused", "bounded", "unreadable":
			continue
		}
		path := filepath.Join(corpusDir, row.path)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		out, _ := exec.CommandContext(ctx, bin, "-nocert", path).CombinedOutput()
		cancel()
		theirs := parsePdfsig(string(out))
		if len(theirs) == 0 {
			continue // pdfsig could not read it
		}
		rep, verr, _ := verifyCorpusFile(t, path, 30*time.Second)
		if verr != nil {
			continue
		}
		for _, s := range rep.Signatures {
			v, ok := theirs[s.Field]
			if !ok || v == "" {
				continue
			}
			switch {
			case v == "Signature is Valid." && !s.Intact:
				if _, ok := pdfsigDisagreements[row.path+"#"+s.Field]; !ok {
					t.Errorf("%s %s: pdfsig says valid, we say not intact (%s %v)", row.path, s.Field, s.SubIndication, s.Errors)
				}
			case v == "Digest Mismatch." && s.Intact:
				if _, ok := pdfsigDisagreements[row.path+"#"+s.Field]; !ok {
					t.Errorf("%s %s: pdfsig says digest mismatch, we say intact", row.path, s.Field)
				}
			}
			compared++
		}
	}
	t.Logf("compared %d signatures with pdfsig", compared)
	if compared == 0 {
		t.Error("no signature compared: the pdfsig output format may have changed")
	}
}

// pdfsigDisagreements lists signatures on which pdfsig and we differ, with
// why we are right. A disagreement not listed here fails the test.
var pdfsigDisagreements = map[string]string{
	"validation/pades-enveloping-cms.pdf#Signature1": "the CMS encapsulates the signed bytes instead of being detached; pdfsig hashes as if " +
		"detached and reports a mismatch, we check the encapsulated content is exactly the signed ranges and verify it: intact",
	"validation/pades-enveloping-empty-bytes-cms.pdf#signature1": "the CMS encapsulates empty content, so by RFC 5652 its message digest is over " +
		"nothing the PDF shows; pdfsig ignores the encapsulated content and checks the digest against the ranges. The signature does not sign the " +
		"PDF as CMS defines it (DSS rejects it too): not intact",
}

// parsePdfsig maps field names to pdfsig's "Signature Validation" text.
func parsePdfsig(out string) map[string]string {
	res := map[string]string{}
	field := ""
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "- Signature Field Name: "); ok {
			field = v
			res[field] = ""
		}
		if v, ok := strings.CutPrefix(line, "- Signature Validation: "); ok && field != "" {
			res[field] = v
		}
	}
	return res
}

// pdfcpuDisagreements lists the corpus files on which pdfcpu's signature
// validator and ours disagree about integrity, with who is right and why. A
// disagreement missing here fails the test, and so does an entry that no
// longer disagrees. Where pdfcpu calls a signature broken and we do not,
// openssl decides (each CMS verified over its ranges, below).
var pdfcpuDisagreements = map[string]string{
	"validation/AD-RB.pdf": "pdfcpu: 'not authentic' for the first signature; openssl verifies both CMS over their ranges and pdfsig the second: we are right",
	"validation/dss-818/Signature-P-DE_CRY-2 (HASH_FAILURE).pdf":         "pdfcpu (like DSS) reports a broken signature; openssl and pdfsig verify it over its ranges: we are right on integrity",
	"validation/dss-818/Signature-P-IT_ADO-1 (HASH_FAILURE) (ECDSA).pdf": "as DE_CRY-2: openssl and pdfsig verify it; pdfcpu does not",
	"validation/dss-818/Signature-P-SK-1 (HASH_FAILURE).pdf":             "pdfcpu calls five signatures not authentic; openssl and pdfsig verify all five: we are right",
	"validation/pades-5-signatures-and-1-document-timestamp.pdf":         "pdfcpu calls five signatures not authentic; openssl and pdfsig verify all five: we are right",
	"validation/pades-enveloping-cms.pdf":                                "the CMS encapsulates the signed bytes; pdfcpu treats it as detached and fails, openssl verifies it as encapsulated (its content equals the ranges): we are right",
	"validation/BadEncodedCMS.pdf":                                       "pdfcpu: 'malformed', validity unknown; we: FORMAT_FAILURE, not intact. Both refuse it; we are stricter in wording only",
	"validation/dss-1420/PAdES-BpB-att-SHA256-SHA3_224withRSA.pdf":       "pdfcpu: unsupported algorithm (unknown); we implement SHA3, and the signature value holds a SHA-256 DigestInfo, not the declared SHA3-224: SIG_CRYPTO_FAILURE. Both refuse it",
	"validation/dss-1420/PAdES-BpB-att-SHA256-SHA3_256withRSA.pdf":       "as SHA3_224",
	"validation/pades-bes-no-certificates.pdf":                           "pdfcpu: certificate invalid (unknown); we: signer certificate not found, so not intact: the same refusal",
	"validation/pades-enveloping-empty-bytes-cms.pdf":                    "pdfcpu: unsupported (unknown); we: the CMS envelopes empty content, not the PDF: HASH_FAILURE, as DSS",
	"validation/pdf-byterange-overlap.pdf":                               "pdfcpu: malformed (unknown); we: /ByteRange overlaps, FORMAT_FAILURE: the same refusal",
	"validation/pdf-signed-out-of-byteRange.pdf":                         "pdfcpu: malformed (unknown); we: the range ends where no revision ends: FORMAT_FAILURE",
	"validation/pdf-spoofing-attack.pdf":                                 "pdfcpu only notes an expired certificate; we find the signature's /ByteRange does not leave out its /Contents (wrapping): not intact. pdfcpu misses the attack",
	"validation/pdf-with-empty-sig.pdf":                                  "pdfcpu: malformed (unknown); we: /Contents never filled (USF): not intact",
	"validation/pdf-with-two-empty-sigs.pdf":                             "as pdf-with-empty-sig, twice",
}

// oidTSTInfo as DER: document timestamps are RFC 3161 tokens, which
// openssl cms -verify does not check against the signed ranges.
var oidTSTInfoDER = []byte{0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04}

func TestCorpusPdfcpuDisagreements(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the pdfcpu comparison")
	}
	rows := corpusRows(t)
	seen := map[string]bool{}
	for _, row := range rows {
		switch row.expect {
		case "sign", "countersign", "sign-or-refuse", "sign-refused", "bounded", "unreadable":
			continue
		}
		path := filepath.Join(corpusDir, row.path)
		theirs, err := api.ValidateSignatures(path, true, model.NewDefaultConfiguration())
		if err != nil {
			continue // pdfcpu cannot read it
		}
		rep, verr, _ := verifyCorpusFile(t, path, 30*time.Second)
		if verr != nil {
			continue
		}
		theyBroken, theyClean := 0, 0
		for _, r := range theirs {
			if r.Reason == model.SignatureReasonSignatureForged || r.Reason == model.SignatureReasonDocModified {
				theyBroken++
			}
			if r.DocModified == model.False {
				theyClean++
			}
		}
		weBroken := 0
		for _, s := range rep.Signatures {
			if !s.Intact {
				weBroken++
			}
		}
		if (theyBroken > 0 && weBroken == 0) || (weBroken > 0 && theyBroken == 0) {
			seen[row.path] = true
			if _, ok := pdfcpuDisagreements[row.path]; !ok {
				t.Errorf("%s: pdfcpu says %d broken, we say %d not intact: not in pdfcpuDisagreements", row.path, theyBroken, weBroken)
			}
			if theyBroken > 0 && weBroken == 0 {
				opensslVerifiesRanges(t, path)
			}
		}
	}
	for path := range pdfcpuDisagreements {
		if !seen[path] {
			t.Errorf("%s: listed in pdfcpuDisagreements but pdfcpu and we now agree (or it was not compared)", path)
		}
	}
}

// opensslVerifiesRanges finds every /ByteRange in the raw bytes (no parser of
// ours involved) and has openssl verify the CMS in the hole over the ranges.
func opensslVerifiesRanges(t *testing.T, path string) {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Log("openssl not installed: the disagreement is not arbitrated")
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	re := regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`)
	for _, m := range re.FindAllSubmatch(b, -1) {
		var n [4]int
		for i := range n {
			n[i], _ = strconv.Atoi(string(m[i+1]))
		}
		if n[0] != 0 || n[1]+1 >= n[2]-1 || n[2]+n[3] > len(b) {
			continue
		}
		// The whole hole, zero padding included: BER end-of-contents octets
		// are zeros too, and openssl ignores what follows the structure.
		der, err := hex.DecodeString(string(b[n[1]+1 : n[2]-1]))
		if err != nil {
			continue
		}
		if bytes.Contains(der[:min(len(der), 80)], oidTSTInfoDER) {
			continue
		}
		data := append(append([]byte{}, b[:n[1]]...), b[n[2]:n[2]+n[3]]...)
		cmsFile, dataFile := filepath.Join(dir, "sig.der"), filepath.Join(dir, "data.bin")
		if err := os.WriteFile(cmsFile, der, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dataFile, data, 0o600); err != nil {
			t.Fatal(err)
		}
		// Detached over the ranges, or else encapsulated (whose content we
		// require to be the ranges, which openssl cannot check; pdfcpu's
		// complaint is about the signature itself).
		args := []string{"cms", "-verify", "-binary", "-inform", "DER", "-in", cmsFile, "-noverify", "-out", os.DevNull}
		out, err := exec.Command(bin, append(args, "-content", dataFile)...).CombinedOutput()
		if err != nil {
			out, err = exec.Command(bin, args...).CombinedOutput()
		}
		if err != nil {
			t.Errorf("%s: openssl does not verify the signature at %v: %s", path, n, out)
		}
	}
}
