package tsp

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"docgate/signing/cms"
)

var byteRangeRE = regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`)

// corpusSignatures finds signatures by /ByteRange (no PDF parser: that is another package's
// job) and returns each CMS with the bytes its ranges cover.
func corpusSignatures(pdf []byte) (cmsDER, signed [][]byte) {
	for _, m := range byteRangeRE.FindAllSubmatch(pdf, -1) {
		var n [4]int
		for i := range n {
			n[i], _ = strconv.Atoi(string(m[i+1]))
		}
		if n[0] != 0 || n[1] >= n[2] || n[2]+n[3] > len(pdf) {
			continue
		}
		gap := bytes.Trim(pdf[n[1]:n[2]], "<> \r\n\t")
		if len(gap)%2 == 1 {
			gap = append(bytes.Clone(gap), '0')
		}
		der := make([]byte, len(gap)/2)
		if _, err := hex.Decode(der, gap); err != nil {
			continue
		}
		cmsDER = append(cmsDER, der)
		signed = append(signed, append(bytes.Clone(pdf[:n[1]]), pdf[n[2]:n[2]+n[3]]...))
	}
	return cmsDER, signed
}

// TestCorpusTimestamps verifies the document and signature timestamps of the DSS corpus, made
// by many real authorities, in the files whose signatures must be intact.
func TestCorpusTimestamps(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "dss")
	labels, err := os.Open(filepath.Join(dir, "LABELS.tsv"))
	if err != nil {
		t.Skipf("no corpus at %s (a fresh clone has none): %v", dir, err)
	}
	defer labels.Close()
	var docTS, sigTS, ok int
	sc := bufio.NewScanner(labels)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 2 || (f[1] != "intact" && f[1] != "intact-none") {
			continue
		}
		pdf, err := os.ReadFile(filepath.Join(dir, f[0]))
		if err != nil {
			t.Fatal(err)
		}
		ders, signed := corpusSignatures(pdf)
		for i, der := range ders {
			sd, err := cms.Parse(der)
			if err != nil {
				t.Errorf("%s #%d: %v", f[0], i, err)
				continue
			}
			type check struct {
				token, data []byte
				what        string
			}
			var checks []check
			if sd.ContentType.Equal(cms.OIDTSTInfo) {
				docTS++
				checks = append(checks, check{der, signed[i], "document timestamp"})
			} else {
				for _, si := range sd.Signers {
					for _, tok := range si.TimestampTokens {
						sigTS++
						checks = append(checks, check{tok, si.Signature, "signature timestamp"})
					}
				}
			}
			for _, c := range checks {
				tok, err := ParseToken(c.token)
				if err != nil {
					t.Errorf("%s #%d %s: %v", f[0], i, c.what, err)
					continue
				}
				if _, err := tok.VerifyData(c.data); err != nil {
					t.Errorf("%s #%d %s: %v", f[0], i, c.what, err)
					continue
				}
				ok++
			}
		}
	}
	t.Logf("%d document timestamps, %d signature timestamps, %d verified", docTS, sigTS, ok)
	if docTS+sigTS == 0 {
		t.Fatalf("no timestamps found: the search is broken")
	}
}
