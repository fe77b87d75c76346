package exchange

import (
	"fmt"
	"strings"

	"docgate/gateway"
)

// Policy says what signatures a submitted PDF needs. Whatever it requires,
// a PDF whose signatures fail or that was changed illegally after signing is
// refused: a broken signature is never passed on.
type Policy struct {
	// RequireSignature refuses unsigned PDFs.
	RequireSignature bool
	// RequireAgencyCertificate asks for at least one TOTAL_PASSED signature
	// by the sending agency: a certificate registered to it, or one whose
	// agency code is the sender's.
	RequireAgencyCertificate bool
	// RequireSeal asks for the organisation's seal: a TOTAL_PASSED
	// signature of the sending agency made with a seal certificate (see
	// IsSeal) that comes after every personal signature of the agency, since
	// an official document is signed by the competent person first and then
	// sealed by the organisation.
	RequireSeal bool
}

// DefaultPolicy is the design's default: a valid signature of the sender.
var DefaultPolicy = Policy{RequireSignature: true, RequireAgencyCertificate: true}

// signers is what the gateway knows of the sender's certificates, by hex
// SHA-256 (lower case): those registered to it, and the seal certificates
// the gateway holds for it.
type signers struct {
	registered map[string]bool
	seals      map[string]bool
}

func (k signers) mine(sg gateway.SignatureReport, from string) bool {
	h := strings.ToLower(sg.CertificateSHA256)
	return k.registered[h] || k.seals[h] || (sg.AgencyCode != "" && sg.AgencyCode == from)
}

// IsSeal says whether a signature was made with an organisation's
// certificate rather than a person's. The rule: the certificate's subject
// names the organisation itself, its common name being one of its
// organisation names (O), as in an agency certificate of the development CA
// (docgate ca issue without --person); a personal certificate names the
// competent person in CN and the organisation only in O. A certificate
// whose seal key the gateway holds (--gateway-seal) is a seal whatever its
// subject says.
func IsSeal(sg gateway.SignatureReport) bool {
	cn := strings.TrimSpace(commonName(sg.Signer))
	if cn == "" || sg.Organization == "" {
		return false
	}
	for _, o := range strings.Split(sg.Organization, ", ") {
		if strings.EqualFold(strings.TrimSpace(o), cn) {
			return true
		}
	}
	return strings.EqualFold(strings.TrimSpace(sg.Organization), cn)
}

// commonName finds the CN in a subject rendered as certs.SubjectString
// does (RFC 4514, backslash escapes).
func commonName(dn string) string {
	var attrs []string
	var cur strings.Builder
	for i := 0; i < len(dn); i++ {
		switch c := dn[i]; {
		case c == '\\' && i+1 < len(dn):
			i++
			cur.WriteByte(dn[i])
		case c == ',' || c == '+':
			attrs = append(attrs, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	attrs = append(attrs, cur.String())
	for _, a := range attrs {
		if k, v, ok := strings.Cut(a, "="); ok && strings.EqualFold(strings.TrimSpace(k), "CN") {
			return v
		}
	}
	return ""
}

// apply checks a report against the policy. The error says which signature
// failed and why, so that the clerk can fix the document.
func (p Policy) apply(rep *gateway.Report, from string, k signers) error {
	if rep == nil {
		if p.RequireSignature || p.RequireSeal {
			return gateway.Errorf(gateway.EINVALID, "document: the gateway cannot verify signatures, and its policy requires one")
		}
		return nil
	}
	sigs := signatures(rep)
	if len(sigs) == 0 && (p.RequireSignature || p.RequireSeal) {
		return gateway.Errorf(gateway.EINVALID, "document: the PDF is not signed; sign it with the agency's certificate (docgate sign) and send it again")
	}
	for _, sg := range rep.Signatures {
		if !sg.Intact || sg.Indication == gateway.IndicationFailed {
			return gateway.Errorf(gateway.EINVALID, "document: signature %s does not verify (%s%s)%s",
				sg.Field, sg.Indication, sub(sg.SubIndication), why(sg.Errors))
		}
	}
	if rep.Document.Modification == gateway.ModificationIllegal {
		return gateway.Errorf(gateway.EINVALID, "document: the PDF was changed after it was signed in ways the signatures do not allow%s", why(rep.Document.Changes))
	}
	if p.RequireAgencyCertificate {
		if err := agencySignature(sigs, from, k); err != nil {
			return err
		}
	}
	if p.RequireSeal {
		return checkSeal(sigs, from, k)
	}
	return nil
}

// signatures are the report's signatures, document timestamps left out.
func signatures(rep *gateway.Report) []gateway.SignatureReport {
	var sigs []gateway.SignatureReport
	for _, sg := range rep.Signatures {
		if sg.Kind != "timestamp" {
			sigs = append(sigs, sg)
		}
	}
	return sigs
}

func agencySignature(sigs []gateway.SignatureReport, from string, k signers) error {
	var seen []string
	for _, sg := range sigs {
		mine := k.mine(sg, from)
		if mine && sg.Indication == gateway.IndicationPassed {
			return nil
		}
		switch {
		case !mine:
			seen = append(seen, fmt.Sprintf("%s is signed by %q, not a certificate of %s", sg.Field, sg.Signer, from))
		default:
			seen = append(seen, fmt.Sprintf("%s by %s is %s%s%s", sg.Field, from, sg.Indication, sub(sg.SubIndication), why(sg.Errors)))
		}
	}
	if len(seen) == 0 {
		return gateway.Errorf(gateway.EINVALID, "document: no signature of %s; sign it with a certificate registered to the agency", from)
	}
	return gateway.Errorf(gateway.EINVALID, "document: no valid signature of %s: %s", from, strings.Join(seen, "; "))
}

// isSealOf says whether sg is a seal of agency from.
func (k signers) isSealOf(sg gateway.SignatureReport, from string) bool {
	return k.seals[strings.ToLower(sg.CertificateSHA256)] || (k.mine(sg, from) && IsSeal(sg))
}

// hasSeal reports whether the PDF carries a valid seal of from after every
// personal signature of from.
func hasSeal(sigs []gateway.SignatureReport, from string, k signers) bool {
	return checkSeal(sigs, from, k) == nil
}

// checkSeal requires a TOTAL_PASSED seal of from later than every personal
// signature of from. Order matters: a seal covers only the revisions before
// it, so a personal signature added after the seal is one the organisation
// never sealed, and the document is not the one it issued.
func checkSeal(sigs []gateway.SignatureReport, from string, k signers) error {
	lastPerson, lastSeal := -1, -1
	var bad []string
	for i, sg := range sigs {
		switch {
		case k.isSealOf(sg, from) && sg.Indication == gateway.IndicationPassed:
			lastSeal = i
		case k.isSealOf(sg, from):
			bad = append(bad, fmt.Sprintf("the seal %s is %s%s%s", sg.Field, sg.Indication, sub(sg.SubIndication), why(sg.Errors)))
		case k.mine(sg, from):
			lastPerson = i
		}
	}
	switch {
	case lastSeal >= 0 && lastSeal > lastPerson:
		return nil
	case lastSeal >= 0:
		return gateway.Errorf(gateway.EINVALID, "document: the seal of %s (%s) comes before the personal signature %s; "+
			"the competent person signs first and the organisation's seal comes last: sign again in that order",
			from, sigs[lastSeal].Field, sigs[lastPerson].Field)
	case len(bad) > 0:
		return gateway.Errorf(gateway.EINVALID, "document: no valid seal of %s: %s", from, strings.Join(bad, "; "))
	}
	return gateway.Errorf(gateway.EINVALID, "document: the organisation's seal of %s is missing: the policy requires a signature with the agency's "+
		"seal certificate (one naming the organisation, not a person) after the competent person's signature", from)
}

func sub(s string) string {
	if s == "" {
		return ""
	}
	return "/" + s
}

func why(errs []string) string {
	if len(errs) == 0 {
		return ""
	}
	return ": " + strings.Join(errs, "; ")
}
