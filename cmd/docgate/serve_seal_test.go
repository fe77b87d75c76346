package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// freeAddr is a loopback address nothing listens on, so that a gateway can
// be restarted on the address its development CA put in its certificates.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeSealPolicy runs --require-seal and --gateway-seal through serve:
// a PDF signed only by the competent person passes the default policy, is
// refused when the seal is required, and is accepted once the gateway holds
// the agency's seal key, the stored PDF then carrying the seal after the
// person's signature and verifying offline.
func TestServeSealPolicy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	g := startGatewayArgs(t, dir, "--dev", "--addr", addr)
	pki := filepath.Join(dir, "pki")
	work := t.TempDir()
	admin := map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": g.admin}
	const sender, recipient = "000.00.00.H41", "000.00.01.H41"
	person, seal := filepath.Join(work, "person"), filepath.Join(work, "seal")
	mustRun(t, nil, "ca", "issue", "--dir", pki, "--code", sender, "--name", "UBND tỉnh", "--person", "Nguyễn Văn A", "--out", person)
	mustRun(t, nil, "ca", "issue", "--dir", pki, "--code", sender, "--name", "UBND tỉnh", "--out", seal)
	senderTok := lastLine(mustRun(t, admin, "agency", "add", "--code", sender, "--name", "UBND tỉnh", "--cert", person+".crt"))
	recipTok := lastLine(mustRun(t, admin, "agency", "add", "--code", recipient, "--name", "Sở Nội vụ"))
	as := func(tok string) map[string]string {
		return map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": tok}
	}

	personPDF := filepath.Join(work, "person.pdf")
	signPDF(t, onePagePDF("Cong van so 7"), person, personPDF)
	b, _ := os.ReadFile(personPDF)
	bothPDF := filepath.Join(work, "both.pdf")
	signPDF(t, b, seal, bothPDF)
	mustRun(t, as(senderTok), "send", "--to", recipient, "--subject", "default policy", personPDF)
	g.stop(t)

	g = startGatewayArgs(t, dir, "--dev", "--addr", addr, "--require-seal")
	wantExit(t, as(senderTok), exitFailed, "seal of "+sender+" is missing", "send", "--to", recipient, "--subject", "x", personPDF)
	mustRun(t, as(senderTok), "send", "--to", recipient, "--subject", "sealed", bothPDF)
	g.stop(t)

	g = startGatewayArgs(t, dir, "--dev", "--addr", addr, "--require-seal", "--gateway-seal", sender+"="+seal+".crt,"+seal+".key")
	id := lastLine(mustRun(t, as(senderTok), "send", "--to", recipient, "--subject", "sealed by the gateway", personPDF))
	got := filepath.Join(work, "got.pdf")
	mustRun(t, as(recipTok), "fetch", id, "-o", got)
	stored, _ := os.ReadFile(got)
	if !bytes.HasPrefix(stored, b) || len(stored) == len(b) {
		t.Fatalf("the fetched PDF is not the submitted one plus the seal (%d and %d bytes)", len(stored), len(b))
	}
	out := mustRun(t, nil, "verify", "--json", "--trust", filepath.Join(pki, "root.crt"), got)
	var rep struct {
		Document   struct{ Verdict string }
		Signatures []struct{ Signer, Indication string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.Document.Verdict != "VALID" || len(rep.Signatures) != 2 || rep.Signatures[1].Signer == rep.Signatures[0].Signer {
		t.Fatalf("the gateway's seal: %s", out)
	}
}

func TestGatewaySealFlag(t *testing.T) {
	for _, bad := range []string{"000.00.00.H41", "000.00.00.H41=a.crt", "=a.crt,a.key", "000.00.00.H41=,a.key"} {
		if _, err := parseServeConfig(&Env{Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }},
			[]string{"--dev", "--gateway-seal", bad}); err == nil {
			t.Errorf("--gateway-seal %q accepted", bad)
		}
	}
	cfg, err := parseServeConfig(&Env{Stderr: &bytes.Buffer{}, Getenv: func(k string) string {
		if k == "DOCGATE_GATEWAY_SEAL" {
			return "000.00.00.H41=a.crt,a.key;000.00.01.H41=b.crt,b.key"
		}
		return ""
	}}, []string{"--dev"})
	if err != nil {
		t.Fatal(err)
	}
	specs, err := gatewaySealSpecs(cfg)
	if err != nil || len(specs) != 2 || specs[1] != (gatewaySeal{code: "000.00.01.H41", cert: "b.crt", key: "b.key"}) {
		t.Fatalf("DOCGATE_GATEWAY_SEAL: %+v %v", specs, err)
	}
}
