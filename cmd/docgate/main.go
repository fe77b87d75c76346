// Command docgate runs the gateway and is the client for everything it offers:
// agencies, documents, receipts, signatures, the development CA and the audit
// log. This package only parses flags and environment, wires the adapters
// together and prints; the work happens in the packages it calls.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit codes shared by every command.
const (
	exitOK       = 0
	exitFailed   = 1 // the command ran, and the answer is "no" (invalid signature, refused request)
	exitUsage    = 2 // usage error or unreadable input
	exitSoftware = 3
)

// exitError carries an exit code and a message for the user.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, msg: fmt.Sprintf(format, args...)}
}

func failf(format string, args ...any) error {
	return &exitError{code: exitFailed, msg: fmt.Sprintf(format, args...)}
}

// Env is what a command may touch of the outside world, so that tests can run
// commands in-process.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// command is one subcommand. Subcommands with their own subcommands (agency,
// ca, audit, receipt) dispatch inside run.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the gateway", runServe},
		{"agency", "register and manage agencies (add, list, get, suspend, reactivate, token, tokens, revoke-token, cert, webhook-secret)", runAgency},
		{"ca", "development certificate authority (init, issue, revoke, crl)", runCA},
		{"sign", "add a PAdES signature to PDF files", runSign},
		{"verify", "verify the signatures of a PDF file", runVerify},
		{"send", "submit a signed PDF to other agencies", runSend},
		{"inbox", "documents addressed to your agency", runInbox},
		{"sent", "documents your agency sent, with each recipient's state", runSent},
		{"fetch", "download a document or attachment, checked against its digest", runFetch},
		{"ack", "acknowledge retrieval of a document", runAck},
		{"status", "report the processing status of a received document", runStatus},
		{"recall", "recall a document you sent", runRecall},
		{"trail", "a document's events and receipts", runTrail},
		{"receipts", "download a document's receipts", runReceipts},
		{"receipt", "verify a receipt offline (verify)", runReceipt},
		{"audit", "the tamper-evident log: checkpoint, consistency, prove, full, export, verify, keygen", runAudit},
		{"bench", "measure a running gateway: submit, fetch and acknowledge N signed documents", runBench},
		{"version", "print the version", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	code := Main(ctx, env, os.Args[1:])
	stop()
	os.Exit(code)
}

// Main runs docgate with the given arguments and returns the exit code.
func Main(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(env.Stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return exitCode(env, c.run(ctx, env, args[1:]))
		}
	}
	fmt.Fprintf(env.Stderr, "docgate: unknown command %q; run 'docgate help' for the list\n", args[0])
	return exitUsage
}

func exitCode(env *Env, err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(env.Stderr, "docgate: %s\n", ee.msg)
		}
		return ee.code
	}
	if errors.Is(err, errHelp) {
		return exitOK
	}
	fmt.Fprintf(env.Stderr, "docgate: %v\n", err)
	return exitFailed
}

func printUsage(w io.Writer) {
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	var b strings.Builder
	b.WriteString("docgate - secure electronic document exchange gateway\n\nUsage: docgate <command> [flags]\n\nCommands:\n")
	for _, c := range cs {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun 'docgate <command> -h' for a command's flags. Flags that take a value can\nalso be set as DOCGATE_<FLAG> in the environment (--server as DOCGATE_SERVER,\n--token as DOCGATE_TOKEN); for serve every flag can (--dev as DOCGATE_DEV=true).\n")
	io.WriteString(w, b.String())
}
