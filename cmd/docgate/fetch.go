package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
)

const fetchUsage = `fetch ID -o FILE [--attachment N]

Downloads a document's PDF (or attachment N, from 0) and checks it against the
SHA-256 the gateway recorded at submission before keeping it.`

func runFetch(ctx context.Context, env *Env, args []string) error {
	var out string
	att := -1
	cf, id, err := oneArg(env, "fetch", fetchUsage, args, "document id", func(fs *flag.FlagSet) {
		fs.StringVar(&out, "o", "", "write the file here (required)")
		fs.IntVar(&att, "attachment", -1, "download attachment N (from 0) instead of the PDF")
	})
	if err != nil {
		return err
	}
	if out == "" {
		return usageErrorf("fetch: -o FILE is required")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	path := "/v1/documents/" + escape(id) + "/content"
	if att >= 0 {
		path = "/v1/documents/" + escape(id) + "/attachments/" + strconv.Itoa(att)
	}
	n, sum, err := c.download(ctx, path, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: %d bytes, sha256 %s\n", out, n, sum)
	return nil
}

// download streams a GET answer into the file at dest, through a temporary
// file in the same directory that is renamed only when the bytes match the
// digest the gateway announced (X-Content-SHA256): a cut or corrupted
// download never leaves a file that looks complete.
func (c *apiClient) download(ctx context.Context, path, dest string) (int64, string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base.String()+path, nil)
	if err != nil {
		return 0, "", usageErrorf("GET %s: %v", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := c.http.Do(req)
	if err != nil {
		return 0, "", &exitError{code: exitUsage, msg: fmt.Sprintf("cannot reach the gateway: %v\nis the gateway running at %s?", unwrapURLError(err), c.base)}
	}
	defer res.Body.Close()
	if res.StatusCode >= 400 {
		return 0, "", responseError(res)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".docgate-fetch-*")
	if err != nil {
		return 0, "", failf("create %s: %v", dest, err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), res.Body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, "", failf("GET %s: the download broke off after %d bytes: %v", path, n, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if want := res.Header.Get("X-Content-SHA256"); want != "" && want != sum {
		return 0, "", failf("GET %s: the bytes received (sha256 %s) are not the document's (sha256 %s); nothing was written", path, sum, want)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return 0, "", failf("write %s: %v", dest, err)
	}
	return n, sum, nil
}
