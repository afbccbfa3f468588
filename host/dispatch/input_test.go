package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toolgate/toolgate/config"
	"github.com/toolgate/toolgate/host/auth/verify"
	"github.com/toolgate/toolgate/host/jsonrpc"
	"github.com/toolgate/toolgate/host/registry"
	"github.com/toolgate/toolgate/sdk"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
	"github.com/toolgate/toolgate/sdk/sdktest"
)

// askingTools are tools that ask the client for input, served by a real
// plugin server in-process.
func askingTools() []sdk.Tool {
	tool := func(name string, h sdk.Handler) sdk.Tool {
		return sdk.Tool{Name: name, InputSchema: []byte(`{"type":"object"}`), Handler: h}
	}
	return []sdk.Tool{
		tool("greet", func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
			res, err := call.Ask("user_name", "elicitation/create", map[string]any{"message": "What is your name?",
				"requestedSchema": map[string]any{"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}}})
			if err != nil {
				return nil, err
			}
			var a sdk.ElicitResult
			if err := json.Unmarshal(res, &a); err != nil || !a.Accepted() {
				return sdk.TextResult("no name given"), nil
			}
			return sdk.TextResult(fmt.Sprintf("Hello, %v!", a.Content["name"])), nil
		}),
		tool("everything", func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
			connect, err1 := call.ElicitURL("Connect your account", "https://example.com/connect")
			answer, err2 := call.Sample(&sdk.SamplingRequest{Messages: []sdk.SamplingMessage{sdk.UserText("capital of France?")}, MaxTokens: 10})
			roots, err3 := call.Roots()
			if err := errors.Join(err1, err2, err3); err != nil {
				return nil, err
			}
			return sdk.TextResult(fmt.Sprintf("%s %s %d", connect.Action, answer.Text(), len(roots))), nil
		}),
		tool("sampler", func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
			if _, err := call.Sample(&sdk.SamplingRequest{Messages: []sdk.SamplingMessage{sdk.UserText("hi")}, MaxTokens: 5}); err != nil {
				return nil, err
			}
			return sdk.TextResult("sampled"), nil
		}),
		tool("insatiable", func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
			var n int
			_, _ = call.LoadState(&n)
			_ = call.SaveState(n + 1)
			_, err := call.Ask(fmt.Sprintf("q%d", n), "roots/list", struct{}{})
			return nil, err
		}),
	}
}

// askingPrompts has a prompt that asks the client for input, named as one
// of askingTools, so that a test can tell their request states apart.
func askingPrompts() []sdk.Prompt {
	return []sdk.Prompt{{Name: "greet", Handler: func(_ context.Context, req *sdk.PromptRequest) (*sdk.PromptResult, error) {
		a, err := req.Elicit("What is your name?", map[string]any{"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}})
		if err != nil {
			return nil, err
		}
		return &sdk.PromptResult{Messages: []sdk.PromptMessage{sdk.UserMessage(sdk.Text(fmt.Sprintf("Greet %v.", a.Content["name"])))}}, nil
	}}}
}

// pluginBackend runs calls and prompt requests in a plugin served
// in-process.
type pluginBackend struct{ c *sdktest.Client }

func (b pluginBackend) GetPrompt(ctx context.Context, req *toolgatev1.GetPromptRequest) (*toolgatev1.GetPromptResult, error) {
	return b.c.GetPromptRequest(ctx, req)
}

func (b pluginBackend) ReadResource(context.Context, *toolgatev1.ReadResourceRequest) (*toolgatev1.ReadResourceResult, error) {
	return nil, errors.New("no resources")
}

func (b pluginBackend) Complete(context.Context, *toolgatev1.CompleteRequest) (*toolgatev1.CompleteResult, error) {
	return &toolgatev1.CompleteResult{}, nil
}

func (b pluginBackend) CallTool(ctx context.Context, req *toolgatev1.CallToolRequest, _ func(*toolgatev1.CallToolEvent)) (*toolgatev1.CallToolResult, error) {
	res, _, err := b.c.CallRequest(ctx, req)
	return res, err
}

func newAskingServer(t *testing.T) *Server {
	t.Helper()
	c := sdktest.Start(t, &sdk.Plugin{Tools: askingTools(), Prompts: askingPrompts()}, nil)
	cfg := &config.Config{Tools: map[string]config.Tool{}, Server: config.Server{CallTimeout: 10 * time.Second}}
	reg, err := registry.New(cfg, []registry.Source{{Plugin: "asker", Tools: c.Tools(), Backend: pluginBackend{c},
		Prompts: c.Prompts(), Provider: pluginBackend{c}, Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return New(reg, Options{Info: Implementation{Name: "toolgate", Version: "test"}, PageSize: 10,
		Logger: slogDiscard(), Registerer: prometheus.NewRegistry()})
}

// testPeer is a client's end of a session-era request: it answers the
// server's requests as a client would, and records them.
type testPeer struct {
	answer func(method string, params json.RawMessage) (json.RawMessage, error)

	mu    sync.Mutex
	asked []string
	seen  []json.RawMessage
}

func (p *testPeer) Notify(string, any) error { return nil }

func (p *testPeer) Request(_ context.Context, method string, params any) (json.RawMessage, error) {
	b, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.asked = append(p.asked, method)
	p.seen = append(p.seen, b)
	p.mu.Unlock()
	return p.answer(method, b)
}

func cooperative(method string, params json.RawMessage) (json.RawMessage, error) {
	switch method {
	case "elicitation/create":
		var p struct{ Mode string }
		_ = json.Unmarshal(params, &p)
		if p.Mode == "url" {
			return json.RawMessage(`{"action":"accept"}`), nil
		}
		return json.RawMessage(`{"action":"accept","content":{"name":"Alice"}}`), nil
	case "sampling/createMessage":
		return json.RawMessage(`{"role":"assistant","content":{"type":"text","text":"Paris"},"model":"m"}`), nil
	case "roots/list":
		return json.RawMessage(`{"roots":[{"uri":"file:///a"},{"uri":"file:///b"}]}`), nil
	}
	return nil, &jsonrpc.Error{Code: jsonrpc.CodeMethodNotFound, Message: "Method not found"}
}

const allClientCaps = `{"elicitation":{"form":{},"url":{}},"sampling":{},"roots":{}}`

// sessionCall is a session-era tools/call with the session's capabilities
// and a Peer, as the transport hands it over.
func sessionCall(t *testing.T, s *Server, tool, caps string, peer Peer) (any, *jsonrpc.Error) {
	t.Helper()
	r := decode(t, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"`+tool+`","arguments":{}}}`)
	r.ProtocolVersion, r.ClientCapabilities, r.Peer = "2025-11-25", json.RawMessage(caps), peer
	return s.Handle(t.Context(), r)
}

func resultText(t *testing.T, res any) (string, bool) {
	t.Helper()
	cr, ok := res.(*callResult)
	if !ok {
		t.Fatalf("got %T, want a tool result", res)
	}
	var parts []string
	for _, c := range cr.Content {
		parts = append(parts, c.(textContent).Text)
	}
	return strings.Join(parts, "\n"), cr.IsError
}

func TestSessionEraAsksThroughThePeer(t *testing.T) {
	s := newAskingServer(t)
	peer := &testPeer{answer: cooperative}
	res, jerr := sessionCall(t, s, "greet", allClientCaps, peer)
	if jerr != nil {
		t.Fatal(jerr)
	}
	if text, isErr := resultText(t, res); text != "Hello, Alice!" || isErr {
		t.Errorf("got %q (isError %v), want Hello, Alice!", text, isErr)
	}
	if len(peer.asked) != 1 || peer.asked[0] != "elicitation/create" || !strings.Contains(string(peer.seen[0]), "What is your name?") {
		t.Errorf("the client was asked %v %s", peer.asked, peer.seen)
	}

	peer = &testPeer{answer: cooperative}
	res, jerr = sessionCall(t, s, "everything", allClientCaps, peer)
	if jerr != nil {
		t.Fatal(jerr)
	}
	if text, _ := resultText(t, res); text != "accept Paris 2" {
		t.Errorf("got %q, want %q", text, "accept Paris 2")
	}
	if len(peer.asked) != 3 {
		t.Fatalf("the client was asked %v, want three requests", peer.asked)
	}
	for i, m := range peer.asked {
		if m == "elicitation/create" && !strings.Contains(string(peer.seen[i]), `"elicitationId"`) {
			t.Errorf("a session-era URL elicitation without elicitationId: %s", peer.seen[i])
		}
	}
}

func TestSessionEraWithoutAChannelToTheClient(t *testing.T) {
	s := newAskingServer(t)
	noChannel := &testPeer{answer: func(string, json.RawMessage) (json.RawMessage, error) { return nil, ErrNoBackChannel }}
	for name, peer := range map[string]Peer{"no peer": nil, "no back channel": noChannel} {
		_, jerr := sessionCall(t, s, "greet", allClientCaps, peer)
		if jerr == nil || jerr.Code != jsonrpc.CodeInvalidRequest || !strings.Contains(jerr.Message, "text/event-stream") {
			t.Errorf("%s: got %v, want -32600 telling the client to accept text/event-stream", name, jerr)
		}
	}
}

func TestSessionEraRefusals(t *testing.T) {
	s := newAskingServer(t)
	// The client did not declare sampling: the model reads why.
	res, jerr := sessionCall(t, s, "sampler", `{"elicitation":{}}`, &testPeer{answer: cooperative})
	if jerr != nil {
		t.Fatal(jerr)
	}
	if text, isErr := resultText(t, res); !isErr || !strings.Contains(text, "client capability sampling") {
		t.Errorf("got %q (isError %v), want a tool error naming the sampling capability", text, isErr)
	}
	// The client answers with an error.
	refusing := &testPeer{answer: func(string, json.RawMessage) (json.RawMessage, error) {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "user rejected sampling"}
	}}
	res, _ = sessionCall(t, s, "sampler", allClientCaps, refusing)
	if text, isErr := resultText(t, res); !isErr || !strings.Contains(text, "user rejected sampling") {
		t.Errorf("got %q (isError %v), want the client's refusal", text, isErr)
	}
	// A plugin that never stops asking is stopped.
	peer := &testPeer{answer: cooperative}
	res, _ = sessionCall(t, s, "insatiable", allClientCaps, peer)
	if text, isErr := resultText(t, res); !isErr || !strings.Contains(text, "giving up") || len(peer.asked) != maxInputRounds-1 {
		t.Errorf("got %q after %d questions, want it stopped after %d", text, len(peer.asked), maxInputRounds-1)
	}
}

// modernCall is a 2026-07-28 tools/call; extra is added to params.
func modernCall(t *testing.T, s *Server, tool, caps, extra string, caller *verify.Identity) (any, *jsonrpc.Error) {
	t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + tool + `","arguments":{"a":1}` + extra +
		`,"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":` + caps + `}}}`
	r := decode(t, body)
	r.Caller = caller
	return s.Handle(t.Context(), r)
}

func TestModernEraInputRequired(t *testing.T) {
	s := newAskingServer(t)
	alice := &verify.Identity{Issuer: "https://as", Subject: "alice"}
	res, jerr := modernCall(t, s, "greet", allClientCaps, "", alice)
	if jerr != nil {
		t.Fatal(jerr)
	}
	ir, ok := res.(*inputRequiredResult)
	if !ok || ir.ResultType != "input_required" || ir.InputRequests["user_name"].Method != "elicitation/create" || ir.RequestState == "" {
		t.Fatalf("got %+v, want input_required asking user_name", res)
	}
	state, _ := json.Marshal(ir.RequestState)
	retry := `,"inputResponses":{"user_name":{"action":"accept","content":{"name":"Alice"}},"extra":{"action":"cancel"}},"requestState":` + string(state)

	res, jerr = modernCall(t, s, "greet", allClientCaps, retry, alice)
	if jerr != nil {
		t.Fatal(jerr)
	}
	if text, _ := resultText(t, res); text != "Hello, Alice!" || res.(*callResult).ResultType != "complete" {
		t.Errorf("got %q, want a complete Hello, Alice!", text)
	}

	tampered := strings.Replace(retry, ir.RequestState, ir.RequestState+"-TAMPERED", 1)
	for name, tc := range map[string]struct {
		tool, extra string
		caller      *verify.Identity
	}{
		"tampered":        {"greet", tampered, alice},
		"another caller":  {"greet", retry, &verify.Identity{Issuer: "https://as", Subject: "mallory"}},
		"another tool":    {"sampler", retry, alice},
		"null responses":  {"greet", `,"inputResponses":null`, alice},
		"number response": {"greet", `,"inputResponses":{"user_name":12345}`, alice},
	} {
		_, jerr := modernCall(t, s, tc.tool, allClientCaps, tc.extra, tc.caller)
		if jerr == nil || jerr.Code != jsonrpc.CodeInvalidParams {
			t.Errorf("%s: got %v, want -32602", name, jerr)
		}
	}
}

func TestModernEraMissingCapability(t *testing.T) {
	s := newAskingServer(t)
	_, jerr := modernCall(t, s, "sampler", `{"elicitation":{}}`, "", nil)
	if jerr == nil || jerr.Code != jsonrpc.CodeMissingRequiredClientCapability {
		t.Fatalf("got %v, want -32021", jerr)
	}
	data, _ := json.Marshal(jerr.Data)
	if string(data) != `{"requiredCapabilities":{"sampling":{}}}` {
		t.Errorf("got data %s", data)
	}
	// elicitation {} is form mode only: a URL elicitation needs elicitation.url.
	_, jerr = modernCall(t, s, "everything", `{"elicitation":{},"sampling":{},"roots":{}}`, "", nil)
	if data, _ := json.Marshal(jerr.Data); jerr.Code != jsonrpc.CodeMissingRequiredClientCapability || string(data) != `{"requiredCapabilities":{"elicitation":{"url":{}}}}` {
		t.Errorf("got %v %s, want -32021 naming elicitation.url", jerr, data)
	}
}

func TestMissingCapabilitiesMerge(t *testing.T) {
	reqs := map[string]*toolgatev1.InputRequest{
		"a": {Method: "elicitation/create", Params: []byte(`{"message":"m","requestedSchema":{"type":"object"}}`)},
		"b": {Method: "elicitation/create", Params: []byte(`{"mode":"url","message":"m","url":"https://x"}`)},
		"c": {Method: "roots/list", Params: []byte(`{}`)},
	}
	missing, names := missingCapabilities([]byte(`{"roots":{}}`), reqs)
	got, _ := json.Marshal(missing)
	if string(got) != `{"elicitation":{"form":{},"url":{}}}` || names != "elicitation.form, elicitation.url" {
		t.Errorf("got %s %q", got, names)
	}
	if missing, _ := missingCapabilities([]byte(`{"roots":{},"elicitation":{"form":{},"url":{}}}`), reqs); missing != nil {
		t.Errorf("got %v with every capability declared, want none", missing)
	}
}

// A prompt asks for input as a tool does, in both eras, and its request
// state is its own: a tool's of the same name does not open it.
func TestPromptAsksForInput(t *testing.T) {
	s := newAskingServer(t)
	get := func(extra string) (any, *jsonrpc.Error) {
		r := decode(t, `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"greet"`+extra+
			`,"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":`+allClientCaps+`}}}`)
		return s.Handle(t.Context(), r)
	}
	res, jerr := get("")
	if jerr != nil {
		t.Fatal(jerr)
	}
	ir, ok := res.(*inputRequiredResult)
	if !ok || len(ir.InputRequests) != 1 || ir.RequestState == "" {
		t.Fatalf("got %+v, want input_required with one request and a requestState", res)
	}
	var key string
	for key = range ir.InputRequests {
	}
	state, _ := json.Marshal(ir.RequestState)
	res, jerr = get(`,"inputResponses":{"` + key + `":{"action":"accept","content":{"name":"Alice"}}},"requestState":` + string(state))
	if jerr != nil {
		t.Fatal(jerr)
	}
	if pr, ok := res.(*getPromptResult); !ok || pr.ResultType != "complete" || len(pr.Messages) != 1 {
		t.Fatalf("got %+v, want the rendered prompt", res)
	}

	// The tool greet with no arguments binds its state to the same name
	// and arguments as the prompt greet without any.
	r := decode(t, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet","arguments":{}`+
		`,"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":`+allClientCaps+`}}}`)
	toolRes, jerr := s.Handle(t.Context(), r)
	if jerr != nil {
		t.Fatal(jerr)
	}
	toolState, _ := json.Marshal(toolRes.(*inputRequiredResult).RequestState)
	res, jerr = get(`,"requestState":` + string(toolState))
	if jerr == nil || jerr.Code != jsonrpc.CodeInvalidParams || !strings.Contains(jerr.Message, "another caller, tool") {
		t.Errorf("a tool's requestState on a prompt: got %v, %v; want -32602 saying it belongs elsewhere", res, jerr)
	}

	r = decode(t, `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"greet"}}`)
	peer := &testPeer{answer: cooperative}
	r.ProtocolVersion, r.ClientCapabilities, r.Peer = "2025-11-25", json.RawMessage(allClientCaps), peer
	res, jerr = s.Handle(t.Context(), r)
	if jerr != nil {
		t.Fatal(jerr)
	}
	if pr, ok := res.(*getPromptResult); !ok || len(pr.Messages) != 1 || len(peer.asked) != 1 {
		t.Errorf("session era: got %+v after asking %v, want the rendered prompt after one question", res, peer.asked)
	}
}
