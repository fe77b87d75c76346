package sqlite_test

import (
	"path/filepath"
	"testing"

	"docgate/gateway"
	"docgate/storage/storetest"
)

func TestDocumentStore(t *testing.T) {
	storetest.TestDocumentStore(t, func(t *testing.T) gateway.Store {
		s := mustOpen(t, filepath.Join(t.TempDir(), "docgate.db"))
		t.Cleanup(func() { s.Close() })
		return s
	})
}
