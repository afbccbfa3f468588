//go:build unix

package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Toolgate as the resource server of a real third-party authorization
// server: oidc-provider (oidcprovider_test.go) issues the tokens, Toolgate
// discovers its keys and introspects its opaque tokens.

// idpSecretEnv holds the introspection client's secret in the host's
// environment.
const idpSecretEnv = "E2E_IDP_INTROSPECTION_SECRET"

// idpHostConfig is a host with authorization on, the local issuer off, and
// the provider as its one trusted issuer, its keys discovered; issuerExtra
// goes at the end of the issuer's table. The host serves the shipped
// plugins and the probe, whose caller tool shows who the host says called.
func idpHostConfig(t *testing.T, p *oidcProvider, issuerExtra string) string {
	t.Helper()
	return idpConfig(t, p, "public_url = "+tomlString(authPublicURL), "", issuerExtra)
}

// idpConfig is idpHostConfig with the given lines in [server] and [auth].
func idpConfig(t *testing.T, p *oidcProvider, server, authExtra, issuerExtra string) string {
	t.Helper()
	cfg := hostConfig(server, shippedPlugins(filesRoot(t))+probePlugin(""))
	return strings.Replace(cfg, "[auth]\nenabled = false\n",
		"[auth]\nenabled = true\nclock_skew = \"0s\"\n"+authExtra+"\n\n"+
			"[[auth.issuers]]\nissuer = "+tomlString(p.issuer)+"\nrequire_at_jwt = true\n"+issuerExtra+"\n", 1)
}

// introspectionConfig configures Toolgate's introspection client at the
// provider, with answers not reused, so a revocation shows at once.
func introspectionConfig(t *testing.T, p *oidcProvider) string {
	t.Setenv(idpSecretEnv, clientSecret(introspector))
	return "\n[auth.issuers.introspection]\nurl = " + tomlString(p.discovery.IntrospectionEndpoint) +
		"\nclient_id = " + tomlString(introspector) + "\nclient_secret_env = " + tomlString(idpSecretEnv) + "\ncache_ttl = \"0s\"\n"
}

// startIdPHost starts the host and waits until it has the provider's keys.
func startIdPHost(t *testing.T, cfg string) *hostProc {
	t.Helper()
	h := startHost(t, cfg)
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := h.get(t, http.MethodGet, "/readyz", "", nil)
		if r.Status == http.StatusOK {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("the host is not ready 15s after it started serving: %d %s", r.Status, r.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// idpCall calls a tool with a 2026-07-28 request carrying tok.
func idpCall(t *testing.T, h *hostProc, tok, id, name string, args map[string]any) *reply {
	t.Helper()
	params := map[string]any{"name": name}
	if args != nil {
		params["arguments"] = args
	}
	return h.post(t, bearer(tok).with(modernHeaders("tools/call", name)), modernBody(id, "tools/call", params))
}

// wantToolText checks a successful tool result holding want.
func wantToolText(t *testing.T, r *reply, want string) *toolResult {
	t.Helper()
	var res toolResult
	mustUnmarshal(t, wantResult(t, r), &res)
	if res.IsError || !strings.Contains(res.text(), want) {
		t.Errorf("got isError %v, text %q; want a success holding %q", res.IsError, res.text(), want)
	}
	return &res
}

// idpCaller is who the probe's caller tool says the host told it called.
type idpCaller struct {
	Subject  string   `json:"subject"`
	ClientID string   `json:"client_id"`
	Issuer   string   `json:"issuer"`
	Scopes   []string `json:"scopes"`
}

// idpCallerOf calls the probe's caller tool with tok and returns the caller.
func idpCallerOf(t *testing.T, h *hostProc, tok string) idpCaller {
	t.Helper()
	res := wantToolText(t, idpCall(t, h, tok, "who", "caller", nil), "")
	var out struct {
		Caller idpCaller `json:"caller"`
	}
	mustUnmarshal(t, res.StructuredContent, &out)
	return out.Caller
}

func wantIdPCaller(t *testing.T, got, want idpCaller) {
	t.Helper()
	if got.Subject != want.Subject || got.ClientID != want.ClientID || got.Issuer != want.Issuer || !slices.Equal(got.Scopes, want.Scopes) {
		t.Errorf("the plugin got caller %+v, want %+v", got, want)
	}
}

// idpScopes are the scopes of the shipped plugins and the probe, which a
// 401 challenge of the identity provider tests' host lists.
const idpScopes = "files:read prompts:echo prompts:probe resources:probe tools:echo"

// insufficientScopeChallenge is the 403 challenge asking for scope.
func insufficientScopeChallenge(scope string) map[string]string {
	return map[string]string{"resource_metadata": authMetadataURL, "error": "insufficient_scope", "error_description": "*", "scope": scope}
}

// wantInvalidTokenSaying checks a 401 invalid_token refusal whose
// error_description is exactly description.
func wantInvalidTokenSaying(t *testing.T, r *reply, id, tok, description string) {
	t.Helper()
	ch := invalidToken()
	ch["scope"] = idpScopes
	p := wantRefusal(t, r, http.StatusUnauthorized, codeUnauthorized, id, ch, tok)
	if p["error_description"] != description {
		t.Errorf("got error_description %q, want %q", p["error_description"], description)
	}
}

// waitJWTExpired waits until the JWT's exp has passed.
func waitJWTExpired(t *testing.T, tok string) {
	t.Helper()
	_, c := decodeJWT(t, tok)
	exp, ok := c["exp"].(float64)
	if !ok {
		t.Fatalf("the token has no exp: %v", c)
	}
	time.Sleep(time.Until(time.Unix(int64(exp), 0).Add(100 * time.Millisecond)))
}

// TestIdPJWT: JWT access tokens from oidc-provider, asked for Toolgate with
// the client credentials grant and a resource indicator, are accepted with
// keys found by discovery, and tools run with the tokens' scopes.
func TestIdPJWT(t *testing.T) {
	p := startOIDCProvider(t, authPublicURL, idpKey(t, t.TempDir(), "key-1"))
	h := startIdPHost(t, idpHostConfig(t, p, ""))

	echoOnly := p.token(t, jwtClient, authPublicURL, "tools:echo")
	both := p.token(t, jwtClient, authPublicURL, "tools:echo files:read")
	used := []string{echoOnly, both}

	t.Run("the token is an RFC 9068 JWT for Toolgate", func(t *testing.T) {
		hdr, c := decodeJWT(t, echoOnly)
		if hdr["typ"] != "at+jwt" || hdr["alg"] != "RS256" || hdr["kid"] != "key-1" {
			t.Errorf("got header %v, want typ at+jwt, alg RS256, kid key-1", hdr)
		}
		if c["aud"] != authPublicURL || c["iss"] != p.issuer || c["sub"] != jwtClient || c["client_id"] != jwtClient || c["scope"] != "tools:echo" {
			t.Errorf("got claims %v", c)
		}
	})

	t.Run("the metadata names the provider", func(t *testing.T) {
		r := h.get(t, http.MethodGet, "/.well-known/oauth-protected-resource/mcp", "", nil)
		var md struct {
			Resource             string   `json:"resource"`
			AuthorizationServers []string `json:"authorization_servers"`
		}
		mustUnmarshal(t, r.Body, &md)
		if r.Status != http.StatusOK || md.Resource != authPublicURL || !slices.Equal(md.AuthorizationServers, []string{p.issuer}) {
			t.Errorf("got %d %s, want resource %s and authorization_servers [%s]", r.Status, r.Body, authPublicURL, p.issuer)
		}
	})

	t.Run("no token", func(t *testing.T) {
		r := h.post(t, modernHeaders("tools/call", "echo"), modernBody("n-1", "tools/call", map[string]any{"name": "echo"}))
		wantRefusal(t, r, http.StatusUnauthorized, codeUnauthorized, `"n-1"`,
			map[string]string{"resource_metadata": authMetadataURL, "scope": idpScopes}, "")
	})

	t.Run("tools run with the token's scopes", func(t *testing.T) {
		wantToolText(t, idpCall(t, h, echoOnly, "e-1", "echo", map[string]any{"message": "hi from the idp"}), "hi from the idp")
		wantIdPCaller(t, idpCallerOf(t, h, echoOnly), idpCaller{Subject: jwtClient, ClientID: jwtClient, Issuer: p.issuer, Scopes: []string{"tools:echo"}})

		r := idpCall(t, h, echoOnly, "rf-1", "read_file", map[string]any{"path": "hello.txt"})
		d := wantRefusal(t, r, http.StatusForbidden, codeForbidden, `"rf-1"`, insufficientScopeChallenge("files:read tools:echo"), echoOnly)
		if !strings.Contains(d["error_description"], "files:read") {
			t.Errorf("got error_description %q, want it to name files:read", d["error_description"])
		}

		wantToolText(t, idpCall(t, h, both, "rf-2", "read_file", map[string]any{"path": "hello.txt"}), "hello, caller")
		wantIdPCaller(t, idpCallerOf(t, h, both), idpCaller{Subject: jwtClient, ClientID: jwtClient, Issuer: p.issuer, Scopes: []string{"files:read", "tools:echo"}})
	})

	t.Run("session era", func(t *testing.T) {
		r := h.post(t, bearer(echoOnly), initializeBody(1, sessionVersion))
		wantResult(t, r)
		r = h.post(t, bearer(echoOnly).with(headers{"Mcp-Session-Id": r.Header.Get("Mcp-Session-Id"), "MCP-Protocol-Version": sessionVersion}),
			rpcBody(2, "tools/call", map[string]any{"name": "echo", "arguments": map[string]any{"message": "in a session"}}))
		wantToolText(t, r, "in a session")
	})

	t.Run("a token for another resource", func(t *testing.T) {
		other := p.token(t, jwtClient, otherResource, "tools:echo files:read")
		used = append(used, other)
		if _, c := decodeJWT(t, other); c["aud"] != otherResource {
			t.Fatalf("the provider issued aud %v, want %s", c["aud"], otherResource)
		}
		wantInvalidTokenSaying(t, idpCall(t, h, other, "o-1", "echo", map[string]any{"message": "x"}), `"o-1"`, other,
			"the token's audience (aud) is not this resource")
	})

	t.Run("an expired token", func(t *testing.T) {
		brief := p.token(t, briefJWTClient, authPublicURL, "tools:echo")
		used = append(used, brief)
		waitJWTExpired(t, brief)
		wantInvalidTokenSaying(t, idpCall(t, h, brief, "x-1", "echo", map[string]any{"message": "x"}), `"x-1"`, brief,
			"the token has expired (exp)")
	})

	t.Run("a dynamically registered client", func(t *testing.T) {
		id, secret := p.register(t)
		tok := p.tokenAs(t, id, secret, authPublicURL, "tools:echo")
		used = append(used, tok)
		wantToolText(t, idpCall(t, h, tok, "d-1", "echo", map[string]any{"message": "registered"}), "registered")
		wantIdPCaller(t, idpCallerOf(t, h, tok), idpCaller{Subject: id, ClientID: id, Issuer: p.issuer, Scopes: []string{"tools:echo"}})
	})

	t.Run("the log holds no token", func(t *testing.T) {
		log := h.log.String()
		for _, tok := range used {
			wantNoPiece(t, "the host's log", log, tok)
		}
	})
}

// TestIdPIntrospection: opaque access tokens from oidc-provider are checked
// with RFC 7662 introspection, Toolgate authenticating as its own client;
// a revoked or expired token is refused.
func TestIdPIntrospection(t *testing.T) {
	p := startOIDCProvider(t, authPublicURL, idpKey(t, t.TempDir(), "key-1"))
	h := startIdPHost(t, idpHostConfig(t, p, introspectionConfig(t, p)))

	echoOnly := p.token(t, opaqueClient, authPublicURL, "tools:echo")
	both := p.token(t, opaqueClient, authPublicURL, "tools:echo files:read")
	if strings.Count(echoOnly, ".") == 2 {
		t.Fatalf("the provider issued a JWT to %s, want an opaque token", opaqueClient)
	}

	t.Run("tools run with the token's scopes", func(t *testing.T) {
		wantToolText(t, idpCall(t, h, echoOnly, "e-1", "echo", map[string]any{"message": "opaque hi"}), "opaque hi")
		// The provider's answer for a client credentials token has no
		// sub: the client is the subject (RFC 9068 §2.2).
		wantIdPCaller(t, idpCallerOf(t, h, echoOnly), idpCaller{Subject: opaqueClient, ClientID: opaqueClient, Issuer: p.issuer, Scopes: []string{"tools:echo"}})

		r := idpCall(t, h, echoOnly, "rf-1", "read_file", map[string]any{"path": "hello.txt"})
		wantRefusal(t, r, http.StatusForbidden, codeForbidden, `"rf-1"`, insufficientScopeChallenge("files:read tools:echo"), echoOnly)
		wantToolText(t, idpCall(t, h, both, "rf-2", "read_file", map[string]any{"path": "hello.txt"}), "hello, caller")
	})

	t.Run("JWTs of the same issuer still verify with its keys", func(t *testing.T) {
		tok := p.token(t, jwtClient, authPublicURL, "tools:echo")
		wantToolText(t, idpCall(t, h, tok, "j-1", "echo", map[string]any{"message": "signed"}), "signed")
	})

	t.Run("a token for another resource", func(t *testing.T) {
		other := p.token(t, opaqueClient, otherResource, "tools:echo")
		wantInvalidTokenSaying(t, idpCall(t, h, other, "o-1", "echo", map[string]any{"message": "x"}), `"o-1"`, other,
			"the token's audience (aud) is not this resource")
	})

	t.Run("a revoked token", func(t *testing.T) {
		tok := p.token(t, opaqueClient, authPublicURL, "tools:echo")
		wantToolText(t, idpCall(t, h, tok, "r-1", "echo", map[string]any{"message": "before"}), "before")
		p.revoke(t, opaqueClient, tok)
		wantInvalidTokenSaying(t, idpCall(t, h, tok, "r-2", "echo", map[string]any{"message": "after"}), `"r-2"`, tok,
			"the token is not active")
	})

	t.Run("an expired token", func(t *testing.T) {
		tok := p.token(t, briefOpaqueClient, authPublicURL, "tools:echo")
		// It was issued for one second, counted from the provider's
		// current second; past it the provider answers inactive.
		time.Sleep(2 * time.Second)
		wantInvalidTokenSaying(t, idpCall(t, h, tok, "x-1", "echo", map[string]any{"message": "x"}), `"x-1"`, tok,
			"the token is not active")
	})

	t.Run("an unknown token", func(t *testing.T) {
		tok := randomB64(43)
		wantInvalidTokenSaying(t, idpCall(t, h, tok, "u-1", "echo", map[string]any{"message": "x"}), `"u-1"`, tok,
			"the token is not active")
	})
}

// TestIdPKeyRotation: the provider, restarted with a new signing key first
// in its key set, signs with it; Toolgate, not restarted, fetches the set
// again when a token names the new kid, and still accepts tokens of the
// old key while the set lists it.
func TestIdPKeyRotation(t *testing.T) {
	dir := t.TempDir()
	oldKey, newKey := idpKey(t, dir, "key-old"), idpKey(t, dir, "key-new")
	p := startOIDCProvider(t, authPublicURL, oldKey)
	// The background refresh waits a day, so only the refetch on an
	// unknown kid can pick the new key up.
	h := startIdPHost(t, idpHostConfig(t, p, `key_refresh = "24h"`))
	fetches := func() string {
		return h.metric(t, `toolgate_auth_key_fetches_total{issuer="`+p.issuer+`",result="ok"}`)
	}

	before := p.token(t, jwtClient, authPublicURL, "tools:echo")
	unseen := p.token(t, jwtClient, authPublicURL, "tools:echo files:read")
	if hdr, _ := decodeJWT(t, before); hdr["kid"] != "key-old" {
		t.Fatalf("got kid %v, want key-old", hdr["kid"])
	}
	wantToolText(t, idpCall(t, h, before, "b-1", "echo", map[string]any{"message": "old key"}), "old key")
	if got := fetches(); got != "1" {
		t.Errorf("got %s key fetches before the rotation, want 1", got)
	}
	pid := h.cmd.Process.Pid

	p.restart(t, newKey, oldKey)
	after := p.token(t, jwtClient, authPublicURL, "tools:echo")
	if hdr, _ := decodeJWT(t, after); hdr["kid"] != "key-new" {
		t.Fatalf("after the rotation got kid %v, want key-new", hdr["kid"])
	}
	wantToolText(t, idpCall(t, h, after, "a-1", "echo", map[string]any{"message": "new key"}), "new key")
	if got := fetches(); got != "2" {
		t.Errorf("got %s key fetches after the rotation, want 2: one refetch for the new kid", got)
	}
	// A token the old key signed before the rotation, not presented
	// until now, still verifies with the refetched set, which lists that
	// key too: a rotation does not cut off the tokens already out.
	wantToolText(t, idpCall(t, h, unseen, "u-1", "read_file", map[string]any{"path": "hello.txt"}), "hello, caller")
	if got := fetches(); got != "2" {
		t.Errorf("got %s key fetches, want still 2", got)
	}
	select {
	case <-h.exited:
		t.Fatalf("the host exited during the rotation")
	default:
	}
	if h.cmd.Process.Pid != pid {
		t.Errorf("the host was restarted")
	}
}

// TestIdPIntrospectionRefused: when the provider refuses Toolgate's
// introspection client, opaque tokens are refused, not let through, and
// the log says why without the token.
func TestIdPIntrospectionRefused(t *testing.T) {
	p := startOIDCProvider(t, authPublicURL, idpKey(t, t.TempDir(), "key-1"))
	cfg := idpHostConfig(t, p, introspectionConfig(t, p))
	t.Setenv(idpSecretEnv, "not-the-secret")
	h := startIdPHost(t, cfg)

	tok := p.token(t, opaqueClient, authPublicURL, "tools:echo")
	wantInvalidTokenSaying(t, idpCall(t, h, tok, "f-1", "echo", map[string]any{"message": "x"}), `"f-1"`, tok,
		"the token could not be checked with its issuer; try again later")
	line, ok := h.log.line("token introspection failed", 5*time.Second)
	if !ok || !strings.Contains(line, "401") {
		t.Errorf("got log line %q, want the introspection failure with the provider's 401", line)
	}
	wantNoPiece(t, "the host's log", h.log.String(), tok)
}

// TestIdPTypeScriptClient: the official TypeScript SDK client, given only
// client credentials and the provider's issuer, finds the provider through
// Toolgate's challenge and protected resource metadata, gets a token for
// Toolgate's URL (RFC 8707) and calls tools with it.
func TestIdPTypeScriptClient(t *testing.T) {
	checkNode(t)
	// The SDK asks for a token for the resource in the metadata, which
	// must be the URL it connects to: so Toolgate's canonical URL is its
	// real one, and the provider must know it before Toolgate starts.
	addr := freeLoopbackAddr(t)
	resource := "http://" + addr + "/mcp"
	metadataURL := "http://" + addr + "/.well-known/oauth-protected-resource/mcp"
	p := startOIDCProvider(t, resource, idpKey(t, t.TempDir(), "key-1"))
	cfg := idpConfig(t, p, "", "", "")
	h := startIdPHost(t, strings.Replace(cfg, `listen = "127.0.0.1:0"`, "listen = "+tomlString(addr), 1))
	if h.url != resource {
		t.Fatalf("the host serves %s, want %s", h.url, resource)
	}

	var out struct {
		Requests []tsRequest `json:"requests"`
		Tools    []string    `json:"tools"`
		Echo     struct {
			IsError bool   `json:"isError"`
			Text    string `json:"text"`
		} `json:"echo"`
		ReadFile struct {
			IsError bool   `json:"isError"`
			Text    string `json:"text"`
		} `json:"readFile"`
		Scope string `json:"scope"`
	}
	runNode(t, &out, "client-credentials.mjs", h.url, p.issuer, jwtClient, clientSecret(jwtClient), "tools:echo files:read")

	if want := slices.Sorted(slices.Values(slices.Concat(shippedTools, probeTools))); !slices.Equal(out.Tools, want) {
		t.Errorf("got tools %v, want %v", out.Tools, want)
	}
	if out.Echo.IsError || !strings.Contains(out.Echo.Text, `"with client credentials"`) {
		t.Errorf("got echo %+v", out.Echo)
	}
	if out.ReadFile.IsError || !strings.Contains(out.ReadFile.Text, "hello, caller") {
		t.Errorf("got read_file %+v, want the file", out.ReadFile)
	}
	if out.Scope != "tools:echo files:read" {
		t.Errorf("the token has scope %q, want tools:echo files:read", out.Scope)
	}

	// The flow: one request without a token, challenged; the metadata;
	// the provider's metadata; one token request; then only requests with
	// the token, all served.
	var tokens, challenged, metadata int
	for _, r := range out.Requests {
		switch {
		case r.URL == p.discovery.TokenEndpoint:
			tokens++
			if r.Method != http.MethodPost || r.Status != http.StatusOK || !r.Authorization {
				t.Errorf("token request %+v, want an authenticated POST answered 200", r)
			}
		case r.URL == h.url && !r.Authorization:
			challenged++
			if r.Status != http.StatusUnauthorized || r.Parsed == nil || r.Parsed.ResourceMetadataURL == nil || *r.Parsed.ResourceMetadataURL != metadataURL {
				t.Errorf("request without a token %+v, want 401 naming %s", r, metadataURL)
			}
		case r.URL == h.url:
			// The SDK's optional GET stream is not offered (405).
			if r.Status/100 != 2 && !(r.Method == http.MethodGet && r.Status == http.StatusMethodNotAllowed) {
				t.Errorf("MCP request %+v, want it served", r)
			}
		case r.URL == metadataURL:
			metadata++
		case strings.HasPrefix(r.URL, p.issuer+"/.well-known/"):
		default:
			t.Errorf("unexpected request %+v", r)
		}
	}
	if tokens != 1 || challenged != 1 || metadata != 1 {
		t.Errorf("got %d token requests, %d requests without a token and %d metadata reads; want 1 of each", tokens, challenged, metadata)
	}
}

// TestIdPAlgorithms: tokens the provider signs with ES256 (an EC key of its
// key set) and PS256 (an RSA key) are accepted exactly when the issuer's
// algorithms allow them.
func TestIdPAlgorithms(t *testing.T) {
	dir := t.TempDir()
	p := startOIDCProvider(t, authPublicURL, idpKey(t, dir, "key-rsa"), idpECKey(t, dir, "key-ec"))
	tokens := map[string]string{}
	for client, want := range map[string]string{jwtClient: "RS256 key-rsa", es256Client: "ES256 key-ec", ps256Client: "PS256 key-rsa"} {
		tok := p.token(t, client, authPublicURL, "tools:echo")
		if hdr, _ := decodeJWT(t, tok); fmt.Sprint(hdr["alg"], " ", hdr["kid"]) != want {
			t.Fatalf("%s got a token with header %v, want %s", client, hdr, want)
		}
		tokens[strings.Fields(want)[0]] = tok
	}
	refused := "the token's signing algorithm (alg) is not accepted from its issuer"
	tests := []struct {
		name, config string
		accepted     []string
	}{
		{"the default, RS256 and ES256", "", []string{"RS256", "ES256"}},
		{"PS256 alone", `algorithms = ["PS256"]`, []string{"PS256"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startIdPHost(t, idpHostConfig(t, p, tt.config))
			for _, alg := range []string{"RS256", "ES256", "PS256"} {
				r := idpCall(t, h, tokens[alg], alg, "echo", map[string]any{"message": "signed with " + alg})
				if slices.Contains(tt.accepted, alg) {
					wantToolText(t, r, "signed with "+alg)
				} else {
					wantInvalidTokenSaying(t, r, `"`+alg+`"`, tokens[alg], refused)
				}
			}
		})
	}
}

// TestIdPLateProvider: a Toolgate started while its authorization server
// is down is not ready and refuses tokens, and becomes ready by itself,
// without a restart, once the server is up.
func TestIdPLateProvider(t *testing.T) {
	p := unstartedOIDCProvider(t, authPublicURL)
	h := startHost(t, idpHostConfig(t, p, ""))
	r := h.get(t, http.MethodGet, "/readyz", "", nil)
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), p.issuer) {
		t.Fatalf("got /readyz %d %s, want 503 naming %s", r.Status, r.Body, p.issuer)
	}

	p.launch(t, idpKey(t, t.TempDir(), "key-1"))
	tok := p.token(t, jwtClient, authPublicURL, "tools:echo")
	// Until Toolgate's next attempt (it backs off from 1s) its keys are
	// missing, and the token is refused for that reason alone.
	if r := idpCall(t, h, tok, "early", "echo", map[string]any{"message": "x"}); r.Status != http.StatusOK {
		wantInvalidTokenSaying(t, r, `"early"`, tok, "the signing keys of the token's issuer are not available yet")
	}
	deadline := time.Now().Add(20 * time.Second)
	for h.get(t, http.MethodGet, "/readyz", "", nil).Status != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatalf("the host is not ready 20s after the provider started")
		}
		time.Sleep(100 * time.Millisecond)
	}
	wantToolText(t, idpCall(t, h, tok, "late", "echo", map[string]any{"message": "keys found"}), "keys found")
}
