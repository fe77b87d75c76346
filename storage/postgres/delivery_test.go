package postgres_test

import (
	"os"
	"testing"

	"docgate/gateway/delivery/deliverytest"
	"docgate/storage/storetest"
)

func TestDeliveryQueue(t *testing.T) {
	if os.Getenv(urlEnv) == "" {
		t.Skip(urlEnv + " is not set; set it to a PostgreSQL URL to test the PostgreSQL store")
	}
	storetest.TestDeliveryQueue(t, func(t *testing.T) storetest.DeliveryStore {
		cfg, _ := freshSchema(t)
		return mustOpen(t, cfg)
	})
}

// TestDeliveryReplicas opens two stores, each with its own pool, on one
// schema: two gateway replicas sharing one database.
func TestDeliveryReplicas(t *testing.T) {
	if os.Getenv(urlEnv) == "" {
		t.Skip(urlEnv + " is not set; set it to a PostgreSQL URL to test the PostgreSQL store")
	}
	storetest.TestDeliveryReplicas(t, func(t *testing.T) (storetest.DeliveryStore, storetest.DeliveryStore) {
		cfg, _ := freshSchema(t)
		return mustOpen(t, cfg), mustOpen(t, cfg)
	}, deliverytest.TestReplicaWorkers)
}

func BenchmarkDeliveryQueue(b *testing.B) {
	if os.Getenv(urlEnv) == "" {
		b.Skip(urlEnv + " is not set")
	}
	storetest.BenchmarkDeliveryQueue(b, func(b *testing.B) storetest.DeliveryStore {
		cfg, _ := freshSchema(b)
		return mustOpen(b, cfg)
	})
}
