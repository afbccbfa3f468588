package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

const (
	// refetchInterval is the least time between two fetches caused by
	// tokens naming an unknown kid. Anyone can send such tokens, so they
	// must not turn Toolgate into a load on the issuer.
	refetchInterval = 30 * time.Second
	// firstRetry and maxRetry bound the back-off after a failed fetch.
	firstRetry = time.Second
	maxRetry   = time.Minute
)

// publicKey is one verification key of an issuer.
type publicKey struct {
	// alg is the key's own "alg", "" when the JWK has none. A key that
	// names its algorithm is used with that one only (RFC 7517 §4.4).
	alg string
	raw any // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// keySet is an issuer's verification keys, indexed by kid.
type keySet struct {
	keys  []publicKey
	byKID map[string][]publicKey
}

// parseKeySet reads a JWKS document. Anything but a JSON object with a
// "keys" array is an error, not an empty set (RFC 7517 §5).
func parseKeySet(body []byte) (*keySet, error) {
	var shape struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &shape); err != nil || shape.Keys == nil {
		return nil, errors.New(`not a JWK set: want a JSON object with a "keys" array`)
	}
	// Not strict: a key of a type jwx does not know is kept as a
	// placeholder, which newKeySet skips, rather than failing the set
	// (RFC 7517 §5: such keys SHOULD be ignored).
	set, err := jwk.Parse(body, jwk.WithStrictKeySetParsing(false))
	if err != nil {
		return nil, fmt.Errorf("not a JWK set: %w", err)
	}
	return newKeySet(set)
}

// newKeySet keeps the keys of set that can verify signatures: public
// RSA, EC and OKP keys not restricted to other uses. Symmetric keys are
// never taken from a key set: whoever can read a set could forge with them.
func newKeySet(set jwk.Set) (*keySet, error) {
	ks := &keySet{byKID: map[string][]publicKey{}}
	for i := range set.Len() {
		k, _ := set.Key(i)
		if jwk.IsUnsupportedKey(k) || k.KeyType() == jwa.OctetSeq() || !forSignatures(k) {
			continue
		}
		pub, err := k.PublicKey()
		if err != nil {
			continue
		}
		var raw any
		if err := jwk.Export(pub, &raw); err != nil {
			continue
		}
		switch raw.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		default:
			continue
		}
		pk := publicKey{raw: raw}
		if alg, ok := k.Algorithm(); ok {
			pk.alg = alg.String()
		}
		ks.keys = append(ks.keys, pk)
		if kid, ok := k.KeyID(); ok && kid != "" {
			ks.byKID[kid] = append(ks.byKID[kid], pk)
		}
	}
	if len(ks.keys) == 0 {
		return nil, errors.New("the key set holds no public key usable to verify signatures")
	}
	return ks, nil
}

// forSignatures honours "use" and "key_ops" (RFC 7517 §4.2, §4.3).
func forSignatures(k jwk.Key) bool {
	if use, ok := k.KeyUsage(); ok && use != "" && use != string(jwk.ForSignature) {
		return false
	}
	if ops, ok := k.KeyOps(); ok && !slices.Contains(ops, jwk.KeyOpVerify) {
		return false
	}
	return true
}

// keySource holds an issuer's current keys and keeps them fresh: a fixed
// set for the local issuer, else fetched from the JWKS URL (configured or
// discovered) in the background and again when a token names a kid the set
// lacks, which is how a key rotation shows.
type keySource struct {
	issuer  string
	jwksURL string // "" with fixed unset: discover it
	fixed   bool
	refresh time.Duration
	client  *http.Client
	log     *slog.Logger
	now     func() time.Time
	group   *group
	onFetch func(issuer string, err error) // nil: nobody listens

	keys atomic.Pointer[keySet] // nil until a fetch succeeded

	// fetchMu makes fetches one at a time, so an older answer never
	// replaces a newer one.
	fetchMu    sync.Mutex
	discovered string // guarded by fetchMu: the JWKS URL found by discovery

	mu          sync.Mutex
	lastErr     error         // the last fetch's error; nil after a success
	refetching  chan struct{} // closed when the running refetch ends
	lastRefetch time.Time
}

// run fetches the keys at once and then every refresh interval; after a
// failure it tries again sooner, backing off.
func (s *keySource) run(ctx context.Context) {
	retry := firstRetry
	for {
		wait := s.refresh
		if s.load(ctx) != nil {
			wait = min(retry, s.refresh)
			retry = min(2*retry, maxRetry)
		} else {
			retry = firstRetry
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// load fetches the key set and makes it current. A failed fetch keeps the
// last good set: a short outage of the issuer must not lock callers out.
func (s *keySource) load(ctx context.Context) error {
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	ks, err := s.fetch(ctx)
	s.mu.Lock()
	s.lastErr = err
	s.mu.Unlock()
	if s.onFetch != nil && ctx.Err() == nil {
		s.onFetch(s.issuer, err)
	}
	switch {
	case err == nil:
		s.keys.Store(ks)
	case ctx.Err() != nil:
		// Closing: not worth a warning.
	case s.keys.Load() != nil:
		s.log.Warn("refreshing an issuer's signing keys failed; keeping the last good set", "issuer", s.issuer, "error", err)
	default:
		s.log.Warn("fetching an issuer's signing keys failed; its tokens are refused until a fetch succeeds", "issuer", s.issuer, "error", err)
	}
	return err
}

func (s *keySource) fetch(ctx context.Context) (*keySet, error) {
	url := s.jwksURL
	if url == "" {
		if s.discovered == "" {
			u, err := discoverJWKS(ctx, s.client, s.issuer)
			if err != nil {
				return nil, err
			}
			s.discovered = u
		}
		url = s.discovered
	}
	body, err := getJSON(ctx, s.client, url)
	if err != nil {
		// The keys may have moved: look at the metadata again next time.
		s.discovered = ""
		return nil, fmt.Errorf("fetching the key set: %w", err)
	}
	ks, err := parseKeySet(body)
	if err != nil {
		return nil, fmt.Errorf("key set %s: %w", url, err)
	}
	return ks, nil
}

// refetch fetches the set again for a token whose kid it lacks and waits
// for the answer, or for ctx. Callers that come while a refetch runs share
// it; after one, none starts for refetchInterval. The fetch runs in the
// group, not under ctx, so a caller that gives up does not spoil it for
// the others.
func (s *keySource) refetch(ctx context.Context) {
	if s.fixed {
		return
	}
	s.mu.Lock()
	done := s.refetching
	if done == nil {
		now := s.now()
		if !s.lastRefetch.IsZero() && now.Sub(s.lastRefetch) < refetchInterval {
			s.mu.Unlock()
			return
		}
		ch := make(chan struct{})
		if !s.group.start(func(ctx context.Context) {
			s.load(ctx)
			s.mu.Lock()
			s.refetching = nil
			s.mu.Unlock()
			close(ch)
		}) {
			s.mu.Unlock()
			return
		}
		s.lastRefetch, s.refetching, done = now, ch, ch
	}
	s.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// lookup returns the keys a token's kid selects. A token without a kid is
// checked with the sole key of a one-key set; with several keys, trying
// each would let a forger choose which keys get tried. An unknown kid makes
// the set be fetched again once (rate-limited), since the issuer may have
// rotated its keys since the last fetch.
func (s *keySource) lookup(ctx context.Context, kid string) ([]publicKey, *Error) {
	ks := s.keys.Load()
	if ks == nil {
		return nil, refuse("no_keys", "the signing keys of the token's issuer are not available yet")
	}
	if kid == "" {
		if len(ks.keys) != 1 {
			return nil, refuse("unknown_key", "the token names no key (kid) and its issuer has several")
		}
		return ks.keys, nil
	}
	if keys := ks.byKID[kid]; keys != nil {
		return keys, nil
	}
	s.refetch(ctx)
	if keys := s.keys.Load().byKID[kid]; keys != nil {
		return keys, nil
	}
	return nil, refuse("unknown_key", "the token's key (kid) is not in its issuer's key set")
}

// ready says why the source has no keys, or nil when it has some.
func (s *keySource) ready() error {
	if s.keys.Load() != nil {
		return nil
	}
	s.mu.Lock()
	err := s.lastErr
	s.mu.Unlock()
	if err == nil {
		return fmt.Errorf("issuer %s: no signing keys yet: the first fetch has not finished", s.issuer)
	}
	return fmt.Errorf("issuer %s: no signing keys yet: %w", s.issuer, err)
}
