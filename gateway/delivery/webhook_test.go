package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"docgate/gateway"
)

func testJob(url string) *Job {
	return &Job{
		DocumentID: "doc_1", Recipient: "000.00.02.H41", Claim: "c", Webhook: url, Attempts: 2,
		Secret: []byte("0123456789abcdef0123456789abcdef"),
		Envelope: gateway.Envelope{From: "000.00.01.H41", Subject: "Công văn về việc X", Number: "7816",
			Notation: "VPCP-TTĐT", Urgency: "urgent"},
		PDF:         gateway.Part{Name: "doc.pdf", SHA256: strings.Repeat("ab", 32), Size: 99},
		Attachments: []gateway.Part{{Name: "a"}, {Name: "b"}},
		SubmittedAt: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC),
	}
}

func TestPushSignedRequest(t *testing.T) {
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	type seen struct {
		h    http.Header
		body []byte
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Header.Clone(), b}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	c := NewClient(TargetPolicy{AllowPrivate: true}, time.Second, "https://gw.example/")
	job := testJob(srv.URL + "/hook")
	if err := c.Push(context.Background(), job, at); err != nil {
		t.Fatal(err)
	}
	s := <-got
	if s.h.Get(HeaderDeliveryID) != "doc_1/000.00.02.H41" || s.h.Get(HeaderTimestamp) != "1795510800" ||
		s.h.Get(HeaderAttempt) != "3" || s.h.Get("Content-Type") != "application/json" {
		t.Fatalf("headers: %v", s.h)
	}
	sig := s.h.Get(HeaderSignature)
	if !strings.HasPrefix(sig, "v1=") || strings.Contains(sig, ",") {
		t.Fatalf("signature header %q", sig)
	}
	if !Verify(job.Secret, s.h.Get(HeaderTimestamp), sig, s.body, at.Add(time.Minute), 5*time.Minute) {
		t.Fatal("the receiver cannot verify the signature")
	}
	if Verify([]byte("another secret"), s.h.Get(HeaderTimestamp), sig, s.body, at, 5*time.Minute) {
		t.Fatal("a signature verified under the wrong secret")
	}
	tampered := append([]byte{}, s.body...)
	tampered[len(tampered)-2] ^= 1
	if Verify(job.Secret, s.h.Get(HeaderTimestamp), sig, tampered, at, 5*time.Minute) {
		t.Fatal("a changed body verified")
	}
	if Verify(job.Secret, s.h.Get(HeaderTimestamp), sig, s.body, at.Add(time.Hour), 5*time.Minute) {
		t.Fatal("an old timestamp verified (replay)")
	}
	// A receiver whose secret is unset accepts nothing, an empty signature
	// header least of all.
	for _, forged := range []string{"", sig, "v1="} {
		if Verify(nil, s.h.Get(HeaderTimestamp), forged, s.body, at, 5*time.Minute) {
			t.Fatalf("signature %q verified without a secret", forged)
		}
	}
	var p Payload
	if err := json.Unmarshal(s.body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != "document.available" || p.DeliveryID != "doc_1/000.00.02.H41" || p.Attempt != 3 ||
		p.Document.ID != "doc_1" || p.Document.From != "000.00.01.H41" || p.Document.Subject != "Công văn về việc X" ||
		p.Document.Number != "7816" || p.Document.SHA256 != strings.Repeat("ab", 32) || p.Document.Attachments != 2 ||
		p.Links.Content != "https://gw.example/v1/documents/doc_1/content" || p.Links.Ack != "https://gw.example/v1/documents/doc_1/ack" {
		t.Fatalf("payload: %+v", p)
	}
}

func TestPushRotationSignsTwice(t *testing.T) {
	job := testJob("")
	job.PreviousSecret = []byte("the old secret")
	body := []byte(`{"x":1}`)
	sig := Sign("100", body, job.Secret, job.PreviousSecret)
	if strings.Count(sig, "v1=") != 2 {
		t.Fatalf("signature during rotation %q", sig)
	}
	now := time.Unix(100, 0)
	if !Verify(job.Secret, "100", sig, body, now, time.Minute) || !Verify(job.PreviousSecret, "100", sig, body, now, time.Minute) {
		t.Fatal("a receiver with either secret must accept a push during rotation")
	}
}

func TestPushAnswers(t *testing.T) {
	cases := []struct {
		status int
		ok     bool
	}{{200, true}, {204, true}, {299, true}, {301, false}, {400, false}, {410, false}, {500, false}, {503, false}}
	for _, c := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c.status == 301 {
				http.Redirect(w, r, "/elsewhere", http.StatusMovedPermanently)
				return
			}
			w.WriteHeader(c.status)
		}))
		err := NewClient(TargetPolicy{AllowPrivate: true}, time.Second, "").Push(context.Background(), testJob(srv.URL), time.Now())
		srv.Close()
		var pe *PushError
		switch {
		case c.ok && err != nil:
			t.Errorf("%d: %v", c.status, err)
		case !c.ok && (!errors.As(err, &pe) || pe.Status != c.status):
			t.Errorf("%d: got %v, want a PushError with that status", c.status, err)
		}
	}
}

func TestPushRefusesLoopbackByDefault(t *testing.T) {
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	defer srv.Close()
	// The URL is a loopback literal here; a public name that resolves to
	// loopback at push time meets the same dial-time check.
	err := NewClient(TargetPolicy{}, time.Second, "").Push(context.Background(), testJob(srv.URL+"/hook?key=secret"), time.Now())
	if err == nil || hit {
		t.Fatalf("push to loopback: %v (reached: %v)", err, hit)
	}
	if !strings.Contains(err.Error(), "loopback") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("error %q should say loopback and not quote the URL's query", err)
	}
}

func TestPushTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	err := NewClient(TargetPolicy{AllowPrivate: true}, 50*time.Millisecond, "").Push(context.Background(), testJob(srv.URL), time.Now())
	var pe *PushError
	if !errors.As(err, &pe) || pe.Status != 0 || err.Error() != "the webhook did not answer in time" {
		t.Fatalf("slow receiver: %v, want a PushError without status saying it timed out", err)
	}
}

// TestPushReasonsHideTheTarget: the reason goes into the sender's
// non-delivery receipt, so it names what failed, never where.
func TestPushReasonsHideTheTarget(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	addr := srv.Listener.Addr().String()
	srv.Close() // nothing listens there any more
	cases := []struct {
		policy TargetPolicy
		url    string
		want   string
	}{
		{TargetPolicy{AllowPrivate: true}, "http://" + addr + "/hook", "the webhook refused the connection"},
		{TargetPolicy{}, "http://" + addr + "/hook", "the webhook's address is not allowed (a loopback address)"},
		{TargetPolicy{}, "http://10.0.0.1:1/hook", "the webhook's address is not allowed (a private address)"},
		{TargetPolicy{AllowPrivate: true}, "http://host.invalid/hook", "the webhook's host name does not resolve"},
	}
	for _, c := range cases {
		err := NewClient(c.policy, time.Second, "").Push(context.Background(), testJob(c.url), time.Now())
		if err == nil || err.Error() != c.want {
			t.Errorf("push to %s: %v, want %q", c.url, err, c.want)
		}
	}
}
