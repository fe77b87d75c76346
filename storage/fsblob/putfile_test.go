package fsblob_test

import (
	"testing"

	"docgate/storage/fsblob"
	"docgate/storage/storetest"
)

func TestPutFile(t *testing.T) {
	storetest.TestFilePutter(t, func(t *testing.T) storetest.FilePutterStore {
		s, err := fsblob.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
