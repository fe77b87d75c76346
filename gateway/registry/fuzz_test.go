package registry

import (
	"encoding/hex"
	"testing"

	"docgate/gateway"
)

// FuzzParseCertificate feeds untrusted certificate uploads to the parser:
// it must never panic, and whatever it accepts must carry a digest and DER.
func FuzzParseCertificate(f *testing.F) {
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte{0x30, 0x82, 0x01, 0x00})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseCertificate(data)
		if err != nil {
			if code := gateway.ErrorCode(err); code != gateway.EINVALID && code != gateway.ETOOLARGE {
				t.Fatalf("error code %q: %v", code, err)
			}
			return
		}
		if len(c.DER) == 0 {
			t.Fatal("accepted without DER")
		}
		if b, err := hex.DecodeString(c.SHA256); err != nil || len(b) != 32 {
			t.Fatalf("digest %q", c.SHA256)
		}
	})
}
