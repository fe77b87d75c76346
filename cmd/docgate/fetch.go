package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	"docgate/gateway"
	"docgate/gateway/edxml"
)

const fetchUsage = `fetch ID -o FILE [--attachment N | --edxml | --status-edxml [--recipient CODE]]

Downloads a document's PDF (or attachment N, from 0) and checks it against the
SHA-256 the gateway recorded at submission before keeping it.

--edxml downloads the whole document as an edXML package instead, kept only
when it parses and every file in it has the SHA-256 recorded at submission.
--status-edxml downloads the latest processing status as an edXML status
message; the sender and auditors pick a recipient's with --recipient.`

func runFetch(ctx context.Context, env *Env, args []string) error {
	var out, recipient string
	var asEdXML, statusEdXML bool
	att := -1
	cf, id, err := oneArg(env, "fetch", fetchUsage, args, "document id", func(fs *flag.FlagSet) {
		fs.StringVar(&out, "o", "", "write the file here (required)")
		fs.IntVar(&att, "attachment", -1, "download attachment N (from 0) instead of the PDF")
		fs.BoolVar(&asEdXML, "edxml", false, "download the document as an edXML package")
		fs.BoolVar(&statusEdXML, "status-edxml", false, "download the latest processing status as an edXML status message")
		fs.StringVar(&recipient, "recipient", "", "with --status-edxml: whose status (a recipient gets its own; default: the latest reported by any)")
	})
	if err != nil {
		return err
	}
	if out == "" {
		return usageErrorf("fetch: -o FILE is required")
	}
	if n := btoi(att >= 0) + btoi(asEdXML) + btoi(statusEdXML); n > 1 {
		return usageErrorf("fetch: --attachment, --edxml and --status-edxml each choose what to download: give one")
	}
	if recipient != "" && !statusEdXML {
		return usageErrorf("fetch: --recipient goes with --status-edxml")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	doc := "/v1/documents/" + escape(id)
	var n int64
	var sum string
	switch {
	case asEdXML:
		n, sum, err = c.downloadEdXML(ctx, id, out)
	case statusEdXML:
		path := doc + "/status/edxml"
		if recipient != "" {
			path += "?recipient=" + url.QueryEscape(recipient)
		}
		n, sum, err = c.download(ctx, path, out, func(r io.Reader) error {
			if _, err := edxml.ParseStatus(r, edxml.Options{}); err != nil {
				return fmt.Errorf("not a valid edXML status message: %w", err)
			}
			return nil
		})
	case att >= 0:
		n, sum, err = c.download(ctx, doc+"/attachments/"+strconv.Itoa(att), out, nil)
	default:
		n, sum, err = c.download(ctx, doc+"/content", out, nil)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: %d bytes, sha256 %s\n", out, n, sum)
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// downloadEdXML downloads a document as an edXML package and checks, as it
// arrives, that it parses and that its attachments are the document's PDF
// and attachments, in order, with the digests recorded at submission.
func (c *apiClient) downloadEdXML(ctx context.Context, id, dest string) (int64, string, error) {
	var doc gateway.Document
	if err := c.do(ctx, "GET", "/v1/documents/"+escape(id), nil, "", &doc); err != nil {
		return 0, "", err
	}
	want := append([]gateway.Part{doc.PDF}, doc.Attachments...)
	var got int
	opts := edxml.Options{Attachment: func(att edxml.AttachmentInfo, r io.Reader) error {
		if got >= len(want) {
			return fmt.Errorf("the package holds more files than the document's %d", len(want))
		}
		h := sha256.New()
		if _, err := io.Copy(h, r); err != nil {
			return err
		}
		w := want[got]
		if sum := hex.EncodeToString(h.Sum(nil)); sum != w.SHA256 {
			return fmt.Errorf("file %d of the package (%s, sha256 %s) is not %s as submitted (sha256 %s)", got, att.Name, sum, w.Name, w.SHA256)
		}
		got++
		return nil
	}}
	return c.download(ctx, "/v1/documents/"+escape(id)+"/edxml", dest, func(r io.Reader) error {
		if _, err := edxml.ParsePackage(r, opts); err != nil {
			return err
		}
		if got != len(want) {
			return fmt.Errorf("the package holds %d files, the document %d", got, len(want))
		}
		return nil
	})
}

// download streams a GET answer into the file at dest, through a temporary
// file in the same directory that is renamed only when the bytes match the
// digest the gateway announced (X-Content-SHA256) and check, when given,
// accepts them: a cut, corrupted or invalid download never leaves a file that
// looks complete. check reads the answer as it arrives; what it leaves unread
// is still kept and hashed.
func (c *apiClient) download(ctx context.Context, path, dest string, check func(io.Reader) error) (int64, string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base.String()+path, nil)
	if err != nil {
		return 0, "", usageErrorf("GET %s: %v", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, "", failf("GET %s: %v", path, ctx.Err())
		}
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
	body := &readCounter{r: io.TeeReader(res.Body, io.MultiWriter(tmp, h))}
	var checkErr error
	if check != nil {
		checkErr = check(body)
	}
	if checkErr == nil {
		_, err = io.Copy(io.Discard, body)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if body.err != nil {
		return 0, "", failf("GET %s: the download broke off after %d bytes: %v", path, body.n, body.err)
	} else if checkErr != nil {
		return 0, "", failf("GET %s: %v; nothing was written", path, checkErr)
	} else if err != nil {
		return 0, "", failf("write %s: %v", dest, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if want := res.Header.Get("X-Content-SHA256"); want != "" && want != sum {
		return 0, "", failf("GET %s: the bytes received (sha256 %s) are not the document's (sha256 %s); nothing was written", path, sum, want)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return 0, "", failf("write %s: %v", dest, err)
	}
	return body.n, sum, nil
}

// readCounter counts what it reads and keeps the first error other than EOF,
// so that a broken connection is told apart from bad content.
type readCounter struct {
	r   io.Reader
	n   int64
	err error
}

func (c *readCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}
