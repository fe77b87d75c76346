package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
)

// errHelp is returned when the user asked for help; the usage was printed.
var errHelp = errors.New("help requested")

// newFlagSet returns a flag set that prints its usage to env.Stderr and does
// not exit the process.
func newFlagSet(env *Env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: docgate %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, then fills every flag not given on the command line
// from DOCGATE_<NAME> (upper case, dashes as underscores) when that is set.
// Flags and positional arguments may be mixed: "verify a.pdf --json" works.
func parseFlags(env *Env, fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return errHelp
			}
			return &exitError{code: exitUsage} // the flag package printed the problem
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			positional = append(positional, args[1:]...)
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil || !fromEnvironment(fs, f) {
			return
		}
		key := "DOCGATE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := env.Getenv(key); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = usageErrorf("%s: %v", key, e)
			}
		}
	})
	if err != nil {
		return err
	}
	// Re-parse the positional arguments into the flag set's Args.
	return fs.Parse(append([]string{"--"}, positional...))
}

// stringList is a repeatable string flag (--trust a.pem --trust b.pem).
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// fromEnvironment says whether a flag may be filled from DOCGATE_<NAME>. Every
// flag of serve may: that is how a deployment is configured. For the other
// commands only flags that take a value may; a switch such as --force,
// --rotate or --json changes what one invocation does, and an exported
// DOCGATE_FORCE or DOCGATE_ROTATE left in a shell must not silently turn every
// later call into an overwrite or a rotation.
func fromEnvironment(fs *flag.FlagSet, f *flag.Flag) bool {
	if fs.Name() == "serve" {
		return true
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}
