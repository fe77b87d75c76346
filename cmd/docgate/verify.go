package main

import "context"

// runVerify is being written; until then it says so.
func runVerify(ctx context.Context, env *Env, args []string) error {
	return failf("verify: not available in this build yet")
}
