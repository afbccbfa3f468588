package requeststate

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	s, err := New(key, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	s.now = func() time.Time { return now }
	b := Binding{Issuer: "https://as", Subject: "alice", Tool: "pay", ArgsDigest: "d1"}
	sealed, err := s.Seal(b, []byte(`{"answers":{}}`))
	if err != nil {
		t.Fatal(err)
	}

	if got, err := s.Open(b, sealed); err != nil || string(got) != `{"answers":{}}` {
		t.Fatalf("Open: %q, %v", got, err)
	}
	// A replica sharing the key opens it too.
	other, _ := New(key, time.Minute)
	other.now = s.now
	if _, err := other.Open(b, sealed); err != nil {
		t.Errorf("a sealer with the same key: %v", err)
	}

	tampered := []byte(sealed)
	tampered[len(tampered)/2] ^= 1
	random, _ := New(nil, time.Minute)
	for name, tc := range map[string]struct {
		s      *Sealer
		b      Binding
		sealed string
		want   error
	}{
		"tampered":        {s, b, string(tampered), ErrInvalid},
		"suffixed":        {s, b, sealed + "-TAMPERED", ErrInvalid},
		"not base64":      {s, b, "!!!", ErrInvalid},
		"empty":           {s, b, "", ErrInvalid},
		"another key":     {random, b, sealed, ErrInvalid},
		"another subject": {s, Binding{Issuer: b.Issuer, Subject: "mallory", Tool: b.Tool, ArgsDigest: b.ArgsDigest}, sealed, ErrForeign},
		"another issuer":  {s, Binding{Issuer: "https://other", Subject: b.Subject, Tool: b.Tool, ArgsDigest: b.ArgsDigest}, sealed, ErrForeign},
		"another tool":    {s, Binding{Issuer: b.Issuer, Subject: b.Subject, Tool: "refund", ArgsDigest: b.ArgsDigest}, sealed, ErrForeign},
		"other arguments": {s, Binding{Issuer: b.Issuer, Subject: b.Subject, Tool: b.Tool, ArgsDigest: "d2"}, sealed, ErrForeign},
	} {
		if _, err := tc.s.Open(tc.b, tc.sealed); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}

	now = now.Add(time.Minute)
	if _, err := s.Open(b, sealed); !errors.Is(err, ErrExpired) {
		t.Errorf("after its lifetime: got %v, want ErrExpired", err)
	}
}

func TestSealIsFreshEachTime(t *testing.T) {
	s, _ := New(nil, 0)
	a, _ := s.Seal(Binding{Tool: "t"}, nil)
	b, _ := s.Seal(Binding{Tool: "t"}, nil)
	if a == b {
		t.Error("two seals of the same state are equal: the nonce is not fresh")
	}
}

func TestNewRefusesAWrongKey(t *testing.T) {
	if _, err := New(make([]byte, 16), 0); err == nil {
		t.Error("a 16-byte key was accepted")
	}
}

// FuzzOpen: whatever a client sends as requestState, Open refuses it
// without panicking unless it is a state this sealer issued.
func FuzzOpen(f *testing.F) {
	s, _ := New(bytes.Repeat([]byte{1}, KeySize), time.Hour)
	b := Binding{Issuer: "i", Subject: "s", Tool: "t", ArgsDigest: "d"}
	good, _ := s.Seal(b, []byte(`{"state":1}`))
	f.Add(good)
	f.Add(good + "-TAMPERED")
	f.Add("")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, sealed string) {
		// Another encoding of the genuine bytes may open too; what it
		// carries must then be the genuine state.
		if state, err := s.Open(b, sealed); err == nil && string(state) != `{"state":1}` {
			t.Fatalf("opened %q into %q", sealed, state)
		}
	})
}

// BenchmarkSealOpen is one round's cost to the host: sealing a state with a
// few answers in it and opening it on the retry.
func BenchmarkSealOpen(b *testing.B) {
	s, _ := New(nil, time.Hour)
	bind := Binding{Issuer: "https://as.example.com", Subject: "alice", Tool: "deploy", ArgsDigest: strings.Repeat("ab", 32)}
	state := []byte(`{"answers":{"user_name":{"action":"accept","content":{"name":"Alice"}}},"state":{"id":"r-1"}}`)
	for b.Loop() {
		sealed, _ := s.Seal(bind, state)
		if _, err := s.Open(bind, sealed); err != nil {
			b.Fatal(err)
		}
	}
}
