//go:build unix

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// The session era asks the client for input on the tools/call's own event
// stream: the host sends elicitation/create (or sampling/createMessage,
// roots/list) as a request on the stream, the client POSTs its answer, and
// the stream ends with the tool's result.

// streamMessage is any JSON-RPC message on a response stream.
type streamMessage struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *rpcError       `json:"error"`
}

// initializeWith opens a session declaring the client capabilities caps
// (a JSON object) and returns its id.
func (h *hostProc) initializeWith(t *testing.T, caps string) string {
	t.Helper()
	r := h.post(t, nil, rpcBody(1, "initialize", map[string]any{
		"protocolVersion": sessionVersion,
		"capabilities":    json.RawMessage(caps),
		"clientInfo":      map[string]any{"name": "e2e", "version": "1.0.0"},
	}))
	wantResult(t, r)
	sid := r.Header.Get("Mcp-Session-Id")
	if r := h.inSession(t, sid, rpcBody(nil, "notifications/initialized", nil)); r.Status != http.StatusAccepted {
		t.Fatalf("notifications/initialized: got status %d; body %s", r.Status, r.Body)
	}
	return sid
}

// callAnswering calls a tool in a session as a client that accepts an event
// stream: every request the server sends on the stream is answered with
// answer's result, POSTed back in the session. It returns the call's
// response and the methods the server asked, in order.
func (h *hostProc) callAnswering(t *testing.T, sid, name string, args any, answer func(method string, params json.RawMessage) any) (*streamMessage, []string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, h.url,
		strings.NewReader(rpcBody("call-1", "tools/call", map[string]any{"name": name, "arguments": args})))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
		"Mcp-Session-Id": sid, "MCP-Protocol-Version": sessionVersion} {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var asked []string
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		var m streamMessage
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatalf("status %d: the body is not a JSON-RPC message: %v", resp.StatusCode, err)
		}
		return &m, asked
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	var data bytes.Buffer
	for sc.Scan() {
		line := sc.Text()
		if d, ok := strings.CutPrefix(line, "data:"); ok {
			data.WriteString(strings.TrimPrefix(d, " "))
			continue
		}
		if line != "" || data.Len() == 0 {
			continue // other fields (id, event, retry) or an empty event
		}
		var m streamMessage
		mustUnmarshal(t, data.Bytes(), &m)
		data.Reset()
		switch {
		case m.Method != "" && len(m.ID) > 0:
			asked = append(asked, m.Method)
			body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": answer(m.Method, m.Params)})
			if r := h.inSession(t, sid, string(body)); r.Status != http.StatusAccepted {
				t.Fatalf("answering %s: got status %d; body %s", m.Method, r.Status, r.Body)
			}
		case string(m.ID) == `"call-1"`:
			return &m, asked
		}
	}
	t.Fatalf("the stream ended without the call's response: %v", sc.Err())
	return nil, nil
}

func TestSessionEraInput(t *testing.T) {
	h := startHost(t, hostConfig("", probePlugin("")))
	sid := h.initializeWith(t, `{"elicitation":{}}`)
	// Without the sampling capability, the tool that samples tells the
	// model why it cannot; nothing is sent to the client.
	m, asked := h.callAnswering(t, sid, "sample", map[string]any{}, func(string, json.RawMessage) any { return nil })
	var res toolResult
	mustUnmarshal(t, m.Result, &res)
	if !res.IsError || !strings.Contains(res.text(), "sampling") || len(asked) != 0 {
		t.Errorf("got %s after asking %v, want an isError result naming sampling", m.Result, asked)
	}

	answers := map[string]any{
		"What is your name?":             map[string]any{"action": "accept", "content": map[string]any{"name": "Alice"}},
		"What is your favourite colour?": map[string]any{"action": "accept", "content": map[string]any{"color": "blue"}},
	}
	m, asked = h.callAnswering(t, sid, "ask", map[string]any{"greeting": "Hello"}, func(method string, params json.RawMessage) any {
		var p struct{ Message string }
		mustUnmarshal(t, params, &p)
		return answers[p.Message]
	})
	if m.Error != nil {
		t.Fatalf("got error %d %q", m.Error.Code, m.Error.Message)
	}
	res = toolResult{}
	mustUnmarshal(t, m.Result, &res)
	if !strings.Contains(string(res.StructuredContent), "Hello, Alice! You like blue.") || len(asked) != 2 {
		t.Errorf("got %s after asking %v, want the greeting after two elicitations", m.Result, asked)
	}
}
