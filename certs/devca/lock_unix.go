//go:build unix

package devca

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockIndex takes an exclusive lock on the CA directory's lock file, so that
// `docgate ca issue` and a running `serve --dev` do not lose each other's
// index updates. The returned function releases it.
func lockIndex(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, ".index.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock CA index: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock CA index: %w", err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
