//go:build unix

package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// contentPlugins are the echo plugin (echo_prompt) and the probe (a
// prompt, a resource, a template and a tool that announces updates).
const contentPlugins = `
[[plugins]]
name = "echo"
path = "@BIN@/echo"

[[plugins]]
name = "probe"
path = "@BIN@/probe"
`

// eraClient sends one request in either era: modern is 2026-07-28 with
// its _meta and headers, else a session-era session.
type eraClient struct {
	h      *hostProc
	modern bool
	sid    string
	auth   headers
}

func (c *eraClient) request(t *testing.T, method, name string, params map[string]any) *reply {
	t.Helper()
	if c.modern {
		return c.h.post(t, modernHeaders(method, name).with(c.auth), modernBody(1, method, params))
	}
	hdr := headers{"Mcp-Session-Id": c.sid, "MCP-Protocol-Version": sessionVersion}.with(c.auth)
	return c.h.post(t, hdr, rpcBody(1, method, params))
}

func (c *eraClient) result(t *testing.T, method, name string, params map[string]any, v any) {
	t.Helper()
	res := wantResult(t, c.request(t, method, name, params))
	mustUnmarshal(t, res, v)
	var common struct {
		ResultType string          `json:"resultType"`
		Meta       json.RawMessage `json:"_meta"`
	}
	mustUnmarshal(t, res, &common)
	if c.modern && (common.ResultType != "complete" || !strings.Contains(string(common.Meta), "io.modelcontextprotocol/serverInfo")) {
		t.Errorf("%s: got resultType %q and _meta %s, want complete and serverInfo", method, common.ResultType, common.Meta)
	}
	if !c.modern && common.ResultType != "" {
		t.Errorf("%s: got resultType %q in the session era, want none", method, common.ResultType)
	}
}

func eras(t *testing.T, h *hostProc, auth headers, f func(t *testing.T, c *eraClient)) {
	t.Run("2026-07-28", func(t *testing.T) { f(t, &eraClient{h: h, modern: true, auth: auth}) })
	t.Run(sessionVersion, func(t *testing.T) {
		r := h.post(t, auth, initializeBody(1, sessionVersion))
		wantResult(t, r)
		sid := r.Header.Get("Mcp-Session-Id")
		hdr := headers{"Mcp-Session-Id": sid, "MCP-Protocol-Version": sessionVersion}.with(auth)
		if r := h.post(t, hdr, rpcBody(nil, "notifications/initialized", nil)); r.Status != http.StatusAccepted {
			t.Fatalf("notifications/initialized: got status %d", r.Status)
		}
		f(t, &eraClient{h: h, sid: sid, auth: auth})
	})
}

func TestPromptsAndResources(t *testing.T) {
	h := startHost(t, hostConfig("", contentPlugins))
	eras(t, h, nil, func(t *testing.T, c *eraClient) {
		t.Run("capabilities", func(t *testing.T) {
			var caps struct {
				Capabilities map[string]json.RawMessage `json:"capabilities"`
			}
			if c.modern {
				c.result(t, "server/discover", "", nil, &caps)
			} else {
				mustUnmarshal(t, wantResult(t, h.post(t, nil, initializeBody(2, sessionVersion))), &caps)
			}
			for _, k := range []string{"tools", "prompts", "resources", "completions"} {
				if _, ok := caps.Capabilities[k]; !ok {
					t.Errorf("got capabilities %v, want %s", caps.Capabilities, k)
				}
			}
		})

		t.Run("prompts/list", func(t *testing.T) {
			var l struct {
				Prompts []struct {
					Name        string `json:"name"`
					Description string `json:"description"`
					Arguments   []struct {
						Name     string `json:"name"`
						Required bool   `json:"required"`
					} `json:"arguments"`
				} `json:"prompts"`
				TTL        *int64 `json:"ttlMs"`
				CacheScope string `json:"cacheScope"`
			}
			c.result(t, "prompts/list", "", nil, &l)
			var names []string
			for _, p := range l.Prompts {
				names = append(names, p.Name)
				if p.Description == "" {
					t.Errorf("prompt %s has no description", p.Name)
				}
			}
			if !slices.Equal(names, []string{"echo_prompt", "probe_prompt"}) {
				t.Errorf("got prompts %v, want echo_prompt and probe_prompt", names)
			}
			if a := l.Prompts[0].Arguments; len(a) != 1 || a[0].Name != "message" || !a[0].Required {
				t.Errorf("got echo_prompt arguments %+v", a)
			}
			if c.modern != (l.TTL != nil && l.CacheScope == "public") {
				t.Errorf("got ttlMs %v cacheScope %q in modern=%v", l.TTL, l.CacheScope, c.modern)
			}
		})

		t.Run("prompts/get", func(t *testing.T) {
			var g struct {
				Description string `json:"description"`
				Messages    []struct {
					Role    string `json:"role"`
					Content struct {
						Type string `json:"type"`
						Text string `json:"text"`
					} `json:"content"`
				} `json:"messages"`
			}
			c.result(t, "prompts/get", "echo_prompt", map[string]any{"name": "echo_prompt", "arguments": map[string]any{"message": "hi"}}, &g)
			if len(g.Messages) != 1 || g.Messages[0].Role != "user" || g.Messages[0].Content.Type != "text" ||
				g.Messages[0].Content.Text != "Please echo this message back: hi" {
				t.Errorf("got %+v", g)
			}
			wantError(t, c.request(t, "prompts/get", "echo_prompt", map[string]any{"name": "echo_prompt"}), 200, -32602, "message")
			wantError(t, c.request(t, "prompts/get", "nope", map[string]any{"name": "nope"}), 200, -32602, "Unknown prompt: nope")
			wantError(t, c.request(t, "prompts/get", "probe_prompt", map[string]any{"name": "probe_prompt", "arguments": map[string]any{"text": "bad"}}),
				200, -32602, `must not be "bad"`)
			wantError(t, c.request(t, "prompts/get", "echo_prompt", map[string]any{"name": "echo_prompt", "arguments": map[string]any{"message": 7}}),
				200, -32602, "object of strings")
		})

		t.Run("resources/list and templates", func(t *testing.T) {
			var l struct {
				Resources []struct {
					URI      string `json:"uri"`
					Name     string `json:"name"`
					MIMEType string `json:"mimeType"`
				} `json:"resources"`
			}
			c.result(t, "resources/list", "", nil, &l)
			if len(l.Resources) != 1 || l.Resources[0].URI != "probe://static.txt" || l.Resources[0].Name != "static.txt" || l.Resources[0].MIMEType != "text/plain" {
				t.Errorf("got resources %+v", l.Resources)
			}
			var tl struct {
				Templates []struct {
					URITemplate string `json:"uriTemplate"`
					Name        string `json:"name"`
				} `json:"resourceTemplates"`
			}
			c.result(t, "resources/templates/list", "", nil, &tl)
			if len(tl.Templates) != 1 || tl.Templates[0].URITemplate != "probe://items/{id}" || tl.Templates[0].Name != "item" {
				t.Errorf("got templates %+v", tl.Templates)
			}
			wantError(t, c.request(t, "resources/list", "", map[string]any{"cursor": "!!"}), 200, -32602, "invalid cursor")
		})

		t.Run("resources/read", func(t *testing.T) {
			type contents struct {
				Contents []struct {
					URI      string  `json:"uri"`
					MIMEType string  `json:"mimeType"`
					Text     *string `json:"text"`
				} `json:"contents"`
				TTL        *int64 `json:"ttlMs"`
				CacheScope string `json:"cacheScope"`
			}
			var r contents
			c.result(t, "resources/read", "probe://static.txt", map[string]any{"uri": "probe://static.txt"}, &r)
			if len(r.Contents) != 1 || r.Contents[0].Text == nil || *r.Contents[0].Text != "static text" || r.Contents[0].URI != "probe://static.txt" {
				t.Errorf("got %+v", r)
			}
			if c.modern && (r.TTL == nil || r.CacheScope != "private") {
				t.Errorf("got ttlMs %v cacheScope %q, want both, private", r.TTL, r.CacheScope)
			}
			c.result(t, "resources/read", "probe://items/123", map[string]any{"uri": "probe://items/123"}, &r)
			if len(r.Contents) != 1 || *r.Contents[0].Text != `{"id":"123"}` || r.Contents[0].MIMEType != "application/json" {
				t.Errorf("got %+v", r)
			}
			// Not found: -32002 in the session era, -32602 from 2026-07-28
			// on, with the URI in the data, whether nothing matches or
			// the plugin says so.
			code := -32002
			if c.modern {
				code = -32602
			}
			for _, uri := range []string{"test://nonexistent", "probe://items/missing"} {
				m := wantError(t, c.request(t, "resources/read", uri, map[string]any{"uri": uri}), 200, code, "Resource not found")
				if !strings.Contains(string(m.Error.Data), `"uri":"`+uri+`"`) {
					t.Errorf("got error data %s, want the uri", m.Error.Data)
				}
			}
		})

		t.Run("completion/complete", func(t *testing.T) {
			var cr struct {
				Completion struct {
					Values  []string `json:"values"`
					Total   int      `json:"total"`
					HasMore bool     `json:"hasMore"`
				} `json:"completion"`
			}
			c.result(t, "completion/complete", "", map[string]any{
				"ref": map[string]any{"type": "ref/resource", "uri": "probe://items/{id}"}, "argument": map[string]any{"name": "id", "value": "12"},
			}, &cr)
			if !slices.Equal(cr.Completion.Values, []string{"12", "123"}) || cr.Completion.Total != 2 {
				t.Errorf("got %+v", cr.Completion)
			}
			c.result(t, "completion/complete", "", map[string]any{
				"ref": map[string]any{"type": "ref/prompt", "name": "probe_prompt"}, "argument": map[string]any{"name": "tone", "value": "c"},
				"context": map[string]any{"arguments": map[string]any{"text": "x"}},
			}, &cr)
			if !slices.Equal(cr.Completion.Values, []string{"calm", "cheerful"}) {
				t.Errorf("got %+v", cr.Completion)
			}
			// echo_prompt completes nothing: an empty list, never null.
			res := wantResult(t, c.request(t, "completion/complete", "", map[string]any{
				"ref": map[string]any{"type": "ref/prompt", "name": "echo_prompt"}, "argument": map[string]any{"name": "message", "value": "x"},
			}))
			if !strings.Contains(string(res), `"values":[]`) {
				t.Errorf("got %s, want an empty values list", res)
			}
			wantError(t, c.request(t, "completion/complete", "", map[string]any{
				"ref": map[string]any{"type": "ref/prompt", "name": "nope"}, "argument": map[string]any{"name": "a", "value": ""},
			}), 200, -32602, "Unknown prompt")
		})
	})

	t.Run("Mcp-Name must match params.uri for resources/read", func(t *testing.T) {
		body := modernBody(1, "resources/read", map[string]any{"uri": "probe://static.txt"})
		wantError(t, h.post(t, modernHeaders("resources/read", "probe://other.txt"), body), http.StatusBadRequest, -32020, "Mcp-Name")
		wantError(t, h.post(t, modernHeaders("resources/read", ""), body), http.StatusBadRequest, -32020, "Mcp-Name")
		wantResult(t, h.post(t, modernHeaders("resources/read", "probe://static.txt"), body))
	})
}

// TestPromptAndResourceScopes checks that a prompt's and a resource's
// scopes guard prompts/get and resources/read with the 403 step-up
// challenge, and that lists show only what the caller may use.
func TestPromptAndResourceScopes(t *testing.T) {
	h := startHost(t, authHostConfigWith(`default_resource_scopes = ["res:default"]`, contentPlugins+`
[[resources]]
uri = "probe://items/{id}"
scopes = ["items:read"]
`))
	weak := bearer(mintToken(t, h, "ada", "tools:echo"))
	strong := bearer(mintToken(t, h, "bob", "prompts:echo prompts:probe resources:probe items:read"))

	eras(t, h, weak, func(t *testing.T, c *eraClient) {
		for _, tt := range []struct {
			method, name string
			params       map[string]any
			scope        string
		}{
			{"prompts/get", "echo_prompt", map[string]any{"name": "echo_prompt", "arguments": map[string]any{"message": "hi"}}, "prompts:echo"},
			{"resources/read", "probe://static.txt", map[string]any{"uri": "probe://static.txt"}, "resources:probe"},
			{"resources/read", "probe://items/1", map[string]any{"uri": "probe://items/1"}, "items:read"},
			{"completion/complete", "", map[string]any{"ref": map[string]any{"type": "ref/prompt", "name": "probe_prompt"},
				"argument": map[string]any{"name": "tone", "value": ""}}, "prompts:probe"},
		} {
			r := c.request(t, tt.method, tt.name, tt.params)
			wantError(t, r, http.StatusForbidden, codeForbidden)
			ch := wantChallenge(t, r)
			if ch["error"] != "insufficient_scope" || !strings.Contains(ch["scope"], tt.scope) {
				t.Errorf("%s %s: got challenge %v, want insufficient_scope naming %s", tt.method, tt.name, ch, tt.scope)
			}
		}
		var l struct {
			Prompts []json.RawMessage `json:"prompts"`
		}
		c.result(t, "prompts/list", "", nil, &l)
		if len(l.Prompts) != 0 {
			t.Errorf("got %d prompts for a caller without prompt scopes, want none listed", len(l.Prompts))
		}
	})
	eras(t, h, strong, func(t *testing.T, c *eraClient) {
		wantResult(t, c.request(t, "prompts/get", "echo_prompt", map[string]any{"name": "echo_prompt", "arguments": map[string]any{"message": "hi"}}))
		wantResult(t, c.request(t, "resources/read", "probe://items/1", map[string]any{"uri": "probe://items/1"}))
		var l struct {
			Prompts []struct {
				Name string          `json:"name"`
				Meta json.RawMessage `json:"_meta"`
			} `json:"prompts"`
		}
		c.result(t, "prompts/list", "", nil, &l)
		if len(l.Prompts) != 2 || !strings.Contains(string(l.Prompts[0].Meta), `"toolgate/requiredScopes":["prompts:echo"]`) {
			t.Errorf("got prompts %+v, want both, with their required scopes", l.Prompts)
		}
	})
}

// TestSDKClientPromptsAndResources drives prompts, resources and
// completions with the official Go SDK client, in both eras.
func TestSDKClientPromptsAndResources(t *testing.T) {
	h := startHost(t, hostConfig("", contentPlugins))
	for _, version := range []string{modernVersion, sessionVersion} {
		t.Run(version, func(t *testing.T) {
			cs := connect(t, h, version)
			ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
			defer cancel()
			caps := cs.InitializeResult().Capabilities
			if caps == nil || caps.Prompts == nil || caps.Resources == nil || caps.Completions == nil {
				t.Errorf("got capabilities %+v, want prompts, resources and completions", caps)
			}

			pl, err := cs.ListPrompts(ctx, nil)
			if err != nil || len(pl.Prompts) != 2 || pl.Prompts[0].Name != "echo_prompt" || pl.Prompts[0].Arguments[0].Name != "message" {
				t.Fatalf("ListPrompts: got %+v, %v", pl, err)
			}
			gp, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "echo_prompt", Arguments: map[string]string{"message": "sdk"}})
			if err != nil {
				t.Fatalf("GetPrompt: %v", err)
			}
			if tc, ok := gp.Messages[0].Content.(*mcp.TextContent); !ok || gp.Messages[0].Role != "user" || tc.Text != "Please echo this message back: sdk" {
				t.Errorf("GetPrompt: got %+v", gp.Messages[0])
			}
			if _, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "echo_prompt"}); err == nil || !strings.Contains(err.Error(), "message") {
				t.Errorf("GetPrompt without its argument: got %v, want an error naming it", err)
			}

			rl, err := cs.ListResources(ctx, nil)
			if err != nil || len(rl.Resources) != 1 || rl.Resources[0].URI != "probe://static.txt" {
				t.Fatalf("ListResources: got %+v, %v", rl, err)
			}
			tl, err := cs.ListResourceTemplates(ctx, nil)
			if err != nil || len(tl.ResourceTemplates) != 1 || tl.ResourceTemplates[0].URITemplate != "probe://items/{id}" {
				t.Fatalf("ListResourceTemplates: got %+v, %v", tl, err)
			}
			rr, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "probe://items/9"})
			if err != nil || len(rr.Contents) != 1 || rr.Contents[0].Text != `{"id":"9"}` || rr.Contents[0].MIMEType != "application/json" {
				t.Fatalf("ReadResource: got %+v, %v", rr, err)
			}
			if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "probe://items/missing"}); err == nil {
				t.Errorf("ReadResource of a missing item: got no error")
			}

			cr, err := cs.Complete(ctx, &mcp.CompleteParams{
				Ref:      &mcp.CompleteReference{Type: "ref/prompt", Name: "probe_prompt"},
				Argument: mcp.CompleteParamsArgument{Name: "tone", Value: "g"},
			})
			if err != nil || !slices.Equal(cr.Completion.Values, []string{"grave"}) {
				t.Errorf("Complete: got %+v, %v", cr, err)
			}
		})
	}
}
