package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"docgate/certs"
	"docgate/certs/devca"
	"docgate/certs/keys"
)

// runCAMain runs docgate in-process and returns the exit code and output.
func runCAMain(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return env[k] }}
	code := Main(context.Background(), e, args)
	return code, stdout.String(), stderr.String()
}

func TestCACommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	out := filepath.Join(t.TempDir(), "h41")

	code, stdout, stderr := runCAMain(t, nil, "ca", "init", "--dir", dir, "--base-url", "http://gw.example:8080")
	if code != 0 {
		t.Fatalf("ca init: %d %s", code, stderr)
	}
	if !strings.Contains(stdout, "root.crt") {
		t.Fatalf("ca init output: %s", stdout)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("CA dir mode: %v", err)
	}
	if code, _, stderr := runCAMain(t, nil, "ca", "init", "--dir", dir); code != exitUsage || !strings.Contains(stderr, "--force") {
		t.Fatalf("second init: %d %s", code, stderr)
	}

	// Flags from the environment work like everywhere else.
	code, stdout, stderr = runCAMain(t, map[string]string{"DOCGATE_P12_PASSWORD": "pw"},
		"ca", "issue", "--dir", dir, "--code", "000.00.00.H41", "--name", "UBND tỉnh X", "--out", out, "--person", "Trần Thị B")
	if code != 0 {
		t.Fatalf("ca issue: %d %s", code, stderr)
	}
	for name, mode := range map[string]os.FileMode{".key": 0o600, ".p12": 0o600, ".crt": 0o644} {
		st, err := os.Stat(out + name)
		if err != nil || st.Mode().Perm() != mode {
			t.Fatalf("%s: %v", name, err)
		}
	}
	cs, err := certs.LoadCertificateFile(out + ".crt")
	if err != nil || len(cs) != 2 {
		t.Fatalf("certificate file: %d, %v", len(cs), err)
	}
	leaf := cs[0]
	if certs.AgencyCode(leaf) != "000.00.00.H41" || leaf.Subject.CommonName != "Trần Thị B" || leaf.Subject.Organization[0] != "UBND tỉnh X" {
		t.Fatalf("subject %s", certs.SubjectString(leaf))
	}
	if leaf.CRLDistributionPoints[0] != "http://gw.example:8080/pki/crl" || leaf.OCSPServer[0] != "http://gw.example:8080/pki/ocsp" {
		t.Fatalf("URLs %v %v", leaf.CRLDistributionPoints, leaf.OCSPServer)
	}
	if d := leaf.NotAfter.Sub(leaf.NotBefore); d != 365*24*time.Hour {
		t.Fatalf("validity %s", d)
	}
	// The files load back as a signer, from PEM and from PKCS#12.
	for _, spec := range []keys.Spec{{CertFile: out + ".crt", KeyFile: out + ".key"}, {PKCS12File: out + ".p12", Password: "pw"}} {
		_, chain, closer, err := keys.Load(context.Background(), spec)
		if err != nil || !chain[0].Equal(leaf) || len(chain) != 2 {
			t.Fatalf("load %+v: %v", spec, err)
		}
		closer.Close()
	}
	if _, err := exec.LookPath("openssl"); err == nil {
		if b, err := exec.Command("openssl", "verify", "-CAfile", filepath.Join(dir, "root.crt"), out+".crt").CombinedOutput(); err != nil {
			t.Fatalf("openssl verify: %v %s", err, b)
		}
	}

	code, stdout, stderr = runCAMain(t, nil, "ca", "revoke", "--dir", dir, "--cert", out+".crt", "--reason", "keyCompromise")
	if code != 0 || !strings.Contains(stdout, "keyCompromise") {
		t.Fatalf("ca revoke: %d %s %s", code, stdout, stderr)
	}
	ca, err := devca.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	crlFile := filepath.Join(t.TempDir(), "ca.crl")
	if code, _, stderr := runCAMain(t, nil, "ca", "crl", "--dir", dir, "--out", crlFile); code != 0 {
		t.Fatalf("ca crl: %d %s", code, stderr)
	}
	crl, err := os.ReadFile(crlFile)
	if err != nil {
		t.Fatal(err)
	}
	r, err := certs.NewRevocationChecker(certs.RevocationConfig{Offline: true}).
		Check(context.Background(), leaf, ca.Root(), time.Now(), certs.RevocationData{CRLs: [][]byte{crl}})
	if err != nil || r.Status != certs.StatusRevoked {
		t.Fatalf("after ca revoke: %+v %v", r, err)
	}
}

func TestCAUsageErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	if code, _, stderr := runCAMain(t, nil, "ca", "init", "--dir", dir); code != 0 {
		t.Fatal(stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ca"}, "usage"},
		{[]string{"ca", "frobnicate"}, "unknown subcommand"},
		{[]string{"ca", "init"}, "--dir is required"},
		{[]string{"ca", "issue", "--dir", dir, "--code", "H41", "--name", "X", "--out", filepath.Join(dir, "x")}, "AAA.BB.CC.DDD"},
		{[]string{"ca", "issue", "--dir", dir, "--code", "000.00.00.H41", "--out", filepath.Join(dir, "x")}, "--name is required"},
		{[]string{"ca", "issue", "--dir", dir, "--code", "000.00.00.H41", "--name", "X", "--out", filepath.Join(dir, "x"), "--key-type", "dsa"}, "ec or rsa"},
		{[]string{"ca", "issue", "--dir", t.TempDir(), "--code", "000.00.00.H41", "--name", "X", "--out", filepath.Join(dir, "x")}, "no CA in"},
		{[]string{"ca", "revoke", "--dir", dir, "--cert", filepath.Join(dir, "root.crt"), "--reason", "boredom"}, "unknown revocation reason"},
		{[]string{"ca", "revoke", "--dir", dir}, "--cert are required"},
		{[]string{"ca", "crl", "--dir", dir}, "--out are required"},
	} {
		code, _, stderr := runCAMain(t, nil, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with %q", tc.args, code, stderr, tc.want)
		}
	}
}
