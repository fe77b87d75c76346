package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// TestTwoReplicasExchange runs two gateway replicas, as production does, on
// one PostgreSQL schema and one S3 bucket: a document sent through one is in
// the inbox, fetched and acknowledged through the other, and rejections
// racing through both replicas let exactly one pass (row locking, not
// in-process state, decides).
func TestTwoReplicasExchange(t *testing.T) {
	dbURL := os.Getenv("DOCGATE_TEST_DATABASE_URL")
	endpoint := os.Getenv("DOCGATE_TEST_S3_ENDPOINT")
	if dbURL == "" || endpoint == "" {
		t.Skip("DOCGATE_TEST_DATABASE_URL and DOCGATE_TEST_S3_* are not set; ./scripts/test sets them")
	}
	access, secret := os.Getenv("DOCGATE_TEST_S3_ACCESS_KEY"), os.Getenv("DOCGATE_TEST_S3_SECRET_KEY")
	var b [6]byte
	rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	schema := "replicas_" + suffix
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	})
	sep := "?"
	if strings.Contains(dbURL, "?") {
		sep = "&"
	}
	bucket := "docgate-replicas-" + suffix
	mc, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4(access, secret, "")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for o := range mc.ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Recursive: true}) {
			mc.RemoveObject(context.Background(), bucket, o.Key, minio.RemoveObjectOptions{})
		}
		mc.RemoveBucket(context.Background(), bucket)
	})

	dir := t.TempDir()
	keyFile := filepath.Join(dir, "token.key")
	key := make([]byte, 32)
	rand.Read(key)
	os.WriteFile(keyFile, []byte(hex.EncodeToString(key)), 0o600)
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
	common := []string{"--database-url", dbURL + sep + "search_path=" + schema,
		"--s3-endpoint", endpoint, "--s3-bucket", bucket, "--s3-access-key", access, "--s3-secret-key", secret,
		"--token-key-file", keyFile, "--pki-dir", pki}
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
