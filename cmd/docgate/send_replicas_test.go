package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestTwoReplicasExchange runs two gateway replicas, as production does, on
// one PostgreSQL schema and one S3 bucket: a document sent through one is in
// the inbox, fetched and acknowledged through the other, and rejections
// racing through both replicas let exactly one pass (row locking, not
// in-process state, decides).
func TestTwoReplicasExchange(t *testing.T) {
	pe := productionEnv(t, "replicas")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	dir := t.TempDir()
	keyFile := mustTokenKeyFile(t, dir)
	// Replica A's address is fixed first: the CA's OCSP and CRL URLs point
	// at it, and the verifier of either replica fetches revocation there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addrA := ln.Addr().String()
	ln.Close()
	pki := filepath.Join(dir, "pki")
	mustRun(t, nil, "ca", "init", "--dir", pki, "--base-url", "http://"+addrA)
	common := append(pe.serveArgs(), "--token-key-file", keyFile, "--pki-dir", pki)
	a := startGatewayArgs(t, filepath.Join(dir, "a"), append([]string{"--addr", addrA}, common...)...)
	bgw := startGatewayArgs(t, filepath.Join(dir, "b"), common...)
	if a.admin == "" {
		t.Fatal("replica A did not issue the admin token")
	}
	onA := func(tok string) map[string]string {
		return map[string]string{"DOCGATE_SERVER": a.url, "DOCGATE_TOKEN": tok}
	}
	onB := func(tok string) map[string]string {
		return map[string]string{"DOCGATE_SERVER": bgw.url, "DOCGATE_TOKEN": tok}
	}

	const sender, recipient = "000.00.00.H41", "000.00.01.H41"
	cert := filepath.Join(dir, "sender")
	mustRun(t, nil, "ca", "issue", "--dir", pki, "--code", sender, "--name", "UBND", "--out", cert)
	senderTok := lastLine(mustRun(t, onA(a.admin), "agency", "add", "--code", sender, "--name", "UBND", "--cert", cert+".crt"))
	recipTok := lastLine(mustRun(t, onB(a.admin), "agency", "add", "--code", recipient, "--name", "Sở"))
	pdf := filepath.Join(dir, "signed.pdf")
	signPDF(t, onePagePDF("Hai ban sao"), cert, pdf)

	id := lastLine(mustRun(t, onA(senderTok), "send", "--to", recipient, "--subject", "Qua hai máy", pdf))
	if out := mustRun(t, onB(recipTok), "inbox"); !strings.Contains(out, id) {
		t.Fatalf("replica B's inbox lacks the document sent through A: %s", out)
	}
	mustRun(t, onB(recipTok), "fetch", id, "-o", filepath.Join(dir, "got.pdf"))
	mustRun(t, onA(recipTok), "ack", id)

	const racers = 6
	codes := make([]int, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			env := onA(recipTok)
			if i%2 == 1 {
				env = onB(recipTok)
			}
			codes[i], _, _ = runDocgate(ctx, env, "status", id, "--set", "rejected", "--note", fmt.Sprint("lý do ", i))
		}()
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		if c == exitOK {
			ok++
		} else if c != exitFailed {
			t.Fatalf("status exits: %v", codes)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d racing rejections passed across two replicas, want 1 (exits %v)", ok, racers, codes)
	}
	var trail struct {
		Events []struct {
			Type string `json:"type"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, onB(senderTok), "trail", id, "--json")), &trail); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range trail.Events {
		types = append(types, e.Type)
	}
	if strings.Join(types, " ") != "SubmissionAcceptance ContentConsignment ContentHandover ConsignmentRejection" {
		t.Fatalf("trail: %v", types)
	}
	rdir := filepath.Join(dir, "receipts")
	for _, f := range strings.Fields(mustRun(t, onA(senderTok), "receipts", id, "--out-dir", rdir)) {
		mustRun(t, nil, "receipt", "verify", "--trust", filepath.Join(pki, "root.crt"), f)
	}
}
