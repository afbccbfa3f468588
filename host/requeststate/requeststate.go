// Package requeststate seals the requestState of a 2026-07-28 input_required
// result. The state passes through the client, which the spec treats as an
// attacker: it is encrypted and authenticated (AES-256-GCM) and binds what it
// carries to the caller, the tool, the tool's arguments and an expiry, so a
// client can neither read it, alter it, use it after it lapses, nor present
// it for another caller or another call.
//
// Sealing does not make a state single-use: within its lifetime the same
// caller may present it again for the same call.
package requeststate

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// KeySize is the key length: AES-256.
const KeySize = 32

// DefaultTTL is how long a sealed state stays good: long enough for a person
// to answer a form, short enough to bound replays.
const DefaultTTL = 10 * time.Minute

// Binding is what a state belongs to; Open refuses it for anything else.
type Binding struct {
	Issuer, Subject string // the caller; empty when authorization is off
	Tool            string
	// ArgsDigest is a digest of the call's arguments.
	ArgsDigest string
}

var (
	// ErrInvalid: the state was not sealed by this server (or a replica
	// sharing its key), or it was altered.
	ErrInvalid = errors.New("requestState is not one this server issued, or it was altered")
	// ErrExpired: the state's lifetime passed.
	ErrExpired = errors.New("requestState has expired")
	// ErrForeign: the state belongs to another caller or another call.
	ErrForeign = errors.New("requestState belongs to another caller, tool or set of arguments")
)

// Sealer seals and opens states. It is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
	ttl  time.Duration
	now  func() time.Time
}

// New returns a Sealer with key (KeySize bytes); a nil key draws a random
// one, which suits a single process: its states die with it.
func New(key []byte, ttl time.Duration) (*Sealer, error) {
	if key == nil {
		key = make([]byte, KeySize)
		rand.Read(key)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("request state key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Sealer{aead: aead, ttl: ttl, now: time.Now}, nil
}

// payload is the sealed plaintext.
type payload struct {
	Binding
	Expires int64  `json:"exp"` // Unix seconds
	State   []byte `json:"state,omitempty"`
}

// additionalData ties the ciphertext to its use, so a key shared with
// something else cannot have its ciphertexts taken for states.
var additionalData = []byte("toolgate requestState v1")

// Seal returns the sealed form of state, bound to b, as URL-safe base64.
func (s *Sealer) Seal(b Binding, state []byte) (string, error) {
	plain, err := json.Marshal(payload{Binding: b, Expires: s.now().Add(s.ttl).Unix(), State: state})
	if err != nil {
		return "", err
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, additionalData)), nil
}

// Open checks a sealed state against b and returns what it carries.
func (s *Sealer) Open(b Binding, sealed string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return nil, ErrInvalid
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], additionalData)
	if err != nil {
		return nil, ErrInvalid
	}
	var p payload
	if err := json.Unmarshal(plain, &p); err != nil {
		return nil, ErrInvalid
	}
	if p.Binding != b {
		return nil, ErrForeign
	}
	if s.now().Unix() >= p.Expires {
		return nil, ErrExpired
	}
	return p.State, nil
}
