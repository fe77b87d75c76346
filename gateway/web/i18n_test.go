package web

import (
	"strings"
	"testing"

	"docgate/gateway"
)

// TestMessageTablesAgree: every word exists in every language, and every
// code the report vocabulary defines has words.
func TestMessageTablesAgree(t *testing.T) {
	for lang, table := range messages {
		for other, otherTable := range messages {
			for k := range table {
				if _, ok := otherTable[k]; !ok {
					t.Errorf("%q is in %s but not in %s", k, lang, other)
				}
			}
		}
		for _, k := range []string{
			"verdict." + gateway.VerdictValid, "verdict." + gateway.VerdictInvalid,
			"verdict." + gateway.VerdictIndeterminate, "verdict." + gateway.VerdictUnsigned,
			"ind." + gateway.IndicationPassed, "ind." + gateway.IndicationFailed, "ind." + gateway.IndicationIndeterminate,
			"mod." + gateway.ModificationNone, "mod." + gateway.ModificationPermitted, "mod." + gateway.ModificationIllegal,
		} {
			if strings.TrimSpace(table[k]) == "" {
				t.Errorf("%s: no words for %s", lang, k)
			}
		}
	}
}

func TestAcceptLanguage(t *testing.T) {
	cases := map[string]string{
		"":                        "",
		"vi":                      "vi",
		"vi-VN,vi;q=0.9,en;q=0.8": "vi",
		"en-US,en;q=0.9,vi;q=0.8": "en",
		"fr, en;q=0.1":            "en",
		"en;q=0, vi;q=0.2":        "vi",
		"de, fr":                  "",
		"EN-gb":                   "en",
		"en;q=bogus, vi;q=0.5":    "vi",
		"*":                       "",
	}
	for h, want := range cases {
		got, ok := fromAcceptLanguage(h)
		if got != want || ok != (want != "") {
			t.Errorf("Accept-Language %q: %q %v, want %q", h, got, ok, want)
		}
	}
}
