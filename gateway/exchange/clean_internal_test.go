package exchange

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		`C:\docs\công văn.pdf`:  "công văn.pdf",
		"../../etc/passwd":      "passwd",
		"a\x00b\r\nc.pdf":       "abc.pdf",
		"bad\xffname.pdf":       "badname.pdf",
		"":                      "",
		strings.Repeat("ệ", 90): strings.Repeat("ệ", 85), // 3 bytes each: 255 bytes, whole characters
	} {
		got := cleanName(in)
		if got != want || !utf8.ValidString(got) || len(got) > 255 {
			t.Errorf("cleanName(%q) = %q, want %q", in, got, want)
		}
	}
}
