package main

import "context"

// runSign is being written; until then it says so.
func runSign(ctx context.Context, env *Env, args []string) error {
	return failf("sign: not available in this build yet")
}
