package delivery

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Headers of a push.
const (
	HeaderDeliveryID = "Docgate-Delivery-Id"
	HeaderTimestamp  = "Docgate-Timestamp"
	HeaderSignature  = "Docgate-Signature"
	HeaderAttempt    = "Docgate-Attempt"
)

// DefaultTimeout bounds one push. A receiver only has to note the document
// and answer; it fetches the bytes later through the API.
const DefaultTimeout = 10 * time.Second

// Payload is the JSON body of a push: what the recipient needs to find and
// fetch the document, never the document itself.
type Payload struct {
	Type       string          `json:"type"` // "document.available"
	DeliveryID string          `json:"deliveryId"`
	Attempt    int             `json:"attempt"`
	Recipient  string          `json:"recipient"`
	Document   PayloadDocument `json:"document"`
	Links      PayloadLinks    `json:"links"`
}

// PayloadDocument describes the document a push announces.
type PayloadDocument struct {
	ID          string    `json:"id"`
	From        string    `json:"from"`
	Subject     string    `json:"subject"`
	Number      string    `json:"number,omitempty"`
	Notation    string    `json:"notation,omitempty"`
	Type        string    `json:"type,omitempty"`
	Urgency     string    `json:"urgency,omitempty"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	Attachments int       `json:"attachments"`
	SubmittedAt time.Time `json:"submittedAt"`
}

// PayloadLinks are the API URLs the recipient calls next.
type PayloadLinks struct {
	Document string `json:"document"`
	Content  string `json:"content"`
	Ack      string `json:"ack"`
}

// Sign returns the value of Docgate-Signature for body sent at timestamp ts
// (Unix seconds, as in Docgate-Timestamp): "v1=" and the hex HMAC-SHA-256
// of ts + "." + body under each secret, comma-separated. Receivers accept the
// push when any v1 value matches theirs, which lets a secret be rotated
// without dropping pushes.
func Sign(ts string, body []byte, secrets ...[]byte) string {
	var parts []string
	for _, s := range secrets {
		if len(s) == 0 {
			continue
		}
		m := hmac.New(sha256.New, s)
		m.Write([]byte(ts))
		m.Write([]byte("."))
		m.Write(body)
		parts = append(parts, "v1="+hex.EncodeToString(m.Sum(nil)))
	}
	return strings.Join(parts, ",")
}

// Verify is the receiver's side of Sign, for receivers written in Go and for
// tests: it checks header against body and ts with secret in constant time,
// and that ts is within tolerance of now (replay protection). Without a
// secret nothing verifies: Sign skips an empty secret, and an empty header
// would otherwise match its empty answer.
func Verify(secret []byte, ts, header string, body []byte, now time.Time, tolerance time.Duration) bool {
	if len(secret) == 0 {
		return false
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return false
	}
	want := Sign(ts, body, secret)
	ok := false
	for _, v := range strings.Split(header, ",") {
		if hmac.Equal([]byte(strings.TrimSpace(v)), []byte(want)) {
			ok = true
		}
	}
	return ok
}

// Client sends pushes.
type Client struct {
	http *http.Client
	// publicURL is the gateway's base URL as recipients reach it, for the
	// links in a payload.
	publicURL string
}

// NewClient returns a client whose every connection passes policy (checked
// on the dialled address) and whose every push ends within timeout (0 means
// DefaultTimeout). publicURL is the gateway's base URL for the payload's
// links.
func NewClient(policy TargetPolicy, timeout time.Duration, publicURL string) *Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	d := &net.Dialer{Timeout: timeout, Control: policy.Control}
	tr := &http.Transport{
		// No proxy: a proxy would make the dial-time check judge the proxy's
		// address instead of the webhook's.
		Proxy:                 nil,
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &Client{
		http: &http.Client{
			Transport: tr,
			Timeout:   timeout,
			// A redirect is an answer other than 2xx: the push is retried,
			// and never sent to a URL the agency did not register.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		publicURL: strings.TrimRight(publicURL, "/"),
	}
}

// Payload builds the body of job's next push.
func (c *Client) Payload(job *Job) *Payload {
	base := c.publicURL + "/v1/documents/" + url.PathEscape(job.DocumentID)
	return &Payload{
		Type: "document.available", DeliveryID: job.DeliveryID(), Attempt: job.Attempts + 1, Recipient: job.Recipient,
		Document: PayloadDocument{
			ID: job.DocumentID, From: job.Envelope.From, Subject: job.Envelope.Subject, Number: job.Envelope.Number,
			Notation: job.Envelope.Notation, Type: job.Envelope.Type, Urgency: job.Envelope.Urgency,
			SHA256: job.PDF.SHA256, Size: job.PDF.Size, Attachments: len(job.Attachments), SubmittedAt: job.SubmittedAt.UTC(),
		},
		Links: PayloadLinks{Document: base, Content: base + "/content", Ack: base + "/ack"},
	}
}

// PushError is a push the receiver did not accept.
type PushError struct {
	// Status is the HTTP status the webhook answered, 0 when it did not
	// answer (refused address, connection error, timeout).
	Status int
	// Err is the full cause, for the gateway's log.
	Err error
}

// Error is the reason as the sender reads it in a non-delivery receipt and
// the delivery's last error: what went wrong, without the recipient's
// addresses or URL, which are not the sender's to know.
func (e *PushError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("webhook answered %d %s", e.Status, http.StatusText(e.Status))
	}
	var refused *RefusedAddressError
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.As(e.Err, &refused):
		return "the webhook's address is not allowed (" + refused.Class + ")"
	case errors.As(e.Err, &dnsErr):
		return "the webhook's host name does not resolve"
	case errors.Is(e.Err, context.DeadlineExceeded), errors.As(e.Err, &netErr) && netErr.Timeout():
		return "the webhook did not answer in time"
	case errors.Is(e.Err, syscall.ECONNREFUSED):
		return "the webhook refused the connection"
	}
	return "the webhook could not be reached"
}

func (e *PushError) Unwrap() error { return e.Err }

// Push POSTs job's payload to its webhook, signed at time at. A 2xx answer
// returns nil; anything else returns a *PushError.
func (c *Client) Push(ctx context.Context, job *Job, at time.Time) error {
	body, err := json.Marshal(c.Payload(job))
	if err != nil {
		return fmt.Errorf("encode push of %s: %w", job.DeliveryID(), err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, job.Webhook, bytes.NewReader(body))
	if err != nil {
		return &PushError{Err: fmt.Errorf("webhook of %s: %w", job.Recipient, err)}
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "docgate-webhook/1")
	req.Header.Set(HeaderDeliveryID, job.DeliveryID())
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderAttempt, strconv.Itoa(job.Attempts+1))
	req.Header.Set(HeaderSignature, Sign(ts, body, job.Secret, job.PreviousSecret))
	resp, err := c.http.Do(req)
	if err != nil {
		// url.Error quotes the whole URL, query included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &PushError{Err: fmt.Errorf("push to %s: %w", redact(job.Webhook), err)}
	}
	// Read a little so the connection can be reused; a receiver has nothing
	// to tell the gateway beyond its status.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &PushError{Status: resp.StatusCode, Err: fmt.Errorf("push to %s: status %d", redact(job.Webhook), resp.StatusCode)}
	}
	return nil
}

// redact drops the query of a URL for logs and stored errors: some receivers
// put access keys there.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}
