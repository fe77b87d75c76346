package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// docgate sent lists what an agency sent with each recipient's state, and
// --q searches the sent box and the inbox.
func TestSentAndSearchCLI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	g := startGateway(t, dir)
	pki := filepath.Join(dir, "pki")
	work := t.TempDir()
	admin := map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": g.admin}
	const sender, recipient = "000.00.00.H41", "000.00.01.H41"
	senderCert := filepath.Join(work, "sender")
	mustRun(t, nil, "ca", "issue", "--dir", pki, "--code", sender, "--name", "UBND tỉnh", "--out", senderCert)
	senderTok := lastLine(mustRun(t, admin, "agency", "add", "--code", sender, "--name", "UBND tỉnh", "--cert", senderCert+".crt"))
	recipTok := lastLine(mustRun(t, admin, "agency", "add", "--code", recipient, "--name", "Sở Nội vụ"))
	as := func(tok string) map[string]string {
		return map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": tok}
	}
	pdf := filepath.Join(work, "signed.pdf")
	signPDF(t, onePagePDF("Cong van"), senderCert, pdf)
	first := lastLine(mustRun(t, as(senderTok), "send", "--to", recipient, "--subject", "Công văn về lụt bão", "--number", "12", "--message-id", "a", pdf))
	second := lastLine(mustRun(t, as(senderTok), "send", "--to", recipient, "--subject", "Giấy mời họp", "--number", "13", "--message-id", "b", pdf))

	out := mustRun(t, as(senderTok), "sent")
	if !strings.Contains(out, first) || !strings.Contains(out, second) || !strings.Contains(out, recipient+" pending") ||
		strings.Index(out, second) > strings.Index(out, first) {
		t.Fatalf("sent: %s", out)
	}
	var page struct {
		Items []struct {
			Document   struct{ ID string }
			Deliveries []struct{ Recipient, State string }
		}
	}
	if err := json.Unmarshal([]byte(mustRun(t, as(senderTok), "sent", "--json", "--q", "mời họp")), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].Document.ID != second || len(page.Items[0].Deliveries) != 1 || page.Items[0].Deliveries[0].Recipient != recipient {
		t.Fatalf("sent --json --q: %+v", page)
	}
	out = mustRun(t, as(recipTok), "inbox", "--q", "lụt bão", "--from", sender)
	if !strings.Contains(out, first) || strings.Contains(out, second) {
		t.Fatalf("inbox --q: %s", out)
	}
	wantExit(t, as(senderTok), exitFailed, "status must be", "sent", "--status", "finished")
}
