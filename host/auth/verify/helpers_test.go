package verify

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// resource is the canonical URL of the protected resource in the tests.
const resource = "https://mcp.example.test/mcp"

// clock is a settable time source for Options.Now.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Unix(1_800_000_000, 0).UnixNano())
	return c
}

func (c *clock) now() time.Time             { return time.Unix(0, c.ns.Load()) }
func (c *clock) add(d time.Duration)        { c.ns.Add(int64(d)) }
func (c *clock) unix(d time.Duration) int64 { return c.now().Add(d).Unix() }

// RSA keys are slow to generate, so the tests share a few.
var (
	rsaMu   sync.Mutex
	rsaPool []*rsa.PrivateKey
)

func rsaKeyN(t testing.TB, n int) *rsa.PrivateKey {
	t.Helper()
	rsaMu.Lock()
	defer rsaMu.Unlock()
	for len(rsaPool) <= n {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		rsaPool = append(rsaPool, k)
	}
	return rsaPool[n]
}

// testKey is a signing key and the JWK that publishes its public half.
type testKey struct {
	kid  string
	priv crypto.Signer
	jwk  jwk.Key
}

// newRSAKey uses the n-th shared RSA key; jwkAlg, if set, goes into the JWK.
func newRSAKey(t testing.TB, n int, kid, jwkAlg string) *testKey {
	return newTestKey(t, rsaKeyN(t, n), kid, jwkAlg)
}

func newECKey(t testing.TB, curve elliptic.Curve, kid, jwkAlg string) *testKey {
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return newTestKey(t, k, kid, jwkAlg)
}

func newTestKey(t testing.TB, priv crypto.Signer, kid, jwkAlg string) *testKey {
	t.Helper()
	pub, err := jwk.Import(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	if kid != "" {
		must(t, pub.Set(jwk.KeyIDKey, kid))
	}
	if jwkAlg != "" {
		must(t, pub.Set(jwk.AlgorithmKey, jwkAlg))
	}
	return &testKey{kid: kid, priv: priv, jwk: pub}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// sign makes a compact JWS of claims. The header gets alg, and the key's
// kid unless hdr says otherwise (a nil value removes a member). Signing
// is done here with the standard library, so jwx only ever verifies.
func (k *testKey) sign(t testing.TB, alg string, hdr, claims map[string]any) string {
	t.Helper()
	h := map[string]any{"alg": alg}
	if k.kid != "" {
		h["kid"] = k.kid
	}
	for name, val := range hdr {
		if val == nil {
			delete(h, name)
		} else {
			h[name] = val
		}
	}
	input := b64json(t, h) + "." + b64json(t, claims)
	return input + "." + b64(signature(t, k.priv, alg, []byte(input)))
}

func signature(t testing.TB, priv crypto.Signer, alg string, input []byte) []byte {
	t.Helper()
	if k, ok := priv.(ed25519.PrivateKey); ok {
		return ed25519.Sign(k, input) // EdDSA signs the input itself
	}
	hashes := map[string]crypto.Hash{"256": crypto.SHA256, "384": crypto.SHA384, "512": crypto.SHA512}
	h := hashes[alg[2:]]
	d := h.New()
	d.Write(input)
	digest := d.Sum(nil)
	var sig []byte
	var err error
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		if alg[0] == 'P' {
			sig, err = rsa.SignPSS(rand.Reader, k, h, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(nil, k, h, digest)
		}
	case *ecdsa.PrivateKey:
		// JWS wants r and s side by side, each the size of the curve
		// (RFC 7518 §3.4), not ASN.1.
		r, s, e := ecdsa.Sign(rand.Reader, k, digest)
		size := (k.Curve.Params().BitSize + 7) / 8
		sig, err = append(r.FillBytes(make([]byte, size)), s.FillBytes(make([]byte, size))...), e
	default:
		t.Fatalf("no signer for %T", priv)
	}
	must(t, err)
	return sig
}

// hmacToken is the key-confusion attack: an HS256 token whose HMAC secret
// is the bytes of a public key, which the attacker knows.
func hmacToken(t testing.TB, secret []byte, hdr, claims map[string]any) string {
	input := b64json(t, hdr) + "." + b64json(t, claims)
	m := hmac.New(crypto.SHA256.New, secret)
	m.Write([]byte(input))
	return input + "." + b64(m.Sum(nil))
}

// rawToken joins a header, claims and signature as given.
func rawToken(t testing.TB, hdr, claims map[string]any, sig string) string {
	return b64json(t, hdr) + "." + b64json(t, claims) + "." + sig
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func b64json(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	return b64(b)
}

// jwks is the JSON of a key set holding the public keys.
func jwks(t testing.TB, keys ...*testKey) []byte {
	t.Helper()
	set := jwk.NewSet()
	for _, k := range keys {
		must(t, set.AddKey(k.jwk))
	}
	b, err := json.Marshal(set)
	must(t, err)
	return b
}

func keySetOf(t testing.TB, keys ...*testKey) jwk.Set {
	t.Helper()
	set, err := jwk.Parse(jwks(t, keys...))
	must(t, err)
	return set
}

// claimsFor are the claims of a valid token from issuer iss; edit sets or,
// with a nil value, removes members.
func claimsFor(clk *clock, iss string, edit map[string]any) map[string]any {
	c := map[string]any{
		"iss":       iss,
		"sub":       "alice",
		"aud":       resource,
		"exp":       clk.unix(time.Hour),
		"iat":       clk.unix(0),
		"nbf":       clk.unix(0),
		"client_id": "app-1",
		"scope":     "tools:read tools:write",
		"jti":       rand.Text(),
	}
	for name, val := range edit {
		if val == nil {
			delete(c, name)
		} else {
			c[name] = val
		}
	}
	return c
}

// testAS is a live authorization server: it serves a key set at /jwks,
// metadata documents at the paths it is given, and RFC 7662 introspection
// at /introspect, and counts the requests to each path.
type testAS struct {
	*httptest.Server
	t *testing.T

	mu         sync.Mutex
	keys       []byte
	keysStatus int
	docs       map[string]any
	answers    map[string]map[string]any // introspection answers by token
	hits       map[string]int
}

// Credentials Toolgate introspects with; the secret needs form encoding.
const (
	introspectID     = "toolgate"
	introspectSecret = "s3cret:with/odd chars"
)

func newAS(t *testing.T) *testAS {
	as := &testAS{t: t, docs: map[string]any{}, answers: map[string]map[string]any{}, hits: map[string]int{}}
	as.Server = httptest.NewServer(http.HandlerFunc(as.serve))
	t.Cleanup(as.Close)
	return as
}

func (as *testAS) serve(w http.ResponseWriter, r *http.Request) {
	as.mu.Lock()
	defer as.mu.Unlock()
	as.hits[r.URL.Path]++
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/jwks":
		if as.keysStatus != 0 {
			w.WriteHeader(as.keysStatus)
		}
		w.Write(as.keys)
	case "/introspect":
		as.introspect(w, r)
	default:
		doc, ok := as.docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(doc)
	}
}

func (as *testAS) introspect(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	id, _ = url.QueryUnescape(id)
	secret, _ = url.QueryUnescape(secret)
	if r.Method != http.MethodPost || !ok || id != introspectID || secret != introspectSecret ||
		r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token_type_hint") != "access_token" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	answer, ok := as.answers[r.PostForm.Get("token")]
	if !ok {
		answer = map[string]any{"active": false}
	}
	if status, ok := answer["status"].(int); ok {
		w.WriteHeader(status)
		return
	}
	json.NewEncoder(w).Encode(answer)
}

func (as *testAS) serveKeys(keys ...*testKey) {
	b := jwks(as.t, keys...)
	as.serveRaw(b, 0)
}

func (as *testAS) serveRaw(body []byte, status int) {
	as.mu.Lock()
	defer as.mu.Unlock()
	as.keys, as.keysStatus = body, status
}

func (as *testAS) serveDoc(path string, doc any) {
	as.mu.Lock()
	defer as.mu.Unlock()
	as.docs[path] = doc
}

func (as *testAS) answer(token string, a map[string]any) {
	as.mu.Lock()
	defer as.mu.Unlock()
	as.answers[token] = maps.Clone(a)
}

func (as *testAS) hitsOf(path string) int {
	as.mu.Lock()
	defer as.mu.Unlock()
	return as.hits[path]
}

// issuerOf configures as as an issuer with iss as its identifier and its
// /jwks as the key set.
func (as *testAS) issuerOf(iss string) IssuerConfig {
	return IssuerConfig{
		Issuer:     iss,
		JWKSURL:    as.URL + "/jwks",
		Algorithms: []string{"RS256", "ES256"},
		Audiences:  []string{resource},
		ScopeClaim: "scope",
		KeyRefresh: time.Hour,
	}
}

// newVerifier builds a Verifier on the test clock, closed at the end of the
// test, and waits until it has keys when ready is set.
func newVerifier(t testing.TB, clk *clock, opts Options, ready bool) *Verifier {
	t.Helper()
	if opts.MaxTokenBytes == 0 {
		opts.MaxTokenBytes = 8192
	}
	if opts.ClockSkew == 0 {
		opts.ClockSkew = 30 * time.Second
	}
	opts.Now = clk.now
	v, err := New(t.Context(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(v.Close)
	if ready {
		waitFor(t, "the verifier to be ready", func() bool { return v.Ready() == nil })
	}
	return v
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// logBuffer collects log output safely across goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// wantAccepted verifies a token that must be accepted.
func wantAccepted(t *testing.T, v *Verifier, token string) *Identity {
	t.Helper()
	id, err := v.Verify(t.Context(), token)
	if err != nil {
		t.Fatalf("got refusal %v, want identity", err)
	}
	return id
}

// wantRefusal checks that err refuses with reason and that its description
// repeats no part of the token.
func wantRefusal(t *testing.T, id *Identity, err *Error, reason, token string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got identity %+v, want refusal %q", id, reason)
	}
	if err.Reason != reason {
		t.Fatalf("got reason %q (%s), want %q", err.Reason, err.Description, reason)
	}
	wantDescription(t, err)
	for _, part := range bytesSplit(token) {
		if len(part) >= 4 && bytes.Contains([]byte(err.Description), []byte(part)) {
			t.Errorf("description %q repeats part of the token", err.Description)
		}
	}
}

// wantDescription checks that a refusal's description can be sent as an
// error_description as it is (RFC 6750 §3).
func wantDescription(t *testing.T, err *Error) {
	t.Helper()
	if err.Description == "" {
		t.Errorf("refusal %q has no description", err.Reason)
	}
	if strings.ContainsFunc(err.Description, func(r rune) bool { return r < 0x20 || r > 0x7e || r == '"' || r == '\\' }) {
		t.Errorf("description %q has characters error_description cannot carry", err.Description)
	}
}

// bytesSplit is the token, its segments and the values in them, which a
// description must not repeat.
func bytesSplit(token string) []string {
	parts := []string{token}
	for _, seg := range bytes.Split([]byte(token), []byte(".")) {
		parts = append(parts, string(seg))
		if b, err := base64.RawURLEncoding.DecodeString(string(seg)); err == nil {
			var m map[string]any
			if json.Unmarshal(b, &m) == nil {
				for _, v := range m {
					parts = append(parts, fmt.Sprint(v))
				}
			}
		}
	}
	return parts
}

// wantIdentity compares identities, their times by instant.
func wantIdentity(t *testing.T, got *Identity, want Identity) {
	t.Helper()
	g := *got
	if !g.ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("got ExpiresAt %v, want %v", g.ExpiresAt, want.ExpiresAt)
	}
	g.ExpiresAt, want.ExpiresAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(g, want) {
		t.Errorf("got identity %+v, want %+v", g, want)
	}
}
