package main

import (
	"context"
	"flag"
)

const recallUsage = `recall ID [--reason R]

Recalls a document you sent, while no recipient has accepted it.`

func runRecall(ctx context.Context, env *Env, args []string) error {
	var reason string
	cf, id, err := oneArg(env, "recall", recallUsage, args, "document id", func(fs *flag.FlagSet) {
		fs.StringVar(&reason, "reason", "", "why, recorded in the recall receipt")
	})
	if err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var out stepAnswer
	if err := c.doJSON(ctx, "POST", "/v1/documents/"+escape(id)+"/recall", map[string]string{"reason": reason}, &out); err != nil {
		return err
	}
	out.print(env)
	return nil
}
