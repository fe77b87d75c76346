package delivery

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"docgate/gateway"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		ip, class string
	}{
		{"127.0.0.1", "loopback"},
		{"127.255.0.9", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"10.0.0.1", "private"},
		{"10.255.255.255", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.254", "private"},
		{"192.168.1.1", "private"},
		{"fc00::1", "private"},
		{"fd12:3456::1", "private"},
		{"::ffff:192.168.0.1", "private"},
		{"169.254.169.254", "link-local"}, // cloud metadata
		{"fe80::1", "link-local"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"224.0.0.1", "multicast"},
		{"239.1.2.3", "multicast"},
		{"ff02::1", "multicast"},
		{"ff0e::1", "multicast"},
		{"255.255.255.255", "broadcast"},
		{"100.64.0.1", "shared"},
		{"0.1.2.3", "this network"},
		{"64:ff9b::a00:1", "private"}, // NAT64 of 10.0.0.1
		{"8.8.8.8", ""},
		{"203.113.131.1", ""},
		{"172.32.0.1", ""},
		{"2001:4860:4860::8888", ""},
		{"64:ff9b::808:808", ""},        // NAT64 of 8.8.8.8
		{"::7f00:1", "IPv4-compatible"}, // ::127.0.0.1
		{"fec0::1", "site-local"},       // deprecated, still routed inside some sites
		{"2002:7f00:1::1", "6to4 address of a loopback"},
		{"2002:c0a8:101::1", "6to4 address of a private"},
		{"2002:808:808::1", ""}, // 6to4 of 8.8.8.8
		{"2001:0:4136:e378::1", "Teredo"},
		{"2001:db8::1", "documentation"},
		{"100::1", "discard"},
	}
	for _, c := range cases {
		got := Classify(netip.MustParseAddr(c.ip))
		if c.class == "" && got != "" || !strings.Contains(got, c.class) {
			t.Errorf("Classify(%s) = %q, want %q", c.ip, got, c.class)
		}
		err := TargetPolicy{}.CheckIP(netip.MustParseAddr(c.ip))
		if (err == nil) != (c.class == "") {
			t.Errorf("CheckIP(%s) = %v", c.ip, err)
		}
		if err := (TargetPolicy{AllowPrivate: true}).CheckIP(netip.MustParseAddr(c.ip)); err != nil {
			t.Errorf("CheckIP(%s) with AllowPrivate = %v", c.ip, err)
		}
	}
}

func TestCheckURL(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		url, why string // why empty: allowed
	}{
		{"https://8.8.8.8/hook", ""},
		{"http://[2001:4860:4860::8888]:8443/hook?k=1", ""},
		{"ftp://8.8.8.8/hook", "http or https"},
		{"https:///hook", "no host"},
		{"https://user:pw@8.8.8.8/hook", "user name or password"},
		{"https://8.8.8.8:0/hook", "invalid port"},
		{"https://8.8.8.8:99999/hook", "invalid port"},
		{"https://127.0.0.1/hook", "loopback"},
		{"https://[::1]:8080/hook", "loopback"},
		{"http://10.1.2.3/hook", "private"},
		{"http://172.20.0.5/hook", "private"},
		{"http://192.168.0.10/hook", "private"},
		{"http://[fd00::5]/hook", "private"},
		{"http://169.254.169.254/latest/meta-data", "link-local"},
		{"http://[fe80::1]/hook", "link-local"},
		{"http://0.0.0.0/hook", "unspecified"},
		{"http://224.0.0.251/hook", "multicast"},
		{"http://localhost:8080/hook", "loopback name"},
		{"http://api.localhost/hook", "loopback name"},
		{"%zz", "not a URL"},
	}
	for _, c := range cases {
		err := TargetPolicy{}.CheckURL(ctx, c.url)
		if c.why == "" {
			if err != nil {
				t.Errorf("CheckURL(%s) = %v, want allowed", c.url, err)
			}
			continue
		}
		if gateway.ErrorCode(err) != gateway.EINVALID || !strings.Contains(gateway.ErrorMessage(err), c.why) {
			t.Errorf("CheckURL(%s) = %v, want EINVALID saying %q", c.url, err, c.why)
		}
	}
	// The operator's switch lets private targets through, never a bad URL.
	allow := TargetPolicy{AllowPrivate: true}
	if err := allow.CheckURL(ctx, "http://10.1.2.3/hook"); err != nil {
		t.Errorf("AllowPrivate: %v", err)
	}
	if err := allow.CheckURL(ctx, "ftp://10.1.2.3/hook"); err == nil {
		t.Error("AllowPrivate let an ftp URL through")
	}
}

// TestControl is the dial-time check: what a name resolved to at push time,
// whatever it resolved to when it was registered.
func TestControl(t *testing.T) {
	p := TargetPolicy{}
	for _, addr := range []string{"127.0.0.1:80", "[::1]:443", "10.0.0.7:443", "192.168.1.1:8080", "[fe80::1%eth0]:80", "169.254.169.254:80", "0.0.0.0:80", "[ff02::1]:80"} {
		if err := p.Control("tcp", addr, nil); err == nil {
			t.Errorf("Control(%s) allowed the dial", addr)
		}
	}
	if err := p.Control("tcp", "8.8.8.8:443", nil); err != nil {
		t.Errorf("Control(8.8.8.8:443) = %v", err)
	}
	if err := (TargetPolicy{AllowPrivate: true}).Control("tcp", "127.0.0.1:80", nil); err != nil {
		t.Errorf("Control with AllowPrivate = %v", err)
	}
}
