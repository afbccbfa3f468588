package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
)

// The call under test: the echo tool asked for "hello" twice. wantText is
// what every answer must carry; the timed loop looks only for it, the
// check before timing reads the whole result.
const (
	echoArgs = `{"message":"hello","repeat_count":2}`
	wantText = "hello hello"
)

var wantTextBytes = []byte(wantText)

// form is one way of sending tools/call: the protocol era, and the headers
// that era asks for. testdata/tools_call.lua sends the same forms for wrk.
type form struct {
	url    string
	header http.Header // shared, read only: each goroutine clones it
	// meta adds the 2026-07-28 per-request _meta to the params.
	meta bool
}

// mcpHeader returns the headers every MCP POST needs, plus the version.
func mcpHeader(version string) http.Header {
	return http.Header{
		"Accept":               {"application/json, text/event-stream"},
		"Content-Type":         {"application/json"},
		"Mcp-Protocol-Version": {version},
	}
}

// sessionForm is the 2025-11-25 era: the session id from initialize on
// every request.
func sessionForm(url, sessionID string) form {
	h := mcpHeader("2025-11-25")
	h.Set("Mcp-Session-Id", sessionID)
	return form{url: url, header: h}
}

// statelessForm is the 2026-07-28 era: no session, the method and tool
// name mirrored in headers and the version in _meta.
func statelessForm(url string) form {
	h := mcpHeader("2026-07-28")
	h.Set("Mcp-Method", "tools/call")
	h.Set("Mcp-Name", "echo")
	return form{url: url, header: h, meta: true}
}

// plainForm is what the stateless go-sdk handler takes for 2025-11-25: no
// session and no _meta.
func plainForm(url string) form {
	return form{url: url, header: mcpHeader("2025-11-25")}
}

// withToken returns f with token as its bearer credential; an empty token
// leaves f as it is, for a server that checks none.
func (f form) withToken(token string) form {
	if token == "" {
		return f
	}
	f.header = f.header.Clone()
	f.header.Set("Authorization", "Bearer "+token)
	return f
}

const modernMeta = `,"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",` +
	`"io.modelcontextprotocol/clientCapabilities":{}}`

// appendBody appends the tools/call request with the given id to dst. Ids
// differ per request because MCP forbids reusing one within a session.
func (f form) appendBody(dst []byte, id int64) []byte {
	dst = append(dst, `{"jsonrpc":"2.0","id":`...)
	dst = strconv.AppendInt(dst, id, 10)
	dst = append(dst, `,"method":"tools/call","params":{"name":"echo","arguments":`+echoArgs...)
	if f.meta {
		dst = append(dst, modernMeta...)
	}
	return append(dst, "}}"...)
}

// post sends body and reads the whole answer into buf, so the connection
// is reused.
func (f form) post(c *http.Client, header http.Header, body []byte, buf *bytes.Buffer) (int, error) {
	req, err := http.NewRequest(http.MethodPost, f.url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("building the request: %w", err)
	}
	req.Header = header
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return 0, fmt.Errorf("reading the response: %w", err)
	}
	return resp.StatusCode, nil
}

// verify sends one call and checks the whole result, so that a benchmark
// never times error answers (Toolgate sends those with status 200 too).
// A form with a token is first sent without it and must be refused: else
// the server checks no tokens, and an auth row would time an auth-off
// server without anyone noticing.
func (f form) verify(tb testing.TB, c *http.Client) {
	tb.Helper()
	var buf bytes.Buffer
	if f.header.Get("Authorization") != "" {
		h := f.header.Clone()
		h.Del("Authorization")
		status, err := f.post(c, h, f.appendBody(nil, 1), &buf)
		if err != nil {
			tb.Fatalf("checking tools/call without a token on %s: %v", f.url, err)
		}
		if status != http.StatusUnauthorized {
			tb.Fatalf("checking tools/call without a token on %s: status %d, want 401\nresponse: %s", f.url, status, buf.Bytes())
		}
	}
	status, err := f.post(c, f.header.Clone(), f.appendBody(nil, 1), &buf)
	if err != nil {
		tb.Fatalf("checking tools/call on %s: %v", f.url, err)
	}
	if err := checkResult(status, buf.Bytes()); err != nil {
		tb.Fatalf("checking tools/call on %s: %v\nresponse: %s", f.url, err, buf.Bytes())
	}
}

// checkResult accepts only a successful echo result for echoArgs.
func checkResult(status int, body []byte) error {
	if status != http.StatusOK {
		return fmt.Errorf("status %d, want 200", status)
	}
	var msg struct {
		Error  json.RawMessage `json:"error"`
		Result *struct {
			IsError           bool `json:"isError"`
			StructuredContent struct {
				Text        string `json:"text"`
				RepeatCount int    `json:"repeat_count"`
			} `json:"structuredContent"`
		} `json:"result"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return fmt.Errorf("decoding the response: %w", err)
	}
	switch r := msg.Result; {
	case msg.Error != nil:
		return fmt.Errorf("json-rpc error %s", msg.Error)
	case r == nil:
		return fmt.Errorf("no result")
	case r.IsError:
		return fmt.Errorf("the tool failed")
	case r.StructuredContent.Text != wantText || r.StructuredContent.RepeatCount != 2:
		return fmt.Errorf("structuredContent is %+v, want text %q and repeat_count 2", r.StructuredContent, wantText)
	}
	return nil
}

// initialize opens a 2025-11-25 session on a Toolgate server and returns
// its id. The notifications/initialized that follows is what a real client
// sends before its first call. Both carry token, if not empty.
func initialize(url, token string, c *http.Client) (string, error) {
	post := func(body string, header http.Header) (*http.Response, error) {
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(body)))
		if err != nil {
			return nil, fmt.Errorf("building the request: %w", err)
		}
		req.Header = header
		resp, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp, err
	}
	h := form{header: mcpHeader("2025-11-25")}.withToken(token).header
	h.Del("Mcp-Protocol-Version") // initialize negotiates it
	resp, err := post(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",`+
		`"capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`, h)
	if err != nil {
		return "", fmt.Errorf("initialize: %w", err)
	}
	id := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || id == "" {
		return "", fmt.Errorf("initialize: status %d, session id %q", resp.StatusCode, id)
	}
	h = sessionForm(url, id).withToken(token).header
	resp, err = post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`, h)
	if err != nil {
		return "", fmt.Errorf("notifications/initialized: %w", err)
	}
	if resp.StatusCode != http.StatusAccepted {
		return "", fmt.Errorf("notifications/initialized: status %d, want 202", resp.StatusCode)
	}
	return id, nil
}
