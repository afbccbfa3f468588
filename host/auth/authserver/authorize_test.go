package authserver

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAuthorizeGrantsFewerScopes(t *testing.T) {
	ts := newTestServer(t)
	id := ts.registerPublic(t)
	verifier, challenge := pkce()
	q := ts.authorize(t, id, challenge, "tools:echo files:read", "alice", "tools:echo")
	if q.Get("state") != "st-1" || q.Get("iss") != ts.issuer() || q.Get("code") == "" {
		t.Fatalf("got redirect parameters %v, want code, state st-1 and iss %s", q, ts.issuer())
	}
	tok := ts.codeTokens(t, id, q.Get("code"), verifier)
	c := claims(t, tok["access_token"].(string))
	if c["scope"] != "tools:echo" || fmt.Sprint(c["aud"]) != "["+testResource+"]" || c["sub"] != "alice" || c["client_id"] != id || c["iss"] != ts.issuer() {
		t.Errorf("got claims %v, want scope tools:echo, aud %s, sub alice, client_id %s", c, testResource, id)
	}
	if tok["scope"] != "tools:echo" || tok["token_type"] != "Bearer" || tok["refresh_token"] == "" {
		t.Errorf("got token response %v", tok)
	}
	consent, err := ts.store.Consent("alice", id)
	if err != nil || len(consent) != 1 || consent[0] != "tools:echo" {
		t.Errorf("got consent %v, %v; want [tools:echo]", consent, err)
	}
}

func TestConsentPage(t *testing.T) {
	ts := newTestServer(t)
	id := ts.registerPublic(t)
	_, challenge := pkce()
	b := browser(t)
	page := ts.get(t, b, PathAuthorize, authorizeQuery(id, challenge, "tools:echo files:read"))
	if page.status != http.StatusOK {
		t.Fatalf("got %d\n%s", page.status, page.body)
	}
	for _, want := range []string{
		`id="client-name">Test Client<`, `id="client-id">` + id + `<`, `id="redirect-host">http://127.0.0.1:8765<`,
		`id="username" name="username"`, `id="password" name="password"`,
		`id="scope-tools-echo" name="scope" value="tools:echo" checked`,
		`id="scope-files-read" name="scope" value="files:read" checked`,
		`id="approve" name="action" value="approve"`, `id="deny" name="action" value="deny"`,
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if page.header.Get("X-Frame-Options") != "DENY" || !strings.Contains(page.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("the page may be framed: %v", page.header)
	}
	// A client name is text, never markup.
	r := ts.postJSON(t, PathRegister, map[string]any{
		"redirect_uris": []string{testRedirect}, "token_endpoint_auth_method": "none", "client_name": "<script>x</script>",
	})
	var reg map[string]any
	mustJSON(t, r.body, &reg)
	page = ts.get(t, b, PathAuthorize, authorizeQuery(reg["client_id"].(string), challenge, ""))
	if strings.Contains(page.body, "<script>x") {
		t.Error("the client name was written as markup")
	}
}

func TestAuthorizeErrorsShownToTheUser(t *testing.T) {
	ts := newTestServer(t)
	id := ts.registerPublic(t)
	_, challenge := pkce()
	for name, edit := range map[string]func(url.Values){
		"unknown client":         func(q url.Values) { q.Set("client_id", "tg-nobody") },
		"no client":              func(q url.Values) { q.Del("client_id") },
		"wrong redirect":         func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") },
		"redirect path differs":  func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:8765/other") },
		"no redirect":            func(q url.Values) { q.Del("redirect_uri") },
		"machine client":         func(q url.Values) { q.Set("client_id", "robot") },
		"document not reachable": func(q url.Values) { q.Set("client_id", "http://127.0.0.1:1/client.json") },
	} {
		t.Run(name, func(t *testing.T) {
			q := authorizeQuery(id, challenge, "tools:echo")
			edit(q)
			r := ts.get(t, browser(t), PathAuthorize, q)
			if r.status != http.StatusBadRequest || !strings.Contains(r.body, `id="error"`) {
				t.Errorf("got %d, want 400 with an error page\n%s", r.status, r.body)
			}
			if r.header.Get("Location") != "" {
				t.Errorf("redirected to %s", r.header.Get("Location"))
			}
		})
	}
}

func TestAuthorizeErrorsSentToTheClient(t *testing.T) {
	ts := newTestServer(t)
	id := ts.registerPublic(t)
	_, challenge := pkce()
	for name, tc := range map[string]struct {
		edit func(url.Values)
		code string
	}{
		"plain PKCE":        {func(q url.Values) { q.Set("code_challenge_method", "plain") }, "invalid_request"},
		"no PKCE method":    {func(q url.Values) { q.Del("code_challenge_method") }, "invalid_request"},
		"no PKCE":           {func(q url.Values) { q.Del("code_challenge") }, "invalid_request"},
		"short challenge":   {func(q url.Values) { q.Set("code_challenge", "abc") }, "invalid_request"},
		"token flow":        {func(q url.Values) { q.Set("response_type", "token") }, "unsupported_response_type"},
		"other resource":    {func(q url.Values) { q.Set("resource", "https://other.example/mcp") }, "invalid_target"},
		"unknown scope":     {func(q url.Values) { q.Set("scope", "tools:echo admin") }, "invalid_scope"},
		"repeated resource": {func(q url.Values) { q.Add("resource", testResource) }, "invalid_request"},
	} {
		t.Run(name, func(t *testing.T) {
			q := authorizeQuery(id, challenge, "tools:echo")
			tc.edit(q)
			p := redirectParams(t, ts.get(t, browser(t), PathAuthorize, q))
			if p.Get("error") != tc.code || p.Get("state") != "st-1" || p.Get("iss") != ts.issuer() || p.Get("code") != "" {
				t.Errorf("got %v, want error %s with state and iss", p, tc.code)
			}
		})
	}
}

func TestAuthorizeLoopbackPortMayVary(t *testing.T) {
	ts := newTestServer(t)
	id := ts.registerPublic(t)
	_, challenge := pkce()
	q := authorizeQuery(id, challenge, "tools:echo")
	q.Set("redirect_uri", "http://127.0.0.1:40123/callback")
	if r := ts.get(t, browser(t), PathAuthorize, q); r.status != http.StatusOK {
		t.Errorf("another loopback port: got %d, want the consent page\n%s", r.status, r.body)
	}
}

func TestConsentForm(t *testing.T) {
	ts := newTestServer(t)
	id := ts.registerPublic(t)
	_, challenge := pkce()
	open := func() (*http.Client, url.Values) {
		b := browser(t)
		page := ts.get(t, b, PathAuthorize, authorizeQuery(id, challenge, "tools:echo files:read"))
		return b, consentForm(t, page.body)
	}
	t.Run("wrong password", func(t *testing.T) {
		b, form := open()
		r := ts.postForm(t, b, PathAuthorize, signIn(form, "alice", "wrong", "tools:echo"))
		if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "Wrong username or password") {
			t.Errorf("got %d\n%s", r.status, r.body)
		}
		// The form still works after a mistake.
		redirectParams(t, ts.postForm(t, b, PathAuthorize, signIn(form, "alice", testPassword, "tools:echo")))
	})
	t.Run("unknown user", func(t *testing.T) {
		b, form := open()
		if r := ts.postForm(t, b, PathAuthorize, signIn(form, "mallory", testPassword, "tools:echo")); r.status != http.StatusUnauthorized {
			t.Errorf("got %d", r.status)
		}
	})
	t.Run("too many failures", func(t *testing.T) {
		b, form := open()
		var r *response
		for range maxSignInFailed {
			r = ts.postForm(t, b, PathAuthorize, signIn(form, "alice", "wrong", "tools:echo"))
		}
		if p := redirectParams(t, r); p.Get("error") != "access_denied" {
			t.Errorf("got %v, want access_denied", p)
		}
	})
	t.Run("scope the user may not grant", func(t *testing.T) {
		b, form := open()
		r := ts.postForm(t, b, PathAuthorize, signIn(form, "bob", testPassword, "tools:echo", "files:read"))
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "bob may not grant files:read") {
			t.Errorf("got %d\n%s", r.status, r.body)
		}
	})
	t.Run("no scope ticked", func(t *testing.T) {
		b, form := open()
		if r := ts.postForm(t, b, PathAuthorize, signIn(form, "alice", testPassword)); r.status != http.StatusBadRequest {
			t.Errorf("got %d", r.status)
		}
	})
	t.Run("deny", func(t *testing.T) {
		b, form := open()
		form.Set("action", "deny")
		p := redirectParams(t, ts.postForm(t, b, PathAuthorize, form))
		if p.Get("error") != "access_denied" || p.Get("state") != "st-1" {
			t.Errorf("got %v", p)
		}
	})
	t.Run("no CSRF cookie", func(t *testing.T) {
		_, form := open()
		r := ts.postForm(t, browser(t), PathAuthorize, signIn(form, "alice", testPassword, "tools:echo"))
		if r.status != http.StatusForbidden {
			t.Errorf("got %d, want 403", r.status)
		}
	})
	t.Run("wrong CSRF token", func(t *testing.T) {
		b, form := open()
		form.Set("csrf_token", newSecret())
		if r := ts.postForm(t, b, PathAuthorize, signIn(form, "alice", testPassword, "tools:echo")); r.status != http.StatusForbidden {
			t.Errorf("got %d, want 403", r.status)
		}
	})
	t.Run("answered twice", func(t *testing.T) {
		b, form := open()
		redirectParams(t, ts.postForm(t, b, PathAuthorize, signIn(form, "alice", testPassword, "tools:echo")))
		if r := ts.postForm(t, b, PathAuthorize, signIn(form, "alice", testPassword, "tools:echo")); r.status != http.StatusBadRequest {
			t.Errorf("got %d, want 400", r.status)
		}
	})
}

func TestAuthorizeWithoutScopes(t *testing.T) {
	// No tool needs a scope: the user signs in and grants none.
	ts := newTestServer(t, func(o *Options) { o.Scopes = nil })
	id := ts.registerPublic(t)
	verifier, challenge := pkce()
	q := ts.authorize(t, id, challenge, "", "alice")
	tok := ts.codeTokens(t, id, q.Get("code"), verifier)
	if c := claims(t, tok["access_token"].(string)); c["scope"] != nil || c["sub"] != "alice" {
		t.Errorf("got claims %v, want no scope", c)
	}
}
