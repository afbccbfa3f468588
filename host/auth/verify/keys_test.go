package verify

import (
	"crypto/elliptic"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestKeyRotation rotates the key set at a live JWKS server: a token with
// the new kid is refused until the refetch it triggers finds the key, with
// no restart, and refetches are rate-limited per issuer.
func TestKeyRotation(t *testing.T) {
	clk := newClock()
	as := newAS(t)
	old := newRSAKey(t, 0, "old", "")
	rotated := newRSAKey(t, 1, "new", "")
	as.serveKeys(old)
	v := newVerifier(t, clk, Options{Issuers: []IssuerConfig{as.issuerOf(as.URL)}}, true)
	fetches := func() int { return as.hitsOf("/jwks") }
	start := fetches()
	mint := func() string { return rotated.sign(t, "RS256", nil, claimsFor(clk, as.URL, nil)) }

	steps := []struct {
		name        string
		before      func()
		wantReason  string // "" = accepted
		wantFetches int    // since start
	}{
		{"new kid before the rotation: refetched, still unknown", nil, "unknown_key", 1},
		{"again at once: no refetch", nil, "unknown_key", 1},
		{"rotated, but within 30 s of the last refetch: no refetch", func() { as.serveKeys(old, rotated) }, "unknown_key", 1},
		{"29 s later: still rate-limited", func() { clk.add(29 * time.Second) }, "unknown_key", 1},
		{"31 s after the refetch: refetched and accepted", func() { clk.add(2 * time.Second) }, "", 2},
		{"the new key is now known: no refetch", nil, "", 2},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.before != nil {
				s.before()
			}
			token := mint()
			if s.wantReason == "" {
				wantAccepted(t, v, token)
			} else {
				id, err := v.Verify(t.Context(), token)
				wantRefusal(t, id, err, s.wantReason, token)
			}
			if got := fetches() - start; got != s.wantFetches {
				t.Errorf("got %d fetches of the key set, want %d", got, s.wantFetches)
			}
		})
	}

	t.Run("old key still accepted while the set holds it", func(t *testing.T) {
		wantAccepted(t, v, old.sign(t, "RS256", nil, claimsFor(clk, as.URL, nil)))
	})
}

// TestRefetchShared has many concurrent tokens with an unknown kid cause
// one fetch.
func TestRefetchShared(t *testing.T) {
	clk := newClock()
	as := newAS(t)
	key := newRSAKey(t, 0, "k1", "")
	as.serveKeys(key)
	v := newVerifier(t, clk, Options{Issuers: []IssuerConfig{as.issuerOf(as.URL)}}, true)
	start := as.hitsOf("/jwks")
	stranger := newRSAKey(t, 1, "k2", "")
	tokens := make([]string, 32)
	for i := range tokens {
		tokens[i] = stranger.sign(t, "RS256", nil, claimsFor(clk, as.URL, nil))
	}
	var wg sync.WaitGroup
	for _, token := range tokens {
		wg.Go(func() {
			if _, err := v.Verify(t.Context(), token); err == nil || err.Reason != "unknown_key" {
				t.Errorf("got %v, want unknown_key", err)
			}
		})
	}
	wg.Wait()
	if got := as.hitsOf("/jwks") - start; got != 1 {
		t.Errorf("got %d fetches for %d concurrent tokens, want 1", got, len(tokens))
	}
}

// TestBackgroundRefresh picks up a new key without any token asking.
func TestBackgroundRefresh(t *testing.T) {
	clk := newClock()
	as := newAS(t)
	first, second := newRSAKey(t, 0, "first", ""), newRSAKey(t, 1, "second", "")
	as.serveKeys(first)
	ic := as.issuerOf(as.URL)
	ic.KeyRefresh = 20 * time.Millisecond
	v := newVerifier(t, clk, Options{Issuers: []IssuerConfig{ic}}, true)
	as.serveKeys(second)
	iss := v.issuers[as.URL].keys
	waitFor(t, "the background refresh", func() bool { return iss.keys.Load().byKID["second"] != nil })
	token := second.sign(t, "RS256", nil, claimsFor(clk, as.URL, nil))
	wantAccepted(t, v, token)
}

// TestRefreshFailureKeepsKeys: a failed refetch keeps the last good set and
// logs a warning, which holds no token.
func TestRefreshFailureKeepsKeys(t *testing.T) {
	clk := newClock()
	as := newAS(t)
	key := newRSAKey(t, 0, "k1", "")
	as.serveKeys(key)
	var logs logBuffer
	v := newVerifier(t, clk, Options{Issuers: []IssuerConfig{as.issuerOf(as.URL)}, Logger: logs.logger()}, true)

	as.serveRaw([]byte(`{"error":"down"}`), 503)
	unknown := newRSAKey(t, 1, "k2", "").sign(t, "RS256", nil, claimsFor(clk, as.URL, nil))
	id, err := v.Verify(t.Context(), unknown)
	wantRefusal(t, id, err, "unknown_key", unknown)

	as.serveRaw([]byte(`{"keys":"not a list"}`), 0)
	clk.add(refetchInterval)
	id, err = v.Verify(t.Context(), unknown)
	wantRefusal(t, id, err, "unknown_key", unknown)

	wantAccepted(t, v, key.sign(t, "RS256", nil, claimsFor(clk, as.URL, nil)))
	if err := v.Ready(); err != nil {
		t.Errorf("Ready with a last good set: got %v, want nil", err)
	}
	out := logs.String()
	if got := strings.Count(out, "keeping the last good set"); got != 2 {
		t.Errorf("got %d warnings about keeping the last good set, want 2; log:\n%s", got, out)
	}
	for _, part := range strings.Split(unknown, ".") {
		if strings.Contains(out, part) {
			t.Errorf("the log holds part of a token:\n%s", out)
		}
	}
}

// TestNoKeys: an issuer whose keys were never had refuses its tokens with
// no_keys, Ready names it, and New did not fail; once the server is back
// the background retries get the keys.
func TestNoKeys(t *testing.T) {
	clk := newClock()
	as := newAS(t)
	key := newRSAKey(t, 0, "k1", "")
	as.serveRaw([]byte("oops"), 500)
	v := newVerifier(t, clk, Options{Issuers: []IssuerConfig{as.issuerOf(as.URL)}}, false)
	waitFor(t, "a failed fetch", func() bool {
		return as.hitsOf("/jwks") > 0 && v.Ready() != nil && strings.Contains(v.Ready().Error(), "500")
	})

	err := v.Ready()
	if !strings.Contains(err.Error(), as.URL) {
		t.Errorf("Ready: got %q, want it to name issuer %s", err, as.URL)
	}
	token := key.sign(t, "RS256", nil, claimsFor(clk, as.URL, nil))
	id, verr := v.Verify(t.Context(), token)
	wantRefusal(t, id, verr, "no_keys", token)

	as.serveKeys(key)
	waitFor(t, "the keys after a retry", func() bool { return v.Ready() == nil })
	wantAccepted(t, v, token)
}

// TestReadyNamesEachIssuer: Ready is about the issuers that need keys; an
// issuer with introspection does not hold it back.
func TestReadyNamesEachIssuer(t *testing.T) {
	clk := newClock()
	up, down, introspecting := newAS(t), newAS(t), newAS(t)
	up.serveKeys(newRSAKey(t, 0, "k", ""))
	down.serveRaw(nil, 404)
	introspecting.serveRaw(nil, 404)
	in := introspecting.issuerOf(introspecting.URL)
	in.Introspection = &Introspection{URL: introspecting.URL + "/introspect", ClientID: introspectID, ClientSecret: introspectSecret}
	v := newVerifier(t, clk, Options{Issuers: []IssuerConfig{up.issuerOf(up.URL), down.issuerOf(down.URL), in}}, false)
	waitFor(t, "the first fetches to end", func() bool {
		return v.issuers[up.URL].keys.keys.Load() != nil && strings.Contains(v.Ready().Error(), "404")
	})
	err := v.Ready().Error()
	if !strings.Contains(err, down.URL) || strings.Contains(err, up.URL) || strings.Contains(err, introspecting.URL) {
		t.Errorf("Ready: got %q, want it to name %s alone", err, down.URL)
	}
}

// TestKeySetDocuments: what a JWKS endpoint may answer.
func TestKeySetDocuments(t *testing.T) {
	rsaKey := newRSAKey(t, 0, "good", "")
	good := string(jwks(t, rsaKey))
	goodKey := good[strings.Index(good, "[")+1 : strings.LastIndex(good, "]")]
	tests := []struct {
		name    string
		body    string
		wantErr string // "" = usable
	}{
		{"a set", good, ""},
		{"an unknown key type is skipped (RFC 7517 §5)", `{"keys":[{"kty":"PQC","kid":"pq","x":"AAAA"},` + goodKey + `]}`, ""},
		{"a single JWK is not a set", goodKey, "not a JWK set"},
		{"empty object", `{}`, "not a JWK set"},
		{"keys not an array", `{"keys":{}}`, "not a JWK set"},
		{"not JSON", `<html>`, "not a JWK set"},
		{"JSON array", `[` + goodKey + `]`, "not a JWK set"},
		{"empty set", `{"keys":[]}`, "no public key usable"},
		{"symmetric key only", `{"keys":[{"kty":"oct","kid":"s","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}]}`, "no public key usable"},
		{"encryption key only", strings.Replace(good, `"kty"`, `"use":"enc","kty"`, 1), "no public key usable"},
		{"key_ops without verify", strings.Replace(good, `"kty"`, `"key_ops":["encrypt"],"kty"`, 1), "no public key usable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ks, err := parseKeySet([]byte(tt.body))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got error %v, want a key set", err)
			case tt.wantErr == "" && ks.byKID["good"] == nil:
				t.Fatalf("got keys %v, want key good", ks.byKID)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("got error %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}

// TestKeyFits: each algorithm takes only keys of its type and size.
func TestKeyFits(t *testing.T) {
	p256 := newECKey(t, elliptic.P256(), "", "")
	p384 := newECKey(t, elliptic.P384(), "", "")
	rsa := newRSAKey(t, 0, "", "")
	tests := []struct {
		alg  string
		key  *testKey
		want bool
	}{
		{"RS256", rsa, true},
		{"PS512", rsa, true},
		{"RS256", p256, false},
		{"ES256", p256, true},
		{"ES256", p384, false},
		{"ES384", p384, true},
		{"ES256", rsa, false},
		{"EdDSA", p256, false},
	}
	for _, tt := range tests {
		if got := algorithms[tt.alg].fits(tt.key.priv.Public()); got != tt.want {
			t.Errorf("%s fits %T: got %v, want %v", tt.alg, tt.key.priv, got, tt.want)
		}
	}
}

// TestCloseEndsGoroutines: nothing runs after Close, not even the retry
// loop of an issuer that cannot be reached.
func TestCloseEndsGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	clk := newClock()
	ic := IssuerConfig{
		Issuer: "http://127.0.0.1:1", Algorithms: []string{"RS256"}, Audiences: []string{resource},
		ScopeClaim: "scope", KeyRefresh: time.Hour,
	}
	v, err := New(t.Context(), Options{Issuers: []IssuerConfig{ic}, MaxTokenBytes: 8192, Now: clk.now})
	must(t, err)
	time.Sleep(20 * time.Millisecond)
	done := make(chan struct{})
	go func() { v.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	v.Close() // twice is harmless
	v.issuers[ic.Issuer].keys.refetch(t.Context())
	waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}
