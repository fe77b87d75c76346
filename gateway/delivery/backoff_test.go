package delivery

import (
	"math"
	"testing"
	"time"
)

func TestBackoffCeiling(t *testing.T) {
	b := Backoff{Base: 30 * time.Second, Factor: 2, Cap: time.Hour, MaxAttempts: 8}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for i, w := range want {
		if got := b.Ceiling(i + 1); got != w {
			t.Errorf("Ceiling(%d) = %s, want %s", i+1, got, w)
		}
	}
	if got := b.Ceiling(10000); got != time.Hour {
		t.Errorf("Ceiling(10000) = %s, want the cap", got)
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Base: 10 * time.Second, Factor: 3, Cap: time.Minute, MaxAttempts: 4}
	cases := []struct {
		n    int
		u    float64
		want time.Duration
		ok   bool
	}{
		{1, 0, 0, true},
		{1, 0.5, 5 * time.Second, true},
		{2, 0.5, 15 * time.Second, true},
		{3, 0.999, time.Duration(0.999 * float64(time.Minute)), true}, // 90 s capped at 60 s
		{3, 7, time.Minute, true},                                     // u out of range is clamped
		{4, 0.5, 0, false},                                            // the last attempt
		{9, 0.5, 0, false},
	}
	for _, c := range cases {
		got, ok := b.Delay(c.n, c.u)
		if got != c.want || ok != c.ok {
			t.Errorf("Delay(%d, %v) = %s, %v; want %s, %v", c.n, c.u, got, ok, c.want, c.ok)
		}
	}
}

func TestBackoffDefaults(t *testing.T) {
	var zero Backoff
	if got := zero.Ceiling(1); got != DefaultBackoff.Base {
		t.Errorf("zero Backoff Ceiling(1) = %s, want %s", got, DefaultBackoff.Base)
	}
	if _, ok := zero.Delay(DefaultBackoff.MaxAttempts-1, 0.5); !ok {
		t.Error("zero Backoff gives up before the default number of attempts")
	}
	if _, ok := zero.Delay(DefaultBackoff.MaxAttempts, 0.5); ok {
		t.Error("zero Backoff retries after the default number of attempts")
	}
}

// TestDefaultBackoffSpan keeps DefaultBackoff's comment and the README's
// --webhook-attempts row true: the waits of a push that fails every time
// add up to at most 63.5 minutes.
func TestDefaultBackoffSpan(t *testing.T) {
	var total time.Duration
	for n := 1; ; n++ {
		d, ok := DefaultBackoff.Delay(n, math.Nextafter(1, 0))
		if !ok {
			break
		}
		total += d
	}
	if want := 63*time.Minute + 30*time.Second; total < want-time.Second || total > want {
		t.Fatalf("the default backoff waits up to %v in all, documented as %v", total, want)
	}
}
