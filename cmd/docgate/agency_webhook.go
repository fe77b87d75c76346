package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"
)

// maxWebhookGrace mirrors the server's bound, so that a typo is refused
// before any request.
const maxWebhookGrace = 7 * 24 * time.Hour

// webhookSecretOut is the body of the webhook-secret routes.
type webhookSecretOut struct {
	Agency    string    `json:"agency"`
	Secret    string    `json:"secret"`
	CreatedAt time.Time `json:"createdAt"`
	Previous  *struct {
		Secret     string    `json:"secret"`
		ValidUntil time.Time `json:"validUntil"`
	} `json:"previous,omitempty"`
}

func agencyWebhookSecret(ctx context.Context, env *Env, args []string) error {
	const usage = "agency webhook-secret CODE [--rotate] [--grace 24h] [--json]"
	var (
		rotate, asJSON *bool
		grace          *time.Duration
	)
	cf, code, err := oneArg(env, "agency webhook-secret", usage, args, "agency code", func(fs *flag.FlagSet) {
		rotate = fs.Bool("rotate", false, "replace the secret with a new one; the old one keeps signing pushes for --grace")
		grace = fs.Duration("grace", 24*time.Hour, "with --rotate: how long pushes stay signed with the old secret too (0 drops it at once)")
		asJSON = fs.Bool("json", false, "print JSON")
	})
	if err != nil {
		return err
	}
	if *grace < 0 || *grace > maxWebhookGrace || *grace%time.Second != 0 {
		return usageErrorf("agency webhook-secret: --grace must be whole seconds from 0 to %s, got %s", maxWebhookGrace, *grace)
	}
	if !*rotate && *grace != 24*time.Hour {
		return usageErrorf("agency webhook-secret: --grace applies only with --rotate")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var out webhookSecretOut
	path := "/v1/agencies/" + escape(code) + "/webhook-secret"
	if *rotate {
		err = c.doJSON(ctx, "POST", path+"/rotate", map[string]int64{"graceSeconds": int64(*grace / time.Second)}, &out)
	} else {
		err = c.doJSON(ctx, "GET", path, nil, &out)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env, out)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "agency:\t%s\ncreated:\t%s\n", out.Agency, out.CreatedAt.Format(time.RFC3339))
	if out.Previous != nil {
		fmt.Fprintf(tw, "previous:\t%s (pushes are signed with it too until %s)\n", out.Previous.Secret,
			out.Previous.ValidUntil.Format(time.RFC3339))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// The secret alone on the last line, for scripts: the HMAC key of
	// Docgate-Signature is its hex-decoded bytes.
	what := "Webhook secret"
	if *rotate {
		what = "New webhook secret"
	}
	fmt.Fprintf(env.Stdout, "%s (hex; receivers check Docgate-Signature with it):\n%s\n", what, out.Secret)
	return nil
}
