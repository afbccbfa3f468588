//go:build unix

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

func TestStatelessEra(t *testing.T) {
	h := startHost(t, hostConfig("", shippedPlugins(t.TempDir())))

	// noSession checks a 2026-07-28 reply mints no session.
	noSession := func(t *testing.T, r *reply) {
		t.Helper()
		if sid := r.Header.Get("Mcp-Session-Id"); sid != "" {
			t.Errorf("got Mcp-Session-Id %q on a 2026-07-28 reply, want none", sid)
		}
	}
	// serverInfo checks the result's _meta names the server.
	serverInfo := func(t *testing.T, meta json.RawMessage) {
		t.Helper()
		var m map[string]struct{ Name, Version string }
		mustUnmarshal(t, meta, &m)
		if info := m["io.modelcontextprotocol/serverInfo"]; info.Name != "toolgate" || info.Version == "" {
			t.Errorf("got _meta %s, want io.modelcontextprotocol/serverInfo naming toolgate with a version", meta)
		}
	}

	t.Run("server/discover", func(t *testing.T) {
		r := h.post(t, modernHeaders("server/discover", ""), modernBody("d-1", "server/discover", nil))
		res := wantResult(t, r)
		wantID(t, wantJSONRPC(t, r), `"d-1"`)
		noSession(t, r)
		var d struct {
			ResultType        string                     `json:"resultType"`
			SupportedVersions []string                   `json:"supportedVersions"`
			Capabilities      map[string]json.RawMessage `json:"capabilities"`
			Meta              json.RawMessage            `json:"_meta"`
			TTL               *int64                     `json:"ttlMs"`
			CacheScope        string                     `json:"cacheScope"`
		}
		mustUnmarshal(t, res, &d)
		if d.ResultType != "complete" {
			t.Errorf("got resultType %q, want complete", d.ResultType)
		}
		for _, v := range []string{modernVersion, sessionVersion} {
			if !slices.Contains(d.SupportedVersions, v) {
				t.Errorf("got supportedVersions %v, want it to contain %s", d.SupportedVersions, v)
			}
		}
		if _, ok := d.Capabilities["tools"]; !ok {
			t.Errorf("got capabilities %v, want tools", d.Capabilities)
		}
		serverInfo(t, d.Meta)
		if d.TTL == nil || *d.TTL < 0 {
			t.Errorf("got ttlMs %v, want a number >= 0", d.TTL)
		}
		if d.CacheScope != "public" && d.CacheScope != "private" {
			t.Errorf("got cacheScope %q, want public or private", d.CacheScope)
		}
	})

	t.Run("tools/list", func(t *testing.T) {
		r := h.post(t, modernHeaders("tools/list", ""), modernBody(1, "tools/list", nil))
		res := wantResult(t, r)
		noSession(t, r)
		var l struct {
			ResultType string `json:"resultType"`
			Tools      []struct {
				Name string `json:"name"`
			} `json:"tools"`
			NextCursor *string         `json:"nextCursor"`
			Meta       json.RawMessage `json:"_meta"`
			TTL        *int64          `json:"ttlMs"`
			CacheScope string          `json:"cacheScope"`
		}
		mustUnmarshal(t, res, &l)
		if l.ResultType != "complete" {
			t.Errorf("got resultType %q, want complete", l.ResultType)
		}
		var names []string
		for _, tool := range l.Tools {
			names = append(names, tool.Name)
		}
		if !slices.Equal(names, shippedTools) {
			t.Errorf("got tools %v, want %v", names, shippedTools)
		}
		if l.NextCursor != nil {
			t.Errorf("got nextCursor %q on the only page, want none", *l.NextCursor)
		}
		if l.TTL == nil || *l.TTL < 0 {
			t.Errorf("got ttlMs %v, want a number >= 0", l.TTL)
		}
		if l.CacheScope != "public" && l.CacheScope != "private" {
			t.Errorf("got cacheScope %q, want public or private", l.CacheScope)
		}
		serverInfo(t, l.Meta)
	})

	echoCall := func(id any) string {
		return modernBody(id, "tools/call", map[string]any{"name": "echo", "arguments": map[string]any{"message": "hey"}})
	}
	wantEcho := func(t *testing.T, r *reply) {
		t.Helper()
		noSession(t, r)
		var res toolResult
		mustUnmarshal(t, wantResult(t, r), &res)
		if res.IsError || res.ResultType != "complete" {
			t.Fatalf("got isError %v resultType %q (%s), want a complete success", res.IsError, res.ResultType, res.text())
		}
		if got, want := compact(t, res.StructuredContent), `{"text":"hey","repeat_count":1}`; got != want {
			t.Errorf("got structuredContent %s, want %s", got, want)
		}
		serverInfo(t, res.Meta)
	}

	t.Run("tools/call echo", func(t *testing.T) {
		wantEcho(t, h.post(t, modernHeaders("tools/call", "echo"), echoCall(2)))
	})

	t.Run("Mcp-Name in base64", func(t *testing.T) {
		enc := "=?base64?" + base64.StdEncoding.EncodeToString([]byte("echo")) + "?="
		wantEcho(t, h.post(t, modernHeaders("tools/call", enc), echoCall(3)))
	})

	t.Run("stray Mcp-Session-Id is ignored", func(t *testing.T) {
		hdr := modernHeaders("tools/call", "echo")
		hdr["Mcp-Session-Id"] = "0123456789abcdef0123456789abcdef"
		wantEcho(t, h.post(t, hdr, echoCall(4)))
	})

	t.Run("invalid arguments", func(t *testing.T) {
		body := modernBody(5, "tools/call", map[string]any{"name": "echo", "arguments": map[string]any{"message": "x", "repeat_count": 11}})
		var res toolResult
		mustUnmarshal(t, wantResult(t, h.post(t, modernHeaders("tools/call", "echo"), body)), &res)
		if !res.IsError || res.ResultType != "complete" {
			t.Errorf("got isError %v resultType %q, want isError with resultType complete", res.IsError, res.ResultType)
		}
	})

	t.Run("header mismatch", func(t *testing.T) {
		tests := []struct {
			name string
			hdr  headers
			body string
		}{
			{"missing MCP-Protocol-Version", headers{"Mcp-Method": "tools/call", "Mcp-Name": "echo"}, echoCall(6)},
			{"MCP-Protocol-Version differs from _meta",
				headers{"MCP-Protocol-Version": sessionVersion, "Mcp-Method": "tools/call", "Mcp-Name": "echo"}, echoCall(6)},
			{"MCP-Protocol-Version differs from an unsupported _meta version",
				modernHeaders("tools/list", ""), rpcBody(6, "tools/list", map[string]any{"_meta": modernMeta("v999.0.0")})},
			{"missing Mcp-Method", headers{"MCP-Protocol-Version": modernVersion, "Mcp-Name": "echo"}, echoCall(6)},
			{"Mcp-Name differs from the uri of resources/read", modernHeaders("resources/read", "test://a"),
				modernBody(6, "resources/read", map[string]any{"uri": "test://b"})},
			{"Mcp-Name of resources/read names the name, not the uri", modernHeaders("resources/read", "a"),
				modernBody(6, "resources/read", map[string]any{"uri": "test://a", "name": "a"})},
			{"Mcp-Method differs", modernHeaders("tools/list", "echo"), echoCall(6)},
			{"Mcp-Method differs in case", modernHeaders("TOOLS/CALL", "echo"), echoCall(6)},
			{"missing Mcp-Name", modernHeaders("tools/call", ""), echoCall(6)},
			{"Mcp-Name differs", modernHeaders("tools/call", "read_file"), echoCall(6)},
			{"Mcp-Name differs in base64", modernHeaders("tools/call", "=?base64?"+base64.StdEncoding.EncodeToString([]byte("ech0"))+"?="), echoCall(6)},
			{"Mcp-Name bad base64", modernHeaders("tools/call", "=?base64?!!!?="), echoCall(6)},
			{"Mcp-Name without body name", modernHeaders("tools/call", "echo"),
				modernBody(6, "tools/call", map[string]any{"arguments": map[string]any{}})},
			{"missing Mcp-Method on discover", headers{"MCP-Protocol-Version": modernVersion}, modernBody(6, "server/discover", nil)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := h.post(t, tt.hdr, tt.body)
				wantID(t, wantError(t, r, http.StatusBadRequest, -32020), "6")
				noSession(t, r)
			})
		}
	})

	t.Run("Mcp-Name of resources/read mirrors the uri", func(t *testing.T) {
		r := h.post(t, modernHeaders("resources/read", "test://a"), modernBody(9, "resources/read", map[string]any{"uri": "test://a"}))
		var m rpcMessage
		mustUnmarshal(t, r.Body, &m)
		if m.Error != nil && m.Error.Code == -32020 {
			t.Errorf("got a header mismatch for a matching Mcp-Name: %s", r.Body)
		}
	})

	t.Run("unsupported version", func(t *testing.T) {
		const v = "1900-01-01"
		body := rpcBody(7, "tools/list", map[string]any{"_meta": map[string]any{
			"io.modelcontextprotocol/protocolVersion":    v,
			"io.modelcontextprotocol/clientCapabilities": map[string]any{},
		}})
		r := h.post(t, headers{"MCP-Protocol-Version": v, "Mcp-Method": "tools/list"}, body)
		m := wantError(t, r, http.StatusBadRequest, -32022)
		wantID(t, m, "7")
		var data struct {
			Supported []string `json:"supported"`
			Requested string   `json:"requested"`
		}
		mustUnmarshal(t, m.Error.Data, &data)
		if data.Requested != v {
			t.Errorf("got data.requested %q, want %q", data.Requested, v)
		}
		if !slices.Contains(data.Supported, modernVersion) || !slices.Contains(data.Supported, sessionVersion) {
			t.Errorf("got data.supported %v, want it to list %s and %s", data.Supported, modernVersion, sessionVersion)
		}
		// A header that contradicts the body is a mismatch first.
		r = h.post(t, headers{"MCP-Protocol-Version": modernVersion, "Mcp-Method": "tools/list"}, body)
		wantID(t, wantError(t, r, http.StatusBadRequest, -32020, "does not match"), "7")
	})

	t.Run("missing clientCapabilities", func(t *testing.T) {
		body := rpcBody(8, "tools/list", map[string]any{"_meta": map[string]any{
			"io.modelcontextprotocol/protocolVersion": modernVersion,
		}})
		wantID(t, wantError(t, h.post(t, modernHeaders("tools/list", ""), body), http.StatusBadRequest, -32602, "clientCapabilities"), "8")
	})

	t.Run("unknown method", func(t *testing.T) {
		for _, method := range []string{"ping", "sampling/createMessage", "initialize", "logging/setLevel"} {
			t.Run(method, func(t *testing.T) {
				r := h.post(t, modernHeaders(method, ""), modernBody(9, method, nil))
				wantID(t, wantError(t, r, http.StatusNotFound, -32601), "9")
				noSession(t, r)
			})
		}
	})

	t.Run("version header without _meta", func(t *testing.T) {
		r := h.post(t, modernHeaders("tools/list", ""), rpcBody(10, "tools/list", nil))
		wantID(t, wantError(t, r, http.StatusBadRequest, -32602, "io.modelcontextprotocol/protocolVersion"), "10")
		noSession(t, r)
	})

	t.Run("notification", func(t *testing.T) {
		r := h.post(t, modernHeaders("notifications/cancelled", ""), modernBody(nil, "notifications/cancelled", map[string]any{"requestId": 1}))
		wantEmpty(t, r, http.StatusAccepted)
	})
}
