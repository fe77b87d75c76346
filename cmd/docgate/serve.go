package main

import "context"

// runServe is being written; until then it says so.
func runServe(ctx context.Context, env *Env, args []string) error {
	return failf("serve: not available in this build yet")
}
