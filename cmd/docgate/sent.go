package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"strconv"
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

// searchFlags are the search parameters the inbox and the sent box share.
type searchFlags struct {
	q, since, until, status, state *string
	overdue                        *bool
}

func addSearchFlags(fs *flag.FlagSet) *searchFlags {
	return &searchFlags{
		q:       fs.String("q", "", "words that must each occur in the subject or number/notation"),
		since:   fs.String("since", "", "submitted on or after (YYYY-MM-DD or RFC 3339)"),
		until:   fs.String("until", "", "submitted up to (YYYY-MM-DD, that day included, or RFC 3339)"),
		status:  fs.String("status", "", "only deliveries at this processing status (none for nothing reported)"),
		state:   fs.String("state", "", "only deliveries in this state"),
		overdue: fs.Bool("overdue", false, "only documents past their due date and not done"),
	}
}

func (s *searchFlags) set(q url.Values) {
	for name, v := range map[string]string{"q": *s.q, "since": *s.since, "until": *s.until, "status": *s.status, "state": *s.state} {
		if v != "" {
			q.Set(name, v)
		}
	}
	if *s.overdue {
		q.Set("overdue", "true")
	}
}

func runSent(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "sent", sentUsage)
	cf := addClientFlags(fs)
	asJSON := fs.Bool("json", false, "print the answer as JSON")
	limit := fs.Int("limit", 0, "page size (1..1000; default the gateway's, 100)")
	before := fs.Int64("before", 0, "cursor of the last item of the previous page")
	to := fs.String("to", "", "only documents to a recipient whose code starts with this")
	sf := addSearchFlags(fs)
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
	q := url.Values{}
	if *limit > 0 {
		q.Set("limit", strconv.Itoa(*limit))
	}
	if *before > 0 {
		q.Set("before", strconv.FormatInt(*before, 10))
	}
	if *to != "" {
		q.Set("to", *to)
	}
	sf.set(q)
	path := "/v1/sent"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out struct {
		Items []*gateway.SentItem `json:"items"`
		Next  string              `json:"next,omitempty"`
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
