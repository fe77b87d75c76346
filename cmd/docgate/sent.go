package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"docgate/gateway"
)

const sentUsage = `sent [--json] [--limit N] [--before CURSOR] [--to CODE] [search flags]

Lists the documents the agency of --token sent, newest first, with each
recipient's delivery state and processing status. Search flags: --q WORDS,
--since DATE, --until DATE (YYYY-MM-DD, UTC+07:00, that day included; or
RFC 3339), --overdue, --status STATUS (none, received, ..., done), --state
STATE (pending, delivered, failed, acknowledged, recalled).`

func runSent(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "sent", sentUsage)
	cf := addClientFlags(fs)
	var lf listFlags
	lf.register(fs)
	to := fs.String("to", "", "only documents to a recipient whose code starts with this")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageErrorf("sent: unexpected argument %q", fs.Arg(0))
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	q := lf.query()
	if *to != "" {
		q.Set("to", *to)
	}
	var out struct {
		Items []*gateway.SentItem `json:"items"`
		Next  string              `json:"next,omitempty"`
	}
	if err := getPage(ctx, c, "/v1/sent", q, &out); err != nil {
		return err
	}
	if lf.asJSON {
		return printJSON(env, out)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNUMBER\tSUBJECT\tSUBMITTED\tRECIPIENTS")
	for _, it := range out.Items {
		d := it.Document
		var rs []string
		for _, l := range it.Deliveries {
			st := string(l.State)
			if l.Status != "" {
				st += "/" + string(l.Status)
			}
			rs = append(rs, l.Recipient+" "+st)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.ID, envelopeNumber(d.Envelope), d.Envelope.Subject, d.SubmittedAt.Format("2006-01-02 15:04"), strings.Join(rs, ", "))
	}
	tw.Flush()
	if out.Next != "" {
		fmt.Fprintf(env.Stdout, "more: the same command with --before %s\n", out.Next)
	}
	return nil
}

// envelopeNumber is the number and notation as written on the document.
func envelopeNumber(e gateway.Envelope) string {
	if e.Notation != "" {
		return e.Number + "/" + e.Notation
	}
	return e.Number
}
