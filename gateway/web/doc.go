// Package web serves docgate's pages for people: clerks and auditors who use
// a browser rather than the JSON API. The first page is "verify a document":
// anyone can drop a PDF and read its validation report in plain words,
// in Vietnamese (the default) or English.
//
// Pages are rendered on the server with html/template from embedded files
// and work without JavaScript (plain form posts); a little script only adds
// drag-and-drop. Nothing is fetched from another origin: the gateways run
// on networks without internet access, and a page that pulls a font or a
// script from a CDN would break there (and leak who is verifying what).
//
// The package holds no business logic. It calls the gateway.Verifier it is
// given and turns the report into words; it must not decide validity itself,
// so that the page, `docgate verify` and POST /v1/verify always agree.
package web
