package postgres_test

import (
	"testing"

	"docgate/storage/storetest"
)

func TestStatsStore(t *testing.T) {
	storetest.TestStatsStore(t, func(t *testing.T) storetest.StatsStore {
		cfg, _ := freshSchema(t)
		return mustOpen(t, cfg)
	})
}
