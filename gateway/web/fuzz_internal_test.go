package web

import "testing"

// FuzzAcceptLanguage: any header yields a supported language or none.
func FuzzAcceptLanguage(f *testing.F) {
	for _, s := range []string{"vi-VN,vi;q=0.9,en;q=0.8", "en;q=", ";;,,q=1", "*;q=0.5", "EN-us;q=1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		l, ok := fromAcceptLanguage(h)
		if ok != (l != "") {
			t.Fatalf("%q: %q %v", h, l, ok)
		}
		if ok {
			if _, known := messages[l]; !known {
				t.Fatalf("%q chose %q, which has no messages", h, l)
			}
		}
	})
}
