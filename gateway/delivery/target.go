package delivery

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"docgate/gateway"
)

// TargetPolicy decides which addresses webhooks may reach. By default only
// public unicast addresses: a webhook is a URL an agency chose, and without
// this check it would let any agency make the gateway probe the operator's
// internal network (SSRF).
type TargetPolicy struct {
	// AllowPrivate lets webhooks reach loopback, private, link-local and
	// other non-public addresses (docgate serve --webhook-allow-private),
	// for gateways whose agencies sit on an internal network, and for tests.
	AllowPrivate bool
	// Resolver looks host names up for CheckURL; nil uses the system's.
	Resolver *net.Resolver
}

// reserved lists ranges that are not public unicast yet are not caught by
// netip's classifiers.
var reserved = []struct {
	prefix netip.Prefix
	class  string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a \"this network\" address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a shared (carrier-grade NAT) address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol assignment address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local-use NAT64 address"},
	{netip.MustParsePrefix("::/96"), "an IPv4-compatible IPv6 address (deprecated)"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address (deprecated)"},
	{netip.MustParsePrefix("2001::/32"), "a Teredo tunnel address"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
	{netip.MustParsePrefix("100::/64"), "a discard-only address"},
}

// Classify returns what kind of non-public address ip is ("a loopback
// address", ...), or "" when it is public unicast.
func Classify(ip netip.Addr) string {
	ip = ip.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	switch {
	case !ip.IsValid():
		return "an invalid address"
	case ip.IsUnspecified():
		return "the unspecified address"
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsPrivate():
		return "a private address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address"
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "a multicast address"
	case ip.Is4() && ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "the broadcast address"
	}
	if ip.Is6() {
		// NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embed an IPv4 address,
		// which is what the packets reach: judge that one.
		b := ip.As16()
		if p := netip.MustParsePrefix("64:ff9b::/96"); p.Contains(ip) {
			if c := Classify(netip.AddrFrom4([4]byte(b[12:16]))); c != "" {
				return c
			}
		}
		if p := netip.MustParsePrefix("2002::/16"); p.Contains(ip) {
			if c := Classify(netip.AddrFrom4([4]byte(b[2:6]))); c != "" {
				return "a 6to4 address of " + c
			}
		}
	}
	for _, r := range reserved {
		if r.prefix.Contains(ip) {
			return r.class
		}
	}
	return ""
}

// CheckIP returns EINVALID when the policy forbids ip.
func (p TargetPolicy) CheckIP(ip netip.Addr) error {
	if p.AllowPrivate {
		return nil
	}
	if c := Classify(ip); c != "" {
		return gateway.Errorf(gateway.EINVALID, "webhook address %s is %s; only public addresses are allowed (the operator can allow private ones with --webhook-allow-private)", ip.Unmap(), c)
	}
	return nil
}

// CheckURL validates a webhook URL when an agency registers it: http or
// https, a host, no credentials, and every address the host resolves to
// allowed. EINVALID with a message for the agency.
func (p TargetPolicy) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return gateway.Errorf(gateway.EINVALID, "webhook %q is not a URL", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return gateway.Errorf(gateway.EINVALID, "webhook must be an http or https URL, not %q", u.Scheme)
	}
	if u.User != nil {
		// They would be sent with every push and shown wherever the URL is.
		return gateway.Errorf(gateway.EINVALID, "webhook URL must not carry a user name or password; pushes are signed instead")
	}
	host := u.Hostname()
	if host == "" {
		return gateway.Errorf(gateway.EINVALID, "webhook URL %q has no host", raw)
	}
	if port := u.Port(); port != "" {
		if n, err := netip.ParseAddrPort("0.0.0.0:" + port); err != nil || n.Port() == 0 {
			return gateway.Errorf(gateway.EINVALID, "webhook URL %q has an invalid port", raw)
		}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return p.CheckIP(ip)
	}
	if p.AllowPrivate {
		return nil
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return gateway.Errorf(gateway.EINVALID, "webhook host %s is a loopback name; only public addresses are allowed", host)
	}
	r := p.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		// A name that does not resolve yet (its DNS is still being set up)
		// cannot be judged now; the dial-time check judges every address
		// it resolves to later.
		return nil
	}
	for _, ip := range ips {
		if c := Classify(ip); c != "" {
			return gateway.Errorf(gateway.EINVALID, "webhook host %s resolves to %s, %s; only public addresses are allowed (the operator can allow private ones with --webhook-allow-private)", host, ip.Unmap(), c)
		}
	}
	return nil
}

// RefusedAddressError is a dial the policy stopped.
type RefusedAddressError struct {
	Addr  netip.Addr
	Class string // "a loopback address", ...
}

func (e *RefusedAddressError) Error() string {
	return fmt.Sprintf("webhook address %s is %s; only public addresses are allowed", e.Addr, e.Class)
}

// Control is a net.Dialer Control function that refuses connections to
// forbidden addresses. It runs after name resolution, on the address
// actually dialled, so a name that resolves differently at push time than at
// registration (DNS rebinding) is caught too.
func (p TargetPolicy) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook dial %s: unexpected address: %w", address, err)
	}
	if p.AllowPrivate {
		return nil
	}
	if c := Classify(ap.Addr()); c != "" {
		return &RefusedAddressError{Addr: ap.Addr().Unmap(), Class: c}
	}
	return nil
}
