package tsp

// Run a fuzzer with bounded minimisation, which otherwise stalls the worker for the whole run
// on these inputs:
//
//	go test -run='^$' -fuzz='^FuzzParseToken$' -fuzztime=60s -fuzzminimizetime=100x -parallel=1 .

import (
	"context"
	"crypto"
	"testing"
)

func tokenSeeds(f *testing.F) [][]byte {
	tt := mustTSA(f)
	a := tt.authority(fixedNow)
	var out [][]byte
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA512} {
		tok, err := a.Timestamp(context.Background(), sum(h, []byte("seed")), h)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, tok)
	}
	return out
}

func FuzzParseToken(f *testing.F) {
	for _, tok := range tokenSeeds(f) {
		f.Add(tok)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := ParseToken(b)
		if err != nil {
			return
		}
		if tok.Info.Hash != 0 {
			_, _ = tok.Verify(tok.Info.HashedMessage, tok.Info.Hash)
		}
	})
}

func FuzzParseResponse(f *testing.F) {
	tt := mustTSA(f)
	a := tt.authority(fixedNow)
	ctx := context.Background()
	good, _ := a.Respond(ctx, mustRequest(f, sum(crypto.SHA256, []byte("seed"))))
	f.Add(good)
	f.Add(marshalRejection(FailBadAlg, "bad"))
	f.Add(marshalRejection(FailSystemFailure, "down"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseResponse(b)
		if err != nil {
			return
		}
		_ = r.statusError().Error()
		if r.Token != nil {
			_, _ = ParseToken(r.Token)
		}
	})
}

// FuzzRespond feeds the authority arbitrary requests: it must always answer with a response
// that parses, never fail or panic.
func FuzzRespond(f *testing.F) {
	tt := mustTSA(f)
	a := tt.authority(fixedNow)
	f.Add(mustRequest(f, sum(crypto.SHA256, []byte("seed"))))
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		resp, err := a.Respond(context.Background(), b)
		if err != nil {
			t.Fatalf("Respond: %v", err)
		}
		r, err := ParseResponse(resp)
		if err != nil {
			t.Fatalf("own response does not parse: %v", err)
		}
		if r.Status == StatusGranted {
			req, err := ParseRequest(b)
			if err != nil {
				t.Fatalf("granted a request that does not parse")
			}
			tok, err := ParseToken(r.Token)
			if err != nil {
				t.Fatalf("own token does not parse: %v", err)
			}
			if _, err := tok.Verify(req.HashedMessage, req.Hash, tt.cert); err != nil {
				t.Fatalf("own token does not verify: %v", err)
			}
		}
	})
}
