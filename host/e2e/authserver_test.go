//go:build unix

package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The authorization server's end-to-end tests drive what an MCP client
// does with nothing but the endpoint's URL: follow the 401 to the
// protected resource metadata, then to the authorization server's
// metadata, register, send the user through the consent page, redeem the
// code and call tools, all over real HTTP against the real binary.

const (
	asPassword = "open sesame"
	asRedirect = "http://127.0.0.1:33333/callback"
)

// hashPasswordCmd runs `toolgate hash-password` with the password on
// standard input.
func hashPasswordCmd(t *testing.T, password string) string {
	t.Helper()
	cmd := exec.Command(bin("toolgate"), "hash-password")
	cmd.Stdin = strings.NewReader(password + "\n")
	cmd.Env = hostEnv()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("toolgate hash-password: %v", err)
	}
	hash := strings.TrimSpace(string(out))
	if !strings.HasPrefix(hash, "$2") {
		t.Fatalf("toolgate hash-password printed %q, want a bcrypt hash", out)
	}
	return hash
}

// authServerConfig serves on addr with the authorization server on: user
// alice may grant tools:echo and files:read, bob tools:echo alone, and
// machine client "reporter" may have files:read. Both passwords and the
// secret are asPassword.
func authServerConfig(t *testing.T, root string) func(addr string) string {
	hash := hashPasswordCmd(t, asPassword)
	return func(addr string) string {
		return authConfigFor(addr, "", "signing-key.pem", "", shippedPlugins(root)+`
[tools.echo]
scopes = ["tools:echo"]

[tools.read_file]
scopes = ["files:read"]
`) + `
[auth.server]
enabled = true
store_file = "auth.db"
dev_http_client_ids = true

[[auth.server.users]]
username = "alice"
password_hash = "` + hash + `"
scopes = ["tools:echo", "files:read"]

[[auth.server.users]]
username = "bob"
password_hash = "` + hash + `"
scopes = ["tools:echo"]

[[auth.server.clients]]
client_id = "reporter"
secret_hash = "` + hash + `"
scopes = ["files:read"]
`
	}
}

// asClient is an MCP client as far as authorization goes: it knows the
// endpoint, and learns the rest.
type asClient struct {
	t        *testing.T
	h        *hostProc
	browser  *http.Client
	meta     map[string]any // the authorization server's metadata
	resource string
	clientID string
	secret   string
}

// asReply is an HTTP response read whole.
type asReply struct {
	status int
	header http.Header
	body   string
}

func (c *asClient) do(req *http.Request) *asReply {
	c.t.Helper()
	resp, err := c.browser.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &asReply{resp.StatusCode, resp.Header, string(b)}
}

func (c *asClient) getURL(u string) *asReply {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(c.t.Context(), http.MethodGet, u, nil)
	return c.do(req)
}

func (c *asClient) postForm(u string, f url.Values, edit ...func(*http.Request)) *asReply {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(c.t.Context(), http.MethodPost, u, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, e := range edit {
		e(req)
	}
	return c.do(req)
}

func (c *asClient) endpoint(name string) string {
	c.t.Helper()
	u, _ := c.meta[name].(string)
	if u == "" {
		c.t.Fatalf("the authorization server metadata has no %s: %v", name, c.meta)
	}
	return u
}

func newBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: httpClient.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// discover follows the 401 challenge to both metadata documents, as a
// client does (MCP authorization, discovery).
func discover(t *testing.T, h *hostProc) (*asClient, map[string]string) {
	t.Helper()
	c := &asClient{t: t, h: h, browser: newBrowser()}
	r := h.post(t, nil, modernBody("d-1", "tools/list", nil))
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("unauthenticated tools/list: got %d, want 401", r.Status)
	}
	challenge := wantChallenge(t, r)
	prm := c.getURL(challenge["resource_metadata"])
	var pr map[string]any
	mustUnmarshal(t, []byte(prm.body), &pr)
	servers, _ := pr["authorization_servers"].([]any)
	if len(servers) != 1 {
		t.Fatalf("got authorization_servers %v, want one", pr["authorization_servers"])
	}
	c.resource = pr["resource"].(string)
	as := c.getURL(servers[0].(string) + "/.well-known/oauth-authorization-server")
	if as.status != http.StatusOK {
		t.Fatalf("authorization server metadata: %d %s", as.status, as.body)
	}
	mustUnmarshal(t, []byte(as.body), &c.meta)
	if c.meta["issuer"] != servers[0] {
		t.Fatalf("got issuer %v, want %v", c.meta["issuer"], servers[0])
	}
	return c, challenge
}

// register registers a client with RFC 7591.
func (c *asClient) register(authMethod string) {
	c.t.Helper()
	b, _ := json.Marshal(map[string]any{
		"redirect_uris": []string{asRedirect}, "token_endpoint_auth_method": authMethod,
		"grant_types": []string{"authorization_code", "refresh_token"}, "client_name": "E2E Client",
	})
	req, _ := http.NewRequestWithContext(c.t.Context(), http.MethodPost, c.endpoint("registration_endpoint"), strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	r := c.do(req)
	if r.status != http.StatusCreated {
		c.t.Fatalf("registration: %d %s", r.status, r.body)
	}
	var out map[string]any
	mustUnmarshal(c.t, []byte(r.body), &out)
	c.clientID, _ = out["client_id"].(string)
	c.secret, _ = out["client_secret"].(string)
}

func newPKCE() (verifier, challenge string) {
	verifier = randomB64(64)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func (c *asClient) authorizeURL(challenge, scope string, edit ...func(url.Values)) string {
	q := url.Values{
		"response_type": {"code"}, "client_id": {c.clientID}, "redirect_uri": {asRedirect},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {"xyz"},
		"scope": {scope}, "resource": {c.resource},
	}
	for _, e := range edit {
		e(q)
	}
	return c.endpoint("authorization_endpoint") + "?" + q.Encode()
}

// consentFields are the form fields the consent page must carry, by name
// and element id, for people's browsers and for scripts that drive them.
var consentFields = []string{
	`<form id="consent-form" method="post"`,
	`name="request_id" id="request_id"`, `name="csrf_token" id="csrf_token"`,
	`id="username" name="username"`, `id="password" name="password"`,
	`id="approve" name="action" value="approve"`, `id="deny" name="action" value="deny"`,
}

var formValue = regexp.MustCompile(`name="(request_id|csrf_token)" id="[a-z_]+" value="([^"]*)"`)

// consent opens the consent page and answers it as user, ticking grant;
// it returns the redirect's parameters.
func (c *asClient) consent(authorizeURL, user string, grant ...string) url.Values {
	c.t.Helper()
	page := c.getURL(authorizeURL)
	if page.status != http.StatusOK {
		c.t.Fatalf("consent page: %d\n%s", page.status, page.body)
	}
	for _, f := range consentFields {
		if !strings.Contains(page.body, f) {
			c.t.Errorf("the consent page lacks %s", f)
		}
	}
	form := url.Values{"username": {user}, "password": {asPassword}, "action": {"approve"}, "scope": grant}
	for _, m := range formValue.FindAllStringSubmatch(page.body, -1) {
		form.Set(m[1], m[2])
	}
	r := c.postForm(c.endpoint("authorization_endpoint"), form)
	return c.redirectParams(r)
}

func (c *asClient) redirectParams(r *asReply) url.Values {
	c.t.Helper()
	if r.status != http.StatusSeeOther {
		c.t.Fatalf("got %d, want a redirect to the client\n%s", r.status, r.body)
	}
	u, err := url.Parse(r.header.Get("Location"))
	if err != nil || u.Scheme+"://"+u.Host+u.Path != asRedirect {
		c.t.Fatalf("redirected to %q, want %s", r.header.Get("Location"), asRedirect)
	}
	q := u.Query()
	if q.Get("iss") != c.meta["issuer"] || q.Get("state") != "xyz" {
		c.t.Errorf("got redirect parameters %v, want iss %v and state xyz", q, c.meta["issuer"])
	}
	return q
}

// token posts to the token endpoint with the client's credentials: Basic
// for a confidential client, client_id for a public one.
func (c *asClient) token(f url.Values) (map[string]any, int) {
	c.t.Helper()
	var edit []func(*http.Request)
	if c.secret != "" {
		edit = append(edit, func(r *http.Request) { r.SetBasicAuth(c.clientID, c.secret) })
	} else {
		f.Set("client_id", c.clientID)
	}
	r := c.postForm(c.endpoint("token_endpoint"), f, edit...)
	var out map[string]any
	mustUnmarshal(c.t, []byte(r.body), &out)
	return out, r.status
}

// signInFor runs the whole code flow for scope, granting grant as user,
// and returns the token response.
func (c *asClient) signInFor(scope, user string, grant ...string) map[string]any {
	c.t.Helper()
	verifier, challenge := newPKCE()
	q := c.consent(c.authorizeURL(challenge, scope), user, grant...)
	if q.Get("error") != "" {
		c.t.Fatalf("authorization failed: %v", q)
	}
	out, status := c.token(url.Values{
		"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "code_verifier": {verifier},
		"redirect_uri": {asRedirect}, "resource": {c.resource},
	})
	if status != http.StatusOK {
		c.t.Fatalf("code exchange: %d %v", status, out)
	}
	return out
}

func (c *asClient) refresh(rt string) (map[string]any, int) {
	c.t.Helper()
	return c.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}

// call calls a tool with a token, in the 2026-07-28 era.
func callWith(t *testing.T, h *hostProc, tok, id, tool string, args map[string]any) *reply {
	t.Helper()
	return h.post(t, bearer(tok).with(modernHeaders("tools/call", tool)),
		modernBody(id, "tools/call", map[string]any{"name": tool, "arguments": args}))
}

func TestAuthServerFlow(t *testing.T) {
	h := startHostAt(t, authServerConfig(t, filesRoot(t)))
	c, challenge := discover(t, h)
	for k, want := range map[string]any{
		"authorization_response_iss_parameter_supported": true, "client_id_metadata_document_supported": true,
	} {
		if c.meta[k] != want {
			t.Errorf("metadata %s: got %v, want %v", k, c.meta[k], want)
		}
	}
	if !slices.Equal(toStrings(c.meta["code_challenge_methods_supported"]), []string{"S256"}) {
		t.Errorf("got code_challenge_methods_supported %v, want [S256]", c.meta["code_challenge_methods_supported"])
	}
	c.register("none")
	echo := map[string]any{"message": "hi"}
	readFile := map[string]any{"path": "hello.txt"}

	// The challenge's scopes are asked for; the user grants one of them.
	tok := c.signInFor(challenge["scope"], "alice", "tools:echo")
	if tok["scope"] != "tools:echo" {
		t.Errorf("got scope %v, want tools:echo", tok["scope"])
	}
	_, cl := decodeJWT(t, tok["access_token"].(string))
	if aud := toStrings(cl["aud"]); !slices.Equal(aud, []string{c.resource}) || cl["sub"] != "alice" || cl["client_id"] != c.clientID {
		t.Errorf("got claims %v, want aud [%s], sub alice, client_id %s", cl, c.resource, c.clientID)
	}
	wantToolText(t, callWith(t, h, tok["access_token"].(string), "e-1", "echo", echo), "hi")

	t.Run("step-up", func(t *testing.T) {
		r := callWith(t, h, tok["access_token"].(string), "rf-1", "read_file", readFile)
		if r.Status != http.StatusForbidden {
			t.Fatalf("read_file with tools:echo: got %d, want 403", r.Status)
		}
		p := wantChallenge(t, r)
		if p["error"] != "insufficient_scope" || p["scope"] != "files:read tools:echo" {
			t.Fatalf("got challenge %v", p)
		}
		more := c.signInFor(p["scope"], "alice", strings.Fields(p["scope"])...)
		wantToolText(t, callWith(t, h, more["access_token"].(string), "rf-2", "read_file", readFile), "hello, caller")
		wantToolText(t, callWith(t, h, more["access_token"].(string), "e-2", "echo", echo), "hi")
	})

	t.Run("refresh rotation and reuse", func(t *testing.T) {
		first := tok["refresh_token"].(string)
		next, status := c.refresh(first)
		if status != http.StatusOK || next["refresh_token"] == first {
			t.Fatalf("refresh: %d %v", status, next)
		}
		wantToolText(t, callWith(t, h, next["access_token"].(string), "e-3", "echo", echo), "hi")
		if out, status := c.refresh(first); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Errorf("reused refresh token: got %d %v, want invalid_grant", status, out)
		}
		if out, _ := c.refresh(next["refresh_token"].(string)); out["error"] != "invalid_grant" {
			t.Errorf("the family's newest token after reuse: got %v, want invalid_grant", out)
		}
	})

	t.Run("revocation", func(t *testing.T) {
		fresh := c.signInFor("tools:echo", "bob", "tools:echo")
		r := c.postForm(c.endpoint("revocation_endpoint"), url.Values{"token": {fresh["refresh_token"].(string)}, "client_id": {c.clientID}})
		if r.status != http.StatusOK {
			t.Fatalf("revocation: %d %s", r.status, r.body)
		}
		if out, _ := c.refresh(fresh["refresh_token"].(string)); out["error"] != "invalid_grant" {
			t.Errorf("revoked refresh token: got %v", out)
		}
	})

	t.Run("confidential client", func(t *testing.T) {
		cc := &asClient{t: t, h: h, browser: newBrowser(), meta: c.meta, resource: c.resource}
		cc.register("client_secret_basic")
		if cc.secret == "" {
			t.Fatal("no client_secret for a client_secret_basic client")
		}
		tok := cc.signInFor("tools:echo", "bob", "tools:echo")
		wantToolText(t, callWith(t, h, tok["access_token"].(string), "e-4", "echo", echo), "hi")
	})

	t.Run("client metadata document", func(t *testing.T) {
		var doc *httptest.Server
		doc = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{
				"client_id": doc.URL + "/client.json", "client_name": "Document Client",
				"redirect_uris": []string{asRedirect}, "token_endpoint_auth_method": "none",
			})
		}))
		defer doc.Close()
		dc := &asClient{t: t, h: h, browser: newBrowser(), meta: c.meta, resource: c.resource, clientID: doc.URL + "/client.json"}
		tok := dc.signInFor("tools:echo", "alice", "tools:echo")
		wantToolText(t, callWith(t, h, tok["access_token"].(string), "e-5", "echo", echo), "hi")
	})

	t.Run("client credentials", func(t *testing.T) {
		r := c.postForm(c.endpoint("token_endpoint"), url.Values{"grant_type": {"client_credentials"}},
			func(r *http.Request) { r.SetBasicAuth("reporter", url.QueryEscape(asPassword)) })
		var out map[string]any
		mustUnmarshal(t, []byte(r.body), &out)
		if r.status != http.StatusOK || out["scope"] != "files:read" {
			t.Fatalf("client_credentials: %d %v", r.status, out)
		}
		wantToolText(t, callWith(t, h, out["access_token"].(string), "rf-3", "read_file", readFile), "hello, caller")
		if r := callWith(t, h, out["access_token"].(string), "e-6", "echo", echo); r.Status != http.StatusForbidden {
			t.Errorf("echo with files:read: got %d, want 403", r.Status)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		_, challenge := newPKCE()
		for name, tc := range map[string]struct {
			edit func(url.Values)
			code string
		}{
			"plain PKCE":     {func(q url.Values) { q.Set("code_challenge_method", "plain") }, "invalid_request"},
			"wrong resource": {func(q url.Values) { q.Set("resource", "https://elsewhere.example/mcp") }, "invalid_target"},
		} {
			t.Run(name, func(t *testing.T) {
				q := c.redirectParams(c.getURL(c.authorizeURL(challenge, "tools:echo", tc.edit)))
				if q.Get("error") != tc.code || q.Get("code") != "" {
					t.Errorf("got %v, want error %s", q, tc.code)
				}
			})
		}
		t.Run("wrong redirect", func(t *testing.T) {
			r := c.getURL(c.authorizeURL(challenge, "tools:echo", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }))
			if r.status != http.StatusBadRequest || r.header.Get("Location") != "" || !strings.Contains(r.body, `id="error"`) {
				t.Errorf("got %d, Location %q, want 400 and an error page", r.status, r.header.Get("Location"))
			}
		})
		t.Run("wrong password", func(t *testing.T) {
			page := c.getURL(c.authorizeURL(challenge, "tools:echo"))
			form := url.Values{"username": {"alice"}, "password": {"nope"}, "action": {"approve"}, "scope": {"tools:echo"}}
			for _, m := range formValue.FindAllStringSubmatch(page.body, -1) {
				form.Set(m[1], m[2])
			}
			r := c.postForm(c.endpoint("authorization_endpoint"), form)
			if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "Wrong username or password") {
				t.Errorf("got %d, want 401 and the page again with the error", r.status)
			}
		})
	})

	t.Run("metrics", func(t *testing.T) {
		m := h.get(t, http.MethodGet, "/metrics", "", nil)
		for _, l := range [][]string{
			{`grant_type="authorization_code"`, `result="ok"`},
			{`grant_type="refresh_token"`, `result="invalid_grant"`},
			{`grant_type="client_credentials"`, `result="ok"`},
		} {
			if n, _ := metricSum(t, string(m.Body), "toolgate_authserver_token_grants_total", l...); n < 1 {
				t.Errorf("toolgate_authserver_token_grants_total%v: got %v, want at least 1", l, n)
			}
		}
		// No secret reaches the log.
		wantNoPiece(t, "the log", h.log.String(), tok["refresh_token"].(string))
		wantNoPiece(t, "the log", h.log.String(), tok["access_token"].(string))
		if strings.Contains(h.log.String(), asPassword) {
			t.Error("a password reached the log")
		}
	})
}

func TestAuthServerRestart(t *testing.T) {
	h := startHostAt(t, authServerConfig(t, filesRoot(t)))
	c, _ := discover(t, h)
	c.register("none")
	tok := c.signInFor("tools:echo", "alice", "tools:echo")
	h.stop(t)
	h = relaunch(t, h)
	c.h = h
	next, status := c.refresh(tok["refresh_token"].(string))
	if status != http.StatusOK {
		t.Fatalf("refresh after a restart: %d %v", status, next)
	}
	wantToolText(t, callWith(t, h, next["access_token"].(string), "e-1", "echo", map[string]any{"message": "again"}), "again")
	// The registration survived too.
	c.signInFor("tools:echo", "alice", "tools:echo")
}

func TestAuthServerOff(t *testing.T) {
	h := startHost(t, authHostConfig(shippedPlugins(filesRoot(t))))
	for _, p := range []string{"/oauth/authorize", "/oauth/token", "/oauth/register", "/oauth/revoke"} {
		if r := h.get(t, http.MethodGet, p, "mcp.test", nil); r.Status != http.StatusNotFound {
			t.Errorf("%s: got %d, want 404 while auth.server is off", p, r.Status)
		}
	}
	var m map[string]any
	mustUnmarshal(t, h.get(t, http.MethodGet, "/.well-known/oauth-authorization-server", "mcp.test", nil).Body, &m)
	if _, ok := m["authorization_endpoint"]; ok {
		t.Errorf("the metadata names an authorization endpoint while auth.server is off: %v", m)
	}
}

func toStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}
