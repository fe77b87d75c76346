package auditlog

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"docgate/gateway"
)

// fixedKeyLog is a small log signed with a key derived from a fixed seed, so
// that fuzz seeds signed by it stay valid from run to run.
func fixedKeyLog(f *testing.F) (*Log, [][]byte, *Verifier) {
	f.Helper()
	skey, vkey, err := GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)), testOrigin)
	if err != nil {
		f.Fatal(err)
	}
	s, err := NewSigner(skey)
	if err != nil {
		f.Fatal(err)
	}
	v, err := NewLogVerifier(vkey)
	if err != nil {
		f.Fatal(err)
	}
	l := NewLog(NewMemoryStorage(), s)
	var data [][]byte
	for i := range 11 {
		data = append(data, mustEncode(f, testRecord(i)))
	}
	if _, err := l.AppendData(context.Background(), data); err != nil {
		f.Fatal(err)
	}
	return l, data, v
}

func FuzzParseLeafRecord(f *testing.F) {
	for i := range 3 {
		r := testRecord(i)
		if i == 2 {
			r.To = nil
		}
		f.Add(mustEncode(f, r))
	}
	f.Add([]byte{1, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseLeafRecord(data)
		if err != nil {
			if gateway.ErrorCode(err) != gateway.EINVALID {
				t.Fatalf("error is not EINVALID: %v", err)
			}
			return
		}
		// Canonical: the only encoding of the parsed record is the input.
		again, err := r.MarshalBinary()
		if err != nil {
			t.Fatalf("parsed record does not encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("two encodings of one record:\n%x\n%x", data, again)
		}
	})
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add("docgate.test/log\n20\nSBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I=\n")
	f.Add("docgate.test/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next\n")
	f.Add("o\n18446744073709551615\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseCheckpoint(text)
		if err != nil {
			if gateway.ErrorCode(err) != gateway.EINVALID {
				t.Fatalf("error is not EINVALID: %v", err)
			}
			return
		}
		if c.String() != text {
			t.Fatalf("parsed %q formats as %q", text, c.String())
		}
	})
}

func FuzzOpenCheckpoint(f *testing.F) {
	l, _, v := fixedKeyLog(f)
	cp, err := l.Checkpoint(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	w, _ := mustKey(f, "witness.test")
	cosigned, err := Cosign(cp, v, w)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(cp)
	f.Add(cosigned)
	f.Add([]byte("docgate.test/log\n1\nAAAA\n\n— docgate.test/log AAAAAAAA\n"))
	f.Fuzz(func(t *testing.T, signed []byte) {
		sc, err := v.OpenCheckpoint(signed)
		if err != nil {
			if !errors.Is(err, ErrVerification) && gateway.ErrorCode(err) != gateway.EINVALID {
				t.Fatalf("error is neither ErrVerification nor EINVALID: %v", err)
			}
			return
		}
		// Whatever opened must be what the log signed: the body is the
		// note text up to the signatures, byte for byte.
		if !bytes.HasPrefix(signed, []byte(sc.Checkpoint.String()+"\n")) {
			t.Fatalf("opened checkpoint %q is not the signed text", sc.Checkpoint.String())
		}
		if sc.Origin != testOrigin {
			t.Fatalf("origin %q opened", sc.Origin)
		}
	})
}

func FuzzParseProof(f *testing.F) {
	l, data, v := fixedKeyLog(f)
	for _, i := range []uint64{0, 6, 10} {
		p, err := l.Prove(context.Background(), i)
		if err != nil {
			f.Fatal(err)
		}
		if i == 6 {
			p.Extra = []byte("extra")
		}
		text, err := p.MarshalText()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(text)
	}
	f.Add([]byte("c2sp.org/tlog-proof@v1\nindex 0\n\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		p, err := ParseProof(text)
		if err != nil {
			if gateway.ErrorCode(err) != gateway.EINVALID {
				t.Fatalf("error is not EINVALID: %v", err)
			}
			return
		}
		again, err := p.MarshalText()
		if err != nil {
			t.Fatalf("parsed proof does not encode: %v", err)
		}
		if !bytes.Equal(again, text) {
			t.Fatalf("parsed %q encodes as %q", text, again)
		}
		// Verification of any parsed proof either succeeds for the leaf it
		// names or fails cleanly.
		if p.Index < uint64(len(data)) {
			if _, err := v.VerifyProof(p, data[p.Index]); err != nil &&
				!errors.Is(err, ErrVerification) && gateway.ErrorCode(err) != gateway.EINVALID {
				t.Fatalf("verification error is neither ErrVerification nor EINVALID: %v", err)
			}
		}
	})
}
