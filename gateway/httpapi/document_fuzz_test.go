package httpapi

import (
	"testing"

	"docgate/gateway"
)

// FuzzDecodeEnvelope feeds the JSON envelope decoder untrusted bytes: it
// must never panic, and what it accepts must be a client error or an
// envelope that Validate can judge.
func FuzzDecodeEnvelope(f *testing.F) {
	f.Add([]byte(`{"messageId":"m","from":"000.00.00.H41","to":["000.00.01.H41"],"subject":"s","dueDate":"2026-12-01T00:00:00Z"}`))
	f.Add([]byte(`{"to":[1]}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`{"business":"replace","replaces":"doc_1","to":["000.00.01.H41"],"subject":"x","from":"000.00.00.H41"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := decodeEnvelope(b)
		if err != nil {
			if gateway.ErrorCode(err) != gateway.EINVALID {
				t.Fatalf("decode error with code %q: %v", gateway.ErrorCode(err), err)
			}
			return
		}
		if err := env.Validate(gateway.AgencyCodeRule{}); err != nil && gateway.ErrorCode(err) != gateway.EINVALID {
			t.Fatalf("validate error with code %q: %v", gateway.ErrorCode(err), err)
		}
	})
}
