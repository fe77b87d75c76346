package sqlite_test

import (
	"path/filepath"
	"testing"

	"docgate/gateway/delivery/deliverytest"
	"docgate/storage/storetest"
)

func TestDeliveryQueue(t *testing.T) {
	storetest.TestDeliveryQueue(t, func(t *testing.T) storetest.DeliveryStore {
		s := mustOpen(t, filepath.Join(t.TempDir(), "docgate.db"))
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestDeliveryReplicas opens the one database file twice, as two gateway
// processes on one node would.
func TestDeliveryReplicas(t *testing.T) {
	storetest.TestDeliveryReplicas(t, func(t *testing.T) (storetest.DeliveryStore, storetest.DeliveryStore) {
		path := filepath.Join(t.TempDir(), "docgate.db")
		a := mustOpen(t, path)
		t.Cleanup(func() { a.Close() })
		b := mustOpen(t, path)
		t.Cleanup(func() { b.Close() })
		return a, b
	}, deliverytest.TestReplicaWorkers)
}

func BenchmarkDeliveryQueue(b *testing.B) {
	storetest.BenchmarkDeliveryQueue(b, func(b *testing.B) storetest.DeliveryStore {
		s := mustOpen(b, filepath.Join(b.TempDir(), "docgate.db"))
		b.Cleanup(func() { s.Close() })
		return s
	})
}
