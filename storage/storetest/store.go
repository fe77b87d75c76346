package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"docgate/gateway"
)

// TestStore runs the gateway.Store conformance suite. open must return an
// isolated, empty store on every call and arrange for it to be closed when t
// ends; the subtests run in parallel, each with its own store.
func TestStore(t *testing.T, open func(t *testing.T) gateway.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s gateway.Store)
	}{
		{"CreateAndGetAgency", testCreateAndGetAgency},
		{"UnknownAgency", testUnknownAgency},
		{"DuplicateAgency", testDuplicateAgency},
		{"UnknownParent", testUnknownParent},
		{"ListAndFilterAgencies", testListAndFilterAgencies},
		{"PaginateAgencies", testPaginateAgencies},
		{"AgencyLimits", testAgencyLimits},
		{"UpdateAgency", testUpdateAgency},
		{"Certificates", testCertificates},
		{"CertificateErrors", testCertificateErrors},
		{"Tokens", testTokens},
		{"TokenErrors", testTokenErrors},
		{"RevokeToken", testRevokeToken},
		{"TimesRoundTrip", testTimesRoundTrip},
		{"ConcurrentWrites", testConcurrentWrites},
		{"Ping", testPing},
		{"UnkeepableText", testUnkeepableText},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// code returns the i-th agency code of a test: a valid code in the default
// AAA.BB.CC.DDD shape, distinct for every i below 10000.
func code(i int) string {
	return fmt.Sprintf("000.%02d.%02d.H41", i/100, i%100)
}

func mustCreateAgency(tb testing.TB, s gateway.Store, a *gateway.Agency) *gateway.Agency {
	tb.Helper()
	if err := s.CreateAgency(context.Background(), a); err != nil {
		tb.Fatalf("create agency %s: %v", a.Code, err)
	}
	return a
}

func mustAgency(tb testing.TB, s gateway.Store, code string) *gateway.Agency {
	tb.Helper()
	a, err := s.Agency(context.Background(), code)
	if err != nil {
		tb.Fatalf("agency %s: %v", code, err)
	}
	return a
}

func mustAgencies(tb testing.TB, s gateway.Store, f gateway.AgencyFilter) []*gateway.Agency {
	tb.Helper()
	as, err := s.Agencies(context.Background(), f)
	if err != nil {
		tb.Fatalf("agencies %+v: %v", f, err)
	}
	return as
}

func wantCode(tb testing.TB, err error, code, what string) {
	tb.Helper()
	if got := gateway.ErrorCode(err); got != code {
		tb.Fatalf("%s: got code %q (%v), want %q", what, got, err, code)
	}
	if gateway.ErrorMessage(err) == "" {
		tb.Fatalf("%s: %q error without a message", what, code)
	}
}

// wantTime fails unless got is want as a store keeps it: the same instant to
// the microsecond, in UTC.
func wantTime(tb testing.TB, what string, got, want time.Time) {
	tb.Helper()
	want = want.Truncate(time.Microsecond)
	if !got.Equal(want) {
		tb.Fatalf("%s: got %s, want %s", what, got.Format(time.RFC3339Nano), want.UTC().Format(time.RFC3339Nano))
	}
	if got.Location() != time.UTC {
		tb.Fatalf("%s: got location %s, want UTC", what, got.Location())
	}
}

func wantSameAgency(tb testing.TB, got, want *gateway.Agency) {
	tb.Helper()
	if got.Code != want.Code || got.Name != want.Name || got.ParentCode != want.ParentCode ||
		got.Webhook != want.Webhook || got.Status != want.Status {
		tb.Fatalf("agency %s: got %+v, want %+v", want.Code, got, want)
	}
	wantTime(tb, want.Code+" created_at", got.CreatedAt, want.CreatedAt)
	wantTime(tb, want.Code+" updated_at", got.UpdatedAt, want.UpdatedAt)
}

func codes(as []*gateway.Agency) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Code
	}
	return out
}

func wantCodes(tb testing.TB, what string, got []*gateway.Agency, want ...string) {
	tb.Helper()
	if fmt.Sprint(codes(got)) != fmt.Sprint(want) {
		tb.Fatalf("%s: got %v, want %v", what, codes(got), want)
	}
}

func testCreateAndGetAgency(t *testing.T, s gateway.Store) {
	before := time.Now().Add(-time.Second)
	root := mustCreateAgency(t, s, &gateway.Agency{Code: "000.00.00.H41", Name: "UBND tỉnh Nghệ An"})
	after := time.Now().Add(time.Second)
	if root.Status != gateway.AgencyActive {
		t.Fatalf("status of a new agency: got %q, want %q", root.Status, gateway.AgencyActive)
	}
	if root.CreatedAt.Before(before) || root.CreatedAt.After(after) || !root.UpdatedAt.Equal(root.CreatedAt) {
		t.Fatalf("timestamps of a new agency: created %s updated %s, want both between %s and %s",
			root.CreatedAt, root.UpdatedAt, before, after)
	}
	wantSameAgency(t, mustAgency(t, s, root.Code), root)

	child := mustCreateAgency(t, s, &gateway.Agency{Code: "000.01.00.H41", Name: "Sở Tài chính",
		ParentCode: root.Code, Webhook: "https://stc.example.gov.vn/docgate", Status: gateway.AgencySuspended})
	got := mustAgency(t, s, child.Code)
	wantSameAgency(t, got, child)
	if got.Status != gateway.AgencySuspended {
		t.Fatalf("status given at creation: got %q, want %q", got.Status, gateway.AgencySuspended)
	}
	// The store hands out copies: changing one must not change what it keeps.
	got.Name = "changed"
	if again := mustAgency(t, s, child.Code); again.Name != child.Name {
		t.Fatalf("store returned shared state: name %q", again.Name)
	}
}

func testUnknownAgency(t *testing.T, s gateway.Store) {
	_, err := s.Agency(context.Background(), "000.00.00.H99")
	wantCode(t, err, gateway.ENOTFOUND, "agency that does not exist")
}

func testDuplicateAgency(t *testing.T, s gateway.Store) {
	first := mustCreateAgency(t, s, &gateway.Agency{Code: "000.00.00.H41", Name: "first"})
	err := s.CreateAgency(context.Background(), &gateway.Agency{Code: first.Code, Name: "second"})
	wantCode(t, err, gateway.ECONFLICT, "second agency with the same code")
	wantSameAgency(t, mustAgency(t, s, first.Code), first)
}

func testUnknownParent(t *testing.T, s gateway.Store) {
	a := &gateway.Agency{Code: "000.01.00.H41", Name: "orphan", ParentCode: "000.00.00.H41"}
	err := s.CreateAgency(context.Background(), a)
	wantCode(t, err, gateway.ENOTFOUND, "agency whose parent does not exist")
	_, err = s.Agency(context.Background(), a.Code)
	wantCode(t, err, gateway.ENOTFOUND, "agency rejected for its parent")
}

func testListAndFilterAgencies(t *testing.T, s gateway.Store) {
	if as := mustAgencies(t, s, gateway.AgencyFilter{}); len(as) != 0 {
		t.Fatalf("empty store lists %v", codes(as))
	}
	// Created out of order, so that ordering by code is the store's work.
	root := mustCreateAgency(t, s, &gateway.Agency{Code: "000.00.00.H41", Name: "province"})
	other := mustCreateAgency(t, s, &gateway.Agency{Code: "000.00.00.G22", Name: "government office"})
	c3 := mustCreateAgency(t, s, &gateway.Agency{Code: "000.03.00.H41", Name: "c3", ParentCode: root.Code})
	c1 := mustCreateAgency(t, s, &gateway.Agency{Code: "000.01.00.H41", Name: "c1", ParentCode: root.Code,
		Status: gateway.AgencySuspended})
	c2 := mustCreateAgency(t, s, &gateway.Agency{Code: "000.02.00.H41", Name: "c2", ParentCode: root.Code})
	g := mustCreateAgency(t, s, &gateway.Agency{Code: "000.01.01.H41", Name: "grandchild", ParentCode: c1.Code,
		Status: gateway.AgencySuspended})

	all := mustAgencies(t, s, gateway.AgencyFilter{})
	wantCodes(t, "all", all, other.Code, root.Code, c1.Code, g.Code, c2.Code, c3.Code)
	for _, a := range all {
		if a.Code == c1.Code {
			wantSameAgency(t, a, c1)
		}
	}
	wantCodes(t, "children of the province", mustAgencies(t, s, gateway.AgencyFilter{ParentCode: root.Code}),
		c1.Code, c2.Code, c3.Code)
	wantCodes(t, "suspended", mustAgencies(t, s, gateway.AgencyFilter{Status: gateway.AgencySuspended}),
		c1.Code, g.Code)
	wantCodes(t, "active children", mustAgencies(t, s, gateway.AgencyFilter{ParentCode: root.Code,
		Status: gateway.AgencyActive}), c2.Code, c3.Code)
	wantCodes(t, "children after c1", mustAgencies(t, s, gateway.AgencyFilter{ParentCode: root.Code,
		After: c1.Code, Limit: 1}), c2.Code)
	wantCodes(t, "children of a leaf", mustAgencies(t, s, gateway.AgencyFilter{ParentCode: c3.Code}))
	wantCodes(t, "children of an unknown agency", mustAgencies(t, s, gateway.AgencyFilter{ParentCode: "000.00.00.H99"}))
}

func testPaginateAgencies(t *testing.T, s gateway.Store) {
	const n = 23
	var want []string
	for i := n - 1; i >= 0; i-- {
		mustCreateAgency(t, s, &gateway.Agency{Code: code(i*7 + 1), Name: fmt.Sprint("agency ", i)})
	}
	for i := 0; i < n; i++ {
		want = append(want, code(i*7+1))
	}
	var got []string
	f := gateway.AgencyFilter{Limit: 5}
	for pages := 0; ; pages++ {
		if pages > n {
			t.Fatalf("pagination does not end; so far %v", got)
		}
		page := mustAgencies(t, s, f)
		if len(page) > f.Limit {
			t.Fatalf("page of %d agencies with limit %d", len(page), f.Limit)
		}
		if len(page) == 0 {
			break
		}
		got = append(got, codes(page)...)
		f.After = page[len(page)-1].Code
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("paginated listing: got %v, want %v", got, want)
	}
	// After need not be a registered code: it is a position in code order.
	wantCodes(t, "after an unregistered code", mustAgencies(t, s, gateway.AgencyFilter{After: code(7*20 + 2)}),
		code(7*21+1), code(7*22+1))
}

func testAgencyLimits(t *testing.T, s gateway.Store) {
	for i := 0; i < 3; i++ {
		mustCreateAgency(t, s, &gateway.Agency{Code: code(i), Name: "a"})
	}
	wantCodes(t, "limit 0 means the default", mustAgencies(t, s, gateway.AgencyFilter{}), code(0), code(1), code(2))
	wantCodes(t, "limit 2", mustAgencies(t, s, gateway.AgencyFilter{Limit: 2}), code(0), code(1))
	wantCodes(t, "limit 10000", mustAgencies(t, s, gateway.AgencyFilter{Limit: 10000}), code(0), code(1), code(2))
	for _, limit := range []int{-1, 10001} {
		_, err := s.Agencies(context.Background(), gateway.AgencyFilter{Limit: limit})
		wantCode(t, err, gateway.EINVALID, fmt.Sprint("limit ", limit))
	}
}

func testUpdateAgency(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	a := mustCreateAgency(t, s, &gateway.Agency{Code: "000.00.00.H41", Name: "old name", Webhook: "https://old.example"})
	time.Sleep(2 * time.Millisecond) // so that updated_at visibly moves

	name := "Ủy ban nhân dân tỉnh Nghệ An"
	got, err := s.UpdateAgency(ctx, a.Code, gateway.AgencyUpdate{Name: &name})
	if err != nil {
		t.Fatalf("update name: %v", err)
	}
	if got.Name != name || got.Webhook != a.Webhook || got.Status != gateway.AgencyActive {
		t.Fatalf("after updating the name: got %+v", got)
	}
	wantTime(t, "created_at after an update", got.CreatedAt, a.CreatedAt)
	if !got.UpdatedAt.After(a.UpdatedAt) {
		t.Fatalf("updated_at did not move: %s, created %s", got.UpdatedAt, a.UpdatedAt)
	}
	wantSameAgency(t, mustAgency(t, s, a.Code), got)

	empty := ""
	suspended := gateway.AgencySuspended
	got, err = s.UpdateAgency(ctx, a.Code, gateway.AgencyUpdate{Webhook: &empty, Status: &suspended})
	if err != nil {
		t.Fatalf("update webhook and status: %v", err)
	}
	if got.Name != name || got.Webhook != "" || got.Status != gateway.AgencySuspended {
		t.Fatalf("after clearing the webhook and suspending: got %+v", got)
	}
	wantSameAgency(t, mustAgency(t, s, a.Code), got)

	// An empty update changes nothing but is not an error.
	again, err := s.UpdateAgency(ctx, a.Code, gateway.AgencyUpdate{})
	if err != nil {
		t.Fatalf("empty update: %v", err)
	}
	if again.Name != got.Name || again.Webhook != got.Webhook || again.Status != got.Status {
		t.Fatalf("empty update changed the agency: %+v", again)
	}

	_, err = s.UpdateAgency(ctx, "000.00.00.H99", gateway.AgencyUpdate{Name: &name})
	wantCode(t, err, gateway.ENOTFOUND, "update of an agency that does not exist")

	bogus := gateway.AgencyStatus("deleted")
	_, err = s.UpdateAgency(ctx, a.Code, gateway.AgencyUpdate{Status: &bogus})
	wantCode(t, err, gateway.EINVALID, "update to an unknown status")
	if cur := mustAgency(t, s, a.Code); cur.Status != gateway.AgencySuspended {
		t.Fatalf("a rejected update changed the status to %q", cur.Status)
	}
}

// newCert returns a certificate record with a DER body derived from seed; the
// suite needs distinct digests, not parseable certificates.
func newCert(agency, seed string, notBefore time.Time) *gateway.AgencyCertificate {
	der := []byte("0\x82 not really DER: " + seed)
	sum := sha256.Sum256(der)
	return &gateway.AgencyCertificate{
		AgencyCode: agency,
		SHA256:     hex.EncodeToString(sum[:]),
		Subject:    "CN=" + seed + ",O=" + agency + ",C=VN",
		NotBefore:  notBefore,
		NotAfter:   notBefore.AddDate(3, 0, 0),
		DER:        der,
	}
}

func wantSameCert(tb testing.TB, got, want *gateway.AgencyCertificate) {
	tb.Helper()
	if got.ID != want.ID || got.AgencyCode != want.AgencyCode || got.SHA256 != want.SHA256 ||
		got.Subject != want.Subject || !bytes.Equal(got.DER, want.DER) {
		tb.Fatalf("certificate: got %+v, want %+v", got, want)
	}
	wantTime(tb, "not_before", got.NotBefore, want.NotBefore)
	wantTime(tb, "not_after", got.NotAfter, want.NotAfter)
	wantTime(tb, "created_at", got.CreatedAt, want.CreatedAt)
}

func testCertificates(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	a := mustCreateAgency(t, s, &gateway.Agency{Code: "000.00.00.H41", Name: "province"})
	b := mustCreateAgency(t, s, &gateway.Agency{Code: "000.00.00.H14", Name: "another province"})
	if cs, err := s.AgencyCertificates(ctx, a.Code); err != nil || len(cs) != 0 {
		t.Fatalf("certificates of a new agency: %v, %v", cs, err)
	}

	nb := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	c1 := newCert(a.Code, "seal 2025", nb)
	c2 := newCert(a.Code, "seal 2026", nb.AddDate(1, 0, 0))
	c3 := newCert(b.Code, "other", nb)
	for _, c := range []*gateway.AgencyCertificate{c1, c2, c3} {
		if err := s.AddAgencyCertificate(ctx, c); err != nil {
			t.Fatalf("add certificate %s: %v", c.Subject, err)
		}
		if c.ID == 0 || c.CreatedAt.IsZero() {
			t.Fatalf("add certificate did not set ID and CreatedAt: %+v", c)
		}
	}
	if c1.ID == c2.ID || c2.ID == c3.ID || c1.ID == c3.ID {
		t.Fatalf("certificate IDs are not distinct: %d %d %d", c1.ID, c2.ID, c3.ID)
	}

	cs, err := s.AgencyCertificates(ctx, a.Code)
	if err != nil {
		t.Fatalf("certificates: %v", err)
	}
	if len(cs) != 2 {
		t.Fatalf("got %d certificates of %s, want 2", len(cs), a.Code)
	}
	wantSameCert(t, cs[0], c1) // oldest first
	wantSameCert(t, cs[1], c2)

	for _, c := range []*gateway.AgencyCertificate{c1, c2, c3} {
		got, err := s.AgencyByCertificate(ctx, c.SHA256)
		if err != nil {
			t.Fatalf("agency by certificate %s: %v", c.Subject, err)
		}
		if got.Code != c.AgencyCode {
			t.Fatalf("certificate %s belongs to %s, store says %s", c.Subject, c.AgencyCode, got.Code)
		}
	}
	// The lookup returns the whole agency, and takes the digest in any case.
	got, err := s.AgencyByCertificate(ctx, strings.ToUpper(c3.SHA256))
	if err != nil {
		t.Fatalf("agency by upper-case digest: %v", err)
	}
	wantSameAgency(t, got, b)

	// Removed: by its agency only, once; the others stay.
	wantCode(t, s.RemoveAgencyCertificate(ctx, b.Code, c1.SHA256), gateway.ENOTFOUND, "removing another agency's certificate")
	if err := s.RemoveAgencyCertificate(ctx, a.Code, strings.ToUpper(c1.SHA256)); err != nil {
		t.Fatalf("remove certificate: %v", err)
	}
	wantCode(t, s.RemoveAgencyCertificate(ctx, a.Code, c1.SHA256), gateway.ENOTFOUND, "removing a certificate twice")
	if _, err := s.AgencyByCertificate(ctx, c1.SHA256); gateway.ErrorCode(err) != gateway.ENOTFOUND {
		t.Fatalf("a removed certificate still finds its agency: %v", err)
	}
	if cs, err := s.AgencyCertificates(ctx, a.Code); err != nil || len(cs) != 1 || cs[0].SHA256 != c2.SHA256 {
		t.Fatalf("certificates after a removal: %v, %v", cs, err)
	}
	c1.ID = 0
	if err := s.AddAgencyCertificate(ctx, c1); err != nil {
		t.Fatalf("registering a removed certificate again: %v", err)
	}
}

func testCertificateErrors(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	a := mustCreateAgency(t, s, &gateway.Agency{Code: "000.00.00.H41", Name: "province"})
	b := mustCreateAgency(t, s, &gateway.Agency{Code: "000.00.00.H14", Name: "another province"})
	c := newCert(a.Code, "seal", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if err := s.AddAgencyCertificate(ctx, c); err != nil {
		t.Fatal(err)
	}
	dup := *c
	dup.ID = 0
	wantCode(t, s.AddAgencyCertificate(ctx, &dup), gateway.ECONFLICT, "the same certificate twice")
	dup.AgencyCode = b.Code
	wantCode(t, s.AddAgencyCertificate(ctx, &dup), gateway.ECONFLICT, "one certificate for two agencies")
	if cs, _ := s.AgencyCertificates(ctx, b.Code); len(cs) != 0 {
		t.Fatalf("a rejected certificate was stored for %s", b.Code)
	}

	orphan := newCert("000.00.00.H99", "orphan", c.NotBefore)
	wantCode(t, s.AddAgencyCertificate(ctx, orphan), gateway.ENOTFOUND, "certificate of an agency that does not exist")
	_, err := s.AgencyByCertificate(ctx, orphan.SHA256)
	wantCode(t, err, gateway.ENOTFOUND, "agency of an unregistered certificate")
}

func wantSameToken(tb testing.TB, got, want *gateway.Token) {
	tb.Helper()
	if got.ID != want.ID || got.Role != want.Role || got.AgencyCode != want.AgencyCode ||
		got.Name != want.Name || !bytes.Equal(got.Hash, want.Hash) {
		tb.Fatalf("token: got %+v, want %+v", got, want)
	}
	wantTime(tb, "token created_at", got.CreatedAt, want.CreatedAt)
	if (got.RevokedAt == nil) != (want.RevokedAt == nil) {
		tb.Fatalf("token %s revoked_at: got %v, want %v", want.ID, got.RevokedAt, want.RevokedAt)
	}
	if want.RevokedAt != nil {
		wantTime(tb, "token revoked_at", *got.RevokedAt, *want.RevokedAt)
	}
}

func hash(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

func tokenIDs(ts []*gateway.Token) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

func testTokens(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	a := mustCreateAgency(t, s, &gateway.Agency{Code: "000.00.00.H41", Name: "province"})
	b := mustCreateAgency(t, s, &gateway.Agency{Code: "000.00.00.H14", Name: "another province"})
	created := time.Date(2025, 11, 24, 7, 30, 0, 123456000, time.UTC)
	toks := []*gateway.Token{
		{ID: "tok-admin", Role: gateway.RoleAdmin, Name: "operator", Hash: hash("admin"), CreatedAt: created},
		{ID: "tok-a1", Role: gateway.RoleAgency, AgencyCode: a.Code, Name: "DMS", Hash: hash("a1"), CreatedAt: created.Add(time.Second)},
		{ID: "tok-a2", Role: gateway.RoleAgency, AgencyCode: a.Code, Name: "clerk", Hash: hash("a2"), CreatedAt: created.Add(2 * time.Second)},
		{ID: "tok-b", Role: gateway.RoleAgency, AgencyCode: b.Code, Hash: hash("b"), CreatedAt: created},
		{ID: "tok-audit", Role: gateway.RoleAuditor, Name: "inspectorate", Hash: hash("audit")},
	}
	for _, tok := range toks {
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatalf("create token %s: %v", tok.ID, err)
		}
	}
	if toks[4].CreatedAt.IsZero() {
		t.Fatalf("create token without CreatedAt did not set it")
	}
	for _, tok := range toks {
		got, err := s.TokenByHash(ctx, tok.Hash)
		if err != nil {
			t.Fatalf("token by hash %s: %v", tok.ID, err)
		}
		wantSameToken(t, got, tok)
	}

	ts, err := s.Tokens(ctx, a.Code)
	if err != nil {
		t.Fatalf("tokens of %s: %v", a.Code, err)
	}
	if got := fmt.Sprint(tokenIDs(ts)); got != "[tok-a1 tok-a2]" {
		t.Fatalf("tokens of %s: got %s", a.Code, got)
	}
	wantSameToken(t, ts[1], toks[2])
	ts, err = s.Tokens(ctx, "")
	if err != nil {
		t.Fatalf("tokens without an agency: %v", err)
	}
	if got := fmt.Sprint(tokenIDs(ts)); got != "[tok-admin tok-audit]" {
		t.Fatalf("tokens without an agency: got %s", got)
	}
	if ts, err := s.Tokens(ctx, "000.00.00.H99"); err != nil || len(ts) != 0 {
		t.Fatalf("tokens of an unknown agency: %v, %v", tokenIDs(ts), err)
	}
}

func testTokenErrors(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	a := mustCreateAgency(t, s, &gateway.Agency{Code: "000.00.00.H41", Name: "province"})
	tok := &gateway.Token{ID: "tok-1", Role: gateway.RoleAgency, AgencyCode: a.Code, Hash: hash("1")}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.CreateToken(ctx, &gateway.Token{ID: tok.ID, Role: gateway.RoleAdmin, Hash: hash("2")}),
		gateway.ECONFLICT, "token with an existing ID")
	wantCode(t, s.CreateToken(ctx, &gateway.Token{ID: "tok-2", Role: gateway.RoleAdmin, Hash: tok.Hash}),
		gateway.ECONFLICT, "token with an existing hash")
	wantCode(t, s.CreateToken(ctx, &gateway.Token{ID: "tok-3", Role: gateway.RoleAgency, AgencyCode: "000.00.00.H99",
		Hash: hash("3")}), gateway.ENOTFOUND, "token of an agency that does not exist")
	wantCode(t, s.CreateToken(ctx, &gateway.Token{ID: "tok-4", Role: "root", Hash: hash("4")}),
		gateway.EINVALID, "token with an unknown role")
	for _, h := range [][]byte{hash("2"), hash("3"), hash("4")} {
		_, err := s.TokenByHash(ctx, h)
		wantCode(t, err, gateway.ENOTFOUND, "token that was rejected")
	}
	_, err := s.TokenByHash(ctx, nil)
	wantCode(t, err, gateway.ENOTFOUND, "token with an empty hash")
}

func testRevokeToken(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	tok := &gateway.Token{ID: "tok-1", Role: gateway.RoleAdmin, Hash: hash("1")}
	other := &gateway.Token{ID: "tok-2", Role: gateway.RoleAdmin, Hash: hash("2")}
	for _, x := range []*gateway.Token{tok, other} {
		if err := s.CreateToken(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	first := time.Date(2026, 11, 24, 8, 0, 0, 987654321, time.FixedZone("ICT", 7*3600))
	if err := s.RevokeToken(ctx, tok.ID, first); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if err := s.RevokeToken(ctx, tok.ID, first.Add(time.Hour)); err != nil {
		t.Fatalf("revoke again: %v", err)
	}
	got, err := s.TokenByHash(ctx, tok.Hash)
	if err != nil {
		t.Fatalf("a revoked token must still be found: %v", err)
	}
	if got.RevokedAt == nil {
		t.Fatalf("revoked token without revoked_at")
	}
	wantTime(t, "first revocation time", *got.RevokedAt, first)
	if got, _ := s.TokenByHash(ctx, other.Hash); got == nil || got.RevokedAt != nil {
		t.Fatalf("revoking one token touched another: %+v", got)
	}
	wantCode(t, s.RevokeToken(ctx, "tok-unknown", first), gateway.ENOTFOUND, "revoke a token that does not exist")
}

// testTimesRoundTrip stores caller-given times at the edges of what X.509
// certificates carry (UTCTime from 1950, GeneralizedTime 9999-12-31 for "no
// expiry"), in a zone other than UTC and with nanoseconds, and expects them
// back as the same instants in UTC.
func testTimesRoundTrip(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	a := mustCreateAgency(t, s, &gateway.Agency{Code: "000.00.00.H41", Name: "province"})
	ict := time.FixedZone("ICT", 7*3600)
	cases := []struct{ notBefore, notAfter time.Time }{
		{time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		{time.Date(2026, 11, 24, 14, 30, 15, 123456789, ict), time.Date(2029, 2, 28, 23, 59, 59, 999999999, ict)},
		{time.Date(2024, 2, 29, 0, 0, 0, 1000, time.UTC), time.Date(2024, 2, 29, 0, 0, 0, 999, time.UTC)},
	}
	for i, tc := range cases {
		c := newCert(a.Code, fmt.Sprint("cert ", i), tc.notBefore)
		c.NotAfter = tc.notAfter
		if err := s.AddAgencyCertificate(ctx, c); err != nil {
			t.Fatalf("add certificate %d: %v", i, err)
		}
	}
	cs, err := s.AgencyCertificates(ctx, a.Code)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != len(cases) {
		t.Fatalf("got %d certificates, want %d", len(cs), len(cases))
	}
	for i, tc := range cases {
		wantTime(t, fmt.Sprint("not_before ", i), cs[i].NotBefore, tc.notBefore)
		wantTime(t, fmt.Sprint("not_after ", i), cs[i].NotAfter, tc.notAfter)
	}

	// What the store reports at creation is what it reads back later.
	tok := &gateway.Token{ID: "tok", Role: gateway.RoleAuditor, Hash: hash("tok")}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	got, err := s.TokenByHash(ctx, tok.Hash)
	if err != nil {
		t.Fatal(err)
	}
	wantTime(t, "store-set token created_at", got.CreatedAt, tok.CreatedAt)
	if !tok.CreatedAt.Equal(tok.CreatedAt.Truncate(time.Microsecond)) {
		t.Fatalf("created_at reported with more precision than the store keeps: %s", tok.CreatedAt.Format(time.RFC3339Nano))
	}
}

// testConcurrentWrites creates agencies and tokens from several goroutines at
// once: none may fail (no lock errors such as SQLITE_BUSY) and none may be
// lost.
func testConcurrentWrites(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	root := mustCreateAgency(t, s, &gateway.Agency{Code: "000.00.00.H41", Name: "province"})
	const workers, each = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*2)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				n := 1 + w*each + i
				a := &gateway.Agency{Code: code(n), Name: fmt.Sprint("unit ", n), ParentCode: root.Code}
				if err := s.CreateAgency(ctx, a); err != nil {
					errs <- fmt.Errorf("create agency %s: %w", a.Code, err)
					continue
				}
				tok := &gateway.Token{ID: fmt.Sprint("tok-", n), Role: gateway.RoleAgency, AgencyCode: a.Code,
					Hash: hash(a.Code)}
				if err := s.CreateToken(ctx, tok); err != nil {
					errs <- fmt.Errorf("create token %s: %w", tok.ID, err)
				}
				if _, err := s.Agency(ctx, a.Code); err != nil {
					errs <- fmt.Errorf("read back %s: %w", a.Code, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	children := mustAgencies(t, s, gateway.AgencyFilter{ParentCode: root.Code})
	if len(children) != workers*each {
		t.Fatalf("got %d agencies after concurrent creates, want %d", len(children), workers*each)
	}
	for i, a := range children {
		if a.Code != code(i+1) {
			t.Fatalf("agency %d: got %s, want %s", i, a.Code, code(i+1))
		}
		ts, err := s.Tokens(ctx, a.Code)
		if err != nil || len(ts) != 1 {
			t.Fatalf("tokens of %s: %d, %v", a.Code, len(ts), err)
		}
	}
}

func testPing(t *testing.T, s gateway.Store) {
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("ping: %v", err)
	}
}

// BenchmarkStore measures the calls on the request path against a registry
// the size of one province (benchAgencies units, each with a token):
// TokenByHash authenticates every request with a bearer token, Agency checks
// every recipient of a submission, a page of Agencies serves the registry
// listing, CreateAgency is registration. open must return an empty store, as
// for TestStore.
func BenchmarkStore(b *testing.B, open func(b *testing.B) gateway.Store) {
	const benchAgencies = 500
	ctx := context.Background()
	s := open(b)
	root := &gateway.Agency{Code: "000.00.00.H41", Name: "province"}
	mustCreateAgency(b, s, root)
	for i := 1; i <= benchAgencies; i++ {
		a := mustCreateAgency(b, s, &gateway.Agency{Code: code(i), Name: fmt.Sprint("unit ", i), ParentCode: root.Code})
		tok := &gateway.Token{ID: fmt.Sprint("tok-", i), Role: gateway.RoleAgency, AgencyCode: a.Code, Hash: hash(a.Code)}
		if err := s.CreateToken(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}

	b.Run("TokenByHash", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i = i%benchAgencies + 1
			if _, err := s.TokenByHash(ctx, hash(code(i))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("TokenByHashParallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				i = i%benchAgencies + 1
				if _, err := s.TokenByHash(ctx, hash(code(i))); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("Agency", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i = i%benchAgencies + 1
			if _, err := s.Agency(ctx, code(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AgenciesPage100", func(b *testing.B) {
		for b.Loop() {
			if as, err := s.Agencies(ctx, gateway.AgencyFilter{ParentCode: root.Code, After: code(200), Limit: 100}); err != nil || len(as) != 100 {
				b.Fatalf("got %d agencies, %v", len(as), err)
			}
		}
	})
	b.Run("CreateAgency", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			a := &gateway.Agency{Code: fmt.Sprintf("%03d.%02d.%02d.G22", i/10000, i/100%100, i%100), Name: "unit"}
			if err := s.CreateAgency(ctx, a); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// testUnkeepableText: a look-up by a key no row can have, because it holds a
// NUL byte or invalid UTF-8 (a URL path segment as %00 or %FF), is not found
// or invalid, never an internal error (PostgreSQL refuses such text).
func testUnkeepableText(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	for _, key := range []string{"doc_\x00", "doc_\xff", "000.00.00.H4\x00"} {
		_, err := s.Document(ctx, key)
		if c := gateway.ErrorCode(err); c != gateway.ENOTFOUND && c != gateway.EINVALID {
			t.Errorf("Document(%q) = %v, want ENOTFOUND or EINVALID", key, err)
		}
		_, err = s.Agency(ctx, key)
		if c := gateway.ErrorCode(err); c != gateway.ENOTFOUND && c != gateway.EINVALID {
			t.Errorf("Agency(%q) = %v, want ENOTFOUND or EINVALID", key, err)
		}
	}
}
