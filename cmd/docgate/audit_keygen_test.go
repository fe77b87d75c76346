package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"docgate/gateway/auditlog"
)

// mustMode fails unless path has exactly the permission bits want.
func mustMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != want {
		t.Errorf("%s has mode %v, want %v", path, st.Mode().Perm(), want)
	}
}

// TestAuditKeygen: the key audit keygen writes is the key a production
// serve signs the log with, and its .pub is what auditors pin.
func TestAuditKeygen(t *testing.T) {
	dir := t.TempDir()
	keyFile, pubFile := filepath.Join(dir, "log.key"), filepath.Join(dir, "log.pub")
	out := mustRun(t, nil, "audit", "keygen", "--out", keyFile, "--origin", "docgate.test.gov.vn/log")

	vkey := lastLine(out)
	if pub := strings.TrimSpace(readFile(t, pubFile)); pub != vkey {
		t.Fatalf("printed public key %q, log.pub holds %q", vkey, pub)
	}
	if !strings.Contains(out, keyFile) || !strings.Contains(out, pubFile) {
		t.Errorf("output does not say where the files went:\n%s", out)
	}
	mustMode(t, keyFile, 0o600)
	mustMode(t, pubFile, 0o644)
	noLeftovers(t, dir, "log.key", "log.pub")
	skey := readFile(t, keyFile)
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	if signer.Name() != "docgate.test.gov.vn/log" {
		t.Errorf("key named %q, want --origin", signer.Name())
	}
	if derived, err := logVerifierKey(strings.TrimSpace(skey)); err != nil || derived != vkey {
		t.Errorf("serve derives %q (%v) from the key, keygen printed %q", derived, err, vkey)
	}

	// serve takes the file as it is, publishes the same key, and signs
	// checkpoints that verify with log.pub.
	g := startGatewayArgs(t, filepath.Join(t.TempDir(), "data"), "--dev", "--log-key-file", keyFile)
	if got := strings.TrimSpace(string(httpGet(t, g.url+"/v1/log/key"))); got != vkey {
		t.Fatalf("/v1/log/key %q, want keygen's %q", got, vkey)
	}
	out, _ = mustAudit(t, map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": g.admin}, exitOK,
		"audit", "checkpoint", "--key", pubFile)
	if !strings.Contains(out, "origin: docgate.test.gov.vn/log") {
		t.Errorf("checkpoint: %s", out)
	}
	g.stop(t)
	if readFile(t, keyFile) != skey || strings.TrimSpace(readFile(t, pubFile)) != vkey {
		t.Fatal("serve changed the key files it was given")
	}

	// Without --force nothing is replaced, even with DOCGATE_FORCE set: a
	// switch never comes from the environment.
	wantExit(t, map[string]string{"DOCGATE_FORCE": "true"}, exitUsage, "log.key exists; --force replaces it",
		"audit", "keygen", "--out", keyFile)
	if readFile(t, keyFile) != skey || strings.TrimSpace(readFile(t, pubFile)) != vkey {
		t.Fatal("a refused keygen changed the key files")
	}

	code, out, errs := runDocgate(t.Context(), nil, "audit", "keygen", "--out", keyFile, "--force")
	if code != exitOK || !strings.Contains(errs, "replaced the key in "+keyFile) {
		t.Fatalf("keygen --force: exit %d\n%s%s", code, out, errs)
	}
	if readFile(t, keyFile) == skey || lastLine(out) == vkey {
		t.Fatal("--force kept the old key")
	}
	if pub := strings.TrimSpace(readFile(t, pubFile)); pub != lastLine(out) {
		t.Fatalf("after --force, printed %q, log.pub holds %q", lastLine(out), pub)
	}
	mustMode(t, keyFile, 0o600)
	mustMode(t, pubFile, 0o644)
	noLeftovers(t, dir, "log.key", "log.pub")
}

// TestAuditKeygenOrigin: the origin defaults to the one serve would give a
// new key, DOCGATE_LOG_ORIGIN included, so that serve accepts the key.
func TestAuditKeygenOrigin(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"default", nil, nil, defaultLogOrigin},
		{"serve's environment", map[string]string{"DOCGATE_LOG_ORIGIN": "docgate.env.gov.vn/log"}, nil, "docgate.env.gov.vn/log"},
		{"flag wins", map[string]string{"DOCGATE_LOG_ORIGIN": "docgate.env.gov.vn/log"}, []string{"--origin", "docgate.flag.gov.vn/log"}, "docgate.flag.gov.vn/log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keyFile := filepath.Join(t.TempDir(), "log.key")
			out := mustRun(t, tc.env, append([]string{"audit", "keygen", "--out", keyFile}, tc.args...)...)
			v, err := auditlog.NewVerifier(lastLine(out))
			if err != nil {
				t.Fatal(err)
			}
			if v.Name() != tc.want {
				t.Errorf("key named %q, want %q", v.Name(), tc.want)
			}
		})
	}
}

// TestAuditKeygenRefusals: usage errors exit 2 and write nothing.
func TestAuditKeygenRefusals(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "log.key")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no --out", nil, exitUsage, "--out is required"},
		{"argument", []string{"--out", key, "extra"}, exitUsage, `unexpected argument "extra"`},
		{"--out is the .pub", []string{"--out", filepath.Join(dir, "log.pub")}, exitUsage, "ends in .pub"},
		{"empty origin", []string{"--out", key, "--origin", ""}, exitUsage, `--origin "" is not a log name`},
		{"space in origin", []string{"--out", key, "--origin", "docgate log"}, exitUsage, `--origin "docgate log" is not a log name`},
		{"plus in origin", []string{"--out", key, "--origin", "docgate+log"}, exitUsage, "without spaces or '+'"},
		{"newline in origin", []string{"--out", key, "--origin", "docgate.gov.vn/log\nsize"}, exitUsage, "is not a log name"},
		{"no such directory", []string{"--out", filepath.Join(dir, "missing", "log.key")}, exitFailed, "write the key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantExit(t, nil, tc.code, tc.want, append([]string{"audit", "keygen"}, tc.args...)...)
			noLeftovers(t, dir)
		})
	}

	// A .pub left beside a lost key may be what auditors pinned.
	pub := filepath.Join(dir, "log.pub")
	if err := os.WriteFile(pub, []byte("pinned\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantExit(t, nil, exitUsage, "log.pub exists; --force", "audit", "keygen", "--out", key)
	if b, _ := os.ReadFile(pub); !bytes.Equal(b, []byte("pinned\n")) {
		t.Fatalf("log.pub now %q", b)
	}
	noLeftovers(t, dir, "log.pub")
}

func TestAuditKeygenListed(t *testing.T) {
	out := mustRun(t, nil, "audit", "-h")
	if !strings.Contains(out, "keygen --out FILE [--origin NAME] [--force]") {
		t.Errorf("audit help does not list keygen:\n%s", out)
	}
}

// TestServeDevRefusesBadLogOrigin checks that --dev does not write a log key
// it could never load again: every later start would fail on it.
func TestServeDevRefusesBadLogOrigin(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code, _, errs := runDocgate(ctx, nil, "serve", "--dev", "--data", dir, "--addr", "127.0.0.1:0", "--log-origin", "a b")
	if code != exitUsage || !strings.Contains(errs, "--log-origin") {
		t.Fatalf("serve --dev --log-origin 'a b': exit %d, stderr %q; want exit %d naming --log-origin", code, errs, exitUsage)
	}
	for _, name := range []string{"log.key", "log.pub"} {
		if _, err := os.Stat(filepath.Join(dir, "pki", name)); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("pki/%s after a refused origin: %v, want it absent", name, err)
		}
	}
}

// TestAuditKeygenForceKeepsAPair: when --force cannot write one of the two
// files, the old key and its .pub are both left as they were.
func TestAuditKeygenForceKeepsAPair(t *testing.T) {
	dir := t.TempDir()
	keyFile, pubFile := filepath.Join(dir, "log.key"), filepath.Join(dir, "log.pub")
	mustRun(t, nil, "audit", "keygen", "--out", keyFile)
	skey, vkey := readFile(t, keyFile), readFile(t, pubFile)

	// The .pub cannot be replaced (a directory stands in its way): the key
	// must survive.
	if err := os.Remove(pubFile); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(pubFile, 0o755); err != nil {
		t.Fatal(err)
	}
	wantExit(t, nil, exitFailed, "nothing was replaced", "audit", "keygen", "--out", keyFile, "--force")
	if readFile(t, keyFile) != skey {
		t.Fatal("a failed --force changed or removed the key")
	}
	if err := os.Remove(pubFile); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pubFile, []byte(vkey), 0o644); err != nil {
		t.Fatal(err)
	}

	// The key cannot be replaced (a directory stands where it goes): the
	// .pub, already written, must be put back as it was.
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(keyFile, "in-the-way"), 0o755); err != nil {
		t.Fatal(err)
	}
	wantExit(t, nil, exitFailed, "are as they were", "audit", "keygen", "--out", keyFile, "--force")
	if readFile(t, pubFile) != vkey {
		t.Fatal("a failed --force left a new .pub beside the old key")
	}
}
