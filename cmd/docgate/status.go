package main

import (
	"context"
	"flag"
)

const statusUsage = `status ID --set received|rejected|accepted|assigned|processing|done [--note N]

Reports the processing status of a received document (edXML status codes
01..06). A rejection needs --note with the reason; a status never goes back.`

func runStatus(ctx context.Context, env *Env, args []string) error {
	var set, note string
	cf, id, err := oneArg(env, "status", statusUsage, args, "document id", func(fs *flag.FlagSet) {
		fs.StringVar(&set, "set", "", "the new status")
		fs.StringVar(&note, "note", "", "a note; the reason of a rejection")
	})
	if err != nil {
		return err
	}
	if set == "" {
		return usageErrorf("status: --set is required: received, rejected, accepted, assigned, processing or done")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var out stepAnswer
	body := map[string]string{"status": set, "note": note}
	if err := c.doJSON(ctx, "POST", "/v1/documents/"+escape(id)+"/status", body, &out); err != nil {
		return err
	}
	out.print(env)
	return nil
}
