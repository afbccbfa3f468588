//go:build unix

package e2e

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// sseEvent is one server-sent event as a client reads it.
type sseEvent struct {
	ID, Data string
	Retry    string
}

// sseStream reads events off an open response.
type sseStream struct {
	resp *http.Response
	rd   *bufio.Reader
	// comments counts the comment lines (keep-alives) read.
	comments int
}

// openStream sends a request that is to be answered with an event stream and
// returns the open response; the test ends it.
func (h *hostProc) openStream(t *testing.T, ctx context.Context, method string, hdr headers, body string) *sseStream {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json, text/event-stream")
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	// No client timeout: streams stay open as long as the test wants.
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s: got status %d, Content-Type %q, want 200 text/event-stream; body %s", method, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	for k, want := range map[string]string{"Cache-Control": "no-cache", "X-Accel-Buffering": "no"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("got %s %q, want %q", k, got, want)
		}
	}
	return &sseStream{resp: resp, rd: bufio.NewReader(resp.Body)}
}

// next reads the next event; io.EOF when the stream ended.
func (s *sseStream) next() (*sseEvent, error) {
	ev := &sseEvent{}
	var data []string
	seen := false
	for {
		line, err := s.rd.ReadString('\n')
		if err != nil {
			if err == io.EOF && seen {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if !seen {
				continue
			}
			ev.Data = strings.Join(data, "\n")
			return ev, nil
		}
		if strings.HasPrefix(line, ":") {
			s.comments++
			continue
		}
		seen = true
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			ev.ID = value
		case "data":
			data = append(data, value)
		case "retry":
			ev.Retry = value
		}
	}
}

// nextWithin is next, failing when no event comes within d: a stream
// that stays silent must not hang the test.
func (s *sseStream) nextWithin(d time.Duration) (*sseEvent, error) {
	type read struct {
		ev  *sseEvent
		err error
	}
	c := make(chan read, 1)
	go func() {
		ev, err := s.next()
		c <- read{ev, err}
	}()
	select {
	case r := <-c:
		return r.ev, r.err
	case <-time.After(d):
		s.resp.Body.Close() // ends the read above
		return nil, fmt.Errorf("no event within %s", d)
	}
}

// rest reads every event until the stream ends.
func (s *sseStream) rest(t *testing.T) []*sseEvent {
	t.Helper()
	var out []*sseEvent
	for {
		ev, err := s.next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("reading the event stream: %v (after %d events)", err, len(out))
		}
		out = append(out, ev)
	}
}

// sseMessage is any JSON-RPC message on a stream.
type sseMessage struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *rpcError       `json:"error"`
}

func decodeEvent(t *testing.T, ev *sseEvent) *sseMessage {
	t.Helper()
	var m sseMessage
	mustUnmarshal(t, []byte(ev.Data), &m)
	return &m
}

type progressNote struct {
	ProgressToken json.RawMessage `json:"progressToken"`
	Progress      float64         `json:"progress"`
	Total         float64         `json:"total"`
	Message       string          `json:"message"`
}

type logNote struct {
	Level  string `json:"level"`
	Logger string `json:"logger"`
	Data   struct {
		Step  int    `json:"step"`
		Level string `json:"level"`
	} `json:"data"`
}

// streamed sorts the messages of a stream: the progress and log
// notifications, and the answer, which must come last.
type streamed struct {
	progress []progressNote
	logs     []logNote
	answer   *sseMessage
}

func sortEvents(t *testing.T, events []*sseEvent) *streamed {
	t.Helper()
	var s streamed
	for i, ev := range events {
		if ev.Data == "" {
			continue // priming
		}
		if s.answer != nil {
			t.Fatalf("event %d comes after the answer: %s", i, ev.Data)
		}
		m := decodeEvent(t, ev)
		switch m.Method {
		case "notifications/progress":
			var p progressNote
			mustUnmarshal(t, m.Params, &p)
			s.progress = append(s.progress, p)
		case "notifications/message":
			var l logNote
			mustUnmarshal(t, m.Params, &l)
			s.logs = append(s.logs, l)
		case "":
			s.answer = m
		default:
			t.Fatalf("unexpected message on the stream: %s", ev.Data)
		}
	}
	if s.answer == nil {
		t.Fatalf("the stream ended without an answer")
	}
	return &s
}

// wantLevels checks the log notifications: per step, the levels from min up.
func wantLevels(t *testing.T, logs []logNote, steps int, levels ...string) {
	t.Helper()
	if len(logs) != steps*len(levels) {
		t.Fatalf("got %d log notifications, want %d (%d steps × %v): %+v", len(logs), steps*len(levels), steps, levels, logs)
	}
	for i, l := range logs {
		want := levels[i%len(levels)]
		if l.Level != want || l.Data.Level != want || l.Logger != "probe" || l.Data.Step != i/len(levels)+1 {
			t.Errorf("log %d: got %+v, want level %s of step %d from logger probe", i, l, want, i/len(levels)+1)
		}
	}
}

func wantProgress(t *testing.T, ps []progressNote, token string, steps int) {
	t.Helper()
	if len(ps) != steps {
		t.Fatalf("got %d progress notifications, want %d: %+v", len(ps), steps, ps)
	}
	for i, p := range ps {
		if string(p.ProgressToken) != token || p.Progress != float64(i+1) || p.Total != float64(steps) || p.Message != fmt.Sprintf("step %d", i+1) {
			t.Errorf("progress %d: got %+v, want token %s, %d/%d", i, p, token, i+1, steps)
		}
	}
}

func sessionHeaders(sid string) headers {
	return headers{"Mcp-Session-Id": sid, "MCP-Protocol-Version": sessionVersion}
}

func TestStreamingSessionEra(t *testing.T) {
	h := startHost(t, hostConfig("", shippedPlugins(t.TempDir())+probePlugin("")))
	sid := h.initialize(t, sessionVersion)

	t.Run("capabilities", func(t *testing.T) {
		var ir struct {
			Capabilities map[string]json.RawMessage `json:"capabilities"`
		}
		mustUnmarshal(t, wantResult(t, h.post(t, nil, initializeBody(1, sessionVersion))), &ir)
		if got := compact(t, ir.Capabilities["tools"]); got != `{"listChanged":true}` {
			t.Errorf("got tools capability %s, want listChanged", got)
		}
		if _, ok := ir.Capabilities["logging"]; !ok {
			t.Errorf("got capabilities %v, want logging", ir.Capabilities)
		}
	})

	t.Run("plain call stays JSON", func(t *testing.T) {
		r := h.inSession(t, sid, rpcBody(2, "tools/call", map[string]any{"name": "stream", "arguments": map[string]any{"steps": 0},
			"_meta": map[string]any{"progressToken": "quiet"}}))
		wantResult(t, r)
	})

	t.Run("every level until setLevel", func(t *testing.T) {
		st := h.openStream(t, t.Context(), http.MethodPost, sessionHeaders(sid),
			rpcBody(3, "tools/call", map[string]any{"name": "stream", "arguments": map[string]any{"steps": 2}}))
		events := st.rest(t)
		prime := events[0]
		if prime.ID == "" || prime.Data != "" || prime.Retry == "" {
			t.Errorf("got first event %+v, want the priming event: an id, empty data and retry", prime)
		}
		for _, ev := range events {
			if ev.ID == "" {
				t.Errorf("event without an id: %+v", ev)
			}
		}
		s := sortEvents(t, events)
		wantLevels(t, s.logs, 2, "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
		if len(s.progress) != 0 {
			t.Errorf("got progress without a progress token: %+v", s.progress)
		}
		if string(s.answer.ID) != "3" || s.answer.Result == nil {
			t.Errorf("got answer %+v, want the result of request 3", s.answer)
		}
	})

	t.Run("setLevel filters, progress token binds", func(t *testing.T) {
		for _, bad := range []string{`"loud"`, `null`} {
			r := h.inSession(t, sid, `{"jsonrpc":"2.0","id":4,"method":"logging/setLevel","params":{"level":`+bad+`}}`)
			if m := wantJSONRPC(t, r); m.Error == nil || m.Error.Code != -32602 {
				t.Errorf("setLevel %s: got %s, want -32602", bad, r.Body)
			}
		}
		if got := compact(t, wantResult(t, h.inSession(t, sid, rpcBody(5, "logging/setLevel", map[string]any{"level": "error"})))); got != "{}" {
			t.Errorf("setLevel: got %s, want {}", got)
		}
		st := h.openStream(t, t.Context(), http.MethodPost, sessionHeaders(sid),
			rpcBody(6, "tools/call", map[string]any{"name": "stream", "arguments": map[string]any{"steps": 3},
				"_meta": map[string]any{"progressToken": "tok-6"}}))
		s := sortEvents(t, st.rest(t))
		wantLevels(t, s.logs, 3, "error", "critical", "alert", "emergency")
		wantProgress(t, s.progress, `"tok-6"`, 3)
		var res toolResult
		mustUnmarshal(t, s.answer.Result, &res)
		if res.text() != "streamed" {
			t.Errorf("got result %s, want streamed", s.answer.Result)
		}
	})

	t.Run("resume a dropped stream with Last-Event-ID", func(t *testing.T) {
		ctx, drop := context.WithCancel(t.Context())
		st := h.openStream(t, ctx, http.MethodPost, sessionHeaders(sid),
			rpcBody(7, "tools/call", map[string]any{"name": "stream", "arguments": map[string]any{"steps": 4, "delay_ms": 300},
				"_meta": map[string]any{"progressToken": 7}}))
		var got []*sseEvent
		for len(got) < 3 { // the priming event and the first step's logs
			ev, err := st.next()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ev)
		}
		drop() // the connection drops; the call goes on
		last := got[len(got)-1].ID
		resumed := h.openStream(t, t.Context(), http.MethodGet, headers{"Mcp-Session-Id": sid, "Last-Event-ID": last}, "")
		rest := resumed.rest(t)
		s := sortEvents(t, append(got, rest...))
		wantProgress(t, s.progress, "7", 4)
		wantLevels(t, s.logs, 4, "error", "critical", "alert", "emergency")
		if string(s.answer.ID) != "7" {
			t.Errorf("got answer %+v, want the result of request 7", s.answer)
		}
		// An ended stream replays what the buffer holds of it, then ends.
		again := h.openStream(t, t.Context(), http.MethodGet, headers{"Mcp-Session-Id": sid, "Last-Event-ID": last}, "").rest(t)
		if len(again) != len(rest) || again[len(again)-1].Data != rest[len(rest)-1].Data {
			t.Errorf("replaying the ended stream: got %d events, want the same %d", len(again), len(rest))
		}
	})

	t.Run("GET stream", func(t *testing.T) {
		other := h.initialize(t, sessionVersion)
		wantError(t, h.send(t, http.MethodGet, headers{"Mcp-Session-Id": other, "Accept": "application/json"}, ""), http.StatusNotAcceptable, -32000)
		wantError(t, h.send(t, http.MethodGet, headers{"Mcp-Session-Id": "nope", "Accept": "text/event-stream"}, ""), http.StatusNotFound, -32001)
		st := h.openStream(t, t.Context(), http.MethodGet, headers{"Mcp-Session-Id": other}, "")
		prime, err := st.next()
		if err != nil || prime.ID == "" || prime.Data != "" {
			t.Fatalf("got first event %+v, %v; want the priming event", prime, err)
		}
		// One GET stream per session.
		r := h.send(t, http.MethodGet, headers{"Mcp-Session-Id": other, "Accept": "text/event-stream"}, "")
		if r.Status != http.StatusConflict {
			t.Errorf("second GET: got status %d, want 409", r.Status)
		}
		// Ending the session ends its stream.
		if r := h.send(t, http.MethodDelete, headers{"Mcp-Session-Id": other}, ""); r.Status != http.StatusOK {
			t.Fatalf("DELETE: got %d", r.Status)
		}
		if ev, err := st.next(); err != io.EOF {
			t.Errorf("after DELETE: got %+v, %v; want the stream to end", ev, err)
		}
	})

	t.Run("resources/subscribe", func(t *testing.T) {
		for _, m := range []string{"resources/subscribe", "resources/unsubscribe"} {
			if got := compact(t, wantResult(t, h.inSession(t, sid, rpcBody(8, m, map[string]any{"uri": "file:///x"})))); got != "{}" {
				t.Errorf("%s: got %s, want {}", m, got)
			}
			wantError(t, h.inSession(t, sid, rpcBody(9, m, map[string]any{})), http.StatusOK, -32602)
		}
	})
}

func TestStreamingModern(t *testing.T) {
	marks := t.TempDir()
	h := startHost(t, hostConfig("", probePlugin(`PROBE_MARK_DIR = `+tomlString(marks))))
	call := func(id any, args map[string]any, meta map[string]any) string {
		m := modernMeta(modernVersion)
		for k, v := range meta {
			m[k] = v
		}
		return rpcBody(id, "tools/call", map[string]any{"name": "stream", "arguments": args, "_meta": m})
	}

	t.Run("no logs without logLevel", func(t *testing.T) {
		res := wantResult(t, h.post(t, modernHeaders("tools/call", "stream"), call(1, map[string]any{"steps": 2}, nil)))
		if !strings.Contains(string(res), "streamed") {
			t.Errorf("got %s", res)
		}
	})

	t.Run("progress and logLevel", func(t *testing.T) {
		st := h.openStream(t, t.Context(), http.MethodPost, modernHeaders("tools/call", "stream"),
			call(2, map[string]any{"steps": 2}, map[string]any{"progressToken": "p2", "io.modelcontextprotocol/logLevel": "critical"}))
		events := st.rest(t)
		for _, ev := range events {
			if ev.ID != "" || ev.Data == "" {
				t.Errorf("got event %+v; 2026-07-28 streams have no ids and no priming event", ev)
			}
		}
		s := sortEvents(t, events)
		wantLevels(t, s.logs, 2, "critical", "alert", "emergency")
		wantProgress(t, s.progress, `"p2"`, 2)
		var res toolResult
		mustUnmarshal(t, s.answer.Result, &res)
		if res.ResultType != "complete" || res.text() != "streamed" {
			t.Errorf("got result %s", s.answer.Result)
		}
	})

	t.Run("invalid logLevel", func(t *testing.T) {
		wantError(t, h.post(t, modernHeaders("tools/call", "stream"), call(3, map[string]any{}, map[string]any{"io.modelcontextprotocol/logLevel": "loud"})),
			http.StatusBadRequest, -32602, "logLevel")
	})

	t.Run("closing the stream cancels", func(t *testing.T) {
		ctx, closeStream := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() {
			_, err := h.do(ctx, http.MethodPost, modernHeaders("tools/call", "slow"),
				modernBody(4, "tools/call", map[string]any{"name": "slow", "arguments": map[string]any{"seconds": 60, "mark": "closed"}}))
			done <- err
		}()
		waitFile(t, filepath.Join(marks, "closed.started"), 10*time.Second)
		closeStream()
		if got := waitFile(t, filepath.Join(marks, "closed"), 5*time.Second); !strings.Contains(got, "canceled") {
			t.Errorf("got marker %q, want the plugin's context cancelled", got)
		}
		<-done
	})

	t.Run("subscriptions/listen", func(t *testing.T) {
		body := modernBody("sub-1", "subscriptions/listen", map[string]any{"notifications": map[string]any{
			"toolsListChanged": true, "promptsListChanged": true, "resourceSubscriptions": []string{"file:///a"}}})
		st := h.openStream(t, t.Context(), http.MethodPost, modernHeaders("subscriptions/listen", ""), body)
		ev, err := st.next()
		if err != nil {
			t.Fatal(err)
		}
		m := decodeEvent(t, ev)
		if m.Method != "notifications/subscriptions/acknowledged" {
			t.Fatalf("got first message %s, want the acknowledgement", ev.Data)
		}
		// All three are honoured: every list may change, and resources
		// may be subscribed to.
		if got, want := compact(t, m.Params), `{"_meta":{"io.modelcontextprotocol/subscriptionId":"sub-1"},"notifications":{"toolsListChanged":true,"promptsListChanged":true,"resourceSubscriptions":["file:///a"]}}`; got != want {
			t.Errorf("got acknowledgement %s, want %s", got, want)
		}
		wantError(t, h.post(t, modernHeaders("subscriptions/listen", ""), modernBody(2, "subscriptions/listen", map[string]any{})),
			http.StatusOK, -32602, "notifications")
	})
}

func TestParamHeaders(t *testing.T) {
	h := startHost(t, hostConfig("", probePlugin("")))
	b64 := func(s string) string { return "=?base64?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?=" }
	tests := []struct {
		name   string
		args   map[string]any
		hdr    headers
		reject string // part of the error message; "" accepts
	}{
		{"all present", map[string]any{"region": "us-west1", "count": 42, "opts": map[string]any{"verbose": true}},
			headers{"Mcp-Param-Region": "us-west1", "mcp-param-count": "42", "Mcp-Param-Verbose": "true"}, ""},
		{"integer compared as number", map[string]any{"count": 42}, headers{"Mcp-Param-Count": "42.0"}, ""},
		{"base64", map[string]any{"region": "Hello, 世界"}, headers{"Mcp-Param-Region": b64("Hello, 世界")}, ""},
		{"null needs no header", map[string]any{"region": nil, "query": "q"}, nil, ""},
		{"unmarked parameter", map[string]any{"query": "q"}, nil, ""},
		{"missing header", map[string]any{"region": "eu"}, nil, "Mcp-Param-Region header is required"},
		{"mismatch", map[string]any{"region": "eu"}, headers{"Mcp-Param-Region": "us"}, "does not match"},
		{"nested mismatch", map[string]any{"opts": map[string]any{"verbose": false}}, headers{"Mcp-Param-Verbose": "true"}, "does not match"},
		{"header without value", map[string]any{}, headers{"Mcp-Param-Count": "1"}, "has no value"},
		{"bad base64", map[string]any{"region": "x"}, headers{"Mcp-Param-Region": "=?base64?***?="}, "invalid base64"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := modernHeaders("tools/call", "header")
			for k, v := range tt.hdr {
				hdr[k] = v
			}
			r := h.post(t, hdr, modernBody(i, "tools/call", map[string]any{"name": "header", "arguments": tt.args}))
			if tt.reject == "" {
				wantResult(t, r)
				return
			}
			wantError(t, r, http.StatusBadRequest, -32020, tt.reject)
		})
	}
}

// TestSDKClientStreaming has the official Go SDK client receive a call's
// progress and log notifications, send Mcp-Param headers, and cancel a call,
// in both eras.
func TestSDKClientStreaming(t *testing.T) {
	marks := t.TempDir()
	h := startHost(t, hostConfig("", probePlugin(`PROBE_MARK_DIR = `+tomlString(marks))))
	for _, version := range []string{sessionVersion, modernVersion} {
		t.Run(version, func(t *testing.T) {
			var (
				mu       sync.Mutex
				progress []float64
				levels   []string
			)
			client := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1.0.0"}, &mcp.ClientOptions{
				ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
					mu.Lock()
					progress = append(progress, r.Params.Progress)
					mu.Unlock()
				},
				LoggingMessageHandler: func(_ context.Context, r *mcp.LoggingMessageRequest) {
					mu.Lock()
					levels = append(levels, string(r.Params.Level))
					mu.Unlock()
				},
			})
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: h.url, MaxRetries: -1},
				&mcp.ClientSessionOptions{ProtocolVersion: version})
			if err != nil {
				t.Fatal(err)
			}
			defer cs.Close()

			params := &mcp.CallToolParams{Name: "stream", Arguments: map[string]any{"steps": 3}}
			params.SetProgressToken("sdk-" + version)
			if version == sessionVersion {
				if err := cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "alert"}); err != nil {
					t.Fatal(err)
				}
			} else {
				params.Meta["io.modelcontextprotocol/logLevel"] = "alert"
			}
			res, err := cs.CallTool(ctx, params)
			if err != nil || res.IsError {
				t.Fatalf("stream: %v %+v", err, res)
			}
			// Notifications may be handled just after the result.
			deadline := time.Now().Add(5 * time.Second)
			for {
				mu.Lock()
				p, l := slices.Clone(progress), slices.Clone(levels)
				mu.Unlock()
				if len(p) == 3 && len(l) == 6 {
					if !slices.Equal(p, []float64{1, 2, 3}) || !slices.Equal(l, []string{"alert", "emergency", "alert", "emergency", "alert", "emergency"}) {
						t.Errorf("got progress %v and log levels %v", p, l)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("got progress %v and log levels %v, want 3 steps and alert, emergency each step", p, l)
				}
				time.Sleep(10 * time.Millisecond)
			}

			if version == modernVersion {
				// The SDK mirrors x-mcp-header parameters into headers,
				// once tools/list told it which.
				if _, err := cs.ListTools(ctx, nil); err != nil {
					t.Fatal(err)
				}
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "header",
					Arguments: map[string]any{"region": "Zürich", "count": 3, "opts": map[string]any{"verbose": true}}})
				if err != nil || res.IsError {
					t.Fatalf("header: %v %+v", err, res)
				}
			}

			cancelSlowCall(t, ctx, cs, marks, "sdk-cancel-"+version)
		})
	}
}

// cancelSlowCall starts the probe's slow tool through the Go SDK client,
// cancels the call once the plugin runs it, and checks that the plugin saw
// its context cancelled (the marker file named mark in marks) and that the
// call ended in an error.
func cancelSlowCall(t *testing.T, ctx context.Context, cs *mcp.ClientSession, marks, mark string) {
	t.Helper()
	callCtx, cancelCall := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(callCtx, &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{"seconds": 60, "mark": mark}})
		errc <- err
	}()
	waitFile(t, filepath.Join(marks, mark+".started"), 10*time.Second)
	cancelCall()
	if got := waitFile(t, filepath.Join(marks, mark), 10*time.Second); !strings.Contains(got, "canceled") {
		t.Errorf("got marker %q, want the plugin's context cancelled", got)
	}
	if err := <-errc; err == nil {
		t.Errorf("the cancelled call returned no error")
	}
}
