package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// defaultServer is where client commands look for the gateway.
const defaultServer = "http://127.0.0.1:8080"

// clientFlags are the flags every client command shares.
type clientFlags struct {
	server string
	token  string
}

// addClientFlags registers --server and --token; parseFlags fills them from
// DOCGATE_SERVER and DOCGATE_TOKEN when not given.
func addClientFlags(fs *flag.FlagSet) *clientFlags {
	f := &clientFlags{}
	fs.StringVar(&f.server, "server", defaultServer, "gateway URL (env DOCGATE_SERVER)")
	fs.StringVar(&f.token, "token", "", "API token (env DOCGATE_TOKEN; prefer the environment: flags show in ps)")
	return f
}

// apiClient calls the gateway's HTTP API and turns its answers into exit
// errors: refusals (4xx, 5xx) exit 1 with the server's message, an
// unreachable server exits 2.
type apiClient struct {
	base  *url.URL
	token string
	http  *http.Client
}

func (f *clientFlags) client() (*apiClient, error) {
	u, err := url.Parse(strings.TrimRight(f.server, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageErrorf("--server must be an http(s) URL such as %s, got %q", defaultServer, f.server)
	}
	if f.token == "" {
		return nil, usageErrorf("no API token: pass --token or set DOCGATE_TOKEN (a dev server's admin token is in <data>/admin.token)")
	}
	return &apiClient{base: u, token: f.token, http: &http.Client{}}, nil
}

// problem is the part of a problem+json body the client shows.
type problem struct {
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	RequestID string `json:"requestId"`
}

// do sends a request with an optional body and decodes a JSON answer into out
// (when out is not nil).
func (c *apiClient) do(ctx context.Context, method, path string, body io.Reader, contentType string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, body)
	if err != nil {
		return usageErrorf("%s %s: %v", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return failf("%s %s: %v", method, path, ctx.Err())
		}
		return &exitError{code: exitUsage, msg: fmt.Sprintf("cannot reach the gateway: %v\nis the gateway running at %s?", unwrapURLError(err), c.base)}
	}
	defer res.Body.Close()
	if res.StatusCode >= 400 {
		return responseError(res)
	}
	if out == nil {
		io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
		return nil
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return failf("%s %s: unreadable answer from the gateway: %v", method, path, err)
	}
	return nil
}

// doJSON sends in as JSON (when not nil).
func (c *apiClient) doJSON(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	ct := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body, ct = bytes.NewReader(b), "application/json"
	}
	return c.do(ctx, method, path, body, ct, out)
}

// responseError turns a refusal into the server's own words.
func responseError(res *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	var p problem
	if (mt == "application/problem+json" || mt == "application/json") && json.Unmarshal(b, &p) == nil && p.Detail != "" {
		msg := fmt.Sprintf("%s (HTTP %d", p.Detail, res.StatusCode)
		if p.RequestID != "" {
			msg += ", request " + p.RequestID
		}
		return failf("%s)", msg)
	}
	text := strings.TrimSpace(string(b))
	if len(text) > 200 {
		text = text[:200] + "..."
	}
	if text == "" {
		text = http.StatusText(res.StatusCode)
	}
	return failf("the gateway answered HTTP %d: %s", res.StatusCode, text)
}

// unwrapURLError drops net/http's "Get \"url\":" prefix, which repeats what
// the message says next.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// escape makes a path segment safe (agency codes and token IDs are plain,
// but a typo should produce a 4xx, not a different URL).
func escape(s string) string { return url.PathEscape(s) }
