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
}

// DefaultPolicy is the design's default: a valid signature of the sender.
var DefaultPolicy = Policy{RequireSignature: true, RequireAgencyCertificate: true}

// apply checks a report against the policy. registered holds the hex SHA-256
// of the sender's registered certificates. The error says which signature
// failed and why, so that the clerk can fix the document.
func (p Policy) apply(rep *gateway.Report, from string, registered map[string]bool) error {
	if rep == nil {
		if p.RequireSignature {
			return gateway.Errorf(gateway.EINVALID, "document: the gateway cannot verify signatures, and its policy requires one")
		}
		return nil
	}
	var sigs []gateway.SignatureReport
	for _, sg := range rep.Signatures {
		if sg.Kind != "timestamp" {
			sigs = append(sigs, sg)
		}
	}
	if len(sigs) == 0 && p.RequireSignature {
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
	if !p.RequireAgencyCertificate {
		return nil
	}
	var seen []string
	for _, sg := range sigs {
		mine := registered[strings.ToLower(sg.CertificateSHA256)] || (sg.AgencyCode != "" && sg.AgencyCode == from)
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
