package main

import (
	"encoding/json"
	"io"
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

// TestServePushDelivery runs serve with push delivery on: one recipient's
// webhook accepts the push, the other's refuses it, and with one attempt
// allowed the sender's trail shows a ContentConsignment for the first and a
// ContentConsignmentFailure with the reason for the second.
func TestServePushDelivery(t *testing.T) {
	type push struct {
		h       http.Header
		payload delivery.Payload
	}
	var mu sync.Mutex
	var got []push
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var p delivery.Payload
		json.Unmarshal(b, &p)
		mu.Lock()
		got = append(got, push{r.Header.Clone(), p})
		mu.Unlock()
		if r.URL.Path == "/gone" {
			w.WriteHeader(http.StatusGone)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	dir := filepath.Join(t.TempDir(), "data")
	g := startGatewayArgs(t, dir, "--dev", "--allow-unsigned", "--webhook-allow-private", "--webhook-attempts", "1",
		"--delivery-workers", "2", "--public-url", "https://docgate.example.gov.vn/")
	admin := map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": g.admin}
	const sender, ok, gone = "000.00.00.H41", "000.00.01.H41", "000.00.02.H41"
	senderTok := lastLine(mustRun(t, admin, "agency", "add", "--code", sender, "--name", "UBND tỉnh"))
	mustRun(t, admin, "agency", "add", "--code", ok, "--name", "Sở Nội vụ", "--webhook", srv.URL+"/hook")
	mustRun(t, admin, "agency", "add", "--code", gone, "--name", "Sở Tài chính", "--webhook", srv.URL+"/gone")
	as := map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": senderTok}

	pdf := filepath.Join(t.TempDir(), "doc.pdf")
	os.WriteFile(pdf, onePagePDF("Cong van"), 0o644)
	id := lastLine(mustRun(t, as, "send", "--to", ok+","+gone, "--subject", "Về việc đẩy", "--number", "15", pdf))

	type event struct {
		Type      string `json:"type"`
		Recipient string `json:"recipient"`
		Note      string `json:"note"`
	}
	var trail struct {
		Events []event `json:"events"`
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err := json.Unmarshal([]byte(mustRun(t, as, "trail", id, "--json")), &trail); err != nil {
			t.Fatal(err)
		}
		pushed, failed := false, false
		for _, e := range trail.Events {
			pushed = pushed || (e.Type == "ContentConsignment" && e.Recipient == ok && strings.Contains(e.Note, "pushed"))
			failed = failed || (e.Type == "ContentConsignmentFailure" && e.Recipient == gone && strings.Contains(e.Note, "410"))
		}
		if pushed && failed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s the trail is %+v", trail.Events)
		}
		time.Sleep(100 * time.Millisecond)
	}
	g.stop(t)

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("%d pushes, want one per recipient", len(got))
	}
	for _, p := range got {
		if p.payload.Document.ID != id || p.payload.Document.From != sender || p.payload.Document.Subject != "Về việc đẩy" ||
			p.payload.Links.Content != "https://docgate.example.gov.vn/v1/documents/"+id+"/content" {
			t.Errorf("payload %+v", p.payload)
		}
		if p.h.Get(delivery.HeaderDeliveryID) != id+"/"+p.payload.Recipient || !strings.HasPrefix(p.h.Get(delivery.HeaderSignature), "v1=") {
			t.Errorf("headers %v", p.h)
		}
	}
}

// TestServeRefusesPrivateWebhooks: without --webhook-allow-private an agency
// cannot register, or change to, a webhook on a loopback or private address.
func TestServeRefusesPrivateWebhooks(t *testing.T) {
	g := startGatewayArgs(t, filepath.Join(t.TempDir(), "data"), "--dev")
	admin := map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": g.admin}
	wantExit(t, admin, exitFailed, "loopback", "agency", "add", "--code", "000.00.01.H41", "--name", "Sở", "--webhook", "http://127.0.0.1:9/hook")
	wantExit(t, admin, exitFailed, "private", "agency", "add", "--code", "000.00.01.H41", "--name", "Sở", "--webhook", "https://10.1.2.3/hook")
	wantExit(t, admin, exitFailed, "link-local", "agency", "add", "--code", "000.00.01.H41", "--name", "Sở", "--webhook", "http://169.254.169.254/")
	mustRun(t, admin, "agency", "add", "--code", "000.00.01.H41", "--name", "Sở", "--webhook", "https://8.8.8.8/hook")
	if out := mustRun(t, admin, "agency", "list"); !strings.Contains(out, "000.00.01.H41") {
		t.Fatalf("agency list: %s", out)
	}
}
