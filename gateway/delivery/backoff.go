package delivery

import (
	"math"
	"time"
)

// Backoff spaces the attempts of one push: attempt n (1-based) that fails
// waits a uniformly random time in [0, min(Cap, Base*Factor^(n-1))) before
// the next ("full jitter"), so that a receiver that was down for an hour is
// not hit by every gateway replica's retries in the same second when it comes
// back. After MaxAttempts failed attempts the push fails for good.
type Backoff struct {
	Base        time.Duration
	Factor      float64
	Cap         time.Duration
	MaxAttempts int
}

// DefaultBackoff retries a push 7 times: the waits are at most 30 s, 1, 2,
// 4, 8, 16 and 32 min (63.5 min in all; with full jitter about half that on
// average) before the sender is told the push failed. The document stays in
// the recipient's inbox whatever happens; --webhook-attempts gives slower
// receivers more (each attempt past the 8th waits up to an hour).
var DefaultBackoff = Backoff{Base: 30 * time.Second, Factor: 2, Cap: time.Hour, MaxAttempts: 8}

func (b Backoff) withDefaults() Backoff {
	if b.Base <= 0 {
		b.Base = DefaultBackoff.Base
	}
	if b.Factor < 1 {
		b.Factor = DefaultBackoff.Factor
	}
	if b.Cap <= 0 {
		b.Cap = DefaultBackoff.Cap
	}
	if b.MaxAttempts <= 0 {
		b.MaxAttempts = DefaultBackoff.MaxAttempts
	}
	return b
}

// Ceiling is the upper bound of the delay after failed attempt n.
func (b Backoff) Ceiling(n int) time.Duration {
	b = b.withDefaults()
	if n < 1 {
		n = 1
	}
	d := float64(b.Base) * math.Pow(b.Factor, float64(n-1))
	if d >= float64(b.Cap) || math.IsInf(d, 0) || math.IsNaN(d) {
		return b.Cap
	}
	return time.Duration(d)
}

// Delay is the wait after failed attempt n, given u drawn uniformly from
// [0, 1). ok is false when n was the last attempt.
func (b Backoff) Delay(n int, u float64) (d time.Duration, ok bool) {
	b = b.withDefaults()
	if n >= b.MaxAttempts {
		return 0, false
	}
	u = min(max(u, 0), 1)
	return time.Duration(u * float64(b.Ceiling(n))), true
}
