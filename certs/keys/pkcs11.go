//go:build cgo

package keys

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"sync"

	"github.com/miekg/pkcs11"

	"docgate/gateway"
)

// maxIdleSessions bounds the sessions kept open between signatures. More
// may be open at once under load; the extra ones are closed after use.
const maxIdleSessions = 4

// p11Signer signs with a private key that stays on a PKCS#11 token. A
// PKCS#11 session serves one operation at a time, so each Sign borrows a
// session from a pool; that makes the signer safe for concurrent use.
type p11Signer struct {
	p11  *pkcs11.Ctx
	slot uint
	key  pkcs11.ObjectHandle
	pub  crypto.PublicKey
	idle chan pkcs11.SessionHandle

	mu     sync.Mutex
	closed bool
}

var _ crypto.Signer = (*p11Signer)(nil)

func openPKCS11(ctx context.Context, s Spec) (crypto.Signer, *x509.Certificate, io.Closer, error) {
	if s.PKCS11Token == "" {
		return nil, nil, nil, gateway.Errorf(gateway.EINVALID, "PKCS#11: a token label is required")
	}
	if s.PKCS11Label == "" && s.PKCS11ID == "" {
		return nil, nil, nil, gateway.Errorf(gateway.EINVALID, "PKCS#11: a key label or ID is required")
	}
	var id []byte
	if s.PKCS11ID != "" {
		var err error
		if id, err = hex.DecodeString(strings.TrimPrefix(s.PKCS11ID, "0x")); err != nil {
			return nil, nil, nil, gateway.Errorf(gateway.EINVALID, "PKCS#11: key ID %q is not hex", s.PKCS11ID)
		}
	}
	p := pkcs11.New(s.PKCS11Module)
	if p == nil {
		return nil, nil, nil, gateway.Errorf(gateway.EINVALID, "PKCS#11 module %s cannot be loaded", s.PKCS11Module)
	}
	if err := p.Initialize(); err != nil && !isP11(err, pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		p.Destroy()
		return nil, nil, nil, fmt.Errorf("PKCS#11 initialize %s: %w", s.PKCS11Module, err)
	}
	sg := &p11Signer{p11: p, idle: make(chan pkcs11.SessionHandle, maxIdleSessions)}
	fail := func(err error) (crypto.Signer, *x509.Certificate, io.Closer, error) {
		sg.Close()
		return nil, nil, nil, err
	}
	slot, err := findToken(p, s.PKCS11Token)
	if err != nil {
		return fail(err)
	}
	sg.slot = slot
	sess, err := p.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return fail(fmt.Errorf("PKCS#11 open session: %w", err))
	}
	defer sg.put(sess)
	// Login is per application and token: one login serves every session.
	if err := p.Login(sess, pkcs11.CKU_USER, s.PIN); err != nil && !isP11(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN) {
		if isP11(err, pkcs11.CKR_PIN_INCORRECT) || isP11(err, pkcs11.CKR_PIN_LEN_RANGE) {
			return fail(gateway.Errorf(gateway.EINVALID, "PKCS#11 token %q: wrong PIN", s.PKCS11Token))
		}
		return fail(fmt.Errorf("PKCS#11 login to token %q: %w", s.PKCS11Token, err))
	}
	what := describeKey(s.PKCS11Label, s.PKCS11ID)
	keys, err := findObjects(p, sess, pkcs11.CKO_PRIVATE_KEY, s.PKCS11Label, id)
	if err != nil {
		return fail(err)
	}
	switch len(keys) {
	case 0:
		return fail(gateway.Errorf(gateway.EINVALID, "PKCS#11 token %q holds no private key with %s", s.PKCS11Token, what))
	case 1:
	default:
		return fail(gateway.Errorf(gateway.EINVALID, "PKCS#11 token %q holds %d private keys with %s; give both label and ID", s.PKCS11Token, len(keys), what))
	}
	sg.key = keys[0]

	// The certificate on the token, if any, gives the public key; else the
	// public key object does.
	var cert *x509.Certificate
	if cs, err := findObjects(p, sess, pkcs11.CKO_CERTIFICATE, s.PKCS11Label, id); err == nil && len(cs) > 0 {
		if attrs, err := p.GetAttributeValue(sess, cs[0], []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)}); err == nil {
			cert, _ = x509.ParseCertificate(attrs[0].Value)
		}
	}
	if cert != nil {
		sg.pub = cert.PublicKey
	} else if sg.pub, err = publicKey(p, sess, s.PKCS11Label, id); err != nil {
		return fail(fmt.Errorf("PKCS#11 token %q, key with %s: %w", s.PKCS11Token, what, err))
	}
	switch sg.pub.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
	default:
		return fail(gateway.Errorf(gateway.EINVALID, "PKCS#11 key with %s: key type %T is not supported", what, sg.pub))
	}
	return sg, cert, sg, nil
}

func describeKey(label, id string) string {
	switch {
	case label != "" && id != "":
		return fmt.Sprintf("label %q and ID %s", label, id)
	case label != "":
		return fmt.Sprintf("label %q", label)
	}
	return "ID " + id
}

func isP11(err error, code uint) bool {
	var e pkcs11.Error
	return errors.As(err, &e) && uint(e) == code
}

// findToken returns the slot of the token labelled label, or an error that
// lists the tokens present, so that a typo is obvious.
func findToken(p *pkcs11.Ctx, label string) (uint, error) {
	slots, err := p.GetSlotList(true)
	if err != nil {
		return 0, fmt.Errorf("PKCS#11 list slots: %w", err)
	}
	var present []string
	for _, sl := range slots {
		ti, err := p.GetTokenInfo(sl)
		if err != nil {
			continue
		}
		l := strings.TrimRight(ti.Label, " \x00")
		if l == label {
			return sl, nil
		}
		present = append(present, fmt.Sprintf("%q", l))
	}
	if len(present) == 0 {
		return 0, gateway.Errorf(gateway.EINVALID, "PKCS#11 token %q not found; no tokens present", label)
	}
	return 0, gateway.Errorf(gateway.EINVALID, "PKCS#11 token %q not found; tokens present: %s", label, strings.Join(present, ", "))
}

func findObjects(p *pkcs11.Ctx, sess pkcs11.SessionHandle, class uint, label string, id []byte) ([]pkcs11.ObjectHandle, error) {
	tmpl := []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, class)}
	if label != "" {
		tmpl = append(tmpl, pkcs11.NewAttribute(pkcs11.CKA_LABEL, label))
	}
	if id != nil {
		tmpl = append(tmpl, pkcs11.NewAttribute(pkcs11.CKA_ID, id))
	}
	if err := p.FindObjectsInit(sess, tmpl); err != nil {
		return nil, fmt.Errorf("PKCS#11 find objects: %w", err)
	}
	objs, _, err := p.FindObjects(sess, 8)
	if ferr := p.FindObjectsFinal(sess); err == nil && ferr != nil {
		err = ferr
	}
	if err != nil {
		return nil, fmt.Errorf("PKCS#11 find objects: %w", err)
	}
	return objs, nil
}

// Named curves by their DER OID, as CKA_EC_PARAMS holds them.
var curves = []struct {
	oid   asn1.ObjectIdentifier
	curve elliptic.Curve
}{
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}, elliptic.P256()},
	{asn1.ObjectIdentifier{1, 3, 132, 0, 34}, elliptic.P384()},
	{asn1.ObjectIdentifier{1, 3, 132, 0, 35}, elliptic.P521()},
}

func publicKey(p *pkcs11.Ctx, sess pkcs11.SessionHandle, label string, id []byte) (crypto.PublicKey, error) {
	objs, err := findObjects(p, sess, pkcs11.CKO_PUBLIC_KEY, label, id)
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, errors.New("no certificate and no public key object on the token; give the certificate with --cert")
	}
	attrs, err := p.GetAttributeValue(sess, objs[0], []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, nil)})
	if err != nil {
		return nil, fmt.Errorf("read key type: %w", err)
	}
	switch kt := bytesToUint(attrs[0].Value); kt {
	case pkcs11.CKK_RSA:
		a, err := p.GetAttributeValue(sess, objs[0], []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS, nil), pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, nil)})
		if err != nil {
			return nil, fmt.Errorf("read RSA public key: %w", err)
		}
		e := new(big.Int).SetBytes(a[1].Value)
		if !e.IsInt64() || e.Int64() > 1<<31 {
			return nil, errors.New("RSA public exponent out of range")
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(a[0].Value), E: int(e.Int64())}, nil
	case pkcs11.CKK_EC:
		a, err := p.GetAttributeValue(sess, objs[0], []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, nil), pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, nil)})
		if err != nil {
			return nil, fmt.Errorf("read EC public key: %w", err)
		}
		var oid asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(a[0].Value, &oid); err != nil {
			return nil, fmt.Errorf("EC parameters are not a named curve: %w", err)
		}
		var curve elliptic.Curve
		for _, c := range curves {
			if c.oid.Equal(oid) {
				curve = c.curve
			}
		}
		if curve == nil {
			return nil, fmt.Errorf("EC curve %s is not supported", oid)
		}
		// CKA_EC_POINT is a DER OCTET STRING around the uncompressed point
		// (some tokens omit the wrapper).
		point := a[1].Value
		var inner []byte
		if rest, err := asn1.Unmarshal(point, &inner); err == nil && len(rest) == 0 {
			point = inner
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
		if err != nil {
			return nil, fmt.Errorf("EC point: %w", err)
		}
		return pub, nil
	default:
		return nil, fmt.Errorf("key type %#x is not supported", kt)
	}
}

func bytesToUint(b []byte) uint {
	// CK_ULONG in host (little-endian on every platform we build for) order.
	var v uint
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint(b[i])
	}
	return v
}

func (s *p11Signer) Public() crypto.PublicKey { return s.pub }

// Sign signs digest on the token: RSA PKCS#1 v1.5 (the DigestInfo is added
// here, since CKM_RSA_PKCS signs raw bytes), RSA-PSS when opts is
// *rsa.PSSOptions, and ECDSA, whose raw r||s is returned as ASN.1 as Go's
// crypto.Signer contract requires.
func (s *p11Signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	h := opts.HashFunc()
	if h != 0 && len(digest) != h.Size() {
		return nil, fmt.Errorf("PKCS#11 sign: digest is %d bytes, %s needs %d", len(digest), h, h.Size())
	}
	var mech *pkcs11.Mechanism
	input := digest
	switch s.pub.(type) {
	case *rsa.PublicKey:
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			hm, mgf, ok := pssParams(h)
			if !ok {
				return nil, fmt.Errorf("PKCS#11 sign: RSA-PSS with %s is not supported", h)
			}
			salt := pss.SaltLength
			if salt == rsa.PSSSaltLengthEqualsHash || salt == rsa.PSSSaltLengthAuto {
				// The token needs an explicit length; the hash length is
				// what RFC 8017 recommends and every verifier accepts.
				salt = h.Size()
			}
			mech = pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_PSS, pkcs11.NewPSSParams(hm, mgf, uint(salt)))
		} else {
			prefix, ok := digestInfoPrefix(h)
			if !ok {
				return nil, fmt.Errorf("PKCS#11 sign: RSA PKCS#1 v1.5 with %s is not supported", h)
			}
			input = append(append([]byte{}, prefix...), digest...)
			mech = pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS, nil)
		}
	case *ecdsa.PublicKey:
		mech = pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil)
	}
	sess, err := s.get()
	if err != nil {
		return nil, err
	}
	if err := s.p11.SignInit(sess, []*pkcs11.Mechanism{mech}, s.key); err != nil {
		// A session in an unknown state is not returned to the pool.
		s.p11.CloseSession(sess)
		return nil, fmt.Errorf("PKCS#11 sign init: %w", err)
	}
	sig, err := s.p11.Sign(sess, input)
	if err != nil {
		s.p11.CloseSession(sess)
		return nil, fmt.Errorf("PKCS#11 sign: %w", err)
	}
	s.put(sess)
	if _, ok := s.pub.(*ecdsa.PublicKey); ok {
		if len(sig) == 0 || len(sig)%2 != 0 {
			return nil, fmt.Errorf("PKCS#11 sign: ECDSA signature of odd length %d", len(sig))
		}
		n := len(sig) / 2
		return asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])})
	}
	return sig, nil
}

func (s *p11Signer) get() (pkcs11.SessionHandle, error) {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return 0, errors.New("PKCS#11 signer is closed")
	}
	select {
	case sess := <-s.idle:
		return sess, nil
	default:
	}
	sess, err := s.p11.OpenSession(s.slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return 0, fmt.Errorf("PKCS#11 open session: %w", err)
	}
	return sess, nil
}

func (s *p11Signer) put(sess pkcs11.SessionHandle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		select {
		case s.idle <- sess:
			return
		default:
		}
	}
	s.p11.CloseSession(sess)
}

// Close closes the sessions and unloads the module. Signing afterwards
// fails.
func (s *p11Signer) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	err := s.p11.CloseAllSessions(s.slot)
	if ferr := s.p11.Finalize(); err == nil {
		err = ferr
	}
	s.p11.Destroy()
	if err != nil {
		return fmt.Errorf("PKCS#11 close: %w", err)
	}
	return nil
}

func pssParams(h crypto.Hash) (hashMech, mgf uint, ok bool) {
	switch h {
	case crypto.SHA256:
		return pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256, true
	case crypto.SHA384:
		return pkcs11.CKM_SHA384, pkcs11.CKG_MGF1_SHA384, true
	case crypto.SHA512:
		return pkcs11.CKM_SHA512, pkcs11.CKG_MGF1_SHA512, true
	}
	return 0, 0, false
}

// digestInfoPrefix is the DER of DigestInfo up to the digest (RFC 8017,
// section 9.2, note 1).
func digestInfoPrefix(h crypto.Hash) ([]byte, bool) {
	switch h {
	case crypto.SHA1:
		return []byte{0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14}, true
	case crypto.SHA256:
		return []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}, true
	case crypto.SHA384:
		return []byte{0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30}, true
	case crypto.SHA512:
		return []byte{0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40}, true
	}
	return nil, false
}
