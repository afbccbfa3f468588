package verify

import (
	"crypto/elliptic"
	"crypto/x509"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// reasons are every Reason a refusal may carry.
var reasons = map[string]bool{
	"malformed": true, "bad_signature": true, "unknown_key": true, "algorithm": true, "issuer": true,
	"audience": true, "expired": true, "not_yet_valid": true, "issued_in_future": true, "too_large": true,
	"type": true, "inactive": true, "no_keys": true, "missing_claim": true, "introspection_failed": true,
	"wrong_scheme": true, "query_token": true,
}

func FuzzBearerToken(f *testing.F) {
	f.Add("Bearer abc.def.ghi", "", 64)
	f.Add("bearer  a+b/c==", "x=1", 64)
	f.Add("Basic dXNlcjpwYXNz", "", 64)
	f.Add("Bearer a b", "access_token=x", 8)
	f.Add("Bearer \x00\u00e9", "%zz", 1)
	f.Fuzz(func(t *testing.T, header, query string, max int) {
		r := &http.Request{Header: http.Header{"Authorization": {header}}, URL: &url.URL{RawQuery: query}}
		token, err := BearerToken(r, max)
		if err != nil {
			if token != "" {
				t.Fatalf("got token %q with refusal %v", token, err)
			}
			if !reasons[err.Reason] {
				t.Fatalf("got reason %q, not one of the fixed set", err.Reason)
			}
			return
		}
		if token == "" {
			t.Fatalf("header %q: got neither a token nor a refusal", header)
		}
		if strings.ContainsAny(token, " \t\r\n\v\f") || len(token) > max || !isToken68(token) {
			t.Fatalf("got token %q (max %d), want a b64token without whitespace", token, max)
		}
	})
}

// FuzzVerify: whatever the fuzzer makes of tokens that come close, none is
// accepted. The seeds are refused tokens only: expired ones, which no
// change can revive without the key, forgeries and attacks.
func FuzzVerify(f *testing.F) {
	clk := newClock()
	rsaKey := newRSAKey(f, 0, "rsa", "RS256")
	ecKey := newECKey(f, elliptic.P256(), "ec", "")
	forger := newRSAKey(f, 1, "rsa", "")
	const iss = "https://as.test"
	v := newVerifier(f, clk, Options{
		Issuers: []IssuerConfig{{
			Issuer: iss, KeySet: keySetOf(f, rsaKey, ecKey), Algorithms: []string{"RS256", "ES256"},
			Audiences: []string{resource}, ScopeClaim: "scope", RequireATJWT: true,
		}},
		ForwardClaims: []string{"email"},
	}, true)
	expired := map[string]any{"exp": clk.unix(-time.Hour), "iat": clk.unix(-2 * time.Hour), "nbf": nil}
	at := map[string]any{"typ": "at+jwt"}
	pub, err := x509.MarshalPKIXPublicKey(rsaKey.priv.Public())
	must(f, err)
	for _, seed := range []string{
		rsaKey.sign(f, "RS256", at, claimsFor(clk, iss, expired)),
		ecKey.sign(f, "ES256", at, claimsFor(clk, iss, expired)),
		forger.sign(f, "RS256", at, claimsFor(clk, iss, nil)),
		rawToken(f, map[string]any{"alg": "none", "typ": "at+jwt"}, claimsFor(clk, iss, nil), ""),
		hmacToken(f, pub, map[string]any{"alg": "HS256", "kid": "rsa", "typ": "at+jwt"}, claimsFor(clk, iss, nil)),
		"opaque-token", "", "a.b.c", "..", "e30.e30.", strings.Repeat("A", 9000),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		id, err := v.Verify(t.Context(), token)
		if err == nil {
			t.Fatalf("accepted %q as %+v", token, id)
		}
		if id != nil || !reasons[err.Reason] {
			t.Fatalf("got (%v, %q), want a refusal with a known reason", id, err.Reason)
		}
	})
}
