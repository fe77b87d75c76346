package migrations

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0010_later.sql": {Data: []byte("SELECT 10;")},
		"m/0002_b.sql":     {Data: []byte("SELECT 2;")},
		"m/0001_a.sql":     {Data: []byte("SELECT 1;")},
		"m/README.md":      {Data: []byte("not a migration")},
	}
	ms, err := Load(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Name)
		sum := sha256.Sum256([]byte(m.SQL))
		if m.Sum != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: sum %s does not match its SQL", m.Name, m.Sum)
		}
	}
	if strings.Join(got, ",") != "0001_a.sql,0002_b.sql,0010_later.sql" || ms[2].Version != 10 {
		t.Fatalf("order: %v", got)
	}

	for name, fs := range map[string]fstest.MapFS{
		"no number":  {"m/init.sql": {Data: []byte("x")}},
		"zero":       {"m/0000_x.sql": {Data: []byte("x")}},
		"no '_'":     {"m/0001.sql": {Data: []byte("x")}},
		"duplicates": {"m/0001_a.sql": {Data: []byte("x")}, "m/1_b.sql": {Data: []byte("y")}},
	} {
		if _, err := Load(fs, "m"); err == nil {
			t.Errorf("%s: loaded without an error", name)
		}
	}
}
