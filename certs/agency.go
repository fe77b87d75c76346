package certs

import (
	"crypto/x509"
	"encoding/asn1"
	"strings"

	"docgate/gateway"
)

// OIDOrganizationIdentifier is the X.520 organizationIdentifier attribute
// (2.5.4.97). The development CA puts the agency code there, as ETSI EN
// 319 412-3 does for a legal person's identifier.
var OIDOrganizationIdentifier = asn1.ObjectIdentifier{2, 5, 4, 97}

// Subject attributes searched first, in this order, for an agency code;
// after them every other attribute is tried.
var (
	oidSerialNumber = asn1.ObjectIdentifier{2, 5, 4, 5}
	oidUID          = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
	oidOU           = asn1.ObjectIdentifier{2, 5, 4, 11}
)

// AgencyCode returns the agency code found in cert's subject, or "" when
// there is none. See AgencyCodeWith.
func AgencyCode(cert *x509.Certificate) string {
	return AgencyCodeWith(cert, gateway.AgencyCodeRule{})
}

// AgencyCodeWith looks for a subject attribute whose value has the shape of
// rule. Issuers place the code differently: organizationIdentifier (ours),
// serialNumber, UID, OU, sometimes behind a prefix such as "NTRVN-" or
// "MNS:"; all are accepted, in that order of preference.
func AgencyCodeWith(cert *x509.Certificate, rule gateway.AgencyCodeRule) string {
	if cert == nil {
		return ""
	}
	names := cert.Subject.Names
	for _, oid := range []asn1.ObjectIdentifier{OIDOrganizationIdentifier, oidSerialNumber, oidUID, oidOU} {
		for _, n := range names {
			if n.Type.Equal(oid) {
				if code := codeIn(n.Value, rule); code != "" {
					return code
				}
			}
		}
	}
	for _, n := range names {
		if code := codeIn(n.Value, rule); code != "" {
			return code
		}
	}
	return ""
}

func codeIn(v any, rule gateway.AgencyCodeRule) string {
	s, ok := v.(string)
	if !ok {
		return ""
	}
	s = strings.TrimSpace(s)
	cands := []string{s}
	if i := strings.LastIndexAny(s, ":-= "); i >= 0 {
		cands = append(cands, strings.TrimSpace(s[i+1:]))
	}
	for _, c := range cands {
		if rule.Validate(c) == nil {
			return c
		}
	}
	return ""
}
