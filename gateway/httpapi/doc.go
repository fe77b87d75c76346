// Package httpapi is docgate's HTTP interface: the chi router, request IDs,
// authentication, access logs and metrics, the JSON and problem+json helpers,
// the handlers of every resource and the OpenAPI document that describes them.
//
// It translates between HTTP and the use cases and owns the mapping from
// gateway error codes to HTTP statuses; nothing else in docgate knows about
// HTTP statuses. It must not hold business rules (who may do what, what makes
// an agency valid): those live in the use-case packages it calls, so that the
// CLI and future transports follow the same rules.
package httpapi
