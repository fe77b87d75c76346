// Package certs decides whether a certificate can be trusted at a given time:
// it holds the trust anchors, builds chains to them at the signing time (not
// merely now), checks key usage, extracts the agency code from a subject, and
// answers "was this certificate revoked?" from embedded, cached or fetched
// CRLs and OCSP responses.
//
// Its results use the ETSI TS 119 102-2 vocabulary (indication and
// sub-indication) so that signing/pades can put them straight into a
// validation report. A verifier uses it like this:
//
//	res, err := trust.Verify(ctx, signerCert, certsFromCMSAndDSS, signingTime, certs.VerifyOptions{})
//	// err != nil ⇔ res.Indication != TOTAL_PASSED; res.Subjects is the chain for the report
//	revs, err := checker.CheckChain(ctx, res.Chain, signingTime, certs.RevocationData{CRLs: dssCRLs, OCSPResponses: dssOCSPs})
//	ind, sub := revs[0].Indication(signingTime, signingTimeFromTimestamp)
//	code := certs.AgencyCode(signerCert)
//
// It does not parse PDFs or CMS, does not decide what a signature policy
// requires, and never reads configuration by itself: trust files, HTTP
// clients and time limits are handed in by whoever wires it.
//
// Sub-packages: keys loads signing keys (PEM, PKCS#12, PKCS#11 tokens) and
// devca is the development certificate authority behind `docgate ca`.
package certs
