package main

import "context"

// runAgency is being written; until then it says so.
func runAgency(ctx context.Context, env *Env, args []string) error {
	return failf("agency: not available in this build yet")
}
