package main

import (
	"io"
	"testing"
)

// TestEnvironmentFallback: values come from DOCGATE_* unless given on the
// command line; switches come from the environment only for serve.
func TestEnvironmentFallback(t *testing.T) {
	environ := map[string]string{"DOCGATE_SERVER": "http://env:1", "DOCGATE_FORCE": "true", "DOCGATE_DEV": "true"}
	env := &Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string { return environ[k] }}

	fs := newFlagSet(env, "ca init", "ca init")
	server := fs.String("server", "http://default", "")
	force := fs.Bool("force", false, "")
	if err := parseFlags(env, fs, []string{"pos"}); err != nil {
		t.Fatal(err)
	}
	if *server != "http://env:1" {
		t.Errorf("server = %q, want the environment's value", *server)
	}
	if *force {
		t.Error("DOCGATE_FORCE turned on --force for a command other than serve")
	}
	if fs.NArg() != 1 || fs.Arg(0) != "pos" {
		t.Errorf("positional arguments = %q", fs.Args())
	}

	fs = newFlagSet(env, "ca init", "ca init")
	server = fs.String("server", "http://default", "")
	if err := parseFlags(env, fs, []string{"--server", "http://flag:2"}); err != nil {
		t.Fatal(err)
	}
	if *server != "http://flag:2" {
		t.Errorf("server = %q, want the command line to win", *server)
	}

	fs = newFlagSet(env, "serve", "serve")
	dev := fs.Bool("dev", false, "")
	if err := parseFlags(env, fs, nil); err != nil {
		t.Fatal(err)
	}
	if !*dev {
		t.Error("DOCGATE_DEV did not turn on serve --dev")
	}
}
