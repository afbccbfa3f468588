package auth

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/toolgate/toolgate/host/auth/verify"
)

const (
	testIssuer   = "https://issuer.example"
	testResource = "https://mcp.example.com/mcp"
	testPRM      = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
	testKID      = "test-key"
	maxBytes     = 2048
)

// fixture is an Authenticator over a verifier that trusts one issuer with
// one RSA key, and the registry its metrics go to.
type fixture struct {
	a   *Authenticator
	reg *prometheus.Registry
	key *rsa.PrivateKey
}

var testKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

func newFixture(t *testing.T, challengeScopes []string) *fixture {
	t.Helper()
	pub, err := jwk.Import(&testKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]any{jwk.KeyIDKey: testKID, jwk.AlgorithmKey: jwa.RS256()} {
		if err := pub.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	set := jwk.NewSet()
	if err := set.AddKey(pub); err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(t.Context(), verify.Options{
		Issuers: []verify.IssuerConfig{{
			Issuer: testIssuer, KeySet: set, Algorithms: []string{"RS256"},
			Audiences: []string{testResource}, ScopeClaim: "scope",
		}},
		MaxTokenBytes: maxBytes,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	reg := prometheus.NewRegistry()
	a := New(Options{
		Verifier: v,
		Metadata: Metadata{
			Resource:               testResource,
			AuthorizationServers:   []string{testIssuer},
			ScopesSupported:        []string{"files:read", "tools:echo"},
			BearerMethodsSupported: []string{"header"},
			ResourceName:           "Toolgate",
		},
		MetadataURL:     testPRM,
		ChallengeScopes: challengeScopes,
		MaxTokenBytes:   maxBytes,
		Registerer:      reg,
	})
	return &fixture{a: a, reg: reg, key: testKey}
}

// token signs an RS256 JWT with the fixture's key; claims override the
// defaults of a valid token, and a nil value removes a claim.
func (f *fixture) token(t *testing.T, claims map[string]any) string {
	t.Helper()
	now := time.Now()
	c := map[string]any{
		"iss": testIssuer, "sub": "alice", "aud": testResource, "client_id": "cli",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "scope": "tools:echo",
	}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(map[string]any{"alg": "RS256", "typ": "at+jwt", "kid": testKID}) + "." + enc(c)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, f.key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// decisions returns the toolgate_auth_decisions_total counters by
// "result/reason".
func (f *fixture) decisions(t *testing.T) map[string]float64 {
	t.Helper()
	families, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, fam := range families {
		if fam.GetName() != "toolgate_auth_decisions_total" {
			continue
		}
		for _, m := range fam.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			out[labels["result"]+"/"+labels["reason"]] = m.GetCounter().GetValue()
		}
	}
	return out
}

func request(target string, hdr ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader("{}"))
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return r
}

func TestAuthenticateRefusals(t *testing.T) {
	f := newFixture(t, []string{"files:read", "tools:echo"})
	valid := f.token(t, nil)
	const plain = `Bearer resource_metadata="` + testPRM + `", scope="files:read tools:echo"`
	tests := []struct {
		name      string
		req       *http.Request
		status    int
		reason    string
		challenge string
	}{
		{
			name: "no Authorization header", req: request("/mcp"),
			status: 401, reason: "no_token", challenge: plain,
		},
		{
			name: "Basic scheme", req: request("/mcp", "Authorization", "Basic YWxpY2U6c2VjcmV0"),
			status: 401, reason: "wrong_scheme", challenge: plain,
		},
		{
			name: "not a JWT", req: request("/mcp", "Authorization", "Bearer opaque-token-value"),
			status: 401, reason: "malformed",
			challenge: `Bearer resource_metadata="` + testPRM + `", error="invalid_token", ` +
				`error_description="the token is not a JWT, and no trusted issuer offers introspection for other tokens", ` +
				`scope="files:read tools:echo"`,
		},
		{
			name: "expired", req: request("/mcp", "Authorization", "Bearer "+f.token(t, map[string]any{
				"iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix(),
			})),
			status: 401, reason: "expired",
			challenge: `Bearer resource_metadata="` + testPRM + `", error="invalid_token", ` +
				`error_description="the token has expired (exp)", scope="files:read tools:echo"`,
		},
		{
			name: "another audience", req: request("/mcp", "Authorization", "Bearer "+f.token(t, map[string]any{"aud": "https://other.example/mcp"})),
			status: 401, reason: "audience",
			challenge: `Bearer resource_metadata="` + testPRM + `", error="invalid_token", ` +
				`error_description="the token's audience (aud) is not this resource", scope="files:read tools:echo"`,
		},
		{
			name: "too long", req: request("/mcp", "Authorization", "Bearer "+strings.Repeat("A", maxBytes+1)),
			status: 401, reason: "too_large",
			challenge: `Bearer resource_metadata="` + testPRM + `", error="invalid_token", ` +
				`error_description="the bearer token is too long", scope="files:read tools:echo"`,
		},
		{
			name: "token in the query", req: request("/mcp?access_token="+valid, "Authorization", "Bearer "+valid),
			status: 400, reason: "query_token",
			challenge: `Bearer resource_metadata="` + testPRM + `", error="invalid_request", ` +
				`error_description="access tokens are accepted in the Authorization header only, never in the URL or a form", ` +
				`scope="files:read tools:echo"`,
		},
		{
			name: "two Authorization headers", req: request("/mcp", "Authorization", "Bearer "+valid, "Authorization", "Bearer "+valid),
			status: 400, reason: "malformed",
			challenge: `Bearer resource_metadata="` + testPRM + `", error="invalid_request", ` +
				`error_description="the request has more than one Authorization header", scope="files:read tools:echo"`,
		},
		{
			name: "Bearer without a token", req: request("/mcp", "Authorization", "Bearer "),
			status: 400, reason: "malformed",
			challenge: `Bearer resource_metadata="` + testPRM + `", error="invalid_request", ` +
				`error_description="the Authorization header must be Bearer followed by one token (RFC 6750)", scope="files:read tools:echo"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.decisions(t)["refused/"+tt.reason]
			id, ref := f.a.Authenticate(tt.req)
			if id != nil || ref == nil {
				t.Fatalf("got identity %+v, refusal %+v; want a refusal", id, ref)
			}
			if ref.Status != tt.status || ref.Reason != tt.reason {
				t.Errorf("got status %d reason %q, want %d %q", ref.Status, ref.Reason, tt.status, tt.reason)
			}
			if ref.Challenge != tt.challenge {
				t.Errorf("got challenge\n\t%s\nwant\n\t%s", ref.Challenge, tt.challenge)
			}
			if !strings.HasPrefix(ref.Message, "Unauthorized: ") {
				t.Errorf("got message %q, want it to start with Unauthorized: ", ref.Message)
			}
			if got := f.decisions(t)["refused/"+tt.reason]; got != before+1 {
				t.Errorf("refused/%s counter went from %v to %v, want one more", tt.reason, before, got)
			}
			if tok := strings.TrimPrefix(tt.req.Header.Get("Authorization"), "Bearer "); len(tok) >= 20 &&
				(strings.Contains(ref.Challenge, tok[:20]) || strings.Contains(ref.Message, tok[:20])) {
				t.Errorf("the refusal repeats the token: %q / %q", ref.Challenge, ref.Message)
			}
		})
	}
}

func TestAuthenticateValid(t *testing.T) {
	f := newFixture(t, []string{"tools:echo"})
	tok := f.token(t, map[string]any{"scope": "tools:echo files:read tools:echo"})
	for range 2 { // the second time from the verifier's cache
		id, ref := f.a.Authenticate(request("/mcp", "Authorization", "bearer  "+tok))
		if ref != nil {
			t.Fatalf("got refusal %+v", ref)
		}
		if id.Subject != "alice" || id.Issuer != testIssuer || id.ClientID != "cli" ||
			!slices.Equal(id.Scopes, []string{"files:read", "tools:echo"}) {
			t.Errorf("got identity %+v", id)
		}
	}
	// A valid token is not yet an allowed request: the scopes of its call
	// decide, and the transport counts the decision with Allowed or Forbid.
	if got := f.decisions(t)["allowed/valid_token"]; got != 0 {
		t.Errorf("allowed/valid_token = %v after authentication alone, want 0", got)
	}
	f.a.Allowed()
	if got := f.decisions(t)["allowed/valid_token"]; got != 1 {
		t.Errorf("allowed/valid_token = %v after Allowed, want 1", got)
	}
}

func TestChallengeWithoutScopes(t *testing.T) {
	for _, scopes := range [][]string{nil, {}} {
		f := newFixture(t, scopes)
		_, ref := f.a.Authenticate(request("/mcp"))
		if want := `Bearer resource_metadata="` + testPRM + `"`; ref.Challenge != want {
			t.Errorf("challenge scopes %#v: got %s, want %s", scopes, ref.Challenge, want)
		}
	}
}

// rfc6750Safe reports whether s uses only the characters RFC 6750 §3 allows
// in error and error_description: %x20-21 / %x23-5B / %x5D-7E.
func rfc6750Safe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != 0x20 && c != 0x21 && (c < 0x23 || c > 0x5b) && (c < 0x5d || c > 0x7e) {
			return false
		}
	}
	return true
}

func TestChallengeDescriptionSanitized(t *testing.T) {
	f := newFixture(t, []string{"tools:echo"})
	tests := []struct{ in, want string }{
		{`plain text`, `plain text`},
		{`say "hi"`, `say 'hi'`},
		{`back\slash`, `back'slash`},
		{"tab\there", "tab'here"},
		{"line\r\nbreak", "line''break"},
		{"nul\x00", "nul'"},
		{"del\x7f", "del'"},
		{"héllo", "h'llo"},             // one rune, one replacement
		{"日本", "''"},                   // every non-ASCII rune
		{"emoji 🔑 key", "emoji ' key"}, // outside the BMP
		{"bad \xff byte", "bad ' byte"},
		{`", scope="admin`, `', scope='admin`}, // no parameter can be injected
	}
	for _, tt := range tests {
		got := f.a.challenge([]string{"tools:echo"}, "invalid_token", tt.in)
		want := `Bearer resource_metadata="` + testPRM + `", error="invalid_token", error_description="` + tt.want + `", scope="tools:echo"`
		if got != want {
			t.Errorf("description %q:\ngot  %s\nwant %s", tt.in, got, want)
		}
		if q := quotable(tt.in); !rfc6750Safe(q) {
			t.Errorf("quotable(%q) = %q, which RFC 6750 does not allow", tt.in, q)
		}
	}
}

func TestForbid(t *testing.T) {
	f := newFixture(t, []string{"tools:echo"})
	tests := []struct {
		name          string
		need, granted []string
		scope, desc   string
	}{
		{"the usual step-up", []string{"files:read"}, []string{"tools:echo"}, "files:read tools:echo", "files:read"},
		{"nothing granted", []string{"files:read"}, nil, "files:read", "files:read"},
		{"union, sorted, unique", []string{"z:write", "files:read", "a:read"}, []string{"tools:echo", "a:read", "b:x"},
			"a:read b:x files:read tools:echo z:write", "z:write files:read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := f.a.Forbid("tools/call", tt.need, tt.granted)
			if ref.Status != http.StatusForbidden || ref.Reason != "insufficient_scope" {
				t.Errorf("got status %d reason %q, want 403 insufficient_scope", ref.Status, ref.Reason)
			}
			want := `Bearer resource_metadata="` + testPRM + `", error="insufficient_scope", ` +
				`error_description="this call needs scope ` + tt.desc + `", scope="` + tt.scope + `"`
			if ref.Challenge != want {
				t.Errorf("got challenge\n\t%s\nwant\n\t%s", ref.Challenge, want)
			}
			if wantMsg := "Forbidden: tools/call needs scope " + tt.desc + ", which the token does not grant"; ref.Message != wantMsg {
				t.Errorf("got message %q, want %q", ref.Message, wantMsg)
			}
		})
	}
	if got := f.decisions(t)["refused/insufficient_scope"]; got != float64(len(tests)) {
		t.Errorf("refused/insufficient_scope = %v, want %d", got, len(tests))
	}
}

// TestForbidLeavesOutOfflineAccess: a client may add offline_access to its
// authorization request to get a refresh token (MCP 2026-07-28,
// Authorization, Refresh Tokens), so a token may hold it. The step-up
// challenge must still not name it: "MCP Servers (Protected Resources)
// SHOULD NOT include offline_access in WWW-Authenticate scope or Protected
// Resource Metadata scopes_supported, as refresh tokens are not a resource
// requirement." The client adds it again itself if it wants one.
func TestForbidLeavesOutOfflineAccess(t *testing.T) {
	f := newFixture(t, []string{"files:read", "tools:echo"})
	ref := f.a.Forbid("tools/call", []string{"files:read"}, []string{"offline_access", "tools:echo"})
	want := `Bearer resource_metadata="` + testPRM + `", error="insufficient_scope", ` +
		`error_description="this call needs scope files:read", scope="files:read tools:echo"`
	if ref.Challenge != want {
		t.Errorf("got challenge\n\t%s\nwant\n\t%s", ref.Challenge, want)
	}
}

func TestMissing(t *testing.T) {
	tests := []struct{ need, granted, want []string }{
		{nil, nil, nil},
		{nil, []string{"a"}, nil},
		{[]string{"a"}, nil, []string{"a"}},
		{[]string{"a", "b"}, []string{"b"}, []string{"a"}},
		{[]string{"b", "a"}, []string{"c"}, []string{"b", "a"}}, // in need's order
		{[]string{"a", "b"}, []string{"a", "b", "c"}, nil},
		{[]string{"A"}, []string{"a"}, []string{"A"}}, // scopes are case-sensitive
	}
	for _, tt := range tests {
		if got := Missing(tt.need, tt.granted); !slices.Equal(got, tt.want) {
			t.Errorf("Missing(%q, %q) = %q, want %q", tt.need, tt.granted, got, tt.want)
		}
	}
}

func TestMetadataHandler(t *testing.T) {
	f := newFixture(t, nil)
	f.a.opts.Metadata.ResourceDocumentation = "https://docs.example.com/toolgate"
	srv := httptest.NewServer(f.a.MetadataHandler())
	defer srv.Close()
	do := func(method string, hdr ...string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(context.Background(), method, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}

	t.Run("GET", func(t *testing.T) {
		resp, body := do(http.MethodGet, "Origin", "https://app.example")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("got status %d", resp.StatusCode)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("got Content-Type %q", ct)
		}
		if o := resp.Header.Get("Access-Control-Allow-Origin"); o != "*" {
			t.Errorf("got Access-Control-Allow-Origin %q, want *", o)
		}
		var doc map[string]any
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		want := map[string]any{
			"resource":                 testResource,
			"authorization_servers":    []any{testIssuer},
			"scopes_supported":         []any{"files:read", "tools:echo"},
			"bearer_methods_supported": []any{"header"},
			"resource_name":            "Toolgate",
			"resource_documentation":   "https://docs.example.com/toolgate",
		}
		got, _ := json.Marshal(doc)
		wantJSON, _ := json.Marshal(want)
		if string(got) != string(wantJSON) {
			t.Errorf("got document\n\t%s\nwant\n\t%s", got, wantJSON)
		}
	})

	t.Run("optional fields left out", func(t *testing.T) {
		g := newFixture(t, nil)
		g.a.opts.Metadata = Metadata{Resource: testResource, AuthorizationServers: []string{testIssuer}, BearerMethodsSupported: []string{"header"}}
		rec := httptest.NewRecorder()
		g.a.MetadataHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		want := `{"resource":"` + testResource + `","authorization_servers":["` + testIssuer + `"],"bearer_methods_supported":["header"]}`
		if got := rec.Body.String(); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})

	t.Run("HEAD", func(t *testing.T) {
		resp, body := do(http.MethodHead)
		if resp.StatusCode != http.StatusOK || len(body) != 0 {
			t.Errorf("got status %d and %d body bytes, want 200 and none", resp.StatusCode, len(body))
		}
		if o := resp.Header.Get("Access-Control-Allow-Origin"); o != "*" {
			t.Errorf("got Access-Control-Allow-Origin %q, want *", o)
		}
	})

	t.Run("OPTIONS preflight", func(t *testing.T) {
		resp, body := do(http.MethodOptions, "Origin", "https://app.example",
			"Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "mcp-protocol-version")
		if resp.StatusCode != http.StatusNoContent || len(body) != 0 {
			t.Errorf("got status %d, body %q; want 204 and none", resp.StatusCode, body)
		}
		if o := resp.Header.Get("Access-Control-Allow-Origin"); o != "*" {
			t.Errorf("got Access-Control-Allow-Origin %q, want *", o)
		}
		if m := resp.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "GET") {
			t.Errorf("got Access-Control-Allow-Methods %q, want GET among them", m)
		}
		if h := resp.Header.Get("Access-Control-Allow-Headers"); !strings.Contains(strings.ToLower(h), "mcp-protocol-version") {
			t.Errorf("got Access-Control-Allow-Headers %q, want MCP-Protocol-Version among them", h)
		}
	})

	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		t.Run(method, func(t *testing.T) {
			resp, body := do(method)
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("got status %d, want 405", resp.StatusCode)
			}
			if a := resp.Header.Get("Allow"); a != "GET, HEAD, OPTIONS" {
				t.Errorf("got Allow %q, want GET, HEAD, OPTIONS", a)
			}
			if strings.Contains(string(body), testResource) {
				t.Errorf("a %s got the document: %s", method, body)
			}
		})
	}
}

func TestPublicJSON(t *testing.T) {
	body := []byte(`{"issuer":"https://issuer.example"}`)
	rec := httptest.NewRecorder()
	PublicJSON(body).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != string(body) {
		t.Errorf("got %d %s, want 200 and the document as given", rec.Code, rec.Body)
	}
	if o := rec.Header().Get("Access-Control-Allow-Origin"); o != "*" {
		t.Errorf("got Access-Control-Allow-Origin %q, want *", o)
	}
	if cc := rec.Header().Get("Cache-Control"); !strings.HasPrefix(cc, "max-age=") {
		t.Errorf("got Cache-Control %q, want a max-age", cc)
	}
}
