package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"docgate/gateway/httpapi"
)

// FuzzCreateAgencyBody posts arbitrary bodies to POST /v1/agencies as an
// admin. Whatever the bytes, the answer is 201 with JSON, or a 4xx
// problem+json; never a 5xx or a panic.
func FuzzCreateAgencyBody(f *testing.F) {
	e := mustEnv(f, func(s *httpapi.Server) { s.MaxBody = 4096 })
	for _, s := range []string{
		`{"code":"000.00.00.H41","name":"x"}`,
		`{"code":"000.00.00.H41","name":"x","parent":"000.00.00.H14"}`,
		`{"code":"000.00.00.H41","name":"x","certificate":"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----"}`,
		`{"code":"000.00.00.H41","name":"x","webhook":"http://[::1"}`,
		`{"code":"000.00.00.H41","name":"\ud800"}`,
		`{} {}`, `null`, `"x"`, `{"code":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/v1/agencies", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.admin)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		ct := w.Header().Get("Content-Type")
		switch {
		case w.Code == 201 && ct == "application/json":
		case w.Code >= 400 && w.Code < 500 && ct == "application/problem+json":
		default:
			t.Fatalf("status %d, %s: %s", w.Code, ct, w.Body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("not JSON: %s", w.Body)
		}
	})
}
