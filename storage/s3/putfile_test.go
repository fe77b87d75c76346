package s3_test

import (
	"testing"

	"docgate/storage/storetest"
)

// TestPutFile runs the suite on a locked bucket: there PutFile uploads in one
// request straight to the key, and must not upload the same content twice.
func TestPutFile(t *testing.T) {
	storetest.TestFilePutter(t, func(t *testing.T) storetest.FilePutterStore {
		s, _ := openStore(t, true)
		return s
	})
}
