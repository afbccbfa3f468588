//go:build unix

package e2e

import (
	"bufio"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// authPublicURL is the endpoint's canonical URL in auth tests: tokens are
// minted before the host picks its port, so their audience and issuer must
// not depend on it. The host still listens on loopback.
const authPublicURL = "http://mcp.test/mcp"

// What follows from authPublicURL: the local issuer's identifier and the
// URL of the protected resource metadata that challenges name.
const (
	authIssuer      = "http://mcp.test"
	authMetadataURL = "http://mcp.test/.well-known/oauth-protected-resource/mcp"
)

// The JSON-RPC error codes of authorization refusals.
const (
	codeBadRequest   = -32000
	codeUnauthorized = -32004
	codeForbidden    = -32005
)

// authHostConfig is hostConfig with authorization on and the local issuer
// signing tokens.
func authHostConfig(rest string) string { return authHostConfigWith("", rest) }

// authHostConfigWith is authHostConfig with extra lines in the [auth] table.
func authHostConfigWith(authExtra, rest string) string {
	return authConfigFor("127.0.0.1:0", authPublicURL, "signing-key.pem", authExtra, rest)
}

// authConfigFor is an auth config listening on listen, with the given
// public_url (none when "") and local issuer key file.
func authConfigFor(listen, publicURL, keyFile, authExtra, rest string) string {
	server := ""
	if publicURL != "" {
		server = "public_url = " + tomlString(publicURL)
	}
	cfg := hostConfig(server, rest)
	cfg = strings.Replace(cfg, `listen = "127.0.0.1:0"`, "listen = "+tomlString(listen), 1)
	return strings.Replace(cfg, "[auth]\nenabled = false\n",
		"[auth]\nenabled = true\n"+authExtra+"\n\n[auth.local]\nenabled = true\nkey_file = "+tomlString(keyFile)+"\n", 1)
}

// mintToken mints a token from the host's local issuer with `toolgate token`.
func mintToken(t *testing.T, h *hostProc, sub, scope string) string {
	t.Helper()
	return mintWith(t, h.cfgPath, "--sub", sub, "--scope", scope)
}

// mintWith runs `toolgate token --config cfgPath args...` and returns the token.
func mintWith(t *testing.T, cfgPath string, args ...string) string {
	t.Helper()
	code, stdout, stderr := runToolgate(t, append([]string{"token", "--config", cfgPath}, args...)...)
	if code != 0 {
		t.Fatalf("toolgate token %s: exit code %d\n%s", strings.Join(args, " "), code, stderr)
	}
	tok := strings.TrimSpace(stdout)
	if strings.Count(tok, ".") != 2 || strings.ContainsAny(tok, " \n") {
		t.Fatalf("toolgate token printed %q, want one JWT", stdout)
	}
	return tok
}

func bearer(tok string) headers { return headers{"Authorization": "Bearer " + tok} }

// with returns hdr plus more, without changing hdr.
func (hdr headers) with(more headers) headers {
	out := headers{}
	for k, v := range hdr {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// keyFileOf is the path of the host's local issuer key.
func keyFileOf(h *hostProc) string { return filepath.Join(filepath.Dir(h.cfgPath), "signing-key.pem") }

// readSigningKey reads a local issuer key file.
func readSigningKey(t *testing.T, path string) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s holds no PEM block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		t.Fatalf("%s holds a %T, want an RSA key", path, k)
	}
	return rk
}

func newRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signJWT signs a JWS compact serialization with RS256; with a nil key it
// leaves the signature empty (for alg "none").
func signJWT(t *testing.T, key *rsa.PrivateKey, header, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(header) + "." + enc(claims)
	if key == nil {
		return input + "."
	}
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// validClaims are the claims of a token the auth hosts accept, for sub,
// with the given changes (a nil value removes a claim).
func validClaims(sub string, changes map[string]any) map[string]any {
	now := time.Now()
	c := map[string]any{
		"iss": authIssuer, "sub": sub, "aud": authPublicURL, "client_id": "e2e-signer",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"scope": "tools:echo", "jti": rand.Text(),
	}
	for k, v := range changes {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// decodeJWT returns the header and claims of a JWT, unverified.
func decodeJWT(t *testing.T, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("%q is not a JWS compact serialization", tok)
	}
	for i, v := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("JWT segment %d: %v", i, err)
		}
		mustUnmarshal(t, b, v)
	}
	return header, claims
}

// randomB64 returns n random characters a bearer token may hold.
func randomB64(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

// parseChallenge parses one WWW-Authenticate challenge (RFC 9110 §11.6.1):
// the scheme and its auth-params, each name=token or name="quoted-string".
func parseChallenge(s string) (scheme string, params map[string]string, err error) {
	scheme, rest, _ := strings.Cut(s, " ")
	params = map[string]string{}
	rest = strings.TrimLeft(rest, " ")
	for rest != "" {
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return "", nil, fmt.Errorf("no name=value at %q", rest)
		}
		name := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = rest[eq+1:]
		var value string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				b.WriteByte(rest[i])
			}
			if i == len(rest) {
				return "", nil, fmt.Errorf("unterminated quoted string for %s", name)
			}
			value, rest = b.String(), rest[i+1:]
		} else {
			end := strings.IndexAny(rest, ", ")
			if end < 0 {
				end = len(rest)
			}
			value, rest = rest[:end], rest[end:]
		}
		if _, dup := params[name]; dup {
			return "", nil, fmt.Errorf("parameter %s appears twice", name)
		}
		params[name] = value
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			break
		}
		if rest[0] != ',' {
			return "", nil, fmt.Errorf("want a comma at %q", rest)
		}
		rest = strings.TrimLeft(rest[1:], " ")
	}
	return scheme, params, nil
}

// wantChallenge checks the reply has exactly one Bearer challenge and
// returns its parameters.
func wantChallenge(t *testing.T, r *reply) map[string]string {
	t.Helper()
	values := r.Header.Values("WWW-Authenticate")
	if len(values) != 1 {
		t.Fatalf("got WWW-Authenticate %q, want one challenge; status %d, body %s", values, r.Status, r.Body)
	}
	scheme, params, err := parseChallenge(values[0])
	if err != nil {
		t.Fatalf("WWW-Authenticate %s: %v", values[0], err)
	}
	if scheme != "Bearer" {
		t.Fatalf("got scheme %q in %s, want Bearer", scheme, values[0])
	}
	return params
}

// wantParams checks a challenge's parameters; "*" in want means any
// non-empty value.
func wantParams(t *testing.T, got, want map[string]string) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("challenge %v lacks %s", got, k)
		case w == "*" && g == "":
			t.Errorf("challenge parameter %s is empty", k)
		case w != "*" && g != w:
			t.Errorf("challenge parameter %s = %q, want %q", k, g, w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("challenge has parameter %s=%q, want none", k, got[k])
		}
	}
}

// wantNoPiece fails when text holds tok or any 20-byte piece of it.
func wantNoPiece(t *testing.T, what, text, tok string) {
	t.Helper()
	const piece = 20
	if len(tok) < piece {
		if strings.Contains(text, tok) {
			t.Errorf("%s holds the token %q", what, tok)
		}
		return
	}
	for i := 0; i+piece <= len(tok); i++ {
		if p := tok[i : i+piece]; strings.Contains(text, p) {
			t.Errorf("%s holds %q, a piece of a token", what, p)
			return
		}
	}
}

// wantRefusal checks an authorization refusal end to end: status, JSON-RPC
// error with the request's id, one Bearer challenge with exactly the given
// parameters, and no piece of tok anywhere in the reply.
func wantRefusal(t *testing.T, r *reply, status, code int, id string, params map[string]string, tok string) map[string]string {
	t.Helper()
	m := wantError(t, r, status, code)
	wantID(t, m, id)
	got := wantChallenge(t, r)
	wantParams(t, got, params)
	if sid := r.Header.Get("Mcp-Session-Id"); sid != "" {
		t.Errorf("a refused request got session %q", sid)
	}
	if tok != "" {
		wantNoPiece(t, "the WWW-Authenticate header", r.Header.Get("WWW-Authenticate"), tok)
		wantNoPiece(t, "the body", string(r.Body), tok)
		if d := got["error_description"]; d != "" {
			for _, c := range []byte(d) {
				if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
					t.Errorf("error_description %q has %q, which RFC 6750 §3 does not allow", d, c)
				}
			}
		}
	}
	return got
}

// shippedScopes is what the echo and files plugins need (the echo tool and
// echo_prompt, the files tools), as a challenge names it.
const shippedScopes = "files:read prompts:echo tools:echo"

// plainChallenge is the 401 challenge to a request without a token.
var plainChallenge = map[string]string{"resource_metadata": authMetadataURL, "scope": shippedScopes}

func invalidToken() map[string]string {
	return map[string]string{"resource_metadata": authMetadataURL, "scope": shippedScopes, "error": "invalid_token", "error_description": "*"}
}

// filesRoot is a files plugin root holding hello.txt.
func filesRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "hello.txt"), []byte("hello, caller\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return root
}

// eraRequest is one request in each protocol era.
type eraRequest struct {
	era  string
	id   string // as JSON
	hdr  headers
	body string
}

// listRequests are tools/list in a session-era initialize (which is what
// a session-era client sends first) and in a 2026-07-28 request.
func listRequests() []eraRequest {
	return []eraRequest{
		{"session era initialize", `"init-1"`, nil, initializeBody("init-1", sessionVersion)},
		{"2026-07-28 tools/list", `"list-1"`, modernHeaders("tools/list", ""), modernBody("list-1", "tools/list", nil)},
	}
}

func TestAuthChallenges(t *testing.T) {
	rest := shippedPlugins(filesRoot(t))
	h := startHost(t, authHostConfigWith(`clock_skew = "0s"`, rest))
	good := mintToken(t, h, "alice", "tools:echo")
	hostKey := readSigningKey(t, keyFileOf(h))
	hdr, _ := decodeJWT(t, good)
	kid, _ := hdr["kid"].(string)
	used := []string{good}

	t.Run("no token", func(t *testing.T) {
		for _, rq := range append(listRequests(),
			eraRequest{"2026-07-28 tools/call", "7", modernHeaders("tools/call", "echo"),
				modernBody(7, "tools/call", map[string]any{"name": "echo", "arguments": map[string]any{"message": "x"}})},
			eraRequest{"session era notification", "null", nil, rpcBody(nil, "notifications/initialized", nil)},
		) {
			t.Run(rq.era, func(t *testing.T) {
				r := h.post(t, rq.hdr, rq.body)
				wantRefusal(t, r, http.StatusUnauthorized, codeUnauthorized, rq.id, plainChallenge, "")
				if v := r.Header.Get("WWW-Authenticate"); v != `Bearer resource_metadata="`+authMetadataURL+`", scope="`+shippedScopes+`"` {
					t.Errorf("got WWW-Authenticate %s", v)
				}
			})
		}
	})

	// otherAudience is a token of the same key and issuer for another
	// resource; otherKey one of another local issuer for this resource.
	audCfg := writeConfig(t, authConfigFor("127.0.0.1:0", "http://mcp.test/other", keyFileOf(h), "", rest))
	otherAudience := mintWith(t, audCfg, "--sub", "alice", "--scope", "tools:echo")
	keyCfg := writeConfig(t, authConfigFor("127.0.0.1:0", authPublicURL, "signing-key.pem", "", rest))
	otherKey := mintWith(t, keyCfg, "--sub", "alice", "--scope", "tools:echo")
	atJWT := map[string]any{"alg": "RS256", "typ": "at+jwt", "kid": kid}
	past := time.Now().Add(-2 * time.Hour)

	// shortLived expires one second after it is minted; the host allows no
	// clock skew. It works until then, and is refused after, even though
	// the host verified (and cached) it while it was valid.
	shortLived := mintWith(t, h.cfgPath, "--sub", "alice", "--scope", "tools:echo", "--ttl", "1s")
	wantResult(t, h.post(t, bearer(shortLived).with(modernHeaders("tools/list", "")), modernBody(1, "tools/list", nil)))
	_, c := decodeJWT(t, shortLived)
	exp, _ := c["exp"].(float64)
	if iat, _ := c["iat"].(float64); exp-iat != 1 {
		t.Fatalf("--ttl 1s minted exp-iat = %v, want 1", exp-iat)
	}
	time.Sleep(time.Until(time.Unix(int64(exp), 0).Add(100 * time.Millisecond)))

	bad := []struct {
		name, token string
		describes   string // a word error_description must hold
	}{
		{"garbage", "garbage-" + randomB64(40), "JWT"},
		{"garbage JWT shape", randomB64(30) + "." + randomB64(30) + "." + randomB64(30), "token"},
		{"expired after --ttl 1s", shortLived, "expired"},
		{"expired, signed with the host's key", signJWT(t, hostKey, atJWT,
			validClaims("alice", map[string]any{"iat": past.Unix(), "nbf": past.Unix(), "exp": past.Add(time.Hour).Unix()})), "expired"},
		{"another audience", otherAudience, "audience"},
		{"another issuer's key", otherKey, "key"},
		{"forged with the host's kid", signJWT(t, newRSAKey(t), atJWT, validClaims("alice", nil)), "signature"},
		{"alg none", signJWT(t, nil, map[string]any{"alg": "none", "typ": "at+jwt"}, validClaims("alice", nil)), "algorithm"},
		{"typ JWT", signJWT(t, hostKey, map[string]any{"alg": "RS256", "typ": "JWT", "kid": kid}, validClaims("alice", nil)), "type"},
		{"not yet valid", signJWT(t, hostKey, atJWT, validClaims("alice", map[string]any{
			"nbf": time.Now().Add(time.Hour).Unix(), "exp": time.Now().Add(2 * time.Hour).Unix()})), "nbf"},
		{"no subject", signJWT(t, hostKey, atJWT, validClaims("", map[string]any{"sub": nil})), "sub"},
		{"another issuer", signJWT(t, hostKey, atJWT, validClaims("alice", map[string]any{"iss": "http://evil.test"})), "iss"},
	}
	for _, tt := range bad {
		used = append(used, tt.token)
		t.Run(tt.name, func(t *testing.T) {
			for _, rq := range listRequests() {
				t.Run(rq.era, func(t *testing.T) {
					r := h.post(t, rq.hdr.with(bearer(tt.token)), rq.body)
					p := wantRefusal(t, r, http.StatusUnauthorized, codeUnauthorized, rq.id, invalidToken(), tt.token)
					if d := p["error_description"]; !strings.Contains(d, tt.describes) {
						t.Errorf("got error_description %q, want it to mention %s", d, tt.describes)
					}
				})
			}
		})
	}

	t.Run("Basic scheme", func(t *testing.T) {
		for _, rq := range listRequests() {
			t.Run(rq.era, func(t *testing.T) {
				r := h.post(t, rq.hdr.with(headers{"Authorization": "Basic YWxpY2U6c2VjcmV0"}), rq.body)
				wantRefusal(t, r, http.StatusUnauthorized, codeUnauthorized, rq.id, plainChallenge, "")
			})
		}
	})

	t.Run("token in the query", func(t *testing.T) {
		for _, withHeader := range []bool{false, true} {
			t.Run(fmt.Sprintf("with header %v", withHeader), func(t *testing.T) {
				var hdr headers
				if withHeader {
					hdr = bearer(good)
				}
				r := h.send(t, http.MethodPost, hdr, initializeBody("q-1", sessionVersion), func(req *http.Request) {
					req.URL.RawQuery = "access_token=" + good
				})
				p := wantRefusal(t, r, http.StatusBadRequest, codeBadRequest, `"q-1"`, map[string]string{
					"resource_metadata": authMetadataURL, "scope": shippedScopes, "error": "invalid_request", "error_description": "*",
				}, good)
				if !strings.Contains(p["error_description"], "header") {
					t.Errorf("got error_description %q, want it to say where tokens go", p["error_description"])
				}
			})
		}
	})

	t.Run("token over max_token_bytes", func(t *testing.T) {
		long := randomB64(8193)
		used = append(used, long)
		for _, rq := range listRequests() {
			t.Run(rq.era, func(t *testing.T) {
				r := h.post(t, rq.hdr.with(bearer(long)), rq.body)
				wantRefusal(t, r, http.StatusUnauthorized, codeUnauthorized, rq.id, invalidToken(), long)
			})
		}
	})

	t.Run("a good token still works", func(t *testing.T) {
		wantResult(t, h.post(t, bearer(good).with(modernHeaders("tools/list", "")), modernBody(1, "tools/list", nil)))
	})

	t.Run("the log holds no token", func(t *testing.T) {
		log := h.log.String()
		for _, tok := range used {
			wantNoPiece(t, "the host's log", log, tok)
		}
	})
}

func TestAuthInsufficientScope(t *testing.T) {
	h := startHost(t, authHostConfig(shippedPlugins(filesRoot(t))))
	echoOnly := mintToken(t, h, "alice", "tools:echo")
	filesOnly := mintToken(t, h, "alice", "files:read")
	both := mintToken(t, h, "alice", "tools:echo files:read")
	readFile := map[string]any{"name": "read_file", "arguments": map[string]any{"path": "hello.txt"}}
	echo := map[string]any{"name": "echo", "arguments": map[string]any{"message": "hi"}}
	// A step-up names what the call needs together with what the token
	// grants: here, both tool scopes.
	const stepUp = "files:read tools:echo"
	forbidden := func(scope string) map[string]string {
		return map[string]string{"resource_metadata": authMetadataURL, "error": "insufficient_scope", "error_description": "*", "scope": scope}
	}
	wantText := func(t *testing.T, r *reply, want string) {
		t.Helper()
		var res toolResult
		mustUnmarshal(t, wantResult(t, r), &res)
		if res.IsError || !strings.Contains(res.text(), want) {
			t.Errorf("got isError %v, text %q; want a success holding %q", res.IsError, res.text(), want)
		}
	}

	t.Run("session era", func(t *testing.T) {
		r := h.post(t, bearer(echoOnly), initializeBody(1, sessionVersion))
		wantResult(t, r)
		sid := r.Header.Get("Mcp-Session-Id")
		in := func(tok string) headers {
			return bearer(tok).with(headers{"Mcp-Session-Id": sid, "MCP-Protocol-Version": sessionVersion})
		}
		r = h.post(t, in(echoOnly), rpcBody("rf-1", "tools/call", readFile))
		p := wantRefusal(t, r, http.StatusForbidden, codeForbidden, `"rf-1"`, forbidden(stepUp), echoOnly)
		if !strings.Contains(p["error_description"], "files:read") {
			t.Errorf("got error_description %q, want it to name files:read", p["error_description"])
		}
		wantError(t, r, http.StatusForbidden, codeForbidden, "files:read")

		// The step-up's second half: the client comes back with a token
		// holding both scopes, in the same session.
		wantText(t, h.post(t, in(both), rpcBody("rf-2", "tools/call", readFile)), "hello, caller")
		wantText(t, h.post(t, in(both), rpcBody("e-1", "tools/call", echo)), "hi")

		// A token with files:read alone is refused echo, and asked for
		// both scopes.
		r = h.post(t, in(filesOnly), rpcBody("e-2", "tools/call", echo))
		wantRefusal(t, r, http.StatusForbidden, codeForbidden, `"e-2"`, forbidden(stepUp), filesOnly)

		// An unknown tool is not a question of scopes.
		r = h.post(t, in(echoOnly), rpcBody("u-1", "tools/call", map[string]any{"name": "no_such_tool"}))
		wantError(t, r, http.StatusOK, -32602, "no_such_tool")
	})

	t.Run("2026-07-28", func(t *testing.T) {
		r := h.post(t, bearer(echoOnly).with(modernHeaders("tools/call", "read_file")), modernBody("rf-3", "tools/call", readFile))
		wantRefusal(t, r, http.StatusForbidden, codeForbidden, `"rf-3"`, forbidden(stepUp), echoOnly)
		wantText(t, h.post(t, bearer(both).with(modernHeaders("tools/call", "read_file")), modernBody("rf-4", "tools/call", readFile)), "hello, caller")

		// A token without any scope is asked for the tool's alone.
		none := mintToken(t, h, "alice", "")
		r = h.post(t, bearer(none).with(modernHeaders("tools/call", "read_file")), modernBody("rf-5", "tools/call", readFile))
		wantRefusal(t, r, http.StatusForbidden, codeForbidden, `"rf-5"`, forbidden("files:read"), none)
	})

	// A client may ask for offline_access to get a refresh token (MCP
	// 2026-07-28, Authorization, Refresh Tokens), so its token holds it;
	// the step-up challenge still must not name it: "MCP Servers
	// (Protected Resources) SHOULD NOT include offline_access in
	// WWW-Authenticate scope".
	t.Run("granted offline_access is not asked for again", func(t *testing.T) {
		offline := mintToken(t, h, "alice", "tools:echo offline_access")
		r := h.post(t, bearer(offline).with(modernHeaders("tools/call", "read_file")), modernBody("rf-6", "tools/call", readFile))
		wantRefusal(t, r, http.StatusForbidden, codeForbidden, `"rf-6"`, forbidden(stepUp), offline)
	})
}

// listedTool is a tool as tools/list shows it, with Toolgate's _meta.
type listedTool struct {
	Name string `json:"name"`
	Meta struct {
		RequiredScopes *[]string `json:"toolgate/requiredScopes"`
		Callable       *bool     `json:"toolgate/callable"`
	} `json:"_meta"`
}

type toolList struct {
	Tools      []listedTool `json:"tools"`
	NextCursor string       `json:"nextCursor"`
	CacheScope string       `json:"cacheScope"`
	TTL        *int64       `json:"ttlMs"`
}

func TestAuthToolsList(t *testing.T) {
	rest := shippedPlugins(filesRoot(t))
	required := map[string][]string{
		"echo": {"tools:echo"}, "list_directory": {"files:read"}, "read_file": {"files:read"}, "search_files": {"files:read"},
	}
	scopes := []struct {
		name, scope string
		callable    []string
	}{
		{"no scope", "", nil},
		{"tools:echo", "tools:echo", []string{"echo"}},
		{"files:read", "files:read", []string{"list_directory", "read_file", "search_files"}},
		{"both", "files:read tools:echo", shippedTools},
	}
	for _, mode := range []string{"filter", "mark"} {
		t.Run(mode, func(t *testing.T) {
			h := startHost(t, authHostConfigWith(`tools_list = "`+mode+`"`, rest))
			for _, sc := range scopes {
				t.Run(sc.name, func(t *testing.T) {
					tok := mintToken(t, h, "alice", sc.scope)
					r := h.post(t, bearer(tok), initializeBody(1, sessionVersion))
					wantResult(t, r)
					sid := r.Header.Get("Mcp-Session-Id")
					for _, era := range []string{"session era", "2026-07-28"} {
						t.Run(era, func(t *testing.T) {
							var r *reply
							if era == "session era" {
								r = h.post(t, bearer(tok).with(headers{"Mcp-Session-Id": sid, "MCP-Protocol-Version": sessionVersion}),
									rpcBody(2, "tools/list", nil))
							} else {
								r = h.post(t, bearer(tok).with(modernHeaders("tools/list", "")), modernBody(2, "tools/list", nil))
							}
							if !strings.Contains(string(r.Body), `"tools":[`) {
								t.Errorf("tools is not a JSON array: %s", r.Body)
							}
							var l toolList
							mustUnmarshal(t, wantResult(t, r), &l)
							var names []string
							for _, tool := range l.Tools {
								names = append(names, tool.Name)
								if rs := tool.Meta.RequiredScopes; rs == nil || !slices.Equal(*rs, required[tool.Name]) {
									t.Errorf("%s: got _meta toolgate/requiredScopes %v, want %v", tool.Name, rs, required[tool.Name])
								}
								switch c := tool.Meta.Callable; {
								case mode == "filter" && c != nil:
									t.Errorf("%s: got toolgate/callable %v in filter mode, want none", tool.Name, *c)
								case mode == "mark" && c == nil:
									t.Errorf("%s: no toolgate/callable in mark mode", tool.Name)
								case mode == "mark" && *c != slices.Contains(sc.callable, tool.Name):
									t.Errorf("%s: got toolgate/callable %v, want %v", tool.Name, *c, !*c)
								}
							}
							want := shippedTools
							if mode == "filter" {
								want = sc.callable
							}
							if !slices.Equal(names, want) {
								t.Errorf("got tools %v, want %v", names, want)
							}
							if era == "2026-07-28" {
								if l.CacheScope != "private" {
									t.Errorf("got cacheScope %q, want private: the list depends on the token", l.CacheScope)
								}
							} else if l.CacheScope != "" {
								t.Errorf("got cacheScope %q in the session era, want none", l.CacheScope)
							}
						})
					}
				})
			}
		})
	}
}

// get fetches a path of the host with the given Host header ("" for the
// host's address) and method.
func (h *hostProc) get(t *testing.T, method, path, host string, hdr headers) *reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, "http://"+h.addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func TestAuthMetadata(t *testing.T) {
	rest := shippedPlugins(filesRoot(t)) + `
[tools.list_directory]
scopes = ["files:read", "offline_access"]
`
	h := startHost(t, authHostConfigWith(`resource_name = "E2E Gate"
resource_documentation = "https://docs.example.com/gate"`, rest))
	tok := mintToken(t, h, "alice", "tools:echo")

	wantDoc := func(t *testing.T, r *reply) map[string]any {
		t.Helper()
		if r.Status != http.StatusOK {
			t.Fatalf("got status %d, want 200; body %s", r.Status, r.Body)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("got Content-Type %q, want application/json", ct)
		}
		if o := r.Header.Get("Access-Control-Allow-Origin"); o != "*" {
			t.Errorf("got Access-Control-Allow-Origin %q, want *", o)
		}
		var doc map[string]any
		mustUnmarshal(t, r.Body, &doc)
		return doc
	}

	prm := []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"}
	t.Run("protected resource metadata", func(t *testing.T) {
		var first []byte
		for _, path := range prm {
			for _, host := range []string{"", "mcp.test", "127.0.0.1", "localhost"} {
				t.Run(path+" Host "+host, func(t *testing.T) {
					r := h.get(t, http.MethodGet, path, host, headers{"Origin": "https://app.example"})
					doc := wantDoc(t, r)
					want := map[string]any{
						"resource":                 authPublicURL,
						"authorization_servers":    []any{authIssuer},
						"scopes_supported":         []any{"files:read", "prompts:echo", "tools:echo"},
						"bearer_methods_supported": []any{"header"},
						"resource_name":            "E2E Gate",
						"resource_documentation":   "https://docs.example.com/gate",
					}
					g, _ := json.Marshal(doc)
					w, _ := json.Marshal(want)
					if string(g) != string(w) {
						t.Errorf("got\n\t%s\nwant\n\t%s", g, w)
					}
					if first == nil {
						first = r.Body
					} else if string(first) != string(r.Body) {
						t.Errorf("the documents differ:\n\t%s\n\t%s", first, r.Body)
					}
				})
			}
		}
	})

	t.Run("the challenge names the document", func(t *testing.T) {
		r := h.post(t, nil, initializeBody(1, sessionVersion))
		p := wantChallenge(t, r)
		// offline_access asks for a refresh token: never in a challenge.
		wantParams(t, p, plainChallenge)
		u := p["resource_metadata"]
		host, path, _ := strings.Cut(strings.TrimPrefix(u, "http://"), "/")
		doc := wantDoc(t, h.get(t, http.MethodGet, "/"+path, host, nil))
		if doc["resource"] != authPublicURL {
			t.Errorf("%s: got resource %v", u, doc["resource"])
		}
	})

	t.Run("preflight", func(t *testing.T) {
		for _, path := range append(prm, "/.well-known/oauth-authorization-server", "/.well-known/jwks.json") {
			r := h.get(t, http.MethodOptions, path, "", headers{
				"Origin": "https://app.example", "Access-Control-Request-Method": "GET",
				"Access-Control-Request-Headers": "mcp-protocol-version",
			})
			if r.Status != http.StatusNoContent && r.Status != http.StatusOK {
				t.Errorf("OPTIONS %s: got status %d, want 204 or 200", path, r.Status)
			}
			if o := r.Header.Get("Access-Control-Allow-Origin"); o != "*" {
				t.Errorf("OPTIONS %s: got Access-Control-Allow-Origin %q, want *", path, o)
			}
			if m := r.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "GET") {
				t.Errorf("OPTIONS %s: got Access-Control-Allow-Methods %q, want GET", path, m)
			}
			if hd := r.Header.Get("Access-Control-Allow-Headers"); !strings.Contains(strings.ToLower(hd), "mcp-protocol-version") {
				t.Errorf("OPTIONS %s: got Access-Control-Allow-Headers %q, want MCP-Protocol-Version", path, hd)
			}
		}
	})

	t.Run("other methods", func(t *testing.T) {
		r := h.get(t, http.MethodPost, prm[0], "", nil)
		if r.Status != http.StatusMethodNotAllowed {
			t.Errorf("POST: got status %d, want 405", r.Status)
		}
		if a := r.Header.Get("Allow"); !strings.Contains(a, "GET") {
			t.Errorf("POST: got Allow %q, want GET", a)
		}
	})

	t.Run("foreign Host", func(t *testing.T) {
		for _, path := range append(prm, "/.well-known/oauth-authorization-server", "/.well-known/jwks.json") {
			for _, host := range []string{"evil.example", "mcp.test.evil.example", "evil.example:80"} {
				r := h.get(t, http.MethodGet, path, host, nil)
				if r.Status != http.StatusForbidden {
					t.Errorf("GET %s with Host %s: got status %d, want 403", path, host, r.Status)
				}
				if strings.Contains(string(r.Body), authPublicURL) || strings.Contains(string(r.Body), `"keys"`) {
					t.Errorf("GET %s with Host %s: got the document: %s", path, host, r.Body)
				}
			}
		}
	})

	t.Run("JWKS", func(t *testing.T) {
		doc := wantDoc(t, h.get(t, http.MethodGet, "/.well-known/jwks.json", "mcp.test", nil))
		keys, _ := doc["keys"].([]any)
		if len(keys) != 1 {
			t.Fatalf("got keys %v, want one", doc["keys"])
		}
		k, _ := keys[0].(map[string]any)
		if k["kty"] != "RSA" || k["alg"] != "RS256" || k["kid"] == nil || k["kid"] == "" || k["n"] == nil || k["e"] == nil {
			t.Errorf("got key %v, want an RSA key with kid, alg RS256, n and e", k)
		}
		if u, ok := k["use"]; ok && u != "sig" {
			t.Errorf("got use %v, want sig", u)
		}
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
			if _, ok := k[private]; ok {
				t.Errorf("the published key has private member %q", private)
			}
		}
		hdr, _ := decodeJWT(t, tok)
		if hdr["kid"] != k["kid"] {
			t.Errorf("tokens name kid %v, the key set %v", hdr["kid"], k["kid"])
		}
		// The published key verifies the host's tokens.
		nb, err1 := base64.RawURLEncoding.DecodeString(fmt.Sprint(k["n"]))
		eb, err2 := base64.RawURLEncoding.DecodeString(fmt.Sprint(k["e"]))
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		var e int
		for _, b := range eb {
			e = e<<8 | int(b)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: e}
		parts := strings.Split(tok, ".")
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
			t.Errorf("the published key does not verify a minted token: %v", err)
		}
	})

	t.Run("authorization server metadata", func(t *testing.T) {
		doc := wantDoc(t, h.get(t, http.MethodGet, "/.well-known/oauth-authorization-server", "mcp.test", nil))
		if doc["issuer"] != authIssuer {
			t.Errorf("got issuer %v, want %s", doc["issuer"], authIssuer)
		}
		if doc["jwks_uri"] != authIssuer+"/.well-known/jwks.json" {
			t.Errorf("got jwks_uri %v, want %s/.well-known/jwks.json", doc["jwks_uri"], authIssuer)
		}
		_, claims := decodeJWT(t, tok)
		if claims["iss"] != doc["issuer"] {
			t.Errorf("tokens have iss %v, the metadata issuer %v", claims["iss"], doc["issuer"])
		}
	})
}

func TestAuthSessions(t *testing.T) {
	h := startHost(t, authHostConfig(`
[[plugins]]
name = "echo"
path = "@BIN@/echo"

[tools.echo]
scopes = ["tools:echo"]
`))
	alice := mintToken(t, h, "alice", "tools:echo")
	aliceAgain := mintToken(t, h, "alice", "tools:echo")
	bob := mintToken(t, h, "bob", "tools:echo")
	echo := rpcBody("e", "tools/call", map[string]any{"name": "echo", "arguments": map[string]any{"message": "hi"}})

	t.Run("initialize without a token", func(t *testing.T) {
		r := h.post(t, nil, initializeBody(1, sessionVersion))
		wantRefusal(t, r, http.StatusUnauthorized, codeUnauthorized, "1", map[string]string{
			"resource_metadata": authMetadataURL, "scope": "prompts:echo tools:echo",
		}, "")
	})

	r := h.post(t, bearer(alice), initializeBody(1, sessionVersion))
	wantResult(t, r)
	sid := r.Header.Get("Mcp-Session-Id")
	in := func(tok string) headers {
		hdr := headers{"Mcp-Session-Id": sid, "MCP-Protocol-Version": sessionVersion}
		if tok != "" {
			hdr["Authorization"] = "Bearer " + tok
		}
		return hdr
	}
	wantEmpty(t, h.post(t, in(alice), rpcBody(nil, "notifications/initialized", nil)), http.StatusAccepted)
	wantResult(t, h.post(t, in(alice), echo))

	t.Run("the owner with another token", func(t *testing.T) {
		wantResult(t, h.post(t, in(aliceAgain), rpcBody(2, "ping", nil)))
	})

	t.Run("another caller", func(t *testing.T) {
		for _, body := range []string{rpcBody(3, "ping", nil), echo, rpcBody(4, "tools/list", nil)} {
			wantError(t, h.post(t, in(bob), body), http.StatusNotFound, -32001)
		}
		// Nor may bob's notifications or responses reach it.
		wantError(t, h.post(t, in(bob), rpcBody(nil, "notifications/cancelled", map[string]any{"requestId": 1})), http.StatusNotFound, -32001)
		wantError(t, h.post(t, in(bob), `{"jsonrpc":"2.0","id":"s-1","result":{}}`), http.StatusNotFound, -32001)
	})

	t.Run("no token in the session", func(t *testing.T) {
		wantRefusal(t, h.post(t, in(""), rpcBody(5, "ping", nil)), http.StatusUnauthorized, codeUnauthorized, "5",
			map[string]string{"resource_metadata": authMetadataURL, "scope": "prompts:echo tools:echo"}, "")
	})

	t.Run("DELETE by another caller", func(t *testing.T) {
		r := h.send(t, http.MethodDelete, in(bob), "")
		wantError(t, r, http.StatusNotFound, -32001)
		wantResult(t, h.post(t, in(alice), rpcBody(6, "ping", nil)))
	})

	t.Run("DELETE without a token", func(t *testing.T) {
		r := h.send(t, http.MethodDelete, in(""), "")
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("got status %d, want 401; body %s", r.Status, r.Body)
		}
		wantParams(t, wantChallenge(t, r), map[string]string{"resource_metadata": authMetadataURL, "scope": "prompts:echo tools:echo"})
		wantResult(t, h.post(t, in(alice), rpcBody(7, "ping", nil)))
	})

	t.Run("DELETE with a bad token", func(t *testing.T) {
		r := h.send(t, http.MethodDelete, in("garbage-"+randomB64(30)), "")
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("got status %d, want 401; body %s", r.Status, r.Body)
		}
		wantResult(t, h.post(t, in(alice), rpcBody(8, "ping", nil)))
	})

	t.Run("DELETE by the owner", func(t *testing.T) {
		if r := h.send(t, http.MethodDelete, in(alice), ""); r.Status != http.StatusOK {
			t.Fatalf("got status %d, want 200; body %s", r.Status, r.Body)
		}
		wantError(t, h.post(t, in(alice), rpcBody(9, "ping", nil)), http.StatusNotFound, -32001)
		wantError(t, h.send(t, http.MethodDelete, in(alice), ""), http.StatusNotFound, -32001)
	})
}

func TestAuthCaller(t *testing.T) {
	h := startHost(t, authHostConfig(probePlugin("")))
	tok := mintToken(t, h, "alice", "tools:echo files:read")
	claimsTok := signJWT(t, readSigningKey(t, keyFileOf(h)),
		map[string]any{"alg": "RS256", "typ": "at+jwt", "kid": func() any { hd, _ := decodeJWT(t, tok); return hd["kid"] }()},
		validClaims("carol", map[string]any{"email": "carol@example.com", "name": "Carol", "secret_claim": "not forwarded", "scope": "a b"}))

	type callerOut struct {
		RequestID string `json:"request_id"`
		Caller    struct {
			Subject  string          `json:"subject"`
			ClientID string          `json:"client_id"`
			Issuer   string          `json:"issuer"`
			Scopes   []string        `json:"scopes"`
			Claims   json.RawMessage `json:"claims"`
		} `json:"caller"`
	}
	call := func(t *testing.T, tok, name string) (*toolResult, *reply) {
		t.Helper()
		r := h.post(t, bearer(tok).with(modernHeaders("tools/call", name)), modernBody("c", "tools/call", map[string]any{"name": name}))
		var res toolResult
		mustUnmarshal(t, wantResult(t, r), &res)
		if res.IsError {
			t.Fatalf("%s: %s", name, res.text())
		}
		return &res, r
	}

	t.Run("minted token", func(t *testing.T) {
		res, r := call(t, tok, "caller")
		var out callerOut
		mustUnmarshal(t, res.StructuredContent, &out)
		c := out.Caller
		if c.Subject != "alice" || c.ClientID != "toolgate-cli" || c.Issuer != authIssuer ||
			!slices.Equal(c.Scopes, []string{"files:read", "tools:echo"}) {
			t.Errorf("the plugin got caller %+v, want alice, toolgate-cli, %s, [files:read tools:echo]", c, authIssuer)
		}
		if out.RequestID == "" {
			t.Error("the plugin got no request id")
		}
		wantNoPiece(t, "the caller tool's answer", string(r.Body), tok)
	})

	t.Run("session era", func(t *testing.T) {
		r := h.post(t, bearer(tok), initializeBody(1, sessionVersion))
		wantResult(t, r)
		r = h.post(t, bearer(tok).with(headers{"Mcp-Session-Id": r.Header.Get("Mcp-Session-Id"), "MCP-Protocol-Version": sessionVersion}),
			rpcBody(2, "tools/call", map[string]any{"name": "caller"}))
		var res toolResult
		mustUnmarshal(t, wantResult(t, r), &res)
		var out callerOut
		mustUnmarshal(t, res.StructuredContent, &out)
		if out.Caller.Subject != "alice" || out.Caller.Issuer != authIssuer {
			t.Errorf("the plugin got caller %+v", out.Caller)
		}
		wantNoPiece(t, "the caller tool's answer", string(r.Body), tok)
	})

	t.Run("forwarded claims", func(t *testing.T) {
		res, r := call(t, claimsTok, "caller")
		var out callerOut
		mustUnmarshal(t, res.StructuredContent, &out)
		var claims map[string]any
		mustUnmarshal(t, out.Caller.Claims, &claims)
		if len(claims) != 2 || claims["email"] != "carol@example.com" || claims["name"] != "Carol" {
			t.Errorf("the plugin got claims %v, want email and name only (forward_claims)", claims)
		}
		if out.Caller.Subject != "carol" || out.Caller.ClientID != "e2e-signer" || !slices.Equal(out.Caller.Scopes, []string{"a", "b"}) {
			t.Errorf("the plugin got caller %+v", out.Caller)
		}
		wantNoPiece(t, "the caller tool's answer", string(r.Body), claimsTok)
	})

	t.Run("environment", func(t *testing.T) {
		_, r := call(t, tok, "env")
		wantNoPiece(t, "the plugin's environment", string(r.Body), tok)
	})

	t.Run("log", func(t *testing.T) {
		// Let whatever the plugins wrote reach the log first.
		time.Sleep(200 * time.Millisecond)
		log := h.log.String()
		wantNoPiece(t, "the host's log", log, tok)
		wantNoPiece(t, "the host's log", log, claimsTok)
	})
}

func TestTokenCommand(t *testing.T) {
	rest := `
[[plugins]]
name = "echo"
path = "@BIN@/echo"
`
	cfgPath := writeConfig(t, authConfigFor("127.0.0.1:0", authPublicURL, "keys/signing-key.pem", "", rest))
	keyPath := filepath.Join(filepath.Dir(cfgPath), "keys", "signing-key.pem")
	before := time.Now().Unix()
	tok := mintWith(t, cfgPath, "--sub", "alice", "--scope", "tools:echo files:read")

	t.Run("the JWT", func(t *testing.T) {
		hdr, claims := decodeJWT(t, tok)
		if hdr["typ"] != "at+jwt" || hdr["alg"] != "RS256" {
			t.Errorf("got header %v, want typ at+jwt and alg RS256", hdr)
		}
		if kid, _ := hdr["kid"].(string); kid == "" {
			t.Errorf("got header %v, want a kid", hdr)
		}
		if claims["iss"] != authIssuer || claims["sub"] != "alice" || claims["client_id"] != "toolgate-cli" ||
			claims["scope"] != "tools:echo files:read" {
			t.Errorf("got claims %v", claims)
		}
		switch aud := claims["aud"].(type) {
		case string:
			if aud != authPublicURL {
				t.Errorf("got aud %q, want %s", aud, authPublicURL)
			}
		case []any:
			if len(aud) != 1 || aud[0] != authPublicURL {
				t.Errorf("got aud %v, want [%s]", aud, authPublicURL)
			}
		default:
			t.Errorf("got aud %v, want %s", claims["aud"], authPublicURL)
		}
		iat, _ := claims["iat"].(float64)
		exp, _ := claims["exp"].(float64)
		if int64(iat) < before-1 || int64(iat) > time.Now().Unix()+1 {
			t.Errorf("got iat %v, want about now (%d)", iat, before)
		}
		if exp-iat != 3600 {
			t.Errorf("got exp-iat %v, want 3600 (auth.local.token_ttl default 1h)", exp-iat)
		}
		if jti, _ := claims["jti"].(string); jti == "" {
			t.Errorf("got no jti")
		}
		// The published key verifies it.
		key := readSigningKey(t, keyPath)
		parts := strings.Split(tok, ".")
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
			t.Errorf("the signature does not verify with the key file: %v", err)
		}
	})

	t.Run("key file modes", func(t *testing.T) {
		for path, want := range map[string]os.FileMode{keyPath: 0o600, filepath.Dir(keyPath): 0o700} {
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Mode().Perm(); got != want {
				t.Errorf("%s: got mode %#o, want %#o", path, got, want)
			}
		}
		// Another mint reuses the key.
		hd1, _ := decodeJWT(t, tok)
		hd2, _ := decodeJWT(t, mintWith(t, cfgPath, "--sub", "bob"))
		if hd1["kid"] != hd2["kid"] {
			t.Errorf("a second mint used key %v, the first %v", hd2["kid"], hd1["kid"])
		}
	})

	t.Run("flags", func(t *testing.T) {
		_, claims := decodeJWT(t, mintWith(t, cfgPath, "--sub", "svc", "--ttl", "90s", "--client-id", "my-agent"))
		iat, _ := claims["iat"].(float64)
		exp, _ := claims["exp"].(float64)
		if exp-iat != 90 || claims["client_id"] != "my-agent" {
			t.Errorf("got exp-iat %v client_id %v, want 90 and my-agent", exp-iat, claims["client_id"])
		}
		if _, ok := claims["scope"]; ok {
			t.Errorf("got scope %v without --scope, want none", claims["scope"])
		}
		for _, args := range [][]string{{}, {"--sub", "x", "--ttl", "500ms"}, {"--sub", "x", "--ttl", "25h"}, {"--sub", "x", "extra"}} {
			code, stdout, stderr := runToolgate(t, append([]string{"token", "--config", cfgPath}, args...)...)
			if code == 0 || stdout != "" || stderr == "" {
				t.Errorf("toolgate token %q: got exit %d stdout %q stderr %q, want a usage error", args, code, stdout, stderr)
			}
		}
	})

	t.Run("a key others can read", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "mcp.toml")
		if err := os.WriteFile(path, []byte(authConfigFor("127.0.0.1:0", authPublicURL, "signing-key.pem", "", rest)), 0o600); err != nil {
			t.Fatal(err)
		}
		mintWith(t, path, "--sub", "alice") // creates the key
		key := filepath.Join(dir, "signing-key.pem")
		if err := os.Chmod(key, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"serve", "--config", path}, {"token", "--config", path, "--sub", "alice"}} {
			code, stdout, stderr := runToolgate(t, args...)
			if code == 0 {
				t.Errorf("toolgate %s: exit code 0 with a key of mode 0644\n%s", args[0], stdout)
			}
			if !strings.Contains(stderr, "chmod 600") || !strings.Contains(stderr, key) {
				t.Errorf("toolgate %s: stderr does not say to chmod 600 %s:\n%s", args[0], key, stderr)
			}
			if args[0] == "token" && stdout != "" {
				t.Errorf("toolgate token printed %q despite the refusal", stdout)
			}
		}
	})

	t.Run("auth.local disabled", func(t *testing.T) {
		path := writeConfig(t, hostConfig("", rest))
		code, stdout, stderr := runToolgate(t, "token", "--config", path, "--sub", "alice")
		if code == 0 || stdout != "" {
			t.Errorf("got exit %d stdout %q, want a failure", code, stdout)
		}
		if !strings.Contains(stderr, "auth.local.enabled is false") {
			t.Errorf("stderr does not say auth.local.enabled is false:\n%s", stderr)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(path), "data", "signing-key.pem")); err == nil {
			t.Errorf("a key was created although the local issuer is off")
		}
	})
}

// authMetrics reads toolgate_auth_decisions_total from GET /metrics, by
// "result/reason".
func authMetrics(t *testing.T, h *hostProc) map[string]float64 {
	t.Helper()
	r := h.get(t, http.MethodGet, "/metrics", "127.0.0.1", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /metrics: status %d; %s", r.Status, r.Body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(r.Body)))
	for sc.Scan() {
		line := sc.Text()
		labels, ok := strings.CutPrefix(line, "toolgate_auth_decisions_total{")
		if !ok {
			continue
		}
		labels, value, _ := strings.Cut(labels, "} ")
		var result, reason string
		for _, kv := range strings.Split(labels, ",") {
			k, v, _ := strings.Cut(kv, "=")
			v, _ = strconv.Unquote(v)
			switch k {
			case "result":
				result = v
			case "reason":
				reason = v
			}
		}
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[result+"/"+reason] = n
	}
	return out
}

func TestAuthMetrics(t *testing.T) {
	h := startHost(t, authHostConfig(shippedPlugins(filesRoot(t))))
	good := mintToken(t, h, "alice", "tools:echo")
	expired := signJWT(t, readSigningKey(t, keyFileOf(h)),
		map[string]any{"alg": "RS256", "typ": "at+jwt", "kid": func() any { hd, _ := decodeJWT(t, good); return hd["kid"] }()},
		validClaims("alice", map[string]any{"iat": time.Now().Add(-3 * time.Hour).Unix(), "exp": time.Now().Add(-2 * time.Hour).Unix()}))
	list := func(hdr headers) *reply {
		return h.post(t, hdr.with(modernHeaders("tools/list", "")), modernBody(1, "tools/list", nil))
	}
	call := func(tok, name string, args map[string]any) *reply {
		return h.post(t, bearer(tok).with(modernHeaders("tools/call", name)), modernBody(2, "tools/call", map[string]any{"name": name, "arguments": args}))
	}

	wantError(t, h.post(t, nil, initializeBody(1, sessionVersion)), 401, codeUnauthorized)
	wantError(t, list(nil), 401, codeUnauthorized)
	wantError(t, list(headers{"Authorization": "Basic YWxpY2U6c2VjcmV0"}), 401, codeUnauthorized)
	wantError(t, list(bearer("garbage-"+randomB64(30))), 401, codeUnauthorized)
	wantError(t, list(bearer(expired)), 401, codeUnauthorized)
	wantError(t, list(bearer(expired)), 401, codeUnauthorized)
	wantError(t, list(bearer(expired)), 401, codeUnauthorized)
	wantError(t, list(bearer(randomB64(9000))), 401, codeUnauthorized)
	wantError(t, h.send(t, http.MethodPost, bearer(good).with(modernHeaders("tools/list", "")), modernBody(1, "tools/list", nil),
		func(r *http.Request) { r.URL.RawQuery = "access_token=" + good }), 400, codeBadRequest)
	wantError(t, call(good, "read_file", map[string]any{"path": "hello.txt"}), 403, codeForbidden)
	wantResult(t, call(good, "echo", map[string]any{"message": "m"}))

	want := map[string]float64{
		"refused/no_token":           2,
		"refused/wrong_scheme":       1,
		"refused/malformed":          1,
		"refused/expired":            3,
		"refused/too_large":          1,
		"refused/query_token":        1,
		"refused/insufficient_scope": 1,
		"allowed/valid_token":        1, // one decision per request: the 403 counts as refused only
	}
	got := authMetrics(t, h)
	for k, w := range want {
		if got[k] != w {
			t.Errorf("toolgate_auth_decisions_total %s = %v, want %v", k, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok && g != 0 {
			t.Errorf("toolgate_auth_decisions_total %s = %v, want none", k, g)
		}
	}
	r := h.get(t, http.MethodGet, "/metrics", "127.0.0.1", nil)
	if !strings.Contains(string(r.Body), `toolgate_auth_decisions_total{reason="no_token",result="refused"} 2`) {
		t.Errorf("GET /metrics lacks the line for no_token:\n%s", grepLines(string(r.Body), "toolgate_auth"))
	}

	// Every refusal is logged, with its reason.
	logged := map[string]float64{}
	for _, rec := range h.log.records() {
		if rec.msg() == "refused request" {
			reason, _ := rec["reason"].(string)
			logged["refused/"+reason]++
		}
	}
	for k, w := range want {
		if strings.HasPrefix(k, "refused/") && logged[k] != w {
			t.Errorf("the log has %v refused request lines with reason %s, want %v", logged[k], strings.TrimPrefix(k, "refused/"), w)
		}
	}
	wantNoPiece(t, "the host's log", h.log.String(), good)
	wantNoPiece(t, "the host's log", h.log.String(), expired)
}

// grepLines returns the lines of text holding s.
func grepLines(text, s string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// freeLoopbackAddr returns 127.0.0.1:PORT for a port that was free a
// moment ago.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startHostAt starts a host whose config names its own address, as a
// public_url that equals the real URL must: it picks a free port, writes
// the config for it and starts the host, retrying with another port when
// someone took that one meanwhile.
func startHostAt(t *testing.T, config func(addr string) string) *hostProc {
	t.Helper()
	for attempt := 1; ; attempt++ {
		addr := freeLoopbackAddr(t)
		h := launch(t, config(addr), "serve")
		err := h.waitServing(15 * time.Second)
		if err == nil {
			t.Cleanup(func() { h.stop(t) })
			if h.addr != addr {
				t.Fatalf("the host listens on %s, want %s", h.addr, addr)
			}
			return h
		}
		_ = syscall.Kill(-h.cmd.Process.Pid, syscall.SIGKILL)
		<-h.exited
		if _, taken := h.log.line("cannot listen", 0); !taken || attempt == 5 {
			t.Fatalf("toolgate did not start serving on %s: %v\nits log:\n%s", addr, err, h.log.String())
		}
	}
}
