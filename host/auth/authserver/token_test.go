package authserver

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestCodeGrantRefusals(t *testing.T) {
	ts := newTestServer(t)
	id := ts.registerPublic(t)
	redeem := func(edit func(url.Values)) (map[string]any, *response) {
		verifier, challenge := pkce()
		q := ts.authorize(t, id, challenge, "tools:echo", "alice", "tools:echo")
		f := url.Values{
			"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "code_verifier": {verifier},
			"redirect_uri": {testRedirect}, "client_id": {id},
		}
		edit(f)
		return ts.token(t, f)
	}
	for name, tc := range map[string]struct {
		edit func(url.Values)
		code string
	}{
		"wrong verifier":  {func(f url.Values) { v, _ := pkce(); f.Set("code_verifier", v) }, "invalid_grant"},
		"no verifier":     {func(f url.Values) { f.Del("code_verifier") }, "invalid_request"},
		"wrong redirect":  {func(f url.Values) { f.Set("redirect_uri", "http://127.0.0.1:8765/other") }, "invalid_grant"},
		"other resource":  {func(f url.Values) { f.Set("resource", "https://other.example/mcp") }, "invalid_target"},
		"unknown code":    {func(f url.Values) { f.Set("code", newSecret()) }, "invalid_grant"},
		"unknown client":  {func(f url.Values) { f.Set("client_id", "tg-nobody") }, "invalid_client"},
		"no grant type":   {func(f url.Values) { f.Del("grant_type") }, "invalid_request"},
		"implicit":        {func(f url.Values) { f.Set("grant_type", "password") }, "unsupported_grant_type"},
		"another client":  {func(f url.Values) { f.Set("client_id", ts.registerPublic(t)) }, "invalid_grant"},
		"secret for none": {func(f url.Values) { f.Set("client_secret", "x") }, "invalid_client"},
	} {
		t.Run(name, func(t *testing.T) {
			out, r := redeem(tc.edit)
			if out["error"] != tc.code || r.status/100 != 4 {
				t.Errorf("got %d %v, want error %s", r.status, out, tc.code)
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("got Cache-Control %q, want no-store", r.header.Get("Cache-Control"))
			}
		})
	}
}

func TestCodeIsSingleUse(t *testing.T) {
	ts := newTestServer(t)
	id := ts.registerPublic(t)
	verifier, challenge := pkce()
	q := ts.authorize(t, id, challenge, "tools:echo", "alice", "tools:echo")
	first := ts.codeTokens(t, id, q.Get("code"), verifier)
	out, _ := ts.token(t, url.Values{
		"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "code_verifier": {verifier},
		"redirect_uri": {testRedirect}, "client_id": {id},
	})
	if out["error"] != "invalid_grant" {
		t.Fatalf("second redemption: got %v, want invalid_grant", out)
	}
	// The code's reuse revoked what it had issued.
	out, _ = ts.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first["refresh_token"].(string)}, "client_id": {id}})
	if out["error"] != "invalid_grant" {
		t.Errorf("refresh after code reuse: got %v, want invalid_grant", out)
	}
}

func TestRefreshRotationAndReuse(t *testing.T) {
	ts := newTestServer(t)
	id := ts.registerPublic(t)
	verifier, challenge := pkce()
	q := ts.authorize(t, id, challenge, "", "alice", "tools:echo", "files:read")
	tok := ts.codeTokens(t, id, q.Get("code"), verifier)
	refresh := func(rt string, scope string) (map[string]any, *response) {
		f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {id}}
		if scope != "" {
			f.Set("scope", scope)
		}
		return ts.token(t, f)
	}
	first := tok["refresh_token"].(string)
	next, r := refresh(first, "tools:echo")
	if r.status != http.StatusOK || next["refresh_token"] == first || next["scope"] != "tools:echo" {
		t.Fatalf("rotation: got %d %v", r.status, next)
	}
	if out, _ := refresh(next["refresh_token"].(string), "tools:echo admin"); out["error"] != "invalid_scope" {
		t.Errorf("widening: got %v, want invalid_scope", out)
	}
	// The failed widening spent nothing: the token is still good... and
	// presenting the first token again revokes the family, this one too.
	if out, _ := refresh(first, ""); out["error"] != "invalid_grant" {
		t.Errorf("reuse: got %v, want invalid_grant", out)
	}
	if out, _ := refresh(next["refresh_token"].(string), ""); out["error"] != "invalid_grant" {
		t.Errorf("after reuse: got %v, want invalid_grant", out)
	}
}

func TestClientCredentials(t *testing.T) {
	ts := newTestServer(t)
	basic := func(id, secret string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret)) }
	}
	out, r := ts.token(t, url.Values{"grant_type": {"client_credentials"}}, basic("robot", testPassword))
	if r.status != http.StatusOK || out["scope"] != "files:read" || out["refresh_token"] != nil {
		t.Fatalf("got %d %v", r.status, out)
	}
	if c := claims(t, out["access_token"].(string)); c["sub"] != "robot" || c["client_id"] != "robot" {
		t.Errorf("got claims %v", c)
	}
	out, r = ts.token(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {"robot"}, "client_secret": {testPassword}, "scope": {"files:read"}})
	if r.status != http.StatusOK {
		t.Errorf("client_secret_post: got %d %v", r.status, out)
	}
	for name, tc := range map[string]struct {
		f    url.Values
		edit []func(*http.Request)
		code string
	}{
		"wrong secret":   {url.Values{"grant_type": {"client_credentials"}}, []func(*http.Request){basic("robot", "nope")}, "invalid_client"},
		"no secret":      {url.Values{"grant_type": {"client_credentials"}, "client_id": {"robot"}}, nil, "invalid_client"},
		"scope too wide": {url.Values{"grant_type": {"client_credentials"}, "scope": {"tools:echo"}}, []func(*http.Request){basic("robot", testPassword)}, "invalid_scope"},
		"public client":  {url.Values{"grant_type": {"client_credentials"}, "client_id": {ts.registerPublic(t)}}, nil, "unauthorized_client"},
	} {
		t.Run(name, func(t *testing.T) {
			out, r := ts.token(t, tc.f, tc.edit...)
			if out["error"] != tc.code {
				t.Errorf("got %d %v, want %s", r.status, out, tc.code)
			}
			if tc.code == "invalid_client" && r.status != http.StatusUnauthorized {
				t.Errorf("got status %d, want 401", r.status)
			}
		})
	}
}

func TestConfidentialRegisteredClient(t *testing.T) {
	ts := newTestServer(t)
	r := ts.postJSON(t, PathRegister, map[string]any{"redirect_uris": []string{testRedirect}, "client_name": "Web"})
	var reg map[string]any
	mustJSON(t, r.body, &reg)
	if reg["token_endpoint_auth_method"] != "client_secret_basic" || reg["client_secret"] == nil {
		t.Fatalf("got %v, want a client_secret_basic client with a secret", reg)
	}
	id, secret := reg["client_id"].(string), reg["client_secret"].(string)
	verifier, challenge := pkce()
	q := ts.authorize(t, id, challenge, "tools:echo", "alice", "tools:echo")
	f := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "code_verifier": {verifier}, "redirect_uri": {testRedirect}}
	if out, r := ts.token(t, f); out["error"] != "invalid_client" || r.header.Get("WWW-Authenticate") != "" {
		t.Errorf("without its secret: got %v", out)
	}
	// A client_secret_basic client may not send its secret in the body.
	post := url.Values{"client_id": {id}, "client_secret": {secret}}
	for k, v := range f {
		post[k] = v
	}
	if out, _ := ts.token(t, post); out["error"] != "invalid_client" {
		t.Errorf("client_secret_post by a client_secret_basic client: got %v", out)
	}
	out, r := ts.token(t, f, func(r *http.Request) { r.SetBasicAuth(id, secret) })
	if r.status != http.StatusOK {
		t.Errorf("with its secret: got %d %v", r.status, out)
	}
}

func TestClientSecretPost(t *testing.T) {
	ts := newTestServer(t)
	r := ts.postJSON(t, PathRegister, map[string]any{"redirect_uris": []string{testRedirect}, "token_endpoint_auth_method": "client_secret_post"})
	var reg map[string]any
	mustJSON(t, r.body, &reg)
	id, secret := reg["client_id"].(string), reg["client_secret"].(string)
	verifier, challenge := pkce()
	q := ts.authorize(t, id, challenge, "tools:echo", "alice", "tools:echo")
	f := url.Values{
		"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "code_verifier": {verifier},
		"redirect_uri": {testRedirect}, "client_id": {id}, "client_secret": {secret},
	}
	if out, r := ts.token(t, f); r.status != http.StatusOK {
		t.Errorf("client_secret_post: got %d %v", r.status, out)
	}
}

func TestRevocation(t *testing.T) {
	ts := newTestServer(t)
	id := ts.registerPublic(t)
	verifier, challenge := pkce()
	q := ts.authorize(t, id, challenge, "tools:echo", "alice", "tools:echo")
	tok := ts.codeTokens(t, id, q.Get("code"), verifier)
	rt := tok["refresh_token"].(string)
	// Another client cannot revoke it; the answer is 200 all the same.
	if r := ts.postForm(t, http.DefaultClient, PathRevoke, url.Values{"token": {rt}, "client_id": {ts.registerPublic(t)}}); r.status != http.StatusOK {
		t.Errorf("revocation by another client: got %d", r.status)
	}
	next, r := ts.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {id}})
	if r.status != http.StatusOK {
		t.Fatalf("refresh: got %d %v", r.status, next)
	}
	rt = next["refresh_token"].(string)
	if r := ts.postForm(t, http.DefaultClient, PathRevoke, url.Values{"token": {rt}, "token_type_hint": {"refresh_token"}, "client_id": {id}}); r.status != http.StatusOK {
		t.Fatalf("revocation: got %d %s", r.status, r.body)
	}
	if out, _ := ts.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {id}}); out["error"] != "invalid_grant" {
		t.Errorf("refresh after revocation: got %v", out)
	}
	// Unknown tokens and access tokens are answered 200 (RFC 7009 §2.2).
	for _, tk := range []string{"not-a-token", tok["access_token"].(string)} {
		if r := ts.postForm(t, http.DefaultClient, PathRevoke, url.Values{"token": {tk}, "client_id": {id}}); r.status != http.StatusOK {
			t.Errorf("revoking %.10s: got %d", tk, r.status)
		}
	}
	if r := ts.postForm(t, http.DefaultClient, PathRevoke, url.Values{"token": {rt}, "client_id": {"tg-nobody"}}); r.status != http.StatusUnauthorized {
		t.Errorf("unknown client: got %d, want 401", r.status)
	}
}

func TestGrantMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	ts := newTestServer(t, func(o *Options) { o.Registerer = reg })
	ts.token(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {"robot"}, "client_secret": {testPassword}})
	ts.token(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {"robot"}, "client_secret": {"wrong"}})
	want := `
# HELP toolgate_authserver_token_grants_total Token endpoint requests, by grant type and result (ok, or the OAuth error code).
# TYPE toolgate_authserver_token_grants_total counter
toolgate_authserver_token_grants_total{grant_type="client_credentials",result="invalid_client"} 1
toolgate_authserver_token_grants_total{grant_type="client_credentials",result="ok"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "toolgate_authserver_token_grants_total"); err != nil {
		t.Error(err)
	}
}

func TestRestartKeepsState(t *testing.T) {
	ts := newTestServer(t)
	id := ts.registerPublic(t)
	verifier, challenge := pkce()
	q := ts.authorize(t, id, challenge, "tools:echo", "alice", "tools:echo")
	tok := ts.codeTokens(t, id, q.Get("code"), verifier)
	ts.restart(t)
	out, r := ts.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}, "client_id": {id}})
	if r.status != http.StatusOK {
		t.Fatalf("refresh after restart: got %d %v", r.status, out)
	}
	// The client is still registered.
	_, challenge = pkce()
	if r := ts.get(t, browser(t), PathAuthorize, authorizeQuery(id, challenge, "tools:echo")); r.status != http.StatusOK {
		t.Errorf("authorization after restart: got %d", r.status)
	}
}
