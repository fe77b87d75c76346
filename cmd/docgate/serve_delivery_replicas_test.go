package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"docgate/gateway/delivery"
)

// TestServePushReplicas runs two gateways on one PostgreSQL database (and
// one S3 bucket when DOCGATE_TEST_S3_* are set), as a scale-out deployment
// would, with push delivery on in both. Documents are submitted through
// either; the receiver fails some first attempts. Every push must be
// accepted exactly once and recorded once in the sender's trail.
func TestServePushReplicas(t *testing.T) {
	pe := productionDatabase(t, "push")

	var mu sync.Mutex
	attempts, accepted := map[string]int{}, map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p delivery.Payload
		json.NewDecoder(r.Body).Decode(&p)
		id := r.Header.Get(delivery.HeaderDeliveryID)
		mu.Lock()
		defer mu.Unlock()
		attempts[id]++
		// Every other document's first push fails, so retries race too.
		if attempts[id] == 1 && p.Document.Number != "" && p.Document.Number[len(p.Document.Number)-1]%2 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		accepted[id]++
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	// What replicas share: the database, the token key, the CA that seals
	// receipts, and the blob bucket when there is one.
	dir := t.TempDir()
	args := append(pe.serveArgs(), "--dev", "--token-key-file", mustTokenKeyFile(t, dir),
		"--pki-dir", filepath.Join(dir, "pki"), "--allow-unsigned", "--webhook-allow-private", "--delivery-workers", "3",
		"--webhook-attempts", "4", "--webhook-backoff", "1ms", "--webhook-backoff-max", "1ms")
	// The first replica creates the schema and the CA; the second finds them.
	ga := startGatewayArgs(t, filepath.Join(dir, "a"), args...)
	gb := startGatewayArgs(t, filepath.Join(dir, "b"), args...)

	admin := map[string]string{"DOCGATE_SERVER": ga.url, "DOCGATE_TOKEN": ga.admin}
	const sender, recipient = "000.00.00.H41", "000.00.01.H41"
	tok := lastLine(mustRun(t, admin, "agency", "add", "--code", sender, "--name", "UBND tỉnh"))
	mustRun(t, admin, "agency", "add", "--code", recipient, "--name", "Sở Nội vụ", "--webhook", srv.URL+"/hook")
	pdf := filepath.Join(dir, "doc.pdf")
	os.WriteFile(pdf, onePagePDF("Cong van"), 0o644)

	const n = 24
	var ids []string
	for i := range n {
		g := ga
		if i%2 == 1 {
			g = gb
		}
		as := map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": tok}
		ids = append(ids, lastLine(mustRun(t, as, "send", "--to", recipient, "--subject", "Đẩy", "--number", fmt.Sprint(i/2), pdf)))
	}

	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		done := len(accepted)
		mu.Unlock()
		if done == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s %d of %d documents were pushed", done, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Every trail shows the push once: the receipt hook runs once per
	// delivery whichever replica pushed.
	as := map[string]string{"DOCGATE_SERVER": gb.url, "DOCGATE_TOKEN": tok}
	for _, id := range ids {
		deadline := time.Now().Add(30 * time.Second)
		for {
			var trail struct {
				Events []struct {
					Type, Note string
				} `json:"events"`
			}
			if err := json.Unmarshal([]byte(mustRun(t, as, "trail", id, "--json")), &trail); err != nil {
				t.Fatal(err)
			}
			pushed := 0
			for _, e := range trail.Events {
				if e.Type == "ContentConsignment" && strings.Contains(e.Note, "pushed") {
					pushed++
				}
			}
			if pushed > 1 {
				t.Fatalf("%s: the push is recorded %d times", id, pushed)
			}
			if pushed == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no push in the trail after 30 s", id)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	ga.stop(t)
	gb.stop(t)

	mu.Lock()
	defer mu.Unlock()
	retried := 0
	for _, id := range ids {
		k := id + "/" + recipient
		if accepted[k] != 1 {
			t.Errorf("%s: accepted %d times, want once", k, accepted[k])
		}
		retried += attempts[k] - 1
	}
	if retried != n/2 {
		t.Errorf("%d retries, want %d (one per document whose first push failed)", retried, n/2)
	}
	pa := strings.Count(ga.stderr.String(), "document pushed to recipient")
	pb := strings.Count(gb.stderr.String(), "document pushed to recipient")
	if pa+pb != n {
		t.Errorf("replicas logged %d + %d pushes, want %d in all", pa, pb, n)
	}
	t.Logf("replica a pushed %d, replica b %d", pa, pb)
}
