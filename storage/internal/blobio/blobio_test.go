package blobio

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"docgate/gateway"
)

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestIngestLimit(t *testing.T) {
	for _, tt := range []struct {
		body string
		max  int64
		code string
	}{
		{"", 0, ""},
		{"abc", 0, ""},
		{"abc", 3, ""},
		{"abcd", 3, gateway.ETOOLARGE},
		{strings.Repeat("x", 100_000), 99_999, gateway.ETOOLARGE},
		{strings.Repeat("x", 100_000), 100_000, ""},
	} {
		// One byte at a time and all at once: the limit must not depend
		// on how the reader splits the body.
		for _, r := range []io.Reader{strings.NewReader(tt.body), iotest.OneByteReader(strings.NewReader(tt.body))} {
			in := NewIngest(context.Background(), r, tt.max)
			n, err := io.Copy(io.Discard, in)
			if tt.code != "" {
				if gateway.ErrorCode(err) != tt.code || gateway.ErrorCode(in.Err()) != tt.code {
					t.Fatalf("%d bytes, limit %d: %v, want %s", len(tt.body), tt.max, err, tt.code)
				}
				if n > tt.max {
					t.Fatalf("%d bytes, limit %d: passed on %d bytes", len(tt.body), tt.max, n)
				}
				if _, err := in.Finish(""); gateway.ErrorCode(err) != tt.code {
					t.Fatalf("finish after the limit: %v", err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%d bytes, limit %d: %v", len(tt.body), tt.max, err)
			}
			sum, err := in.Finish(digest(tt.body))
			if err != nil || sum != digest(tt.body) || in.Size() != int64(len(tt.body)) {
				t.Fatalf("%d bytes: finish %s, %v, size %d", len(tt.body), sum, err, in.Size())
			}
		}
	}
}

func TestIngestWrongDigest(t *testing.T) {
	in := NewIngest(context.Background(), strings.NewReader("abc"), 0)
	io.Copy(io.Discard, in)
	if _, err := in.Finish(digest("abd")); gateway.ErrorCode(err) != gateway.EINVALID {
		t.Fatalf("wrong digest: %v", err)
	}
}

func TestIngestNotDrained(t *testing.T) {
	in := NewIngest(context.Background(), strings.NewReader("abcdef"), 0)
	in.Read(make([]byte, 2))
	if _, err := in.Finish(""); err == nil {
		t.Fatal("a half-read body finished")
	}
}

func TestIngestContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	in := NewIngest(ctx, strings.NewReader(strings.Repeat("x", 1000)), 0)
	if _, err := in.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := in.Read(make([]byte, 10)); !errors.Is(err, context.Canceled) {
		t.Fatalf("read after cancel: %v", err)
	}
	if !errors.Is(in.Err(), context.Canceled) {
		t.Fatalf("Err after cancel: %v", in.Err())
	}
}

func TestIngestSourceErr(t *testing.T) {
	boom := errors.New("client went away")
	in := NewIngest(context.Background(), iotest.ErrReader(boom), 0)
	if _, err := io.Copy(io.Discard, in); !errors.Is(err, boom) {
		t.Fatalf("copy: %v", err)
	}
	if in.Err() != nil || !errors.Is(in.SourceErr(), boom) {
		t.Fatalf("Err %v, SourceErr %v", in.Err(), in.SourceErr())
	}
}

func TestVerify(t *testing.T) {
	const body = "the stored bytes"
	for _, tt := range []struct {
		name   string
		stored string
		size   int64
		code   string
	}{
		{"intact", body, int64(len(body)), ""},
		{"intact, size unknown", body, -1, ""},
		{"flipped byte", "the stored bytez", int64(len(body)), gateway.EINTEGRITY},
		{"truncated", body[:5], int64(len(body)), gateway.EINTEGRITY},
		{"longer than recorded", body + "!", int64(len(body)), gateway.EINTEGRITY},
		{"recorded size wrong", body, int64(len(body)) + 1, gateway.EINTEGRITY},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tt.stored), iotest.OneByteReader(strings.NewReader(tt.stored))} {
				v := Verify(io.NopCloser(r), digest(body), tt.size)
				got, err := io.ReadAll(v)
				if gateway.ErrorCode(err) != tt.code {
					t.Fatalf("read: %v, want code %q", err, tt.code)
				}
				if tt.code == "" && !bytes.Equal(got, []byte(body)) {
					t.Fatalf("read %q", got)
				}
				// The failure sticks: a retry of Read must not turn it into EOF.
				if _, err2 := v.Read(make([]byte, 1)); tt.code != "" && gateway.ErrorCode(err2) != tt.code {
					t.Fatalf("second read: %v", err2)
				}
			}
		})
	}
}

func TestValidDigest(t *testing.T) {
	for s, want := range map[string]bool{
		digest("x"):                  true,
		strings.ToUpper(digest("x")): false,
		digest("x")[:63]:             false,
		digest("x") + "0":            false,
		"../" + digest("x")[3:]:      false,
		"":                           false,
	} {
		if ValidDigest(s) != want {
			t.Errorf("ValidDigest(%q) = %v", s, !want)
		}
	}
}
