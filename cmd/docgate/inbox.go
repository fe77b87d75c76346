package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
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
	asJSON := fs.Bool("json", false, "print the answer as JSON")
	limit := fs.Int("limit", 0, "page size (1..1000; default the gateway's, 100)")
	before := fs.Int64("before", 0, "cursor of the last item of the previous page")
	all := fs.Bool("all", false, "every document received, acknowledged ones included")
	from := fs.String("from", "", "only documents from a sender whose code starts with this")
	sf := addSearchFlags(fs)
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
	q := url.Values{}
	if *limit > 0 {
		q.Set("limit", strconv.Itoa(*limit))
	}
	if *before > 0 {
		q.Set("before", strconv.FormatInt(*before, 10))
	}
	if *all {
		q.Set("all", "true")
	}
	if *from != "" {
		q.Set("from", *from)
	}
	sf.set(q)
	path := "/v1/inbox"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out struct {
		Items []*gateway.InboxItem `json:"items"`
		Next  string               `json:"next,omitempty"`
	}
	if err := c.do(ctx, "GET", path, nil, "", &out); err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
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
