package registry_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"docgate/gateway"
	"docgate/gateway/registry"
	"docgate/storage/sqlite"
)

func mustService(tb testing.TB) (*registry.Service, *sqlite.Store) {
	tb.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "r.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	key := make([]byte, registry.MinKeySize)
	rand.Read(key)
	s, err := registry.New(store, key)
	if err != nil {
		tb.Fatal(err)
	}
	return s, store
}

func as(role gateway.Role, agency string) context.Context {
	return gateway.NewContextWithPrincipal(context.Background(), &gateway.Principal{Role: role, AgencyCode: agency})
}

func TestNewRefusesShortKey(t *testing.T) {
	if _, err := registry.New(nil, make([]byte, 16)); err == nil {
		t.Fatal("a 16-byte key was accepted")
	}
}

func TestTokenStoredOnlyAsKeyedHash(t *testing.T) {
	s, store := mustService(t)
	tok, err := s.Bootstrap(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	// Only the first start issues one, unless forced.
	if _, err := s.Bootstrap(context.Background(), false); gateway.ErrorCode(err) != gateway.ECONFLICT {
		t.Fatalf("second bootstrap: %v", err)
	}
	forced, err := s.Bootstrap(context.Background(), true)
	if err != nil || forced.Secret == tok.Secret {
		t.Fatalf("forced bootstrap: %v", err)
	}
	if err := s.RevokeToken(as(gateway.RoleAdmin, ""), forced.ID); err != nil {
		t.Fatal(err)
	}
	stored, err := store.Tokens(context.Background(), "")
	if err != nil || len(stored) != 2 {
		t.Fatalf("%v %d", err, len(stored))
	}
	if len(stored[0].Hash) != 32 || bytes.Contains(stored[0].Hash, []byte(tok.Secret)) {
		t.Fatalf("stored hash %x", stored[0].Hash)
	}
	// The same secret under another key does not authenticate: the hash is
	// keyed, not a plain digest.
	other, _ := registry.New(store, bytes.Repeat([]byte{7}, 32))
	if _, err := other.Authenticate(context.Background(), tok.Secret); gateway.ErrorCode(err) != gateway.EUNAUTHORIZED {
		t.Fatalf("other key: %v", err)
	}
	p, err := s.Authenticate(context.Background(), tok.Secret)
	if err != nil || p.Role != gateway.RoleAdmin || p.TokenID != tok.ID {
		t.Fatalf("%+v %v", p, err)
	}
}

func TestAuthenticate(t *testing.T) {
	s, _ := mustService(t)
	admin := as(gateway.RoleAdmin, "")
	out, err := s.CreateAgency(admin, registry.NewAgency{Code: "000.00.00.H41", Name: "Nghệ An"})
	if err != nil {
		t.Fatal(err)
	}
	sec := out.Token.Secret
	p, err := s.Authenticate(context.Background(), sec)
	if err != nil || p.Role != gateway.RoleAgency || p.AgencyCode != "000.00.00.H41" {
		t.Fatalf("%+v %v", p, err)
	}
	flipped := []byte(sec)
	flipped[10] ^= 1
	for _, bad := range []string{"", "dg_", sec[:len(sec)-1], "xx" + sec[2:], string(flipped)} {
		if _, err := s.Authenticate(context.Background(), bad); gateway.ErrorCode(err) != gateway.EUNAUTHORIZED {
			t.Errorf("%q: %v", bad, err)
		}
	}
	st := gateway.AgencySuspended
	if _, err := s.UpdateAgency(admin, "000.00.00.H41", registry.AgencyChange{Status: &st}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(context.Background(), sec); gateway.ErrorCode(err) != gateway.EFORBIDDEN {
		t.Fatalf("suspended: %v", err)
	}
	if err := s.RevokeToken(admin, out.Token.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(context.Background(), sec); gateway.ErrorCode(err) != gateway.EUNAUTHORIZED {
		t.Fatalf("revoked: %v", err)
	}
}

func TestRoles(t *testing.T) {
	s, _ := mustService(t)
	admin := as(gateway.RoleAdmin, "")
	if _, err := s.CreateAgency(admin, registry.NewAgency{Code: "000.00.00.H41", Name: "x"}); err != nil {
		t.Fatal(err)
	}
	name := "y"
	cases := []struct {
		name string
		call func(ctx context.Context) error
		want map[gateway.Role]string // code per role; missing = allowed
	}{
		{"create", func(ctx context.Context) error {
			_, err := s.CreateAgency(ctx, registry.NewAgency{Code: "000.00.00.H14", Name: "y"})
			return err
		}, map[gateway.Role]string{gateway.RoleAgency: gateway.EFORBIDDEN, gateway.RoleAuditor: gateway.EFORBIDDEN}},
		{"update", func(ctx context.Context) error {
			_, err := s.UpdateAgency(ctx, "000.00.00.H41", registry.AgencyChange{Name: &name})
			return err
		}, map[gateway.Role]string{gateway.RoleAgency: gateway.EFORBIDDEN, gateway.RoleAuditor: gateway.EFORBIDDEN}},
		{"list", func(ctx context.Context) error {
			_, _, err := s.Agencies(ctx, gateway.AgencyFilter{})
			return err
		}, nil},
		{"tokens", func(ctx context.Context) error {
			_, err := s.Tokens(ctx, "000.00.00.H41")
			return err
		}, map[gateway.Role]string{gateway.RoleAgency: gateway.EFORBIDDEN, gateway.RoleAuditor: gateway.EFORBIDDEN}},
	}
	for _, tc := range cases {
		for _, role := range []gateway.Role{gateway.RoleAdmin, gateway.RoleAgency, gateway.RoleAuditor} {
			err := tc.call(as(role, "000.00.00.H41"))
			if got := gateway.ErrorCode(err); got != tc.want[role] {
				t.Errorf("%s as %s: %v, want code %q", tc.name, role, err, tc.want[role])
			}
		}
		if err := tc.call(context.Background()); gateway.ErrorCode(err) != gateway.EUNAUTHORIZED {
			t.Errorf("%s without principal: %v", tc.name, err)
		}
	}
}

func TestRevokeKeepsFirstTime(t *testing.T) {
	_, store := mustService(t)
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	s2, _ := registry.New(store, bytes.Repeat([]byte{1}, 32), registry.WithClock(func() time.Time { return now }))
	tok, err := s2.IssueServiceToken(as(gateway.RoleAdmin, ""), gateway.RoleAuditor, "a")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s2.RevokeToken(as(gateway.RoleAdmin, ""), tok.ID); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour)
	}
	ts, _ := store.Tokens(context.Background(), "")
	if len(ts) != 1 || ts[0].RevokedAt == nil || !ts[0].RevokedAt.Equal(time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("%+v", ts[0])
	}
}

func TestCodeRuleReplaced(t *testing.T) {
	_, store := mustService(t)
	rule := gateway.AgencyCodeRule{Pattern: regexp.MustCompile(`^VN-[0-9]{4}$`)}
	s, err := registry.New(store, bytes.Repeat([]byte{2}, 32), registry.WithCodeRule(rule))
	if err != nil {
		t.Fatal(err)
	}
	admin := as(gateway.RoleAdmin, "")
	if _, err := s.CreateAgency(admin, registry.NewAgency{Code: "VN-0001", Name: "x"}); err != nil {
		t.Fatalf("the replaced rule refused its own shape: %v", err)
	}
	if _, err := s.CreateAgency(admin, registry.NewAgency{Code: "000.00.00.H41", Name: "x"}); gateway.ErrorCode(err) != gateway.EINVALID {
		t.Fatalf("the default shape still passes: %v", err)
	}
}
