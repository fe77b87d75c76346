// Package storage_test holds the rule every storage adapter keeps: it
// imports, of docgate, only package gateway (for the interfaces and error
// codes it implements) and storage/internal. Adapters do not import one
// another or the use cases in gateway/*; a contract they need moves into
// gateway instead.
package storage_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// module is docgate's module path, the prefix of its own imports.
const module = "docgate"

// mustHold are adapter directories the walk must find, so that a rename or
// a move cannot leave the test checking nothing.
var mustHold = []string{"postgres", "sqlite", "s3", "fsblob", "storetest"}

// allowedImport reports whether a storage package may import path.
func allowedImport(p string) bool {
	if p != module && !strings.HasPrefix(p, module+"/") {
		return true // the standard library and drivers
	}
	return p == module+"/gateway" || strings.HasPrefix(p, module+"/storage/internal/")
}

// TestAdaptersImportOnlyGateway parses the imports of every non-test Go file
// under storage/ (whatever its build tags) and fails on any docgate import
// but gateway and storage/internal/... . Test files may import what they need
// to exercise a store against the real use cases.
func TestAdaptersImportOnlyGateway(t *testing.T) {
	fset := token.NewFileSet()
	var seen []string
	err := filepath.WalkDir(".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if base := d.Name(); name != "." && (base == "testdata" || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(name))
		if !slices.Contains(seen, dir) {
			seen = append(seen, dir)
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			if !allowedImport(p) {
				t.Errorf("%s imports %s: a storage package may import, of docgate, only %s/gateway and %s/storage/internal/...; move the contract it needs into gateway or have it handed in",
					path.Join("storage", filepath.ToSlash(name)), p, module, module)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range mustHold {
		if !slices.Contains(seen, dir) {
			t.Errorf("found no Go files in storage/%s (found %v): update mustHold if the adapter moved", dir, seen)
		}
	}
}

func TestAllowedImport(t *testing.T) {
	for p, want := range map[string]bool{
		"context":                      true,
		"github.com/jackc/pgx/v5":      true,
		"modernc.org/sqlite":           true,
		"docgate/gateway":              true,
		"docgate/storage/internal/x":   true,
		"docgate/gateway/auditlog":     false,
		"docgate/gateway/delivery":     false,
		"docgate/storage/postgres":     false,
		"docgate/storage/internalx":    false,
		"docgate/signing/pades":        false,
		"docgate":                      false,
		"docgateway/somewhere/else/ok": true,
	} {
		if got := allowedImport(p); got != want {
			t.Errorf("allowedImport(%q) = %v, want %v", p, got, want)
		}
	}
}
