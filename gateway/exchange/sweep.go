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
// lock) stays, and stays claimed, until its retention ends.
func (s *Service) SweepOrphans(ctx context.Context, grace time.Duration) (int, error) {
	n := 0
	for {
		hs, err := s.Store.ClaimOrphanBlobs(ctx, s.now().Add(-grace), 100)
		if err != nil || len(hs) == 0 {
			return n, err
		}
		progress := 0
		for _, h := range hs {
			if err := s.Blobs.Delete(ctx, h); err != nil {
				if gateway.ErrorCode(err) != gateway.ECONFLICT {
					return n, err
				}
				s.logger().InfoContext(ctx, "orphan blob under retention kept", "sha256", h)
				continue
			}
			if err := s.Store.ForgetBlob(ctx, h); err != nil {
				return n, err
			}
			n++
			progress++
		}
		if progress == 0 {
			// Only blobs under retention are left; they come back next run.
			return n, nil
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
