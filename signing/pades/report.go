package pades

import (
	"fmt"
	"io"
	"strings"
	"time"

	"docgate/gateway"
)

// WriteSummary writes rep for a person: the verdict first, then every
// signature (who, when and on what authority, whether it holds), then what
// changed after signing.
func WriteSummary(w io.Writer, name string, rep *gateway.Report) error {
	var b strings.Builder
	d := rep.Document
	fmt.Fprintf(&b, "%s: %s", name, d.Verdict)
	switch d.Verdict {
	case gateway.VerdictValid:
		b.WriteString(" (every signature valid and trusted")
	case gateway.VerdictInvalid:
		b.WriteString(" (a signature is broken or the document was changed illegally")
	case gateway.VerdictIndeterminate:
		b.WriteString(" (nothing proven broken, but trust, revocation, time or a signer's certificate could not be established")
	case gateway.VerdictUnsigned:
		b.WriteString(" (no signature")
	}
	fmt.Fprintf(&b, "; modification %s; %d revision(s))\n", d.Modification, d.Revisions)
	for _, e := range d.Errors {
		fmt.Fprintf(&b, "  note: %s\n", e)
	}
	for i, s := range rep.Signatures {
		kind := "signature"
		if s.Kind == KindTimestamp {
			kind = "document timestamp"
		}
		fmt.Fprintf(&b, "\n  %d. %s %q (revision %d)\n", i+1, kind, s.Field, s.Revision)
		intact := "NO — the signed bytes or the signature do not verify"
		if s.Intact {
			intact = "yes"
		}
		fmt.Fprintf(&b, "     intact:       %s\n", intact)
		ind := s.Indication
		if s.SubIndication != "" {
			ind += " / " + s.SubIndication
		}
		fmt.Fprintf(&b, "     indication:   %s\n", ind)
		if s.Signer != "" {
			fmt.Fprintf(&b, "     signer:       %s\n", s.Signer)
		}
		if s.Organization != "" {
			fmt.Fprintf(&b, "     organisation: %s\n", s.Organization)
		}
		if s.AgencyCode != "" {
			fmt.Fprintf(&b, "     agency code:  %s\n", s.AgencyCode)
		}
		if !s.SigningTime.IsZero() {
			fmt.Fprintf(&b, "     signed at:    %s (%s)\n", s.SigningTime.UTC().Format(time.RFC3339), s.TimeSource)
		}
		if len(s.Chain) > 0 {
			fmt.Fprintf(&b, "     chain:        %s\n", strings.Join(s.Chain, "\n                   → "))
		}
		if s.Revocation != "" {
			fmt.Fprintf(&b, "     revocation:   %s\n", s.Revocation)
		}
		if s.Level != "" {
			fmt.Fprintf(&b, "     level:        PAdES %s\n", s.Level)
		}
		fmt.Fprintf(&b, "     covers:       %s; changed since: %s\n", s.Coverage, s.Modification)
		for _, e := range s.Errors {
			fmt.Fprintf(&b, "     - %s\n", e)
		}
	}
	if len(d.EmptyFields) > 0 {
		fmt.Fprintf(&b, "\n  unsigned signature fields: %s\n", strings.Join(d.EmptyFields, ", "))
	}
	if len(d.Changes) > 0 {
		b.WriteString("\n  changes after signing:\n")
		for _, c := range d.Changes {
			fmt.Fprintf(&b, "    - %s\n", c)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
