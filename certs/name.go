package certs

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"strings"
)

// attrNames are the short names used when printing a subject. pkix.Name
// prints organizationIdentifier (where our agency codes live) as a hex
// OID dump, which no clerk can read.
var attrNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.4":                    "SN",
	"2.5.4.5":                    "SERIALNUMBER",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "STREET",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "T",
	"2.5.4.42":                   "GN",
	"2.5.4.97":                   "organizationIdentifier",
	"0.9.2342.19200300.100.1.1":  "UID",
	"0.9.2342.19200300.100.1.25": "DC",
	"1.2.840.113549.1.9.1":       "emailAddress",
}

// SubjectString renders a certificate's subject in RFC 4514 order (most
// specific first) with readable names for the attributes government
// certificates use.
func SubjectString(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	return NameString(c.Subject)
}

// NameString renders a distinguished name like SubjectString.
func NameString(n pkix.Name) string {
	rdns := n.ToRDNSequence()
	if len(n.Names) > 0 {
		// Names holds what was parsed, including attributes pkix.Name has no
		// field for; prefer it when the name came from a certificate.
		var seq pkix.RDNSequence
		for _, a := range n.Names {
			seq = append(seq, pkix.RelativeDistinguishedNameSET{a})
		}
		rdns = seq
	}
	var parts []string
	for i := len(rdns) - 1; i >= 0; i-- {
		var set []string
		for _, a := range rdns[i] {
			key, ok := attrNames[a.Type.String()]
			if !ok {
				key = a.Type.String()
			}
			set = append(set, key+"="+escapeDN(fmt.Sprint(a.Value)))
		}
		parts = append(parts, strings.Join(set, "+"))
	}
	return strings.Join(parts, ",")
}

func escapeDN(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case strings.ContainsRune(",+\"\\<>;", r),
			i == 0 && (r == ' ' || r == '#'),
			i == len(s)-1 && r == ' ':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
