package httpapi_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"docgate/gateway"
	"docgate/gateway/httpapi"
	"docgate/gateway/registry"
)

var tokenShape = regexp.MustCompile(`^dg_[A-Za-z0-9_-]{43}$`)

func TestCreateAgencyIssuesWorkingToken(t *testing.T) {
	e := mustEnv(t, nil)
	r := e.json(t, "POST", "/v1/agencies", e.admin, `{"code":"000.00.00.H41","name":"UBND tỉnh Nghệ An","webhook":"https://dms.example.vn/hook"}`)
	out := mustDecode[registry.CreatedAgency](t, r, http.StatusCreated)
	if r.header.Get("Location") != "/v1/agencies/000.00.00.H41" {
		t.Errorf("Location %q", r.header.Get("Location"))
	}
	if out.Agency.Code != "000.00.00.H41" || out.Agency.Status != gateway.AgencyActive || out.Agency.CreatedAt.IsZero() {
		t.Errorf("agency %+v", out.Agency)
	}
	if !tokenShape.MatchString(out.Token.Secret) || out.Token.Role != gateway.RoleAgency || out.Token.AgencyCode != "000.00.00.H41" {
		t.Fatalf("token %+v", out.Token)
	}
	// The new token works, as the agency itself.
	got := mustDecode[gateway.Agency](t, e.json(t, "GET", "/v1/agencies/000.00.00.H41", out.Token.Secret, ""), http.StatusOK)
	if got.Name != "UBND tỉnh Nghệ An" || got.Webhook != "https://dms.example.vn/hook" {
		t.Errorf("got %+v", got)
	}
	// A child under it.
	e.mustCreate(t, "000.01.00.H41", "Sở Nội vụ", "000.00.00.H41")
	list := mustDecode[struct{ Agencies []gateway.Agency }](t, e.json(t, "GET", "/v1/agencies?parent=000.00.00.H41", out.Token.Secret, ""), http.StatusOK)
	if len(list.Agencies) != 1 || list.Agencies[0].Code != "000.01.00.H41" || list.Agencies[0].ParentCode != "000.00.00.H41" {
		t.Errorf("children %+v", list.Agencies)
	}
}

func TestBadRequestsWriteNothing(t *testing.T) {
	e := mustEnv(t, func(s *httpapi.Server) { s.MaxBody = 1024 })
	e.mustCreate(t, "000.00.00.H41", "Nghệ An", "")
	agencyTok := e.mustCreate(t, "000.00.00.H14", "Hải Dương", "")
	const ok = `{"code":"000.00.00.H56","name":"Khánh Hòa"}`
	cases := []struct {
		name   string
		token  string
		ctype  string
		body   string
		status int
		detail string
	}{
		{"malformed json", e.admin, "application/json", `{"code":"000.00.00.H56",`, 400, "ends in the middle"},
		{"syntax error", e.admin, "application/json", `{"code" "x"}`, 400, "malformed JSON"},
		{"not an object", e.admin, "application/json", `[1,2]`, 400, "must be a JSON object"},
		{"wrong field type", e.admin, "application/json", `{"code":5,"name":"x"}`, 400, `"code" must be a string`},
		{"unknown field", e.admin, "application/json", `{"code":"000.00.00.H56","name":"x","colour":"red"}`, 400, `unknown field "colour"`},
		{"trailing data", e.admin, "application/json", ok + `{}`, 400, "exactly one JSON value"},
		{"empty body", e.admin, "application/json", ``, 400, "body is empty"},
		{"wrong content type", e.admin, "text/plain", ok, 400, "application/json"},
		{"oversized", e.admin, "application/json", `{"code":"000.00.00.H56","name":"` + strings.Repeat("a", 2000) + `"}`, 413, "larger than 1024 bytes"},
		{"missing name", e.admin, "application/json", `{"code":"000.00.00.H56"}`, 400, "name is required"},
		{"malformed code", e.admin, "application/json", `{"code":"H56","name":"x"}`, 400, "shape AAA.BB.CC.DDD"},
		{"unknown parent", e.admin, "application/json", `{"code":"000.00.00.H56","name":"x","parent":"000.00.00.G22"}`, 400, "000.00.00.G22"},
		{"own parent", e.admin, "application/json", `{"code":"000.00.00.H56","name":"x","parent":"000.00.00.H56"}`, 400, "own parent"},
		{"bad webhook", e.admin, "application/json", `{"code":"000.00.00.H56","name":"x","webhook":"ftp://x"}`, 400, "webhook"},
		{"bad certificate", e.admin, "application/json", `{"code":"000.00.00.H56","name":"x","certificate":"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}`, 400, "X.509"},
		{"duplicate", e.admin, "application/json", `{"code":"000.00.00.H41","name":"again"}`, 409, "registered already"},
		{"wrong role", agencyTok, "application/json", ok, 403, "admin role"},
		{"no token", "", "application/json", ok, 401, "bearer token"},
		{"not a docgate token", "abc", "application/json", ok, 401, "not a docgate token"},
		{"unknown token", "dg_" + strings.Repeat("A", 43), "application/json", ok, 401, "unknown token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.count(t)
			r := e.do(t, "POST", "/v1/agencies", tc.token, tc.ctype, []byte(tc.body))
			p := mustProblem(t, r, tc.status, tc.detail)
			if tc.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: Bearer")
			}
			if !strings.HasPrefix(p.Type, "urn:docgate:problem:") {
				t.Errorf("type %q", p.Type)
			}
			if after := e.count(t); after != before {
				t.Errorf("agencies %d -> %d: a refused request wrote", before, after)
			}
		})
	}
}

func TestSuspendAndReactivate(t *testing.T) {
	e := mustEnv(t, nil)
	tok := e.mustCreate(t, "000.00.00.H41", "Nghệ An", "")
	a := mustDecode[gateway.Agency](t, e.json(t, "PATCH", "/v1/agencies/000.00.00.H41", e.admin, `{"status":"suspended"}`), http.StatusOK)
	if a.Status != gateway.AgencySuspended {
		t.Fatalf("status %q", a.Status)
	}
	mustProblem(t, e.json(t, "GET", "/v1/agencies", tok, ""), http.StatusForbidden, "suspended")
	// The suspended agency cannot reactivate itself (it cannot even get in).
	mustProblem(t, e.json(t, "PATCH", "/v1/agencies/000.00.00.H41", tok, `{"status":"active"}`), http.StatusForbidden, "suspended")
	mustDecode[gateway.Agency](t, e.json(t, "PATCH", "/v1/agencies/000.00.00.H41", e.admin, `{"status":"active","name":"Tỉnh Nghệ An"}`), http.StatusOK)
	got := mustDecode[gateway.Agency](t, e.json(t, "GET", "/v1/agencies/000.00.00.H41", tok, ""), http.StatusOK)
	if got.Name != "Tỉnh Nghệ An" || got.Status != gateway.AgencyActive {
		t.Errorf("got %+v", got)
	}
	mustProblem(t, e.json(t, "PATCH", "/v1/agencies/000.00.00.H41", e.admin, `{"status":"closed"}`), 400, "status must be")
	mustProblem(t, e.json(t, "PATCH", "/v1/agencies/000.00.00.H41", e.admin, `{}`), 400, "nothing to change")
	mustProblem(t, e.json(t, "PATCH", "/v1/agencies/000.00.00.H41", tok, `{"name":"mine"}`), 403, "admin role")
	mustProblem(t, e.json(t, "PATCH", "/v1/agencies/000.00.00.H99", e.admin, `{"name":"x"}`), 404, "000.00.00.H99")
	mustProblem(t, e.json(t, "GET", "/v1/agencies/000.00.00.H99", e.admin, ""), 404, "not registered")
	mustProblem(t, e.json(t, "GET", "/v1/agencies/nonsense", e.admin, ""), 400, "shape")
}

func TestListPagination(t *testing.T) {
	e := mustEnv(t, nil)
	for _, c := range []string{"000.00.00.H14", "000.00.00.H41", "000.00.00.H56"} {
		e.mustCreate(t, c, "unit "+c, "")
	}
	type page struct {
		Agencies []gateway.Agency
		Next     string
	}
	p1 := mustDecode[page](t, e.json(t, "GET", "/v1/agencies?limit=2", e.admin, ""), 200)
	if len(p1.Agencies) != 2 || p1.Next != "000.00.00.H41" {
		t.Fatalf("page 1: %+v", p1)
	}
	p2 := mustDecode[page](t, e.json(t, "GET", "/v1/agencies?limit=2&after="+p1.Next, e.admin, ""), 200)
	if len(p2.Agencies) != 1 || p2.Agencies[0].Code != "000.00.00.H56" || p2.Next != "" {
		t.Fatalf("page 2: %+v", p2)
	}
	mustDecode[gateway.Agency](t, e.json(t, "PATCH", "/v1/agencies/000.00.00.H41", e.admin, `{"status":"suspended"}`), 200)
	s := mustDecode[page](t, e.json(t, "GET", "/v1/agencies?status=suspended", e.admin, ""), 200)
	if len(s.Agencies) != 1 || s.Agencies[0].Code != "000.00.00.H41" {
		t.Fatalf("suspended: %+v", s)
	}
	mustProblem(t, e.json(t, "GET", "/v1/agencies?limit=0", e.admin, ""), 400, "limit")
	mustProblem(t, e.json(t, "GET", "/v1/agencies?status=gone", e.admin, ""), 400, "status")
}
