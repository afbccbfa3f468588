package transport

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toolgate/toolgate/config"
	"github.com/toolgate/toolgate/host/dispatch"
	"github.com/toolgate/toolgate/host/jsonrpc"
	"github.com/toolgate/toolgate/host/registry"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// waitBackend is an in-process plugin whose one tool, "wait", logs once
// and then runs until its context ends, reporting why on seen.
type waitBackend struct{ seen chan error }

func (b *waitBackend) CallTool(ctx context.Context, _ *toolgatev1.CallToolRequest, onEvent func(*toolgatev1.CallToolEvent)) (*toolgatev1.CallToolResult, error) {
	if onEvent != nil {
		onEvent(&toolgatev1.CallToolEvent{Event: &toolgatev1.CallToolEvent_Log{Log: &toolgatev1.LogMessage{Level: "info", Data: []byte(`"waiting"`)}}})
	}
	<-ctx.Done()
	b.seen <- ctx.Err()
	return nil, ctx.Err()
}

type fixture struct {
	h       *Handler
	srv     *httptest.Server
	metrics *prometheus.Registry
	backend *waitBackend
	stop    context.CancelFunc
}

// newFixture serves a Handler over real HTTP; mux adds test routes next to
// the endpoint at /mcp.
func newFixture(t *testing.T, mux func(*Handler, *http.ServeMux)) *fixture {
	t.Helper()
	b := &waitBackend{seen: make(chan error, 4)}
	reg, err := registry.New(&config.Config{Tools: map[string]config.Tool{}}, []registry.Source{{
		Plugin: "test", Timeout: time.Minute, Backend: b,
		Tools: []*toolgatev1.Tool{{Name: "wait", InputSchema: []byte(`{"type":"object"}`)}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	pr := prometheus.NewRegistry()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := dispatch.New(reg, dispatch.Options{Info: dispatch.Implementation{Name: "toolgate", Version: "test"}, PageSize: 10, Logger: log, Registerer: pr})
	h := New(d, Options{MaxBodyBytes: 1 << 20, Loopback: true, SessionIdleTimeout: time.Hour, MaxSessions: 10,
		ReplayEvents: 16, KeepAlive: 20 * time.Millisecond, Logger: log, Registerer: pr})
	m := http.NewServeMux()
	m.Handle("/mcp", h)
	if mux != nil {
		mux(h, m)
	}
	srv := httptest.NewServer(m)
	ctx, stop := context.WithCancel(context.Background())
	go h.Run(ctx)
	t.Cleanup(func() { stop(); srv.Close() })
	return &fixture{h: h, srv: srv, metrics: pr, backend: b, stop: stop}
}

func (f *fixture) request(t *testing.T, ctx context.Context, method, path string, hdr map[string]string, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// gauge reads the open-streams gauge of a kind as /metrics would show it.
func (f *fixture) gauge(t *testing.T, kind string) float64 {
	t.Helper()
	families, err := f.metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, fam := range families {
		if fam.GetName() != "toolgate_sse_streams_open" {
			continue
		}
		for _, m := range fam.GetMetric() {
			if m.GetLabel()[0].GetValue() == kind {
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no toolgate_sse_streams_open{kind=%q}", kind)
	return 0
}

// initialize opens a session and returns its id.
func (f *fixture) initialize(t *testing.T) string {
	t.Helper()
	resp := f.request(t, t.Context(), http.MethodPost, "/mcp", nil,
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{}}}`)
	sid := resp.Header.Get(headerSessionID)
	if resp.StatusCode != http.StatusOK || sid == "" {
		t.Fatalf("initialize: status %d, session %q", resp.StatusCode, sid)
	}
	return sid
}

// events reads SSE events' data lines, skipping comments and events without
// data.
type events struct {
	rd       *bufio.Reader
	comments int
}

func readEvents(t *testing.T, resp *http.Response) *events {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("got status %d, Content-Type %q, want an event stream; body %s", resp.StatusCode, ct, b)
	}
	return &events{rd: bufio.NewReader(resp.Body)}
}

// next returns the next event's data, or io.EOF.
func (e *events) next() (string, error) {
	var data string
	for {
		line, err := e.rd.ReadString('\n')
		if err != nil {
			return "", err
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && data != "":
			return data, nil
		case strings.HasPrefix(line, ":"):
			e.comments++
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
}

func (e *events) message(t *testing.T) map[string]any {
	t.Helper()
	data, err := e.next()
	if err != nil {
		t.Fatalf("reading an event: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		t.Fatalf("event %q: %v", data, err)
	}
	return m
}

func sessionHdr(sid string) map[string]string { return map[string]string{headerSessionID: sid} }

func modernHdr(method string) map[string]string {
	return map[string]string{headerProtocolVersion: "2026-07-28", headerMethod: method}
}

const modernMeta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}`

// TestServerRequest sends a request to the client on a POST's stream and
// routes the client's answer, POSTed in the same session, back to it.
func TestServerRequest(t *testing.T) {
	answers := make(chan any, 2)
	f := newFixture(t, func(h *Handler, m *http.ServeMux) {
		// /ask stands for a tool call that needs the client: a POST in a
		// session whose handler asks the client for its roots.
		m.HandleFunc("/ask", func(w http.ResponseWriter, r *http.Request) {
			s, _ := h.sessions.get(r.Header.Get(headerSessionID))
			st, _ := s.newStream(w, h.streamsOpen)
			res, err := st.Request(r.Context(), "roots/list", map[string]any{})
			if err != nil {
				answers <- err
			} else {
				answers <- string(res)
			}
			st.answer(http.StatusOK, []byte(`{"jsonrpc":"2.0","id":1,"result":{}}`))
		})
	})
	sid := f.initialize(t)
	for _, reply := range []string{`"result":{"roots":[]}`, `"error":{"code":-1,"message":"no roots here"}`} {
		ev := readEvents(t, f.request(t, t.Context(), http.MethodPost, "/ask", sessionHdr(sid), ""))
		req := ev.message(t)
		if req["method"] != "roots/list" || req["id"] == nil {
			t.Fatalf("got %v, want a roots/list request with an id", req)
		}
		id, _ := json.Marshal(req["id"])
		// Another session's answer does not reach it.
		other := f.initialize(t)
		f.request(t, t.Context(), http.MethodPost, "/mcp", sessionHdr(other), `{"jsonrpc":"2.0","id":`+string(id)+`,"result":{"roots":["wrong"]}}`)
		resp := f.request(t, t.Context(), http.MethodPost, "/mcp", sessionHdr(sid), `{"jsonrpc":"2.0","id":`+string(id)+`,`+reply+`}`)
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("posting the answer: status %d", resp.StatusCode)
		}
		switch got := (<-answers).(type) {
		case string:
			if got != `{"roots":[]}` {
				t.Errorf("got result %s", got)
			}
		case error:
			var je *jsonrpc.Error
			if !errors.As(got, &je) || je.Code != -1 || je.Message != "no roots here" {
				t.Errorf("got error %v, want the client's error", got)
			}
		}
		if final := ev.message(t); final["result"] == nil {
			t.Errorf("got %v, want the answer last", final)
		}
	}
	if _, err := (&stream{}).Request(t.Context(), "roots/list", nil); !errors.Is(err, dispatch.ErrNoBackChannel) {
		t.Errorf("2026-07-28: got %v, want ErrNoBackChannel", err)
	}
}

// TestNotifications checks where list changes and resource updates go.
func TestNotifications(t *testing.T) {
	f := newFixture(t, nil)
	subscribed, other := f.initialize(t), f.initialize(t)
	f.request(t, t.Context(), http.MethodPost, "/mcp", sessionHdr(subscribed),
		`{"jsonrpc":"2.0","id":2,"method":"resources/subscribe","params":{"uri":"file:///a"}}`)
	getSub := readEvents(t, f.request(t, t.Context(), http.MethodGet, "/mcp", sessionHdr(subscribed), ""))
	getOther := readEvents(t, f.request(t, t.Context(), http.MethodGet, "/mcp", sessionHdr(other), ""))
	listen := readEvents(t, f.request(t, t.Context(), http.MethodPost, "/mcp", modernHdr("subscriptions/listen"),
		`{"jsonrpc":"2.0","id":"L","method":"subscriptions/listen","params":{`+modernMeta+`,"notifications":{"toolsListChanged":true,"resourcesListChanged":true}}}`))
	if ack := listen.message(t); ack["method"] != "notifications/subscriptions/acknowledged" {
		t.Fatalf("got %v, want the acknowledgement first", ack)
	}
	// The GET streams' priming events have no data: next skips them.
	f.h.NotifyResourceUpdated("file:///a")
	f.h.NotifyListChanged("resources", "bogus", "tools")

	if m := getSub.message(t); m["method"] != "notifications/resources/updated" || m["params"].(map[string]any)["uri"] != "file:///a" {
		t.Errorf("subscribed session: got %v, want the resource update", m)
	}
	for _, get := range []*events{getSub, getOther} {
		for _, want := range []string{"notifications/resources/list_changed", "notifications/tools/list_changed"} {
			if m := get.message(t); m["method"] != want {
				t.Errorf("GET stream: got %v, want %s", m, want)
			}
		}
	}
	// The listen stream gets both list changes it asked for, in order, and
	// not the bogus kind.
	for _, want := range []string{"notifications/resources/list_changed", "notifications/tools/list_changed"} {
		m := listen.message(t)
		if m["method"] != want {
			t.Fatalf("listen stream: got %v, want %s", m, want)
		}
		if id := m["params"].(map[string]any)["_meta"].(map[string]any)["io.modelcontextprotocol/subscriptionId"]; id != "L" {
			t.Errorf("got subscriptionId %v, want L", id)
		}
	}
	if got := f.gauge(t, kindGet); got != 2 {
		t.Errorf("get streams open: got %v, want 2", got)
	}
	if got := f.gauge(t, kindListen); got != 1 {
		t.Errorf("listen streams open: got %v, want 1", got)
	}
	if listen.comments+getSub.comments == 0 {
		// Keep-alives come every 20ms; wait for one.
		if _, err := listen.rd.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}

	// Shutting down ends listen streams gracefully, with the answer.
	f.stop()
	if m := listen.message(t); m["id"] != "L" || m["result"].(map[string]any)["resultType"] != "complete" {
		t.Errorf("at shutdown: got %v, want the listen request's result", m)
	}
	if _, err := getSub.next(); err != io.EOF {
		t.Errorf("GET stream at shutdown: got %v, want its end", err)
	}
}

// TestCancellation checks what cancels a running call: notifications/
// cancelled, a 2026-07-28 client closing the stream, shutdown; and that
// a cancelled call is not answered.
func TestCancellation(t *testing.T) {
	f := newFixture(t, nil)
	sid := f.initialize(t)
	call := `{"jsonrpc":"2.0","id":"c1","method":"tools/call","params":{"name":"wait"}}`

	t.Run("notifications/cancelled", func(t *testing.T) {
		ev := readEvents(t, f.request(t, t.Context(), http.MethodPost, "/mcp", sessionHdr(sid), call))
		if m := ev.message(t); m["method"] != "notifications/message" {
			t.Fatalf("got %v, want the log message", m)
		}
		f.request(t, t.Context(), http.MethodPost, "/mcp", sessionHdr(sid),
			`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"c1"}}`)
		if err := <-f.backend.seen; !errors.Is(err, context.Canceled) {
			t.Errorf("the tool saw %v, want context.Canceled", err)
		}
		if data, err := ev.next(); err != io.EOF {
			t.Errorf("got %q, %v after the cancellation; want the stream to end with nothing", data, err)
		}
	})

	t.Run("closing a 2026-07-28 stream", func(t *testing.T) {
		ctx, closeStream := context.WithCancel(t.Context())
		hdr := modernHdr("tools/call")
		hdr[headerName] = "wait"
		ev := readEvents(t, f.request(t, ctx, http.MethodPost, "/mcp", hdr,
			`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"wait",`+modernMeta[:len(modernMeta)-1]+`,"io.modelcontextprotocol/logLevel":"info"}}}`))
		ev.message(t)
		closeStream()
		if err := <-f.backend.seen; !errors.Is(err, context.Canceled) {
			t.Errorf("the tool saw %v, want context.Canceled", err)
		}
	})

	t.Run("shutdown", func(t *testing.T) {
		ev := readEvents(t, f.request(t, t.Context(), http.MethodPost, "/mcp", sessionHdr(sid), call))
		ev.message(t)
		f.stop()
		if err := <-f.backend.seen; !errors.Is(err, context.Canceled) {
			t.Errorf("the tool saw %v, want context.Canceled", err)
		}
		if data, err := ev.next(); err != io.EOF {
			t.Errorf("got %q, %v; want the stream to end with nothing", data, err)
		}
	})
}

// TestModernNotificationAccepted checks that a notification POSTed by a
// 2026-07-28 client, which that revision neither defines over HTTP nor
// gives header rules, is accepted and ignored: the official Go SDK sends
// notifications/cancelled after closing a call's or a listen's stream, and
// treats any other answer as a broken connection.
func TestModernNotificationAccepted(t *testing.T) {
	f := newFixture(t, nil)
	for name, body := range map[string]string{
		"without _meta": `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,"reason":"context canceled"}}`,
		"with _meta":    `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,` + modernMeta + `}}`,
	} {
		t.Run(name, func(t *testing.T) {
			resp := f.request(t, t.Context(), http.MethodPost, "/mcp", map[string]string{headerProtocolVersion: "2026-07-28"}, body)
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusAccepted || len(b) != 0 {
				t.Errorf("got status %d, body %s; want 202 and no body", resp.StatusCode, b)
			}
		})
	}
}

// TestKeepAliveStartsStream checks that a long call without events becomes
// an event stream of keep-alive comments, still ending with the answer.
func TestKeepAliveStartsStream(t *testing.T) {
	f := newFixture(t, nil)
	sid := f.initialize(t)
	// Without logging the tool sends nothing; error level filters its info.
	f.request(t, t.Context(), http.MethodPost, "/mcp", sessionHdr(sid), `{"jsonrpc":"2.0","id":2,"method":"logging/setLevel","params":{"level":"error"}}`)
	ev := readEvents(t, f.request(t, t.Context(), http.MethodPost, "/mcp", sessionHdr(sid),
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"wait"}}`))
	for ev.comments == 0 {
		if _, err := ev.rd.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		if line, _ := ev.rd.Peek(1); len(line) > 0 && line[0] == ':' {
			ev.comments++
		}
	}
	f.request(t, t.Context(), http.MethodPost, "/mcp", sessionHdr(sid),
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}`)
	<-f.backend.seen
}

func TestGetErrors(t *testing.T) {
	f := newFixture(t, nil)
	sid := f.initialize(t)
	tests := []struct {
		hdr    map[string]string
		status int
	}{
		{map[string]string{}, http.StatusMethodNotAllowed},
		{map[string]string{headerSessionID: sid, "Last-Event-ID": "garbage"}, http.StatusBadRequest},
		{map[string]string{headerSessionID: sid, headerProtocolVersion: "1999-01-01"}, http.StatusBadRequest},
		{map[string]string{headerSessionID: "unknown"}, http.StatusNotFound},
	}
	for _, tt := range tests {
		if resp := f.request(t, t.Context(), http.MethodGet, "/mcp", tt.hdr, ""); resp.StatusCode != tt.status {
			t.Errorf("GET %v: got status %d, want %d", tt.hdr, resp.StatusCode, tt.status)
		}
	}
}

func TestEventLogIsBounded(t *testing.T) {
	l := eventLog{max: 3}
	for i := range 5 {
		l.add(uint64(i%2), []byte{byte('a' + i)})
	}
	var got string
	for _, e := range l.after(0, 0) {
		got += string(e.data)
	}
	if got != "ce" {
		t.Errorf("stream 0 after eviction: got %q, want \"ce\" (a fell out)", got)
	}
	if n := len(l.after(1, 4)); n != 0 {
		t.Errorf("after the last event: got %d events, want 0", n)
	}
	if k, s, ok := parseEventID(eventID(7, 42)); !ok || k != 7 || s != 42 {
		t.Errorf("event id round trip: got %d %d %v", k, s, ok)
	}
}

// TestListeningSessionIsNotIdle checks that expiry spares a session whose
// GET stream is open, and ends it (closing the stream) once it is not.
func TestListeningSessionIsNotIdle(t *testing.T) {
	f := newFixture(t, nil)
	sid := f.initialize(t)
	ctx, closeGet := context.WithCancel(t.Context())
	readEvents(t, f.request(t, ctx, http.MethodGet, "/mcp", sessionHdr(sid), ""))
	later := time.Now().Add(2 * time.Hour)
	if n := f.h.sessions.expire(later); n != 0 {
		t.Fatalf("expired %d sessions while one listens", n)
	}
	closeGet()
	for {
		// The GET handler has returned once the gauge shows no GET stream.
		if f.gauge(t, kindGet) == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if n := f.h.sessions.expire(time.Now().Add(2 * time.Hour)); n != 1 {
		t.Fatalf("expired %d sessions, want the one no longer listening", n)
	}
}

// TestPlainAnswerLeavesNoStream checks that a call answered with plain JSON
// leaves nothing in its session to resume.
func TestPlainAnswerLeavesNoStream(t *testing.T) {
	f := newFixture(t, nil)
	sid := f.initialize(t)
	resp := f.request(t, t.Context(), http.MethodPost, "/mcp", sessionHdr(sid), `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("got Content-Type %q, want plain JSON", ct)
	}
	s, _ := f.h.sessions.get(sid)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.streams) != 0 {
		t.Errorf("the session holds %d streams after a plain answer", len(s.streams))
	}
}

func TestEventFormat(t *testing.T) {
	open := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "g"}, []string{"kind"})
	w := httptest.NewRecorder()
	c := startSSE(w, open, kindPost)
	c.event("3-7", 1000, nil)
	c.event("", 0, []byte("{\"a\":\n1}\r\n"))
	want := "id: 3-7\nretry: 1000\ndata: \n\n" + "data: {\"a\":\ndata: 1}\ndata: \n\n"
	if got := w.Body.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
