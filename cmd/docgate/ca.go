package main

import "context"

// runCA is being written; until then it says so.
func runCA(ctx context.Context, env *Env, args []string) error {
	return failf("ca: not available in this build yet")
}
