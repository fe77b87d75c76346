//go:build !unix

package devca

// lockIndex is a no-op where flock is missing: the in-process mutex still
// serialises one process's updates.
func lockIndex(dir string) (func(), error) { return func() {}, nil }
