package dispatch

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/toolgate/toolgate/host/registry"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// notes collects what reaches the client, as a transport would send it.
type notes struct{ methods, params []string }

func (n *notes) Notify(method string, params any) error {
	b, _ := json.Marshal(params)
	n.methods = append(n.methods, method)
	n.params = append(n.params, string(b))
	return nil
}

func (n *notes) Request(context.Context, string, any) (json.RawMessage, error) {
	return nil, ErrNoBackChannel
}

func progressEvent(p float64) *toolgatev1.CallToolEvent {
	total := 10.0
	return &toolgatev1.CallToolEvent{Event: &toolgatev1.CallToolEvent_Progress{Progress: &toolgatev1.Progress{Progress: p, Total: &total}}}
}

func logEvent(level, data string) *toolgatev1.CallToolEvent {
	return &toolgatev1.CallToolEvent{Event: &toolgatev1.CallToolEvent_Log{Log: &toolgatev1.LogMessage{Level: level, Logger: "l", Data: []byte(data)}}}
}

func TestEventsForwarding(t *testing.T) {
	s, _ := newServer(t)
	tool := &registry.Tool{Name: "t", Plugin: "p"}
	all := []*toolgatev1.CallToolEvent{
		progressEvent(1), logEvent("info", `"i"`), logEvent("error", `{"e":1}`), progressEvent(1), // progress must increase
		logEvent("loud", `"x"`), logEvent("critical", `not json`), progressEvent(2), logEvent("emergency", `"m"`),
	}
	tests := []struct {
		name, body, level string
		peer              bool
		want              []string
	}{
		{"nothing asked", `{"jsonrpc":"2.0","id":1,"method":"tools/call"}`, "", true, nil},
		{"no peer", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"progressToken":"a"}}}`, "debug", false, nil},
		{"progress only", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"progressToken":"a"}}}`, "", true, []string{
			`notifications/progress {"progressToken":"a","progress":1,"total":10}`,
			`notifications/progress {"progressToken":"a","progress":2,"total":10}`}},
		{"logs from error", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"progressToken":null}}}`, "error", true, []string{
			`notifications/message {"level":"error","logger":"l","data":{"e":1}}`,
			`notifications/message {"level":"emergency","logger":"l","data":"m"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := decode(t, tt.body)
			r.LogLevel = tt.level
			n := &notes{}
			if tt.peer {
				r.Peer = n
			}
			on := s.events(r, tool)
			if (on == nil) != (tt.want == nil) {
				t.Fatalf("events returned nil = %v, want nil = %v", on == nil, tt.want == nil)
			}
			for _, ev := range all {
				if on != nil {
					on(ev)
				}
			}
			var got []string
			for i := range n.methods {
				got = append(got, n.methods[i]+" "+n.params[i])
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("notification %d: got %s, want %s", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestListenHonoursCapabilities(t *testing.T) {
	s, _ := newServer(t)
	for _, tt := range []struct{ asked, want string }{
		// Every kind the capabilities announce is honoured; an unknown one
		// is not echoed back.
		{`{"toolsListChanged":true,"promptsListChanged":true,"resourcesListChanged":true,"resourceSubscriptions":["file:///a"],"tasksChanged":true}`,
			`{"toolsListChanged":true,"promptsListChanged":true,"resourcesListChanged":true,"resourceSubscriptions":["file:///a"]}`},
		// Nothing the client did not ask for is added.
		{`{"toolsListChanged":true}`, `{"toolsListChanged":true}`},
	} {
		res, jerr := s.Handle(t.Context(), decode(t, `{"jsonrpc":"2.0","id":1,"method":"subscriptions/listen","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"},"notifications":`+tt.asked+`}}`))
		if jerr != nil {
			t.Fatal(jerr)
		}
		if got, _ := json.Marshal(res); string(got) != tt.want {
			t.Errorf("asked %s: got %s, want %s", tt.asked, got, tt.want)
		}
	}
	for _, body := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"logging/setLevel","params":{"level":"verbose"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"resources/subscribe","params":{}}`,
		`{"jsonrpc":"2.0","id":1,"method":"subscriptions/listen","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`,
	} {
		if _, jerr := s.Handle(t.Context(), decode(t, body)); jerr == nil || jerr.Code != -32602 {
			t.Errorf("%s: got %v, want -32602", body, jerr)
		}
	}
}
