package httpapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"docgate/gateway"
	"docgate/gateway/registry"
)

func TestTokensIssueListRevoke(t *testing.T) {
	e := mustEnv(t, nil)
	first := e.mustCreate(t, "000.00.00.H41", "Nghệ An", "")
	second := mustDecode[registry.IssuedToken](t, e.json(t, "POST", "/v1/agencies/000.00.00.H41/tokens", e.admin, `{"name":"dms"}`), 201)
	if !tokenShape.MatchString(second.Secret) || second.Secret == first || second.Name != "dms" {
		t.Fatalf("second token %+v", second)
	}
	// An empty body is allowed too.
	mustDecode[registry.IssuedToken](t, e.do(t, "POST", "/v1/agencies/000.00.00.H41/tokens", e.admin, "", nil), 201)

	r := e.json(t, "GET", "/v1/agencies/000.00.00.H41/tokens", e.admin, "")
	list := mustDecode[struct{ Tokens []gateway.Token }](t, r, 200)
	if len(list.Tokens) != 3 {
		t.Fatalf("%d tokens", len(list.Tokens))
	}
	if strings.Contains(string(r.body), first) || strings.Contains(string(r.body), second.Secret) || strings.Contains(string(r.body), `"hash"`) {
		t.Fatalf("listing shows secrets: %s", r.body)
	}
	mustProblem(t, e.json(t, "GET", "/v1/agencies/000.00.00.H41/tokens", first, ""), 403, "admin")

	if r := e.json(t, "DELETE", "/v1/tokens/"+second.ID, e.admin, ""); r.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	mustProblem(t, e.json(t, "GET", "/v1/agencies", second.Secret, ""), 401, "revoked")
	mustDecode[map[string]any](t, e.json(t, "GET", "/v1/agencies", first, ""), 200) // the others still work
	mustProblem(t, e.json(t, "DELETE", "/v1/tokens/tok_nope", e.admin, ""), 404, "tok_nope")
	mustProblem(t, e.json(t, "POST", "/v1/agencies/000.00.00.H99/tokens", e.admin, ""), 404, "000.00.00.H99")
}

func TestServiceTokens(t *testing.T) {
	e := mustEnv(t, nil)
	aud := mustDecode[registry.IssuedToken](t, e.json(t, "POST", "/v1/tokens", e.admin, `{"role":"auditor","name":"kiểm toán"}`), 201)
	if aud.Role != gateway.RoleAuditor || aud.AgencyCode != "" {
		t.Fatalf("%+v", aud)
	}
	// An auditor reads everything and changes nothing.
	mustDecode[map[string]any](t, e.json(t, "GET", "/v1/agencies", aud.Secret, ""), 200)
	mustProblem(t, e.json(t, "POST", "/v1/agencies", aud.Secret, `{"code":"000.00.00.H41","name":"x"}`), 403, "caller is auditor")
	mustProblem(t, e.json(t, "POST", "/v1/tokens", aud.Secret, `{"role":"admin"}`), 403, "admin")
	mustProblem(t, e.json(t, "POST", "/v1/tokens", e.admin, `{"role":"agency"}`), 400, "role must be")
	mustProblem(t, e.json(t, "POST", "/v1/tokens", e.admin, `{}`), 400, "role is required")
	adm := mustDecode[registry.IssuedToken](t, e.json(t, "POST", "/v1/tokens", e.admin, `{"role":"admin"}`), 201)
	e.mustCreate(t, "000.00.00.H41", "x", "") // with the bootstrap admin
	mustDecode[registry.CreatedAgency](t, e.json(t, "POST", "/v1/agencies", adm.Secret, `{"code":"000.00.00.H14","name":"y"}`), 201)
	// An admin token cannot revoke itself; another admin can.
	mustProblem(t, e.json(t, "DELETE", "/v1/tokens/"+adm.ID, adm.Secret, ""), 409, "itself")
	if r := e.json(t, "DELETE", "/v1/tokens/"+adm.ID, e.admin, ""); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	mustProblem(t, e.json(t, "GET", "/v1/agencies", adm.Secret, ""), 401, "revoked")
}

// mustCert returns a fresh self-signed certificate, DER.
func mustCert(tb testing.TB, cn string) []byte {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"UBND tỉnh Nghệ An"}},
		NotBefore:    time.Now().Add(-time.Hour).Truncate(time.Second),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour).Truncate(time.Second),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

func TestCertificates(t *testing.T) {
	e := mustEnv(t, nil)
	tok := e.mustCreate(t, "000.00.00.H41", "Nghệ An", "")
	der := mustCert(t, "Văn thư")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	c := mustDecode[gateway.AgencyCertificate](t, e.do(t, "POST", "/v1/agencies/000.00.00.H41/certificates", e.admin, "application/x-pem-file", pemBytes), 201)
	sum := sha256.Sum256(der)
	if c.SHA256 != hex.EncodeToString(sum[:]) || !strings.Contains(c.Subject, "CN=Văn thư") || c.NotAfter.Before(c.NotBefore) || c.AgencyCode != "000.00.00.H41" {
		t.Fatalf("%+v", c)
	}
	mustProblem(t, e.do(t, "POST", "/v1/agencies/000.00.00.H41/certificates", e.admin, "application/pkix-cert", der), 409, "registered already")
	mustDecode[gateway.AgencyCertificate](t, e.do(t, "POST", "/v1/agencies/000.00.00.H41/certificates", e.admin, "application/pkix-cert", mustCert(t, "Con dấu")), 201)
	mustProblem(t, e.do(t, "POST", "/v1/agencies/000.00.00.H41/certificates", e.admin, "application/pkix-cert", []byte("garbage")), 400, "X.509")
	// A bundle registers its leaf; a key after it is refused.
	leaf := mustCert(t, "Lãnh đạo")
	bundle := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf}), pemBytes...)
	b := mustDecode[gateway.AgencyCertificate](t, e.do(t, "POST", "/v1/agencies/000.00.00.H41/certificates", e.admin, "application/x-pem-file", bundle), 201)
	if !strings.Contains(b.Subject, "Lãnh đạo") {
		t.Fatalf("bundle registered %s, not its leaf", b.Subject)
	}
	withKey := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: mustCert(t, "z")}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}})...)
	mustProblem(t, e.do(t, "POST", "/v1/agencies/000.00.00.H41/certificates", e.admin, "application/x-pem-file", withKey), 400, "only its chain")
	mustProblem(t, e.do(t, "POST", "/v1/agencies/000.00.00.H41/certificates", e.admin, "application/json", pemBytes), 400, "certificate itself")
	mustProblem(t, e.do(t, "POST", "/v1/agencies/000.00.00.H41/certificates", e.admin, "application/pkix-cert", make([]byte, registry.MaxCertificateSize+1)), 413, "larger")
	mustProblem(t, e.do(t, "POST", "/v1/agencies/000.00.00.H41/certificates", tok, "application/pkix-cert", der), 403, "admin")
	mustProblem(t, e.do(t, "POST", "/v1/agencies/000.00.00.H99/certificates", e.admin, "application/pkix-cert", mustCert(t, "x")), 404, "000.00.00.H99")

	list := mustDecode[struct{ Certificates []gateway.AgencyCertificate }](t, e.json(t, "GET", "/v1/agencies/000.00.00.H41/certificates", tok, ""), 200)
	if len(list.Certificates) != 3 || list.Certificates[0].SHA256 != c.SHA256 {
		t.Fatalf("%+v", list)
	}

	// Taking one off: admins only, by its SHA-256, once.
	path := "/v1/agencies/000.00.00.H41/certificates/" + c.SHA256
	mustProblem(t, e.json(t, "DELETE", path, tok, ""), 403, "admin")
	mustProblem(t, e.json(t, "DELETE", "/v1/agencies/000.00.00.H41/certificates/xyz", e.admin, ""), 400, "64 hex digits")
	mustProblem(t, e.json(t, "DELETE", "/v1/agencies/000.00.00.H99/certificates/"+c.SHA256, e.admin, ""), 404, "000.00.00.H99")
	if r := e.json(t, "DELETE", path, e.admin, ""); r.status != 204 {
		t.Fatalf("remove: %d %s", r.status, r.body)
	}
	mustProblem(t, e.json(t, "DELETE", path, e.admin, ""), 404, "not registered")
	list = mustDecode[struct{ Certificates []gateway.AgencyCertificate }](t, e.json(t, "GET", "/v1/agencies/000.00.00.H41/certificates", tok, ""), 200)
	if len(list.Certificates) != 2 || list.Certificates[0].SHA256 == c.SHA256 || list.Certificates[1].SHA256 == c.SHA256 {
		t.Fatalf("after the removal: %+v", list)
	}
	// Once off, it can be registered again (to this agency or another).
	mustDecode[gateway.AgencyCertificate](t, e.do(t, "POST", "/v1/agencies/000.00.00.H41/certificates", e.admin, "application/pkix-cert", der), 201)
}

func TestCreateAgencyWithCertificate(t *testing.T) {
	e := mustEnv(t, nil)
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: mustCert(t, "Con dấu")})
	body := `{"code":"000.00.00.H41","name":"Nghệ An","certificate":` + jsonString(string(pemBytes)) + `}`
	out := mustDecode[registry.CreatedAgency](t, e.json(t, "POST", "/v1/agencies", e.admin, body), 201)
	if out.Certificate == nil || out.Certificate.AgencyCode != "000.00.00.H41" {
		t.Fatalf("%+v", out)
	}
	// The same certificate for another agency is refused before anything of
	// that agency is stored: no agency, no token nobody saw.
	other := `{"code":"000.00.00.H42","name":"Hà Tĩnh","certificate":` + jsonString(string(pemBytes)) + `}`
	mustProblem(t, e.json(t, "POST", "/v1/agencies", e.admin, other), 409, "registered already, to agency 000.00.00.H41")
	mustProblem(t, e.json(t, "GET", "/v1/agencies/000.00.00.H42", e.admin, ""), 404, "000.00.00.H42")
}

func jsonString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
