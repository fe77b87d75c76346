package main

import (
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"docgate/gateway/delivery"
)

var hexSecret = regexp.MustCompile(`^[0-9a-f]{64}$`)

// signedPush is a push as a receiver got it.
type signedPush struct {
	document string
	ts, sig  string
	body     []byte
}

// verifiesWith says whether a receiver holding the hex secret accepts p.
func (p signedPush) verifiesWith(t *testing.T, secret string) bool {
	t.Helper()
	key, err := hex.DecodeString(secret)
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	return delivery.Verify(key, p.ts, p.sig, p.body, time.Now(), 5*time.Minute)
}

// TestAgencyWebhookSecretCLI reads and rotates a secret through Main against
// a serve --dev with push delivery on, and checks every secret printed
// against the signatures of real pushes: the one read first signs, during a
// grace the old and the new both verify, after a rotation without grace only
// the new one does.
func TestAgencyWebhookSecretCLI(t *testing.T) {
	var mu sync.Mutex
	var pushes []signedPush
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var p delivery.Payload
		json.Unmarshal(b, &p)
		mu.Lock()
		pushes = append(pushes, signedPush{p.Document.ID, r.Header.Get(delivery.HeaderTimestamp), r.Header.Get(delivery.HeaderSignature), b})
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()

	g := startGatewayArgs(t, filepath.Join(t.TempDir(), "data"), "--dev", "--allow-unsigned", "--webhook-allow-private",
		"--delivery-workers", "1")
	admin := map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": g.admin}
	const sender, recipient = "000.00.00.H41", "000.00.01.H41"
	senderTok := lastLine(mustRun(t, admin, "agency", "add", "--code", sender, "--name", "UBND tỉnh"))
	mustRun(t, admin, "agency", "add", "--code", recipient, "--name", "Sở Nội vụ", "--webhook", receiver.URL+"/hook")
	as := map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": senderTok}
	pdf := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(pdf, onePagePDF("Cong van"), 0o644); err != nil {
		t.Fatal(err)
	}
	// pushOf sends a document to the recipient and waits for its push.
	pushOf := func(subject string) signedPush {
		t.Helper()
		id := lastLine(mustRun(t, as, "send", "--to", recipient, "--subject", subject, pdf))
		deadline := time.Now().Add(60 * time.Second)
		for {
			mu.Lock()
			for _, p := range pushes {
				if p.document == id {
					mu.Unlock()
					return p
				}
			}
			mu.Unlock()
			if time.Now().After(deadline) {
				t.Fatalf("no push of %s within 60 s", id)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// Refusals and usage errors.
	wantExit(t, as, exitFailed, "HTTP 403", "agency", "webhook-secret", recipient)
	wantExit(t, as, exitFailed, "admin role", "agency", "webhook-secret", recipient, "--rotate")
	wantExit(t, admin, exitFailed, "HTTP 404", "agency", "webhook-secret", "000.00.00.G22")
	wantExit(t, map[string]string{"DOCGATE_SERVER": g.url, "DOCGATE_TOKEN": "dg_" + strings.Repeat("A", 43)}, exitFailed, "HTTP 401",
		"agency", "webhook-secret", recipient)
	wantExit(t, admin, exitUsage, "exactly one agency code", "agency", "webhook-secret")
	wantExit(t, admin, exitUsage, "only with --rotate", "agency", "webhook-secret", recipient, "--grace", "1h")
	wantExit(t, admin, exitUsage, "--grace must be", "agency", "webhook-secret", recipient, "--rotate", "--grace", "-1s")
	wantExit(t, admin, exitUsage, "--grace must be", "agency", "webhook-secret", recipient, "--rotate", "--grace", "200h")
	wantExit(t, admin, exitUsage, "--grace must be", "agency", "webhook-secret", recipient, "--rotate", "--grace", "1500ms")

	// The first read creates the secret; the next returns the same one, as
	// does --json.
	first := lastLine(mustRun(t, admin, "agency", "webhook-secret", recipient))
	if !hexSecret.MatchString(first) {
		t.Fatalf("last line %q is not a hex secret", first)
	}
	if again := lastLine(mustRun(t, admin, "agency", "webhook-secret", recipient)); again != first {
		t.Fatalf("second read %q, first %q", again, first)
	}
	var js webhookSecretOut
	if err := json.Unmarshal([]byte(mustRun(t, admin, "agency", "webhook-secret", recipient, "--json")), &js); err != nil {
		t.Fatal(err)
	}
	if js.Agency != recipient || js.Secret != first || js.Previous != nil {
		t.Fatalf("--json: %+v", js)
	}
	if p := pushOf("Trước khi đổi khóa"); !p.verifiesWith(t, first) {
		t.Fatalf("the push does not verify with the secret printed: %+v", p)
	}

	// Rotate with an hour's grace: pushes verify with either secret.
	out := mustRun(t, admin, "agency", "webhook-secret", recipient, "--rotate", "--grace", "1h")
	second := lastLine(out)
	if !hexSecret.MatchString(second) || second == first || !strings.Contains(out, "previous:") || !strings.Contains(out, first) {
		t.Fatalf("rotate printed:\n%s", out)
	}
	js = webhookSecretOut{}
	if err := json.Unmarshal([]byte(mustRun(t, admin, "agency", "webhook-secret", recipient, "--json")), &js); err != nil {
		t.Fatal(err)
	}
	if js.Secret != second || js.Previous == nil || js.Previous.Secret != first ||
		js.Previous.ValidUntil.Sub(js.CreatedAt) != time.Hour {
		t.Fatalf("after rotation --json: %+v", js)
	}
	if p := pushOf("Trong thời gian chuyển"); !p.verifiesWith(t, first) || !p.verifiesWith(t, second) {
		t.Fatalf("during the grace a push must verify with the old and the new secret: %+v", p)
	}

	// Rotate with no grace: only the newest verifies.
	third := lastLine(mustRun(t, admin, "agency", "webhook-secret", recipient, "--rotate", "--grace", "0s"))
	if !hexSecret.MatchString(third) || third == second {
		t.Fatalf("third secret %q", third)
	}
	p := pushOf("Sau khi thu hồi khóa")
	if !p.verifiesWith(t, third) || p.verifiesWith(t, second) || p.verifiesWith(t, first) {
		t.Fatalf("after a rotation without grace only the new secret may verify: %+v", p)
	}

	g.stop(t)
	for _, s := range []string{first, second, third} {
		if strings.Contains(g.stderr.String(), s) || strings.Contains(g.stdout.String(), s) {
			t.Fatal("a webhook secret reached the gateway's output")
		}
	}
}

func TestAgencyWebhookSecretUsage(t *testing.T) {
	wantExit(t, map[string]string{}, exitOK, "webhook-secret", "agency", "-h")
	wantExit(t, map[string]string{}, exitOK, "--rotate", "agency", "webhook-secret", "-h")
}
