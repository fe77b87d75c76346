//go:build !cgo

package keys

import (
	"context"
	"crypto"
	"crypto/x509"
	"io"

	"docgate/gateway"
)

// openPKCS11 needs cgo to load the module; a static build says so.
func openPKCS11(ctx context.Context, s Spec) (crypto.Signer, *x509.Certificate, io.Closer, error) {
	return nil, nil, nil, gateway.Errorf(gateway.ENOTIMPL, "PKCS#11 is not available: this docgate was built without cgo")
}
