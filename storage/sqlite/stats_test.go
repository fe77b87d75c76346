package sqlite_test

import (
	"path/filepath"
	"testing"

	"docgate/storage/storetest"
)

func TestStatsStore(t *testing.T) {
	storetest.TestStatsStore(t, func(t *testing.T) storetest.StatsStore {
		s := mustOpen(t, filepath.Join(t.TempDir(), "docgate.db"))
		t.Cleanup(func() { s.Close() })
		return s
	})
}
