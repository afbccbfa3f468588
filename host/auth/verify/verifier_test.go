package verify

import (
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/toolgate/toolgate/host/auth/localissuer"
)

// fixture is a verifier trusting two live authorization servers. as1 is
// trusted under several identifiers that share its key set, each with
// other settings; as2 has keys of its own.
type fixture struct {
	clk      *clock
	as1, as2 *testAS
	rsa      *testKey // as1's RSA key; its JWK says RS256
	ec       *testKey // as1's P-256 key; its JWK names no alg
	ps       *testKey // as1's second RSA key; its JWK names no alg
	ed       *testKey // as1's Ed25519 key
	other    *testKey // as2's key
	v        *Verifier
}

// Issuer identifiers of the fixture, as suffixes of as1's URL.
const (
	issPlain  = ""      // scope claim "scope", RS256 and ES256
	issSCP    = "/scp"  // scope claim "scp"
	issPerm   = "/perm" // scope claim "permissions"
	issATJWT  = "/at"   // requires typ at+jwt
	issPS     = "/ps"   // allows PS256, RS384 and EdDSA too
	localIss  = "https://local.test"
	forwarded = "email"
)

func newFixture(t *testing.T) *fixture {
	f := &fixture{clk: newClock(), as1: newAS(t), as2: newAS(t)}
	f.rsa = newRSAKey(t, 0, "rsa-1", "RS256")
	f.ec = newECKey(t, elliptic.P256(), "ec-1", "")
	f.ps = newRSAKey(t, 4, "rsa-2", "")
	f.other = newRSAKey(t, 1, "as2-1", "")
	_, edPriv, err := ed25519.GenerateKey(nil)
	must(t, err)
	f.ed = newTestKey(t, edPriv, "ed-1", "EdDSA")
	f.as1.serveKeys(f.rsa, f.ec, f.ps, f.ed)
	f.as2.serveKeys(f.other)
	scp := f.as1.issuerOf(f.as1.URL + issSCP)
	scp.ScopeClaim = "scp"
	perm := f.as1.issuerOf(f.as1.URL + issPerm)
	perm.ScopeClaim = "permissions"
	at := f.as1.issuerOf(f.as1.URL + issATJWT)
	at.RequireATJWT = true
	ps := f.as1.issuerOf(f.as1.URL + issPS)
	ps.Algorithms = []string{"RS256", "PS256", "RS384", "EdDSA"}
	local := IssuerConfig{
		Issuer: localIss, KeySet: keySetOf(t, newRSAKey(t, 2, "", "")),
		Algorithms: []string{"RS256"}, Audiences: []string{resource}, ScopeClaim: "scope",
	}
	f.v = newVerifier(t, f.clk, Options{
		Issuers:       []IssuerConfig{f.as1.issuerOf(f.as1.URL), scp, perm, at, ps, f.as2.issuerOf(f.as2.URL), local},
		ForwardClaims: []string{forwarded, "groups"},
	}, true)
	return f
}

// token is a valid RS256 token of as1's issuer under suffix, with edits.
func (f *fixture) token(t *testing.T, suffix string, edit map[string]any) string {
	return f.rsa.sign(t, "RS256", nil, claimsFor(f.clk, f.as1.URL+suffix, edit))
}

func TestVerifyRefuses(t *testing.T) {
	f := newFixture(t)
	iss := f.as1.URL
	pubDER, err := x509.MarshalPKIXPublicKey(f.rsa.priv.Public())
	must(t, err)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	valid := f.token(t, issPlain, nil)
	otherValid := f.token(t, issPlain, map[string]any{"sub": "bob"})
	forger := newRSAKey(t, 3, "rsa-1", "")
	unknown := newRSAKey(t, 3, "rsa-9", "")

	tests := []struct {
		name   string
		token  func(t *testing.T) string
		reason string
	}{
		{"empty", func(*testing.T) string { return "" }, "malformed"},
		{"opaque, no introspection", func(*testing.T) string { return "opaque-token-value" }, "malformed"},
		{"not a b64token", func(*testing.T) string { return "a b.c" }, "malformed"},
		{"header not JSON", func(*testing.T) string { return "bm90IGpzb24.e30.c2ln" }, "malformed"},
		{"header without alg", func(t *testing.T) string {
			return rawToken(t, map[string]any{"typ": "JWT"}, claimsFor(f.clk, iss, nil), "c2ln")
		}, "malformed"},
		{"claims not JSON", func(t *testing.T) string { return b64json(t, map[string]any{"alg": "RS256"}) + ".bm90IGpzb24.c2ln" }, "malformed"},
		{"iss not a string", func(t *testing.T) string { return f.token(t, issPlain, map[string]any{"iss": 42}) }, "malformed"},
		{"signature not a b64token", func(*testing.T) string { return valid[:strings.LastIndex(valid, ".")+1] + "!!" }, "malformed"},
		{"signature of an impossible base64 length", func(*testing.T) string { return valid[:strings.LastIndex(valid, ".")+1] + "A" }, "malformed"},
		{"exp not a number", func(t *testing.T) string { return f.token(t, issPlain, map[string]any{"exp": "soon"}) }, "malformed"},
		{"crit header", func(t *testing.T) string {
			return f.rsa.sign(t, "RS256", map[string]any{"crit": []string{"exp"}, "exp": 1}, claimsFor(f.clk, iss, nil))
		}, "malformed"},
		{"scope claim a number", func(t *testing.T) string { return f.token(t, issPlain, map[string]any{"scope": 7}) }, "malformed"},
		{"client_id a number", func(t *testing.T) string { return f.token(t, issPlain, map[string]any{"client_id": 7}) }, "malformed"},
		{"bad signature: another key with the same kid", func(t *testing.T) string {
			return forger.sign(t, "RS256", nil, claimsFor(f.clk, iss, nil))
		}, "bad_signature"},
		{"bad signature: another token's signature", func(*testing.T) string {
			return valid[:strings.LastIndex(valid, ".")] + otherValid[strings.LastIndex(otherValid, "."):]
		}, "bad_signature"},
		{"bad signature: claims changed", func(t *testing.T) string {
			parts := strings.Split(valid, ".")
			return parts[0] + "." + b64json(t, claimsFor(f.clk, iss, map[string]any{"scope": "admin"})) + "." + parts[2]
		}, "bad_signature"},
		{"alg none", func(t *testing.T) string {
			return rawToken(t, map[string]any{"alg": "none"}, claimsFor(f.clk, iss, nil), "")
		}, "algorithm"},
		{"alg None", func(t *testing.T) string {
			return rawToken(t, map[string]any{"alg": "None", "kid": "rsa-1"}, claimsFor(f.clk, iss, nil), "")
		}, "algorithm"},
		{"HS256 keyed with the RSA public key PEM", func(t *testing.T) string {
			return hmacToken(t, pubPEM, map[string]any{"alg": "HS256", "kid": "rsa-1"}, claimsFor(f.clk, iss, nil))
		}, "algorithm"},
		{"HS256 keyed with the RSA public key DER, no kid", func(t *testing.T) string {
			return hmacToken(t, pubDER, map[string]any{"alg": "HS256"}, claimsFor(f.clk, f.as1.URL+issPS, nil))
		}, "algorithm"},
		{"HS256 keyed with the JWKS itself", func(t *testing.T) string {
			return hmacToken(t, jwks(t, f.rsa), map[string]any{"alg": "HS256", "kid": "rsa-1"}, claimsFor(f.clk, iss, nil))
		}, "algorithm"},
		{"algorithm not allowed for the issuer", func(t *testing.T) string {
			return newRSAKey(t, 0, "rsa-1", "").sign(t, "RS384", nil, claimsFor(f.clk, iss, nil))
		}, "algorithm"},
		{"key type does not fit alg: ES256 with the RSA kid", func(t *testing.T) string {
			return newTestKey(t, f.ec.priv, "rsa-1", "").sign(t, "ES256", nil, claimsFor(f.clk, iss, nil))
		}, "algorithm"},
		{"key alg does not match header alg", func(t *testing.T) string {
			return f.rsa.sign(t, "RS384", nil, claimsFor(f.clk, f.as1.URL+issPS, nil))
		}, "algorithm"},
		{"unknown kid", func(t *testing.T) string { return unknown.sign(t, "RS256", nil, claimsFor(f.clk, iss, nil)) }, "unknown_key"},
		{"no kid, several keys", func(t *testing.T) string {
			return f.rsa.sign(t, "RS256", map[string]any{"kid": nil}, claimsFor(f.clk, iss, nil))
		}, "unknown_key"},
		{"iss of another trusted issuer, signed with this one's key", func(t *testing.T) string {
			return f.rsa.sign(t, "RS256", nil, claimsFor(f.clk, f.as2.URL, nil))
		}, "unknown_key"},
		{"untrusted iss", func(t *testing.T) string { return f.token(t, issPlain, map[string]any{"iss": "https://evil.test"}) }, "issuer"},
		{"iss with a trailing slash", func(t *testing.T) string { return f.token(t, issPlain, map[string]any{"iss": iss + "/"}) }, "issuer"},
		{"no iss", func(t *testing.T) string { return f.token(t, issPlain, map[string]any{"iss": nil}) }, "issuer"},
		{"wrong aud", func(t *testing.T) string {
			return f.token(t, issPlain, map[string]any{"aud": "https://other.test/mcp"})
		}, "audience"},
		{"aud array without this resource", func(t *testing.T) string {
			return f.token(t, issPlain, map[string]any{"aud": []string{"a", resource + "/"}})
		}, "audience"},
		{"no aud", func(t *testing.T) string { return f.token(t, issPlain, map[string]any{"aud": nil}) }, "audience"},
		{"expired beyond the skew", func(t *testing.T) string {
			return f.token(t, issPlain, map[string]any{"exp": f.clk.unix(-31 * time.Second)})
		}, "expired"},
		{"exp at now minus the skew", func(t *testing.T) string {
			return f.token(t, issPlain, map[string]any{"exp": f.clk.unix(-30 * time.Second)})
		}, "expired"},
		{"no exp", func(t *testing.T) string { return f.token(t, issPlain, map[string]any{"exp": nil}) }, "missing_claim"},
		{"nbf in the future", func(t *testing.T) string {
			return f.token(t, issPlain, map[string]any{"nbf": f.clk.unix(31 * time.Second)})
		}, "not_yet_valid"},
		{"iat in the future", func(t *testing.T) string {
			return f.token(t, issPlain, map[string]any{"iat": f.clk.unix(31 * time.Second)})
		}, "issued_in_future"},
		{"no sub", func(t *testing.T) string { return f.token(t, issPlain, map[string]any{"sub": nil}) }, "missing_claim"},
		{"empty sub", func(t *testing.T) string { return f.token(t, issPlain, map[string]any{"sub": ""}) }, "missing_claim"},
		{"typ JWT where at+jwt is required", func(t *testing.T) string {
			return f.rsa.sign(t, "RS256", map[string]any{"typ": "JWT"}, claimsFor(f.clk, iss+issATJWT, nil))
		}, "type"},
		{"no typ where at+jwt is required", func(t *testing.T) string { return f.token(t, issATJWT, nil) }, "type"},
		{"oversized", func(t *testing.T) string {
			return f.token(t, issPlain, map[string]any{"pad": strings.Repeat("x", 8192)})
		}, "too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := tt.token(t)
			id, err := f.v.Verify(t.Context(), token)
			wantRefusal(t, id, err, tt.reason, token)
		})
	}
}

func TestVerifyAccepts(t *testing.T) {
	f := newFixture(t)
	iss := f.as1.URL

	exp := time.Unix(f.clk.unix(time.Hour), 0)
	tests := []struct {
		name  string
		v     *Verifier
		token func(t *testing.T) string
		want  Identity
	}{
		{"scope string, sorted and unique", f.v, func(t *testing.T) string {
			return f.token(t, issPlain, map[string]any{"scope": "tools:write  tools:read tools:write"})
		}, Identity{Subject: "alice", ClientID: "app-1", Issuer: iss, Scopes: []string{"tools:read", "tools:write"}, ExpiresAt: exp}},
		{"ES256", f.v, func(t *testing.T) string {
			return f.ec.sign(t, "ES256", nil, claimsFor(f.clk, iss, nil))
		}, Identity{Subject: "alice", ClientID: "app-1", Issuer: iss, Scopes: []string{"tools:read", "tools:write"}, ExpiresAt: exp}},
		{"scp array", f.v, func(t *testing.T) string {
			return f.token(t, issSCP, map[string]any{"scope": nil, "scp": []string{"b", "a"}})
		}, Identity{Subject: "alice", ClientID: "app-1", Issuer: iss + issSCP, Scopes: []string{"a", "b"}, ExpiresAt: exp}},
		{"scp string", f.v, func(t *testing.T) string {
			return f.token(t, issSCP, map[string]any{"scp": "x y"})
		}, Identity{Subject: "alice", ClientID: "app-1", Issuer: iss + issSCP, Scopes: []string{"x", "y"}, ExpiresAt: exp}},
		{"custom scope claim", f.v, func(t *testing.T) string {
			return f.token(t, issPerm, map[string]any{"permissions": []string{"files:read"}})
		}, Identity{Subject: "alice", ClientID: "app-1", Issuer: iss + issPerm, Scopes: []string{"files:read"}, ExpiresAt: exp}},
		{"no scope claim", f.v, func(t *testing.T) string {
			return f.token(t, issPlain, map[string]any{"scope": nil})
		}, Identity{Subject: "alice", ClientID: "app-1", Issuer: iss, ExpiresAt: exp}},
		{"azp when there is no client_id", f.v, func(t *testing.T) string {
			return f.token(t, issPlain, map[string]any{"client_id": nil, "azp": "spa", "scope": nil})
		}, Identity{Subject: "alice", ClientID: "spa", Issuer: iss, ExpiresAt: exp}},
		{"client_id before azp", f.v, func(t *testing.T) string {
			return f.token(t, issPlain, map[string]any{"azp": "spa", "scope": nil})
		}, Identity{Subject: "alice", ClientID: "app-1", Issuer: iss, ExpiresAt: exp}},
		{"forward_claims: only those configured and present", f.v, func(t *testing.T) string {
			return f.token(t, issPlain, map[string]any{"scope": nil, forwarded: "a@example.test", "secret": "x"})
		}, Identity{Subject: "alice", ClientID: "app-1", Issuer: iss, ExpiresAt: exp, Claims: map[string]any{forwarded: "a@example.test"}}},
		{"aud array naming this resource", f.v, func(t *testing.T) string {
			return f.token(t, issPlain, map[string]any{"aud": []string{"https://other.test", resource}, "scope": nil})
		}, Identity{Subject: "alice", ClientID: "app-1", Issuer: iss, ExpiresAt: exp}},
		{"exp, nbf and iat within the skew", f.v, func(t *testing.T) string {
			return f.token(t, issPlain, map[string]any{"scope": nil, "exp": f.clk.unix(-29 * time.Second), "nbf": f.clk.unix(29 * time.Second), "iat": f.clk.unix(29 * time.Second)})
		}, Identity{Subject: "alice", ClientID: "app-1", Issuer: iss, ExpiresAt: time.Unix(f.clk.unix(-29*time.Second), 0)}},
		{"typ at+jwt", f.v, func(t *testing.T) string {
			return f.rsa.sign(t, "RS256", map[string]any{"typ": "at+jwt"}, claimsFor(f.clk, iss+issATJWT, map[string]any{"scope": nil}))
		}, Identity{Subject: "alice", ClientID: "app-1", Issuer: iss + issATJWT, ExpiresAt: exp}},
		{"typ application/AT+JWT", f.v, func(t *testing.T) string {
			return f.rsa.sign(t, "RS256", map[string]any{"typ": "application/AT+JWT"}, claimsFor(f.clk, iss+issATJWT, map[string]any{"scope": nil}))
		}, Identity{Subject: "alice", ClientID: "app-1", Issuer: iss + issATJWT, ExpiresAt: exp}},
		{"EdDSA", f.v, func(t *testing.T) string {
			return f.ed.sign(t, "EdDSA", nil, claimsFor(f.clk, iss+issPS, map[string]any{"scope": nil}))
		}, Identity{Subject: "alice", ClientID: "app-1", Issuer: iss + issPS, ExpiresAt: exp}},
		{"second issuer, its own key", f.v, func(t *testing.T) string {
			return f.other.sign(t, "RS256", nil, claimsFor(f.clk, f.as2.URL, map[string]any{"scope": nil}))
		}, Identity{Subject: "alice", ClientID: "app-1", Issuer: f.as2.URL, ExpiresAt: exp}},
		{"PS256 with a key whose JWK names no alg", f.v, func(t *testing.T) string {
			return f.ps.sign(t, "PS256", nil, claimsFor(f.clk, iss+issPS, map[string]any{"scope": nil}))
		}, Identity{Subject: "alice", ClientID: "app-1", Issuer: iss + issPS, ExpiresAt: exp}},
		{"no kid with a one-key set", f.v, func(t *testing.T) string {
			return newRSAKey(t, 2, "", "").sign(t, "RS256", nil, claimsFor(f.clk, localIss, map[string]any{"scope": nil}))
		}, Identity{Subject: "alice", ClientID: "app-1", Issuer: localIss, ExpiresAt: exp}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := wantAccepted(t, tt.v, tt.token(t))
			wantIdentity(t, id, tt.want)
		})
	}

	t.Run("token minted by the local issuer", func(t *testing.T) {
		// The local issuer mints with the real clock.
		li, err := localissuer.Open(filepath.Join(t.TempDir(), "key.pem"), localIss)
		must(t, err)
		minted, err := li.Mint(localissuer.Token{Subject: "carol", ClientID: "toolgate-cli", Scopes: []string{"b", "a"}, Audience: resource, TTL: time.Hour})
		must(t, err)
		realTime := &clock{}
		realTime.ns.Store(time.Now().UnixNano())
		lv := newVerifier(t, realTime, Options{Issuers: []IssuerConfig{{
			Issuer: localIss, KeySet: li.PublicKeys(), Algorithms: []string{"RS256"},
			Audiences: []string{resource}, ScopeClaim: "scope", RequireATJWT: true,
		}}}, true)
		id := wantAccepted(t, lv, minted)
		if id.Subject != "carol" || id.ClientID != "toolgate-cli" || id.Issuer != localIss || !reflect.DeepEqual(id.Scopes, []string{"a", "b"}) {
			t.Errorf("got identity %+v, want carol of toolgate-cli with scopes a b", *id)
		}
	})
}
