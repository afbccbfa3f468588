//go:build unix

package e2e

import (
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The official TypeScript SDK client's OAuth provider path, against the
// authorization server built into the real binary: testdata/tsclient's
// oauth-flow.mjs connects knowing only the URL, and answers the consent
// page over HTTP as a browser would (consent.mjs).

// oauthServerConfig is authServerConfig with public_url the host's real
// URL, which the SDK checks against the protected resource metadata.
func oauthServerConfig(t *testing.T, root string) func(addr string) string {
	cfg := authServerConfig(t, root)
	return func(addr string) string {
		return strings.Replace(cfg(addr), "[server]\n", "[server]\npublic_url = "+tomlString("http://"+addr+"/mcp")+"\n", 1)
	}
}

// oauthFlow is what oauth-flow.mjs prints.
type oauthFlow struct {
	Requests       []tsRequest `json:"requests"`
	RedirectURL    string      `json:"redirectUrl"`
	ClientID       string      `json:"clientId"`
	FirstError     *tsError    `json:"firstError"`
	StepUpError    *tsError    `json:"stepUpError"`
	Authorizations []struct {
		Request    map[string]string `json:"request"`
		PageStatus int               `json:"pageStatus"`
		Cookies    []string          `json:"cookies"`
		Page       struct {
			ClientName, ClientID, RedirectHost, Resource string
			Form                                         bool
			Scopes                                       []struct {
				ID, Name string
				Checked  bool
			}
		} `json:"page"`
		AnswerStatus int               `json:"answerStatus"`
		RedirectedTo string            `json:"redirectedTo"`
		Callback     map[string]string `json:"callback"`
	} `json:"authorizations"`
	Tokens []struct {
		Scope           string         `json:"scope"`
		TokenType       string         `json:"tokenType"`
		HadRefreshToken bool           `json:"hadRefreshToken"`
		Claims          map[string]any `json:"claims"`
	} `json:"tokens"`
	States    []string `json:"states"`
	Tools     []string `json:"tools"`
	ToolsLast []string `json:"toolsAfter"`
	Echo      struct {
		IsError bool   `json:"isError"`
		Text    string `json:"text"`
	} `json:"echo"`
	ReadFile struct {
		IsError bool   `json:"isError"`
		Text    string `json:"text"`
	} `json:"readFile"`
}

func TestOAuthTSClient(t *testing.T) {
	checkNode(t)
	// The client metadata document is served over https on loopback, since
	// the SDK takes only an https URL as a client id; Toolgate, allowed to
	// fetch from loopback by dev_http_client_ids, trusts the test's
	// certificate through SSL_CERT_FILE.
	var docURL string
	doc := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/client.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"client_id": docURL, "client_name": "Toolgate TypeScript E2E (document)",
			"redirect_uris": []string{"http://127.0.0.1/callback"}, "token_endpoint_auth_method": "none",
			"grant_types": []string{"authorization_code", "refresh_token"}, "response_types": []string{"code"},
		})
	}))
	t.Cleanup(doc.Close)
	docURL = doc.URL + "/client.json"
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: doc.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", caFile)

	h := startHostAt(t, oauthServerConfig(t, filesRoot(t)))
	tests := []struct {
		name, clientName string
		args             []string
	}{
		{"dynamic registration", "Toolgate TypeScript E2E", nil},
		{"client metadata document", "Toolgate TypeScript E2E (document)", []string{docURL}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out oauthFlow
			runNode(t, &out, "oauth-flow.mjs", append([]string{h.url, "alice", asPassword, "tools:echo"}, tt.args...)...)
			checkOAuthFlow(t, h, &out, tt.clientName, len(tt.args) == 0)
			if len(tt.args) > 0 && out.ClientID != docURL {
				t.Errorf("the SDK used client id %q, want the document's URL %s", out.ClientID, docURL)
			}
		})
	}
}

// checkOAuthFlow checks one run of oauth-flow.mjs: discovery, registration
// when registered, two authorizations (tools:echo granted of both scopes,
// then both after the 403), the tokens and the tool calls.
func checkOAuthFlow(t *testing.T, h *hostProc, out *oauthFlow, clientName string, registered bool) {
	t.Helper()
	origin := "http://" + h.addr
	if out.FirstError == nil || out.FirstError.Name != "UnauthorizedError" {
		t.Errorf("the first connection raised %+v, want UnauthorizedError (authorization needed)", out.FirstError)
	}
	// Discovery, then registration or not, then the first authorization.
	var calls []string
	for _, r := range out.Requests {
		if r.URL != h.url {
			calls = append(calls, r.Method+" "+strings.TrimPrefix(r.URL, origin))
		}
	}
	want := []string{"GET /.well-known/oauth-protected-resource/mcp", "GET /.well-known/oauth-authorization-server"}
	if registered {
		want = append(want, "POST /oauth/register")
	}
	want = append(want, "POST /oauth/token", "POST /oauth/token")
	if !slices.Equal(calls, want) {
		t.Errorf("got requests outside the MCP endpoint %v, want %v", calls, want)
	}
	if len(out.Requests) == 0 || out.Requests[0].Status != http.StatusUnauthorized || out.Requests[0].Authorization {
		t.Errorf("the first request was %+v, want one without a token answered 401", out.Requests[:min(1, len(out.Requests))])
	}
	for _, r := range out.Requests {
		if r.URL != h.url && r.Status >= 400 {
			t.Errorf("%s %s: status %d", r.Method, r.URL, r.Status)
		}
	}

	if len(out.Authorizations) != 2 {
		t.Fatalf("got %d authorizations, want 2 (sign-in, then step-up): %+v", len(out.Authorizations), out.Authorizations)
	}
	// The first authorization asks for what the 401 challenge named (every
	// scope the host's tools and prompts need), the second for what the 403
	// named; each page offers what was asked.
	var challenged string
	if len(out.Requests) > 0 && out.Requests[0].Parsed != nil && out.Requests[0].Parsed.Scope != nil {
		challenged = *out.Requests[0].Parsed.Scope
	}
	if !slices.Contains(strings.Fields(challenged), "files:read") || !slices.Contains(strings.Fields(challenged), "tools:echo") {
		t.Errorf("the 401 challenge named scopes %q, want files:read and tools:echo among them", challenged)
	}
	wantScopes := [][]string{{challenged, "tools:echo"}, {"files:read tools:echo", "files:read tools:echo"}}
	redirectOrigin := strings.TrimSuffix(out.RedirectURL, "/callback")
	for i, a := range out.Authorizations {
		q := a.Request
		if q["client_id"] != out.ClientID || q["redirect_uri"] != out.RedirectURL || q["response_type"] != "code" ||
			q["code_challenge_method"] != "S256" || q["code_challenge"] == "" || q["resource"] != h.url ||
			q["scope"] != wantScopes[i][0] || i >= len(out.States) || q["state"] != out.States[i] {
			t.Errorf("authorization %d: the SDK asked %v; want client %s, redirect %s, S256 PKCE, resource %s, scope %q and its state",
				i+1, q, out.ClientID, out.RedirectURL, h.url, wantScopes[i][0])
		}
		p := a.Page
		if a.PageStatus != http.StatusOK || !p.Form || p.ClientName != clientName || p.ClientID != out.ClientID ||
			p.RedirectHost != redirectOrigin || p.Resource != h.url || !slices.Contains(a.Cookies, "toolgate_csrf") {
			t.Errorf("authorization %d: consent page %d %+v with cookies %v; want 200, the form, client %q (%s), %s, %s and toolgate_csrf",
				i+1, a.PageStatus, p, a.Cookies, clientName, out.ClientID, redirectOrigin, h.url)
		}
		var offered []string
		for _, s := range p.Scopes {
			offered = append(offered, s.Name)
			if !s.Checked || s.ID != "scope-"+strings.NewReplacer(":", "-").Replace(s.Name) {
				t.Errorf("authorization %d: scope box %+v, want it ticked with id scope-…", i+1, s)
			}
		}
		if got := strings.Join(offered, " "); got != wantScopes[i][0] {
			t.Errorf("authorization %d: the page offers %q, want %q", i+1, got, wantScopes[i][0])
		}
		c := a.Callback
		if a.AnswerStatus != http.StatusSeeOther || a.RedirectedTo != out.RedirectURL ||
			c["code"] != "(present)" || c["state"] != q["state"] || c["iss"] != origin || c["error"] != "" {
			t.Errorf("authorization %d: approving answered %d to %s with %v; want 303 to %s with a code, the state and iss %s",
				i+1, a.AnswerStatus, a.RedirectedTo, c, out.RedirectURL, origin)
		}
		if i < len(out.Tokens) {
			tok := out.Tokens[i]
			cl := tok.Claims
			if tok.Scope != wantScopes[i][1] || cl["scope"] != wantScopes[i][1] || !tok.HadRefreshToken ||
				!slices.Equal(toStrings(cl["aud"]), []string{h.url}) || cl["sub"] != "alice" || cl["client_id"] != out.ClientID || cl["iss"] != origin {
				t.Errorf("token %d: scope %q, refresh token %v, claims %v; want scope %q, a refresh token, aud %s, sub alice, client_id %s, iss %s",
					i+1, tok.Scope, tok.HadRefreshToken, cl, wantScopes[i][1], h.url, out.ClientID, origin)
			}
		}
	}
	if len(out.Tokens) != 2 {
		t.Errorf("got %d token responses, want 2", len(out.Tokens))
	}
	if registered == strings.HasPrefix(out.ClientID, "https://") {
		t.Errorf("client id %q: registered %v", out.ClientID, registered)
	}

	// Tools with the first grant, the 403 and what follows it.
	if !slices.Equal(out.Tools, []string{"echo"}) || !slices.Equal(out.ToolsLast, shippedTools) {
		t.Errorf("got tools %v with tools:echo and %v after the step-up, want [echo] and %v", out.Tools, out.ToolsLast, shippedTools)
	}
	if out.Echo.IsError || !strings.Contains(out.Echo.Text, "through oauth") {
		t.Errorf("echo: %+v", out.Echo)
	}
	if out.StepUpError == nil || out.StepUpError.Name != "UnauthorizedError" {
		t.Errorf("read_file with tools:echo raised %+v, want UnauthorizedError after the SDK started a new authorization", out.StepUpError)
	}
	var forbidden []tsRequest
	for _, r := range out.Requests {
		if r.Status == http.StatusForbidden {
			forbidden = append(forbidden, r)
		}
	}
	if len(forbidden) != 1 {
		t.Fatalf("got %d answers 403, want one: %+v", len(forbidden), out.Requests)
	}
	if p := forbidden[0].Parsed; p == nil || p.Error == nil || *p.Error != "insufficient_scope" || p.Scope == nil || *p.Scope != "files:read tools:echo" {
		t.Errorf("the SDK read the 403 challenge %q as %+v", forbidden[0].WWWAuthenticate, forbidden[0].Parsed)
	}
	if out.ReadFile.IsError || !strings.Contains(out.ReadFile.Text, "hello, caller") {
		t.Errorf("read_file after the step-up: %+v", out.ReadFile)
	}
	wantNoPiece(t, "the log", h.log.String(), asPassword)
}
