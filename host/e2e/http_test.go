//go:build unix

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The protocol versions the tests speak.
const (
	modernVersion  = "2026-07-28"
	sessionVersion = "2025-11-25"
)

var httpClient = &http.Client{Timeout: 30 * time.Second}

// reply is an HTTP response, read whole.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// rpcMessage is a JSON-RPC response.
type rpcMessage struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *rpcError       `json:"error"`
}

type rpcError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// headers are request headers; an empty value removes a default header.
type headers map[string]string

// send makes one HTTP request to the MCP endpoint. Content-Type and Accept
// default to what every MCP POST carries; edit, if given, changes the request
// last (its Host, say).
func (h *hostProc) send(t *testing.T, method string, hdr headers, body string, edit ...func(*http.Request)) *reply {
	t.Helper()
	r, err := h.do(t.Context(), method, hdr, body, edit...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// do is send for any goroutine: it returns the error instead of failing the
// test.
func (h *hostProc) do(ctx context.Context, method string, hdr headers, body string, edit ...func(*http.Request)) (*reply, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.url, rd)
	if err != nil {
		return nil, err
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	for _, f := range edit {
		f(req)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, h.url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the body: %w", method, h.url, err)
	}
	return &reply{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// post sends a JSON-RPC message.
func (h *hostProc) post(t *testing.T, hdr headers, body string) *reply {
	t.Helper()
	return h.send(t, http.MethodPost, hdr, body)
}

// rpcBody encodes a JSON-RPC request; a nil id makes a notification and nil
// params leaves them out.
func rpcBody(id any, method string, params any) string {
	m := map[string]any{"jsonrpc": "2.0", "method": method}
	if id != nil {
		m["id"] = id
	}
	if params != nil {
		m["params"] = params
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// initialize opens a session-era session and returns its id.
func (h *hostProc) initialize(t *testing.T, version string) string {
	t.Helper()
	r := h.post(t, nil, initializeBody(1, version))
	res := wantResult(t, r)
	sid := r.Header.Get("Mcp-Session-Id")
	if sid == "" {
		t.Fatalf("initialize: no Mcp-Session-Id header; body %s", r.Body)
	}
	var ir struct {
		ProtocolVersion string `json:"protocolVersion"`
	}
	mustUnmarshal(t, res, &ir)
	if r := h.post(t, headers{"Mcp-Session-Id": sid, "MCP-Protocol-Version": ir.ProtocolVersion},
		rpcBody(nil, "notifications/initialized", nil)); r.Status != http.StatusAccepted {
		t.Fatalf("notifications/initialized: got status %d, want 202; body %s", r.Status, r.Body)
	}
	return sid
}

func initializeBody(id any, version string) string {
	return rpcBody(id, "initialize", map[string]any{
		"protocolVersion": version,
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "e2e", "version": "1.0.0"},
	})
}

// inSession sends a session-era message.
func (h *hostProc) inSession(t *testing.T, sid, body string) *reply {
	t.Helper()
	return h.post(t, headers{"Mcp-Session-Id": sid, "MCP-Protocol-Version": sessionVersion}, body)
}

// callTool calls a tool in a session and returns the JSON-RPC result.
func (h *hostProc) callTool(t *testing.T, sid, name string, args any) *toolResult {
	t.Helper()
	params := map[string]any{"name": name}
	if args != nil {
		params["arguments"] = args
	}
	r := h.inSession(t, sid, rpcBody("call-"+name, "tools/call", params))
	var res toolResult
	mustUnmarshal(t, wantResult(t, r), &res)
	return &res
}

// toolResult is a CallToolResult as it comes over the wire.
type toolResult struct {
	ResultType string `json:"resultType"`
	Content    []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	StructuredContent json.RawMessage `json:"structuredContent"`
	IsError           bool            `json:"isError"`
	Meta              json.RawMessage `json:"_meta"`
}

// text joins the result's text blocks.
func (r *toolResult) text() string {
	var parts []string
	for _, c := range r.Content {
		if c.Type == "text" {
			parts = append(parts, c.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// modernMeta is the 2026-07-28 per-request _meta.
func modernMeta(version string) map[string]any {
	return map[string]any{
		"io.modelcontextprotocol/protocolVersion":    version,
		"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "e2e", "version": "1.0.0"},
		"io.modelcontextprotocol/clientCapabilities": map[string]any{},
	}
}

// modernBody is a 2026-07-28 request: params plus the _meta fields.
func modernBody(id any, method string, params map[string]any) string {
	p := map[string]any{"_meta": modernMeta(modernVersion)}
	for k, v := range params {
		p[k] = v
	}
	return rpcBody(id, method, p)
}

// modernHeaders are the headers mirroring a 2026-07-28 request's body.
func modernHeaders(method, name string) headers {
	h := headers{"MCP-Protocol-Version": modernVersion, "Mcp-Method": method}
	if name != "" {
		h["Mcp-Name"] = name
	}
	return h
}

// wantJSONRPC checks the reply is a JSON response holding one JSON-RPC
// message and returns it.
func wantJSONRPC(t *testing.T, r *reply) *rpcMessage {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("got Content-Type %q, want application/json; status %d, body %s", ct, r.Status, r.Body)
	}
	var m rpcMessage
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("body is not a JSON-RPC message: %v\n%s", err, r.Body)
	}
	if m.JSONRPC != "2.0" {
		t.Fatalf("got jsonrpc %q, want \"2.0\"; body %s", m.JSONRPC, r.Body)
	}
	return &m
}

// wantResult checks for HTTP 200 and a JSON-RPC success, and returns the result.
func wantResult(t *testing.T, r *reply) json.RawMessage {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("got status %d, want 200; body %s", r.Status, r.Body)
	}
	m := wantJSONRPC(t, r)
	if m.Error != nil {
		t.Fatalf("got JSON-RPC error %d %q, want a result", m.Error.Code, m.Error.Message)
	}
	if len(m.Result) == 0 {
		t.Fatalf("got no result; body %s", r.Body)
	}
	return m.Result
}

// wantError checks the status and the JSON-RPC error code, that the message
// contains each of contains, and returns the error.
func wantError(t *testing.T, r *reply, status, code int, contains ...string) *rpcMessage {
	t.Helper()
	if r.Status != status {
		t.Fatalf("got status %d, want %d; body %s", r.Status, status, r.Body)
	}
	m := wantJSONRPC(t, r)
	if m.Error == nil {
		t.Fatalf("got no JSON-RPC error, want code %d; body %s", code, r.Body)
	}
	if m.Error.Code != code {
		t.Fatalf("got error code %d (%q), want %d", m.Error.Code, m.Error.Message, code)
	}
	if len(m.Result) != 0 {
		t.Fatalf("got both an error and a result: %s", r.Body)
	}
	for _, s := range contains {
		if !strings.Contains(m.Error.Message, s) {
			t.Fatalf("got error message %q, want it to contain %q", m.Error.Message, s)
		}
	}
	return m
}

// wantID checks the id of a JSON-RPC response.
func wantID(t *testing.T, m *rpcMessage, want string) {
	t.Helper()
	if got := string(m.ID); got != want {
		t.Errorf("got id %s, want %s", got, want)
	}
}

// wantEmpty checks a reply with the given status and no body.
func wantEmpty(t *testing.T, r *reply, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("got status %d, want %d; body %s", r.Status, status, r.Body)
	}
	if len(r.Body) != 0 {
		t.Fatalf("got body %q, want none", r.Body)
	}
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
}

// compact returns b without insignificant whitespace.
func compact(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("compacting %s: %v", b, err)
	}
	return buf.String()
}
