package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"

	"docgate/gateway"
)

// agencySub is one "docgate agency ..." subcommand.
type agencySub struct {
	name, usage, summary string
	run                  func(ctx context.Context, env *Env, args []string) error
}

func agencySubs() []agencySub {
	return []agencySub{
		{"add", "agency add --code CODE --name NAME [--parent CODE] [--webhook URL] [--cert CRT]",
			"register an agency; its API token is printed alone on the last line", agencyAdd},
		{"list", "agency list [--parent CODE] [--status active|suspended] [--json]", "registered agencies", agencyList},
		{"get", "agency get CODE [--json]", "one agency and its certificates", agencyGet},
		{"suspend", "agency suspend CODE", "refuse the agency's tokens until it is reactivated", agencySetStatus(gateway.AgencySuspended)},
		{"reactivate", "agency reactivate CODE", "let a suspended agency in again", agencySetStatus(gateway.AgencyActive)},
		{"token", "agency token CODE [--name NAME]", "issue another API token; printed alone on the last line", agencyToken},
		{"tokens", "agency tokens CODE [--json]", "the agency's tokens (no secrets)", agencyTokens},
		{"revoke-token", "agency revoke-token ID", "revoke a token", agencyRevokeToken},
		{"cert", "agency cert CODE --cert CRT", "register a certificate (PEM or DER) to the agency", agencyCert},
		{"cert-remove", "agency cert-remove CODE --sha256 HEX", "take a certificate off the agency (a lost or compromised key)", agencyCertRemove},
		{"webhook-secret", "agency webhook-secret CODE [--rotate] [--grace 24h] [--json]",
			"the secret that signs the agency's pushes, or --rotate it; printed alone on the last line", agencyWebhookSecret},
	}
}

// runAgency dispatches "docgate agency <sub>".
func runAgency(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		var b strings.Builder
		b.WriteString("Usage: docgate agency <command> [flags]\n\nCommands:\n")
		for _, s := range agencySubs() {
			fmt.Fprintf(&b, "  %-15s %s\n", s.name, s.summary)
		}
		b.WriteString("\nEvery command takes --server (DOCGATE_SERVER, default " + defaultServer + ") and --token (DOCGATE_TOKEN).\n")
		if len(args) == 0 {
			io.WriteString(env.Stderr, b.String())
			return &exitError{code: exitUsage}
		}
		io.WriteString(env.Stdout, b.String())
		return nil
	}
	for _, s := range agencySubs() {
		if s.name == args[0] {
			return s.run(ctx, env, args[1:])
		}
	}
	return usageErrorf("agency: unknown command %q; run 'docgate agency -h' for the list", args[0])
}

// oneArg parses a subcommand's flags (the client's, plus any extra) and
// expects exactly one positional argument: an agency code or a token ID.
func oneArg(env *Env, name, usage string, args []string, what string, extra func(fs *flag.FlagSet)) (*clientFlags, string, error) {
	fs := newFlagSet(env, name, usage)
	cf := addClientFlags(fs)
	if extra != nil {
		extra(fs)
	}
	if err := parseFlags(env, fs, args); err != nil {
		return nil, "", err
	}
	if fs.NArg() != 1 {
		return nil, "", usageErrorf("%s: give exactly one %s (usage: docgate %s)", name, what, usage)
	}
	return cf, fs.Arg(0), nil
}

func agencyAdd(ctx context.Context, env *Env, args []string) error {
	const usage = "agency add --code CODE --name NAME [--parent CODE] [--webhook URL] [--cert CRT]"
	fs := newFlagSet(env, "agency add", usage)
	cf := addClientFlags(fs)
	var req struct {
		Code        string `json:"code"`
		Name        string `json:"name"`
		Parent      string `json:"parent,omitempty"`
		Webhook     string `json:"webhook,omitempty"`
		Certificate string `json:"certificate,omitempty"`
	}
	var certFile string
	fs.StringVar(&req.Code, "code", "", "agency code, shape AAA.BB.CC.DDD (e.g. 000.00.00.H41)")
	fs.StringVar(&req.Name, "name", "", "agency name")
	fs.StringVar(&req.Parent, "parent", "", "code of the parent agency (registered already)")
	fs.StringVar(&req.Webhook, "webhook", "", "http(s) URL to push documents to")
	fs.StringVar(&certFile, "cert", "", "the agency's certificate file (PEM or DER)")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("agency add: unexpected argument %q", fs.Arg(0))
	}
	if req.Code == "" || req.Name == "" {
		return usageErrorf("agency add: --code and --name are required")
	}
	if certFile != "" {
		p, err := readCertificatePEM(certFile)
		if err != nil {
			return err
		}
		req.Certificate = p
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var out struct {
		Agency      gateway.Agency             `json:"agency"`
		Token       struct{ ID, Token string } `json:"token"`
		Certificate *gateway.AgencyCertificate `json:"certificate"`
	}
	if err := c.doJSON(ctx, "POST", "/v1/agencies", req, &out); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Registered %s (%s).\n", out.Agency.Code, out.Agency.Name)
	if out.Certificate != nil {
		fmt.Fprintf(env.Stdout, "Certificate %s registered (%s).\n", out.Certificate.SHA256, out.Certificate.Subject)
	}
	fmt.Fprintf(env.Stdout, "API token %s (shown once; give it to the agency's DMS):\n%s\n", out.Token.ID, out.Token.Token)
	return nil
}

// readCertificatePEM reads a certificate file, PEM or DER, as PEM text.
func readCertificatePEM(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", usageErrorf("read certificate: %v", err)
	}
	if bytes.Contains(b, []byte("-----BEGIN")) {
		return string(b), nil
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b})), nil
}

func agencyList(ctx context.Context, env *Env, args []string) error {
	const usage = "agency list [--parent CODE] [--status active|suspended] [--json]"
	fs := newFlagSet(env, "agency list", usage)
	cf := addClientFlags(fs)
	parent := fs.String("parent", "", "only the direct children of this agency")
	status := fs.String("status", "", "only agencies with this status (active, suspended)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("agency list: unexpected argument %q", fs.Arg(0))
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	// Follow the pages to the end: a province's 400+ units are one listing.
	var all []gateway.Agency
	after := ""
	for {
		q := url.Values{}
		if *parent != "" {
			q.Set("parent", *parent)
		}
		if *status != "" {
			q.Set("status", *status)
		}
		if after != "" {
			q.Set("after", after)
		}
		var page struct {
			Agencies []gateway.Agency `json:"agencies"`
			Next     string           `json:"next"`
		}
		path := "/v1/agencies"
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
		if err := c.doJSON(ctx, "GET", path, nil, &page); err != nil {
			return err
		}
		all = append(all, page.Agencies...)
		if page.Next == "" || page.Next == after {
			break
		}
		after = page.Next
	}
	if *asJSON {
		if all == nil {
			all = []gateway.Agency{}
		}
		return printJSON(env, all)
	}
	if len(all) == 0 {
		fmt.Fprintln(env.Stderr, "no agencies")
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tSTATUS\tPARENT\tNAME")
	for _, a := range all {
		p := a.ParentCode
		if p == "" {
			p = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Code, a.Status, p, a.Name)
	}
	return tw.Flush()
}

func agencyGet(ctx context.Context, env *Env, args []string) error {
	const usage = "agency get CODE [--json]"
	var asJSON *bool
	cf, code, err := oneArg(env, "agency get", usage, args, "agency code", func(fs *flag.FlagSet) {
		asJSON = fs.Bool("json", false, "print JSON")
	})
	if err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var a gateway.Agency
	if err := c.doJSON(ctx, "GET", "/v1/agencies/"+escape(code), nil, &a); err != nil {
		return err
	}
	var certs struct {
		Certificates []gateway.AgencyCertificate `json:"certificates"`
	}
	if err := c.doJSON(ctx, "GET", "/v1/agencies/"+escape(code)+"/certificates", nil, &certs); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env, struct {
			gateway.Agency
			Certificates []gateway.AgencyCertificate `json:"certificates"`
		}{a, certs.Certificates})
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "code:\t%s\nname:\t%s\nstatus:\t%s\n", a.Code, a.Name, a.Status)
	if a.ParentCode != "" {
		fmt.Fprintf(tw, "parent:\t%s\n", a.ParentCode)
	}
	if a.Webhook != "" {
		fmt.Fprintf(tw, "webhook:\t%s\n", a.Webhook)
	}
	fmt.Fprintf(tw, "registered:\t%s\n", a.CreatedAt.Format("2006-01-02 15:04:05Z07:00"))
	for _, c := range certs.Certificates {
		fmt.Fprintf(tw, "certificate:\t%s  %s  valid %s to %s\n", c.SHA256, c.Subject,
			c.NotBefore.Format("2006-01-02"), c.NotAfter.Format("2006-01-02"))
	}
	return tw.Flush()
}

func agencySetStatus(st gateway.AgencyStatus) func(ctx context.Context, env *Env, args []string) error {
	verb := map[gateway.AgencyStatus]string{gateway.AgencySuspended: "suspend", gateway.AgencyActive: "reactivate"}[st]
	return func(ctx context.Context, env *Env, args []string) error {
		cf, code, err := oneArg(env, "agency "+verb, "agency "+verb+" CODE", args, "agency code", nil)
		if err != nil {
			return err
		}
		c, err := cf.client()
		if err != nil {
			return err
		}
		var a gateway.Agency
		if err := c.doJSON(ctx, "PATCH", "/v1/agencies/"+escape(code), map[string]string{"status": string(st)}, &a); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s is now %s.\n", a.Code, a.Status)
		return nil
	}
}

func agencyToken(ctx context.Context, env *Env, args []string) error {
	var name *string
	cf, code, err := oneArg(env, "agency token", "agency token CODE [--name NAME]", args, "agency code", func(fs *flag.FlagSet) {
		name = fs.String("name", "", "what the token is for (shown in listings)")
	})
	if err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var t struct{ ID, Token string }
	if err := c.doJSON(ctx, "POST", "/v1/agencies/"+escape(code)+"/tokens", map[string]string{"name": *name}, &t); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "API token %s for %s (shown once):\n%s\n", t.ID, code, t.Token)
	return nil
}

func agencyTokens(ctx context.Context, env *Env, args []string) error {
	var asJSON *bool
	cf, code, err := oneArg(env, "agency tokens", "agency tokens CODE [--json]", args, "agency code", func(fs *flag.FlagSet) {
		asJSON = fs.Bool("json", false, "print JSON")
	})
	if err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var out struct {
		Tokens []gateway.Token `json:"tokens"`
	}
	if err := c.doJSON(ctx, "GET", "/v1/agencies/"+escape(code)+"/tokens", nil, &out); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env, out.Tokens)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tREVOKED\tNAME")
	for _, t := range out.Tokens {
		revoked := "-"
		if t.RevokedAt != nil {
			revoked = t.RevokedAt.Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, t.CreatedAt.Format("2006-01-02 15:04"), revoked, t.Name)
	}
	return tw.Flush()
}

func agencyRevokeToken(ctx context.Context, env *Env, args []string) error {
	cf, id, err := oneArg(env, "agency revoke-token", "agency revoke-token ID", args, "token ID", nil)
	if err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	if err := c.doJSON(ctx, "DELETE", "/v1/tokens/"+escape(id), nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Token %s revoked.\n", id)
	return nil
}

func agencyCert(ctx context.Context, env *Env, args []string) error {
	var certFile *string
	cf, code, err := oneArg(env, "agency cert", "agency cert CODE --cert CRT", args, "agency code", func(fs *flag.FlagSet) {
		certFile = fs.String("cert", "", "certificate file (PEM or DER)")
	})
	if err != nil {
		return err
	}
	if *certFile == "" {
		return usageErrorf("agency cert: --cert is required")
	}
	b, err := os.ReadFile(*certFile)
	if err != nil {
		return usageErrorf("read certificate: %v", err)
	}
	ct := "application/pkix-cert"
	if bytes.Contains(b, []byte("-----BEGIN")) {
		ct = "application/x-pem-file"
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var out gateway.AgencyCertificate
	if err := c.do(ctx, "POST", "/v1/agencies/"+escape(code)+"/certificates", bytes.NewReader(b), ct, &out); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Certificate %s registered to %s.\nsubject: %s\nvalid: %s to %s\n", out.SHA256, code, out.Subject,
		out.NotBefore.Format("2006-01-02"), out.NotAfter.Format("2006-01-02"))
	return nil
}

func agencyCertRemove(ctx context.Context, env *Env, args []string) error {
	var sum *string
	cf, code, err := oneArg(env, "agency cert-remove", "agency cert-remove CODE --sha256 HEX", args, "agency code", func(fs *flag.FlagSet) {
		sum = fs.String("sha256", "", "the certificate's SHA-256, as agency get lists it")
	})
	if err != nil {
		return err
	}
	if *sum == "" {
		return usageErrorf("agency cert-remove: --sha256 is required (agency get %s lists the certificates)", code)
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	if err := c.doJSON(ctx, "DELETE", "/v1/agencies/"+escape(code)+"/certificates/"+escape(*sum), nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Certificate %s taken off %s: it no longer signs the agency in, nor counts as its signature by registration\n(if it names the agency's code, have its CA revoke it too).\n", *sum, code)
	return nil
}

func printJSON(env *Env, v any) error {
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
