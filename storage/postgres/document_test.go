package postgres_test

import (
	"os"
	"testing"

	"docgate/gateway"
	"docgate/storage/storetest"
)

func TestDocumentStore(t *testing.T) {
	if os.Getenv(urlEnv) == "" {
		t.Skip(urlEnv + " is not set; set it to a PostgreSQL URL to test the PostgreSQL store")
	}
	storetest.TestDocumentStore(t, func(t *testing.T) gateway.Store {
		cfg, _ := freshSchema(t)
		return mustOpen(t, cfg)
	})
}
