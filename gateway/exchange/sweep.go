package exchange

import (
	"context"
	"time"

	"docgate/gateway"
)

// DefaultOrphanGrace is how long a blob written by a submission that never
// committed is kept before the sweeper deletes it: far longer than any
// submission takes, so a blob is never taken from one still running.
const DefaultOrphanGrace = 24 * time.Hour

// SweepOrphans deletes blobs that no document references and no submission
// marked within grace: what a crash between the blob store and the database
// leaves. It returns how many it deleted. A blob under retention (object
// lock) stays, is released for submissions to take up again, and is tried
// again a grace period later. Sweepers on several replicas never claim the
// same blob: a claim holds it for a grace period.
func (s *Service) SweepOrphans(ctx context.Context, grace time.Duration) (int, error) {
	now := s.now()
	before := now.Add(-grace)
	n := 0
	for {
		hs, err := s.Store.ClaimOrphanBlobs(ctx, before, now, 100)
		if err != nil || len(hs) == 0 {
			return n, err
		}
		for _, h := range hs {
			if err := s.Blobs.Delete(ctx, h); err != nil {
				// The bytes stay, so the claim ends: submissions may take
				// them up again at once. A blob under retention is tried
				// again a grace period from now, one that failed otherwise
				// on the next run; neither comes back within this one.
				retained := gateway.ErrorCode(err) == gateway.ECONFLICT
				at := before
				if retained {
					at = now
				}
				if rerr := s.Store.ReleaseBlob(ctx, h, at); rerr != nil {
					return n, rerr
				}
				if !retained {
					return n, err
				}
				s.logger().InfoContext(ctx, "orphan blob under retention kept", "sha256", h)
				continue
			}
			if err := s.Store.ForgetBlob(ctx, h); err != nil {
				return n, err
			}
			n++
		}
	}
}

// RunSweeper calls SweepOrphans every interval until ctx ends.
func (s *Service) RunSweeper(ctx context.Context, interval, grace time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := s.SweepOrphans(ctx, grace)
			if n > 0 {
				s.logger().Info("orphan blobs deleted", "count", n)
			}
			if err != nil && ctx.Err() == nil {
				s.logger().Warn("orphan blob sweep", "err", err)
			}
		}
	}
}
