package main

import (
	"context"
	"flag"
	"net/url"
	"strconv"
)

// listFlags are the flags the inbox and the sent box share: the output format,
// paging and search. Each command adds its own filter (--from, --to) to the
// query.
type listFlags struct {
	asJSON                         bool
	limit                          int
	before                         int64
	q, since, until, status, state string
	overdue                        bool
}

func (l *listFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&l.asJSON, "json", false, "print the answer as JSON")
	fs.IntVar(&l.limit, "limit", 0, "page size (1..1000; default the gateway's, 100)")
	fs.Int64Var(&l.before, "before", 0, "cursor of the last item of the previous page")
	fs.StringVar(&l.q, "q", "", "words that must each occur in the subject or number/notation")
	fs.StringVar(&l.since, "since", "", "submitted on or after (YYYY-MM-DD or RFC 3339)")
	fs.StringVar(&l.until, "until", "", "submitted up to (YYYY-MM-DD, that day included, or RFC 3339)")
	fs.StringVar(&l.status, "status", "", "only deliveries at this processing status (none for nothing reported)")
	fs.StringVar(&l.state, "state", "", "only deliveries in this state")
	fs.BoolVar(&l.overdue, "overdue", false, "only documents past their due date and not done")
}

// query holds the paging and search parameters that were given; unset ones
// are left to the gateway's defaults.
func (l *listFlags) query() url.Values {
	q := url.Values{}
	if l.limit > 0 {
		q.Set("limit", strconv.Itoa(l.limit))
	}
	if l.before > 0 {
		q.Set("before", strconv.FormatInt(l.before, 10))
	}
	for name, v := range map[string]string{"q": l.q, "since": l.since, "until": l.until, "status": l.status, "state": l.state} {
		if v != "" {
			q.Set(name, v)
		}
	}
	if l.overdue {
		q.Set("overdue", "true")
	}
	return q
}

// getPage fetches one page of a list at path with query q into out.
func getPage(ctx context.Context, c *apiClient, path string, q url.Values, out any) error {
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return c.do(ctx, "GET", path, nil, "", out)
}
