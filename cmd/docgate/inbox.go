package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"docgate/gateway"
)

const inboxUsage = `inbox [--json] [--limit N] [--before CURSOR] [--all] [--from CODE] [search flags]

Lists the documents addressed to the agency of --token that it has not
acknowledged yet (with --all, or --status or --state, every one it
received), newest first. Search flags as for sent: --q WORDS, --since DATE,
--until DATE, --overdue, --status STATUS, --state STATE.`

func runInbox(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "inbox", inboxUsage)
	cf := addClientFlags(fs)
	var lf listFlags
	lf.register(fs)
	all := fs.Bool("all", false, "every document received, acknowledged ones included")
	from := fs.String("from", "", "only documents from a sender whose code starts with this")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageErrorf("inbox: unexpected argument %q", fs.Arg(0))
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	q := lf.query()
	if *all {
		q.Set("all", "true")
	}
	if *from != "" {
		q.Set("from", *from)
	}
	var out struct {
		Items []*gateway.InboxItem `json:"items"`
		Next  string               `json:"next,omitempty"`
	}
	if err := getPage(ctx, c, "/v1/inbox", q, &out); err != nil {
		return err
	}
	if lf.asJSON {
		return printJSON(env, out)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tFROM\tNUMBER\tSUBJECT\tSUBMITTED\tSTATUS")
	for _, it := range out.Items {
		d := it.Document
		num := d.Envelope.Number
		if d.Envelope.Notation != "" {
			num += "/" + d.Envelope.Notation
		}
		st := string(it.Delivery.Status)
		if st == "" {
			st = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Envelope.From, num, d.Envelope.Subject, d.SubmittedAt.Format("2006-01-02 15:04"), st)
	}
	tw.Flush()
	if out.Next != "" {
		fmt.Fprintf(env.Stdout, "more: the same command with --before %s\n", out.Next)
	}
	return nil
}
