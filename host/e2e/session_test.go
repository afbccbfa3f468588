//go:build unix

package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/toolgate/toolgate/sdk"
)

// echoInput and echoOutput mirror the echo plugin's argument and result
// types, so the test can derive the schemas the plugin publishes.
type echoInput struct {
	Message     string `json:"message" jsonschema:"minLength=1,description=The message to echo."`
	RepeatCount *int   `json:"repeat_count,omitempty" jsonschema:"minimum=1,maximum=10,default=1,description=How many times to repeat the message."`
}

type echoOutput struct {
	Text        string `json:"text" jsonschema:"description=The message repeated repeat_count times and joined by single spaces."`
	RepeatCount int    `json:"repeat_count" jsonschema:"minimum=1,maximum=10,description=How many times the message was repeated."`
}

// shippedPlugins is the plugin part of a config with the shipped plugins,
// the files plugin serving root.
func shippedPlugins(root string) string {
	return `
[[plugins]]
name = "echo"
path = "@BIN@/echo"

[[plugins]]
name = "files"
path = "@BIN@/files"

[plugins.config]
root = ` + tomlString(root) + `
`
}

// shippedTools are the shipped plugins' tools in name order.
var shippedTools = []string{"echo", "list_directory", "read_file", "search_files"}

// maxBody is the max_body_bytes of the raw HTTP tests' hosts.
const maxBody = 65536

func TestSessionEra(t *testing.T) {
	h := startHost(t, hostConfig("page_size = 1\nmax_body_bytes = 65536", shippedPlugins(t.TempDir())))

	t.Run("initialize", func(t *testing.T) {
		tests := []struct{ asked, want string }{
			{"2025-11-25", "2025-11-25"},
			{"2025-06-18", "2025-06-18"},
			{"2025-03-26", "2025-03-26"},
			{"2024-01-01", "2025-11-25"}, // unknown: the server offers its newest session version
			{"2026-07-28", "2025-11-25"}, // modern, but without _meta it is a session-era initialize
		}
		for _, tt := range tests {
			t.Run(tt.asked, func(t *testing.T) {
				r := h.post(t, nil, initializeBody("init-1", tt.asked))
				res := wantResult(t, r)
				wantID(t, wantJSONRPC(t, r), `"init-1"`)
				sid := r.Header.Get("Mcp-Session-Id")
				if len(sid) < 32 {
					t.Errorf("got Mcp-Session-Id %q, want at least 32 characters", sid)
				}
				for _, c := range []byte(sid) {
					if c < 0x21 || c > 0x7e {
						t.Errorf("got Mcp-Session-Id %q with byte 0x%02x, want visible ASCII only", sid, c)
						break
					}
				}
				var ir struct {
					ProtocolVersion string                     `json:"protocolVersion"`
					Capabilities    map[string]json.RawMessage `json:"capabilities"`
					ServerInfo      struct{ Name, Version string }
				}
				mustUnmarshal(t, res, &ir)
				if ir.ProtocolVersion != tt.want {
					t.Errorf("got protocolVersion %q, want %q", ir.ProtocolVersion, tt.want)
				}
				if tools, ok := ir.Capabilities["tools"]; !ok || !strings.HasPrefix(string(tools), "{") {
					t.Errorf("got capabilities %s, want a tools object", res)
				}
				if ir.ServerInfo.Name != "toolgate" || ir.ServerInfo.Version == "" {
					t.Errorf("got serverInfo %+v, want name toolgate and a version", ir.ServerInfo)
				}
				// Each initialize opens its own session.
				if other := h.post(t, nil, initializeBody(2, tt.asked)).Header.Get("Mcp-Session-Id"); other == sid {
					t.Errorf("two initialize requests got the same session id %q", sid)
				}
			})
		}
	})

	sid := h.initialize(t, sessionVersion)

	t.Run("initialized notification", func(t *testing.T) {
		wantEmpty(t, h.inSession(t, sid, rpcBody(nil, "notifications/initialized", nil)), http.StatusAccepted)
	})

	t.Run("ping", func(t *testing.T) {
		r := h.inSession(t, sid, rpcBody(7, "ping", nil))
		if got := compact(t, wantResult(t, r)); got != "{}" {
			t.Errorf("got ping result %s, want {}", got)
		}
		wantID(t, wantJSONRPC(t, r), "7")
	})

	t.Run("tools/list walks every page", func(t *testing.T) {
		var names []string
		tools := map[string]json.RawMessage{}
		cursor := ""
		for page := 0; ; page++ {
			if page > len(shippedTools) {
				t.Fatalf("still paging after %d pages; got %v so far", page, names)
			}
			params := map[string]any{}
			if cursor != "" {
				params["cursor"] = cursor
			}
			var res struct {
				Tools      []json.RawMessage `json:"tools"`
				NextCursor string            `json:"nextCursor"`
				ResultType *string           `json:"resultType"`
				TTL        *int64            `json:"ttlMs"`
			}
			mustUnmarshal(t, wantResult(t, h.inSession(t, sid, rpcBody(page, "tools/list", params))), &res)
			if len(res.Tools) != 1 {
				t.Fatalf("page %d: got %d tools, want 1 (page_size = 1)", page, len(res.Tools))
			}
			if res.ResultType != nil || res.TTL != nil {
				t.Errorf("page %d: got 2026-07-28 fields (resultType, ttlMs) in a session-era result", page)
			}
			var d struct{ Name string }
			mustUnmarshal(t, res.Tools[0], &d)
			names = append(names, d.Name)
			tools[d.Name] = res.Tools[0]
			if res.NextCursor == "" {
				break
			}
			cursor = res.NextCursor
		}
		if !slices.Equal(names, shippedTools) {
			t.Fatalf("got tools %v, want %v in name order", names, shippedTools)
		}

		var echo struct {
			Name         string          `json:"name"`
			Title        string          `json:"title"`
			Description  string          `json:"description"`
			InputSchema  json.RawMessage `json:"inputSchema"`
			OutputSchema json.RawMessage `json:"outputSchema"`
			Annotations  map[string]any  `json:"annotations"`
		}
		mustUnmarshal(t, tools["echo"], &echo)
		if got, want := compact(t, echo.InputSchema), compact(t, sdk.SchemaFor[echoInput]()); got != want {
			t.Errorf("echo inputSchema:\n got %s\nwant %s", got, want)
		}
		if got, want := compact(t, echo.OutputSchema), compact(t, sdk.SchemaFor[echoOutput]()); got != want {
			t.Errorf("echo outputSchema:\n got %s\nwant %s", got, want)
		}
		if echo.Title != "Echo" || echo.Description == "" {
			t.Errorf("got echo title %q description %q, want Echo and a description", echo.Title, echo.Description)
		}
		if echo.Annotations["readOnlyHint"] != true || echo.Annotations["destructiveHint"] != false {
			t.Errorf("got echo annotations %v, want readOnlyHint true and destructiveHint false", echo.Annotations)
		}
	})

	t.Run("tools/list bogus cursor", func(t *testing.T) {
		r := h.inSession(t, sid, rpcBody(3, "tools/list", map[string]any{"cursor": "!!not-a-cursor!!"}))
		wantID(t, wantError(t, r, http.StatusOK, -32602, "cursor"), "3")
	})

	t.Run("tools/call echo", func(t *testing.T) {
		res := h.callTool(t, sid, "echo", map[string]any{"message": "hi", "repeat_count": 2})
		if res.IsError {
			t.Fatalf("got isError, want success: %s", res.text())
		}
		want := `{"text":"hi hi","repeat_count":2}`
		if got := compact(t, res.StructuredContent); got != want {
			t.Errorf("got structuredContent %s, want %s", got, want)
		}
		if len(res.Content) != 1 || res.Content[0].Type != "text" || compact(t, []byte(res.Content[0].Text)) != want {
			t.Errorf("got content %+v, want one text block mirroring %s", res.Content, want)
		}
		if res.ResultType != "" {
			t.Errorf("got resultType %q in a session-era result, want none", res.ResultType)
		}
	})

	t.Run("unknown tool", func(t *testing.T) {
		r := h.inSession(t, sid, rpcBody(4, "tools/call", map[string]any{"name": "no_such_tool"}))
		wantID(t, wantError(t, r, http.StatusOK, -32602, "Unknown tool", "no_such_tool"), "4")
	})

	t.Run("invalid arguments", func(t *testing.T) {
		tests := []struct {
			name  string
			args  map[string]any
			field string
		}{
			{"repeat_count too large", map[string]any{"message": "x", "repeat_count": 11}, "repeat_count"},
			{"missing message", map[string]any{"repeat_count": 1}, "message"},
			{"empty message", map[string]any{"message": ""}, "message"},
			{"extra field", map[string]any{"message": "x", "extra": true}, "extra"},
			{"wrong type", map[string]any{"message": 5}, "message"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := h.callTool(t, sid, "echo", tt.args)
				if !res.IsError {
					t.Fatalf("got success %s, want isError", res.StructuredContent)
				}
				if !strings.Contains(res.text(), tt.field) {
					t.Errorf("got error text %q, want it to name %q", res.text(), tt.field)
				}
			})
		}
	})

	t.Run("arguments not an object", func(t *testing.T) {
		for _, args := range []string{`[1]`, `"message"`, `5`, `true`} {
			t.Run(args, func(t *testing.T) {
				body := `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":` + args + `}}`
				wantID(t, wantError(t, h.inSession(t, sid, body), http.StatusOK, -32602, "arguments"), "5")
			})
		}
	})

	t.Run("parse error", func(t *testing.T) {
		for _, body := range []string{`{"jsonrpc":"2.0","id":1,"method":`, `not json`, `[{"jsonrpc":"2.0"`} {
			t.Run(body, func(t *testing.T) {
				wantID(t, wantError(t, h.inSession(t, sid, body), http.StatusBadRequest, -32700), "null")
			})
		}
	})

	t.Run("invalid request", func(t *testing.T) {
		tests := []struct{ name, body, id string }{
			{"jsonrpc 1.0", `{"jsonrpc":"1.0","id":6,"method":"ping"}`, "6"},
			{"no jsonrpc", `{"id":6,"method":"ping"}`, "6"},
			{"batch", `[{"jsonrpc":"2.0","id":6,"method":"ping"}]`, "null"},
			{"not an object", `42`, "null"},
			{"null id", `{"jsonrpc":"2.0","id":null,"method":"ping"}`, "null"},
			{"params array", `{"jsonrpc":"2.0","id":6,"method":"ping","params":[]}`, "6"},
			{"empty body", ``, "null"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantID(t, wantError(t, h.inSession(t, sid, tt.body), http.StatusBadRequest, -32600), tt.id)
			})
		}
	})

	t.Run("unknown method", func(t *testing.T) {
		for _, method := range []string{"sampling/createMessage", "server/discover", "no/such/method"} {
			t.Run(method, func(t *testing.T) {
				r := h.inSession(t, sid, rpcBody(8, method, nil))
				wantID(t, wantError(t, r, http.StatusOK, -32601), "8")
			})
		}
	})

	t.Run("missing session", func(t *testing.T) {
		r := h.post(t, headers{"MCP-Protocol-Version": sessionVersion}, rpcBody(9, "tools/list", nil))
		wantID(t, wantError(t, r, http.StatusBadRequest, -32000, "Mcp-Session-Id"), "9")
	})

	t.Run("unknown session", func(t *testing.T) {
		r := h.inSession(t, "0123456789abcdef0123456789abcdef", rpcBody(10, "ping", nil))
		wantError(t, r, http.StatusNotFound, -32001)
	})

	t.Run("DELETE ends the session", func(t *testing.T) {
		doomed := h.initialize(t, sessionVersion)
		r := h.send(t, http.MethodDelete, headers{"Mcp-Session-Id": doomed}, "")
		if r.Status != http.StatusOK {
			t.Fatalf("DELETE: got status %d, want 200; body %s", r.Status, r.Body)
		}
		wantError(t, h.inSession(t, doomed, rpcBody(11, "ping", nil)), http.StatusNotFound, -32001)
		if r := h.send(t, http.MethodDelete, headers{"Mcp-Session-Id": doomed}, ""); r.Status != http.StatusNotFound {
			t.Errorf("second DELETE: got status %d, want 404", r.Status)
		}
		// The other session lives on.
		wantResult(t, h.inSession(t, sid, rpcBody(12, "ping", nil)))
	})

	t.Run("DELETE without session", func(t *testing.T) {
		r := h.send(t, http.MethodDelete, nil, "")
		wantError(t, r, http.StatusMethodNotAllowed, -32000)
		if allow := r.Header.Get("Allow"); !strings.Contains(allow, "POST") {
			t.Errorf("got Allow %q, want it to list POST", allow)
		}
	})

	t.Run("GET without session", func(t *testing.T) {
		// A session's GET stream is tested in stream_test.go; without a
		// session (2026-07-28) there is no GET.
		r := h.send(t, http.MethodGet, headers{"Accept": "text/event-stream"}, "")
		wantError(t, r, http.StatusMethodNotAllowed, -32000)
		if allow := r.Header.Get("Allow"); !strings.Contains(allow, "POST") {
			t.Errorf("got Allow %q, want it to list POST", allow)
		}
	})

	t.Run("Content-Type", func(t *testing.T) {
		tests := []struct {
			ct     string
			status int
		}{
			{"text/plain", http.StatusUnsupportedMediaType},
			{"application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
			{"application/json; charset=utf-8", http.StatusOK},
		}
		for _, tt := range tests {
			t.Run(tt.ct, func(t *testing.T) {
				r := h.post(t, headers{"Content-Type": tt.ct, "Mcp-Session-Id": sid}, rpcBody(13, "ping", nil))
				if tt.status == http.StatusOK {
					wantResult(t, r)
					return
				}
				wantError(t, r, tt.status, -32000, "Content-Type")
			})
		}
		t.Run("missing", func(t *testing.T) {
			r := h.post(t, headers{"Content-Type": "", "Mcp-Session-Id": sid}, rpcBody(13, "ping", nil))
			wantError(t, r, http.StatusUnsupportedMediaType, -32000)
		})
	})

	t.Run("Accept", func(t *testing.T) {
		tests := []struct {
			accept string
			status int
		}{
			{"application/json", http.StatusNotAcceptable},
			{"text/event-stream", http.StatusNotAcceptable},
			{"", http.StatusNotAcceptable},
			{"*/*", http.StatusOK},
			{"application/json;q=0.9, text/event-stream;q=0.8", http.StatusOK},
		}
		for _, tt := range tests {
			t.Run("["+tt.accept+"]", func(t *testing.T) {
				r := h.post(t, headers{"Accept": tt.accept, "Mcp-Session-Id": sid}, rpcBody(14, "ping", nil))
				if tt.status == http.StatusOK {
					wantResult(t, r)
					return
				}
				wantError(t, r, tt.status, -32000, "Accept")
			})
		}
	})

	t.Run("body too large", func(t *testing.T) {
		head, tail := `{"jsonrpc":"2.0","id":15,"method":"ping","params":{"pad":"`, `"}}`
		fits := head + strings.Repeat("x", maxBody-len(head)-len(tail)) + tail
		wantResult(t, h.inSession(t, sid, fits))
		over := head + strings.Repeat("x", maxBody+1-len(head)-len(tail)) + tail
		wantError(t, h.inSession(t, sid, over), http.StatusRequestEntityTooLarge, -32600, "65536")
	})

	t.Run("Origin", func(t *testing.T) {
		tests := []struct {
			origin string
			status int
		}{
			{"http://evil.example.com", http.StatusForbidden},
			{"http://localhost.evil.com", http.StatusForbidden},
			{"https://127.0.0.1.nip.io", http.StatusForbidden},
			{"null", http.StatusForbidden},
			{"http://localhost:3000", http.StatusOK},
			{"http://127.0.0.1:8080", http.StatusOK},
			{"http://[::1]:5173", http.StatusOK},
		}
		for _, tt := range tests {
			t.Run(tt.origin, func(t *testing.T) {
				// An initialize: refusals must come before a session is made.
				r := h.post(t, headers{"Origin": tt.origin}, initializeBody(16, sessionVersion))
				if tt.status == http.StatusOK {
					wantResult(t, r)
					return
				}
				wantError(t, r, tt.status, -32000, "Origin")
				if sid := r.Header.Get("Mcp-Session-Id"); sid != "" {
					t.Errorf("a refused initialize got session %q", sid)
				}
			})
		}
	})

	t.Run("Host", func(t *testing.T) {
		_, port, _ := strings.Cut(h.addr, ":")
		tests := []struct {
			host   string
			status int
		}{
			{"evil.example.com", http.StatusForbidden},
			{"evil.example.com:" + port, http.StatusForbidden},
			{"localhost.evil.com:" + port, http.StatusForbidden},
			{"localhost:" + port, http.StatusOK},
			{"127.0.0.1:" + port, http.StatusOK},
		}
		for _, tt := range tests {
			t.Run(tt.host, func(t *testing.T) {
				r := h.send(t, http.MethodPost, nil, initializeBody(17, sessionVersion), func(req *http.Request) { req.Host = tt.host })
				if tt.status == http.StatusOK {
					wantResult(t, r)
					return
				}
				wantError(t, r, tt.status, -32000, "Host")
			})
		}
	})

	t.Run("Host on /metrics", func(t *testing.T) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+h.addr+"/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "evil.example.com"
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET /metrics with Host evil.example.com: got status %d, want 403", resp.StatusCode)
		}
	})

	t.Run("MCP-Protocol-Version header", func(t *testing.T) {
		tests := []struct {
			version string
			status  int
		}{
			{"1999-01-01", http.StatusBadRequest},
			{"garbage", http.StatusBadRequest},
			{"2025-11-25", http.StatusOK},
			{"2025-03-26", http.StatusOK}, // not the negotiated one, but supported
			{"", http.StatusOK},           // absent: the negotiated version applies
		}
		for _, tt := range tests {
			t.Run("["+tt.version+"]", func(t *testing.T) {
				r := h.post(t, headers{"Mcp-Session-Id": sid, "MCP-Protocol-Version": tt.version}, rpcBody(18, "ping", nil))
				if tt.status == http.StatusOK {
					wantResult(t, r)
					return
				}
				wantID(t, wantError(t, r, tt.status, -32000, tt.version), "18")
			})
		}
	})

	t.Run("client response", func(t *testing.T) {
		for _, body := range []string{
			`{"jsonrpc":"2.0","id":"server-1","result":{}}`,
			`{"jsonrpc":"2.0","id":2,"error":{"code":-32601,"message":"no"}}`,
		} {
			wantEmpty(t, h.inSession(t, sid, body), http.StatusAccepted)
		}
	})

	t.Run("notification", func(t *testing.T) {
		// Unknown notifications are accepted and ignored.
		wantEmpty(t, h.inSession(t, sid, rpcBody(nil, "notifications/whatever", map[string]any{"x": 1})), http.StatusAccepted)
		// Cancelling a request that is not running changes nothing.
		wantEmpty(t, h.inSession(t, sid, rpcBody(nil, "notifications/cancelled", map[string]any{"requestId": 999})), http.StatusAccepted)
		wantResult(t, h.inSession(t, sid, rpcBody(19, "ping", nil)))
	})
}

// TestSessionLimits checks max_sessions and the expiry of idle sessions.
func TestSessionLimits(t *testing.T) {
	t.Run("max_sessions", func(t *testing.T) {
		h := startHost(t, hostConfig("max_sessions = 2", ""))
		first := h.initialize(t, sessionVersion)
		h.initialize(t, sessionVersion)
		r := h.post(t, nil, initializeBody(3, sessionVersion))
		wantID(t, wantError(t, r, http.StatusServiceUnavailable, -32000, "sessions"), "3")
		if sid := r.Header.Get("Mcp-Session-Id"); sid != "" {
			t.Errorf("the refused initialize got session %q", sid)
		}
		// Ending one makes room for another.
		if r := h.send(t, http.MethodDelete, headers{"Mcp-Session-Id": first}, ""); r.Status != http.StatusOK {
			t.Fatalf("DELETE: got status %d, want 200", r.Status)
		}
		h.initialize(t, sessionVersion)
	})

	marks := t.TempDir()
	cfg := hostConfig("session_idle_timeout = \"1s\"", probePlugin(`PROBE_MARK_DIR = `+tomlString(marks)))
	cfg = strings.Replace(cfg, `level = "info"`, `level = "debug"`, 1)
	h := startHost(t, cfg)

	t.Run("idle sessions expire", func(t *testing.T) {
		first := h.initialize(t, sessionVersion)
		second := h.initialize(t, sessionVersion)
		// The host logs when it ends idle sessions.
		if _, err := h.log.waitFor(10*time.Second, nil, func(r logRecord) bool {
			return r.msg() == "expired idle sessions" && r["open"] == 0.0
		}); err != nil {
			t.Fatalf("the idle sessions did not expire: %v", err)
		}
		for _, sid := range []string{first, second} {
			wantError(t, h.inSession(t, sid, rpcBody(4, "ping", nil)), http.StatusNotFound, -32001)
		}
		third := h.initialize(t, sessionVersion)
		wantResult(t, h.inSession(t, third, rpcBody(5, "ping", nil)))
	})

	t.Run("a running call keeps its session", func(t *testing.T) {
		sid := h.initialize(t, sessionVersion)
		res := h.callTool(t, sid, "slow", map[string]any{"seconds": 3, "mark": "busy"})
		if res.IsError || res.text() != "slept" {
			t.Errorf("got isError %v text %q, want the call to finish: its session was not idle", res.IsError, res.text())
		}
	})
}
