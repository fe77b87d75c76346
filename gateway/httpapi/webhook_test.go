package httpapi_test

import (
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"docgate/gateway/delivery"
	"docgate/gateway/httpapi"
)

// webhookSecretBody mirrors the JSON of the webhook-secret routes.
type webhookSecretBody struct {
	Agency    string    `json:"agency"`
	Secret    string    `json:"secret"`
	CreatedAt time.Time `json:"createdAt"`
	Previous  *struct {
		Secret     string    `json:"secret"`
		ValidUntil time.Time `json:"validUntil"`
	} `json:"previous"`
}

func mustSecretEnv(t *testing.T) *env {
	t.Helper()
	return mustEnv(t, func(s *httpapi.Server) { s.WebhookSecrets = s.Store.(delivery.Secrets) })
}

func mustHexKey(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		t.Fatalf("secret %q is not 32 bytes of hex: %v", s, err)
	}
	return b
}

// accepts says whether a receiver holding secret accepts a push signed the
// way the delivery client signs it with the secrets the gateway holds.
func accepts(receiver []byte, signing ...[]byte) bool {
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	body := []byte(`{"type":"document.available"}`)
	return delivery.Verify(receiver, ts, delivery.Sign(ts, body, signing...), body, now, 5*time.Minute)
}

func TestWebhookSecretRoles(t *testing.T) {
	e := mustSecretEnv(t)
	agencyTok := e.mustCreate(t, "000.00.00.H41", "Nghệ An", "")
	auditor := mustDecode[struct{ Token string }](t, e.json(t, "POST", "/v1/tokens", e.admin, `{"role":"auditor"}`), http.StatusCreated).Token
	cases := []struct {
		name, method, path, token, body string
		status                          int
		detail                          string
	}{
		{"get without token", "GET", "/v1/agencies/000.00.00.H41/webhook-secret", "", "", 401, "bearer token"},
		{"rotate without token", "POST", "/v1/agencies/000.00.00.H41/webhook-secret/rotate", "", "", 401, "bearer token"},
		{"get as the agency itself", "GET", "/v1/agencies/000.00.00.H41/webhook-secret", agencyTok, "", 403, "admin role"},
		{"rotate as the agency itself", "POST", "/v1/agencies/000.00.00.H41/webhook-secret/rotate", agencyTok, `{"graceSeconds":60}`, 403, "admin role"},
		// The role is checked before the body is read.
		{"rotate as agency, bad body", "POST", "/v1/agencies/000.00.00.H41/webhook-secret/rotate", agencyTok, `{"graceSeconds":-1}`, 403, "admin role"},
		{"get as auditor", "GET", "/v1/agencies/000.00.00.H41/webhook-secret", auditor, "", 403, "admin role"},
		{"rotate as auditor", "POST", "/v1/agencies/000.00.00.H41/webhook-secret/rotate", auditor, "", 403, "admin role"},
		{"get unknown agency", "GET", "/v1/agencies/000.00.00.G22/webhook-secret", e.admin, "", 404, "000.00.00.G22"},
		{"rotate unknown agency", "POST", "/v1/agencies/000.00.00.G22/webhook-secret/rotate", e.admin, "", 404, "000.00.00.G22"},
		{"negative grace", "POST", "/v1/agencies/000.00.00.H41/webhook-secret/rotate", e.admin, `{"graceSeconds":-1}`, 400, "graceSeconds must be from 0 to 604800"},
		{"grace too long", "POST", "/v1/agencies/000.00.00.H41/webhook-secret/rotate", e.admin, `{"graceSeconds":604801}`, 400, "graceSeconds must be from 0"},
		{"grace as text", "POST", "/v1/agencies/000.00.00.H41/webhook-secret/rotate", e.admin, `{"graceSeconds":"1h"}`, 400, `"graceSeconds" must be a number`},
		{"unknown field", "POST", "/v1/agencies/000.00.00.H41/webhook-secret/rotate", e.admin, `{"grace":60}`, 400, `unknown field "grace"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mustProblem(t, e.json(t, tc.method, tc.path, tc.token, tc.body), tc.status, tc.detail)
		})
	}
	// None of the refusals created or rotated anything: the first read
	// creates the secret and there is no previous one.
	got := mustDecode[webhookSecretBody](t, e.json(t, "GET", "/v1/agencies/000.00.00.H41/webhook-secret", e.admin, ""), 200)
	if got.Previous != nil {
		t.Fatalf("a refused rotation rotated: %+v", got)
	}
}

func TestWebhookSecretRotation(t *testing.T) {
	e := mustSecretEnv(t)
	e.mustCreate(t, "000.00.00.H41", "Nghệ An", "")
	e.mustCreate(t, "000.00.00.H14", "Hải Dương", "")
	const path = "/v1/agencies/000.00.00.H41/webhook-secret"

	r := e.json(t, "GET", path, e.admin, "")
	first := mustDecode[webhookSecretBody](t, r, 200)
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	firstKey := mustHexKey(t, first.Secret)
	if first.Agency != "000.00.00.H41" || first.Previous != nil || first.CreatedAt.IsZero() {
		t.Fatalf("first read: %+v", first)
	}
	// Created once: a second read returns the same secret.
	if again := mustDecode[webhookSecretBody](t, e.json(t, "GET", path, e.admin, ""), 200); again.Secret != first.Secret {
		t.Fatalf("second read %q, first %q", again.Secret, first.Secret)
	}
	// Each agency has its own.
	if other := mustDecode[webhookSecretBody](t, e.json(t, "GET", "/v1/agencies/000.00.00.H14/webhook-secret", e.admin, ""), 200); other.Secret == first.Secret {
		t.Fatal("two agencies share a secret")
	}

	// Rotate with the default grace, with an empty body.
	before := time.Now()
	r = e.json(t, "POST", path+"/rotate", e.admin, "")
	rot := mustDecode[webhookSecretBody](t, r, 200)
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("rotate Cache-Control %q, want no-store", cc)
	}
	newKey := mustHexKey(t, rot.Secret)
	if rot.Secret == first.Secret || rot.Previous == nil || rot.Previous.Secret != first.Secret {
		t.Fatalf("rotation: %+v, first %s", rot, first.Secret)
	}
	if lo, hi := before.Add(httpapi.DefaultWebhookGrace-time.Second), time.Now().Add(httpapi.DefaultWebhookGrace+time.Second); rot.Previous.ValidUntil.Before(lo) || rot.Previous.ValidUntil.After(hi) {
		t.Errorf("validUntil %s, want about now+%s", rot.Previous.ValidUntil, httpapi.DefaultWebhookGrace)
	}
	// A read during the grace shows both.
	read := mustDecode[webhookSecretBody](t, e.json(t, "GET", path, e.admin, ""), 200)
	if read.Secret != rot.Secret || read.Previous == nil || read.Previous.Secret != first.Secret {
		t.Fatalf("read during grace: %+v", read)
	}
	// During the grace the gateway signs with both, so a receiver still on
	// the old secret and one already on the new both accept the push, and a
	// stranger's does not.
	signing := [][]byte{newKey, mustHexKey(t, read.Previous.Secret)}
	if !accepts(firstKey, signing...) || !accepts(newKey, signing...) {
		t.Fatal("a receiver holding the old or the new secret refuses a push signed during the grace")
	}
	if accepts(make([]byte, 32), signing...) {
		t.Fatal("a receiver holding another key accepts the push")
	}

	// A rotation with no grace drops the old secret at once (a leak).
	r = e.json(t, "POST", path+"/rotate", e.admin, `{"graceSeconds":0}`)
	leak := mustDecode[webhookSecretBody](t, r, 200)
	leakKey := mustHexKey(t, leak.Secret)
	if leak.Previous != nil || leak.Secret == rot.Secret {
		t.Fatalf("rotation without grace: %+v", leak)
	}
	if read := mustDecode[webhookSecretBody](t, e.json(t, "GET", path, e.admin, ""), 200); read.Previous != nil || read.Secret != leak.Secret {
		t.Fatalf("read after rotation without grace: %+v", read)
	}
	if accepts(newKey, leakKey) || !accepts(leakKey, leakKey) {
		t.Fatal("after a rotation without grace, only the new secret may verify")
	}

	// A short explicit grace.
	rot2 := mustDecode[webhookSecretBody](t, e.json(t, "POST", path+"/rotate", e.admin, `{"graceSeconds":90}`), 200)
	if rot2.Previous == nil || rot2.Previous.Secret != leak.Secret || rot2.Previous.ValidUntil.Sub(rot2.CreatedAt) != 90*time.Second {
		t.Fatalf("rotation with 90s grace: %+v", rot2)
	}

	// No secret reaches the log.
	logs := e.logs.String()
	for _, s := range []string{first.Secret, rot.Secret, leak.Secret, rot2.Secret} {
		if strings.Contains(logs, s) {
			t.Fatalf("the log holds a secret: %s", logs)
		}
	}
	if !strings.Contains(logs, "webhook secret rotated") {
		t.Errorf("rotation not logged: %s", logs)
	}
}

func TestWebhookSecretNotConfigured(t *testing.T) {
	e := mustEnv(t, nil)
	e.mustCreate(t, "000.00.00.H41", "Nghệ An", "")
	mustProblem(t, e.json(t, "GET", "/v1/agencies/000.00.00.H41/webhook-secret", e.admin, ""), 501, "does not sign webhook pushes")
	mustProblem(t, e.json(t, "POST", "/v1/agencies/000.00.00.H41/webhook-secret/rotate", e.admin, ""), 501, "does not sign webhook pushes")
}
