package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"docgate/gateway"
)

const receiptsUsage = `receipts ID --out-dir DIR

Downloads every receipt of a document as DER files (NN-EVENT-ID.p7s, in
order) for offline checking with 'docgate receipt verify' or openssl.`

func runReceipts(ctx context.Context, env *Env, args []string) error {
	var dir string
	cf, id, err := oneArg(env, "receipts", receiptsUsage, args, "document id", func(fs *flag.FlagSet) {
		fs.StringVar(&dir, "out-dir", "", "directory to write the receipts to (created when missing)")
	})
	if err != nil {
		return err
	}
	if dir == "" {
		return usageErrorf("receipts: --out-dir is required")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var out struct {
		Receipts []struct {
			Receipt gateway.Receipt `json:"receipt"`
			CMS     []byte          `json:"cms"`
		} `json:"receipts"`
	}
	if err := c.doJSON(ctx, "GET", "/v1/documents/"+escape(id)+"/receipts", nil, &out); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return failf("receipts: %v", err)
	}
	for i, r := range out.Receipts {
		// The event and id are the gateway's words: only letters, digits,
		// '_' and '-' of them make the file name, which so stays in dir.
		name := filepath.Join(dir, fmt.Sprintf("%02d-%s-%s.p7s", i+1, safeName(r.Receipt.Event), safeName(r.Receipt.ID)))
		if err := os.WriteFile(name, r.CMS, 0o644); err != nil {
			return failf("receipts: %v", err)
		}
		fmt.Fprintln(env.Stdout, name)
	}
	return nil
}

// safeName keeps the ASCII letters, digits, '_' and '-' of s, at most 64.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() == 64 {
			break
		}
		if r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}
