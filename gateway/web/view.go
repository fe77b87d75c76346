package web

import (
	"strings"

	"docgate/gateway"
)

// reportView is a validation report put into words for one language. The
// words are chosen here, in Go, so that the template only lays them out and
// a test can check the choice without parsing HTML.
type reportView struct {
	Verdict      string // the report's code: VALID, INVALID, ...
	VerdictClass string // CSS class: ok, bad, warn, none
	VerdictTitle string
	VerdictText  string

	FileName  string
	Size      string
	SHA256    string
	Revisions int
	Repaired  bool
	DocErrors []string

	ModificationClass string
	ModificationText  string
	Changes           []string
	EmptyFields       []string

	Signatures []sigView
}

type sigView struct {
	Heading       string
	Class         string // ok, bad, warn
	Field         string
	Kind          string
	Signer        string
	Organization  string
	AgencyCode    string
	Time          string
	TimeUTC       string
	TimeSource    string
	Chain         []string
	Indication    string // the code, for auditors who know the vocabulary
	Result        string
	SubIndication string
	SubText       string
	Intact        bool
	IntactText    string
	Coverage      string
	CoverageText  string
	Modification  string
	ModText       string
	Level         string
	Revocation    string
	Revision      int
	Errors        []string
}

var verdictClass = map[string]string{
	gateway.VerdictValid:         "ok",
	gateway.VerdictInvalid:       "bad",
	gateway.VerdictIndeterminate: "warn",
	gateway.VerdictUnsigned:      "none",
}

var indicationClass = map[string]string{
	gateway.IndicationPassed:        "ok",
	gateway.IndicationFailed:        "bad",
	gateway.IndicationIndeterminate: "warn",
}

var modificationClass = map[string]string{
	gateway.ModificationNone:      "ok",
	gateway.ModificationPermitted: "ok",
	gateway.ModificationIllegal:   "bad",
}

func newReportView(pg *page, rep *gateway.Report, name string, size int64, sum string) *reportView {
	d := rep.Document
	v := &reportView{
		Verdict:      d.Verdict,
		VerdictClass: classOr(verdictClass, d.Verdict, "warn"),
		VerdictTitle: lookup(pg, "verdict.", d.Verdict),
		VerdictText:  lookupOr(pg, "verdict."+d.Verdict+".text", ""),

		FileName:  name,
		Size:      humanBytes(size),
		SHA256:    d.SHA256,
		Revisions: d.Revisions,
		Repaired:  d.Repaired,
		DocErrors: d.Errors,

		ModificationClass: classOr(modificationClass, d.Modification, "warn"),
		ModificationText:  lookupOr(pg, "mod."+d.Modification, d.Modification),
		Changes:           d.Changes,
		EmptyFields:       d.EmptyFields,
	}
	nsig, nts := 0, 0
	for _, s := range rep.Signatures {
		sv := sigView{
			Class:         classOr(indicationClass, s.Indication, "warn"),
			Field:         s.Field,
			Kind:          lookupOr(pg, "kind."+s.Kind, s.Kind),
			Signer:        s.Signer,
			Organization:  s.Organization,
			AgencyCode:    s.AgencyCode,
			Chain:         s.Chain,
			Indication:    s.Indication,
			Result:        lookup(pg, "ind.", s.Indication),
			SubIndication: s.SubIndication,
			Intact:        s.Intact,
			Coverage:      s.Coverage,
			CoverageText:  lookupOr(pg, "cov."+s.Coverage, s.Coverage),
			Modification:  s.Modification,
			ModText:       lookupOr(pg, "smod."+s.Modification, s.Modification),
			Level:         s.Level,
			Revision:      s.Revision,
			Errors:        s.Errors,
		}
		// The signature's own check can pass while the document was changed
		// after it in a way it does not allow; a green "passed" under a red
		// verdict would mislead a clerk, so the card says both.
		if s.Modification == "OTHER" && s.Indication == gateway.IndicationPassed {
			sv.Class = "bad"
			sv.Result = pg.T("ind.TOTAL_PASSED.changed")
		}
		if s.Kind == "timestamp" {
			nts++
			sv.Heading = pg.Tf("sig.ts.n", nts)
		} else {
			nsig++
			sv.Heading = pg.Tf("sig.n", nsig)
		}
		if s.SubIndication != "" {
			// An unknown code is shown as itself: better a code an auditor
			// can look up than nothing.
			sv.SubText = lookupOr(pg, "sub."+s.SubIndication, s.SubIndication)
		}
		if s.Intact {
			sv.IntactText = pg.T("sig.intact.yes")
		} else {
			sv.IntactText = pg.T("sig.intact.no")
		}
		if !s.SigningTime.IsZero() {
			sv.Time = vnTime(pg, s.SigningTime)
			sv.TimeUTC = s.SigningTime.UTC().Format("2006-01-02T15:04:05Z")
		}
		if s.TimeSource != "" {
			sv.TimeSource = lookupOr(pg, "ts."+s.TimeSource, s.TimeSource)
		}
		if s.Revocation != "" {
			sv.Revocation = lookupOr(pg, "rev."+s.Revocation, s.Revocation)
		}
		v.Signatures = append(v.Signatures, sv)
	}
	if v.SHA256 == "" {
		v.SHA256 = sum
	}
	return v
}

func classOr(m map[string]string, code, def string) string {
	if c, ok := m[code]; ok {
		return c
	}
	return def
}

// lookup translates a code under prefix, falling back to the code itself.
func lookup(pg *page, prefix, code string) string {
	return lookupOr(pg, prefix+code, code)
}

func lookupOr(pg *page, key, def string) string {
	if s, ok := pg.msgs[key]; ok {
		return s
	}
	return strings.TrimSpace(def)
}
