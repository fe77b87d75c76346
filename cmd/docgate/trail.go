package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"docgate/gateway"
)

const trailUsage = `trail ID [--json]

Shows every event of a document in order, each with its receipt.`

func runTrail(ctx context.Context, env *Env, args []string) error {
	var asJSON bool
	cf, id, err := oneArg(env, "trail", trailUsage, args, "document id", func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print the answer as JSON")
	})
	if err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var out struct {
		Events []struct {
			gateway.Event
			Receipt *gateway.Receipt `json:"receipt,omitempty"`
		} `json:"events"`
	}
	if err := c.doJSON(ctx, "GET", "/v1/documents/"+escape(id)+"/trail", nil, &out); err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tEVENT\tACTOR\tRECIPIENT\tSTATUS\tRECEIPT\tNOTE")
	for _, e := range out.Events {
		rid := e.ReceiptID
		if e.Receipt != nil && e.Receipt.Pending {
			rid += " (timestamp pending)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.At.Format(time.RFC3339), e.Type, e.Actor, dash(e.Recipient),
			dash(string(e.Status)), rid, e.Note)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
