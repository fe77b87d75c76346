// Package migrations reads the numbered SQL migration files that the
// PostgreSQL and SQLite stores embed. It only loads and orders them; applying
// them (under the store's own lock, in its own dialect) stays in each store.
package migrations

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one file: its version (the leading number), file name, SQL,
// and the hex SHA-256 of its bytes, which the stores record so that an
// applied migration that was later edited is noticed.
type Migration struct {
	Version int
	Name    string
	SQL     string
	Sum     string
}

// Load returns the migrations in dir/*.sql of fsys in version order. A file's
// name is NNNN_description.sql; a merged file is never edited, later changes
// come as new numbers. Two files with one version are an error.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and '_'", base)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(b), Sum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share a version", ms[i-1].Name, ms[i].Name)
		}
	}
	return ms, nil
}
