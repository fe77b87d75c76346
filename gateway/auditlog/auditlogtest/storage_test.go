package auditlogtest

import (
	"testing"

	"docgate/gateway/auditlog"
)

func TestMemoryStorage(t *testing.T) {
	TestStorage(t, func(t *testing.T) auditlog.Storage { return auditlog.NewMemoryStorage() })
}
