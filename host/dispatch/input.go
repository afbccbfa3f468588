package dispatch

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/toolgate/toolgate/host/jsonrpc"
	"github.com/toolgate/toolgate/host/registry"
	"github.com/toolgate/toolgate/host/requeststate"
	"github.com/toolgate/toolgate/sdk"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// A plugin asks the client for input by returning input requests instead of
// a result; the host gets the answers and calls the plugin again with them
// and with the state the plugin returned. How the answers are got depends on
// the era:
//
//   - 2026-07-28: the host answers input_required with the requests and a
//     sealed requestState; the client retries the call with inputResponses
//     and the requestState, which the host opens and checks before the
//     plugin sees anything (Multi Round-Trip Requests).
//   - session era: the host asks the client itself (Request.Peer) while
//     the call runs, and loops, at most maxInputRounds times.

// maxInputRounds bounds the rounds of one session-era call, so a plugin that
// keeps asking cannot hold a request open for ever.
const maxInputRounds = 8

type inputRequest struct {
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

// inputRequiredResult is the 2026-07-28 InputRequiredResult.
type inputRequiredResult struct {
	ResultType    string                  `json:"resultType"`
	InputRequests map[string]inputRequest `json:"inputRequests"`
	RequestState  string                  `json:"requestState"`
	Meta          json.RawMessage         `json:"_meta,omitempty"`
}

// clientCapabilities are the client's declared capabilities as a JSON
// object: the request's _meta in the 2026-07-28 era, the session's
// initialize otherwise.
func (r *Request) clientCapabilities() []byte {
	caps := r.ClientCapabilities
	if r.Modern {
		caps = r.Params.Meta.ClientCapabilities
	}
	if len(caps) == 0 || caps[0] != '{' {
		return []byte("{}")
	}
	return caps
}

// binding is what a call's requestState is bound to.
func binding(r *Request, tool *registry.Tool, args json.RawMessage) requeststate.Binding {
	b := requeststate.Binding{Tool: tool.Name, ArgsDigest: argsDigest(args)}
	if r.Caller != nil {
		b.Issuer, b.Subject = r.Caller.Issuer, r.Caller.Subject
	}
	return b
}

// argsDigest digests the arguments without their insignificant whitespace, so
// a client that re-encodes the same arguments for the retry still matches.
func argsDigest(args json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, args); err != nil {
		buf.Reset()
		buf.Write(args)
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:])
}

// resume reads a 2026-07-28 retry's inputResponses and requestState into the
// plugin request. Answers without a requestState are passed on as they are:
// they are the client's word either way, and only the plugin's own state
// needs protecting.
func (s *Server) resume(r *Request, tool *registry.Tool, args json.RawMessage, req *toolgatev1.CallToolRequest) *jsonrpc.Error {
	if raw := r.Params.InputResponses; raw != nil {
		var responses map[string]json.RawMessage
		if err := json.Unmarshal(raw, &responses); err != nil || responses == nil {
			return invalidParams("tools/call: params.inputResponses must be an object mapping each key of inputRequests to the client's result")
		}
		req.InputResponses = make(map[string][]byte, len(responses))
		for key, v := range responses {
			if len(v) == 0 || v[0] != '{' {
				return invalidParams("tools/call: params.inputResponses[%q] must be an object: the client's result for that input request", key)
			}
			req.InputResponses[key] = v
		}
	}
	if r.Params.RequestState == nil {
		return nil
	}
	state, err := s.sealer.Open(binding(r, tool, args), *r.Params.RequestState)
	if err != nil {
		s.opts.Logger.Warn("refused a requestState", "tool", tool.Name, "request_id", r.RequestID, "error", err)
		return invalidParams("tools/call: %v; call the tool again without inputResponses and requestState", err)
	}
	req.RequestState = state
	return nil
}

// checkInputRequests refuses what a plugin may not ask or the client cannot
// answer; done is true when the call ends here.
func (s *Server) checkInputRequests(r *Request, tool *registry.Tool, res *toolgatev1.CallToolResult, round int) (out any, jerr *jsonrpc.Error, outcome string, done bool) {
	for key, q := range res.GetInputRequests() {
		if sdk.Capability(q.GetMethod(), nil) == "" || len(q.GetParams()) == 0 || q.GetParams()[0] != '{' || !json.Valid(q.GetParams()) {
			s.opts.Logger.Error("plugin asked the client for something it may not", "tool", tool.Name, "plugin", tool.Plugin,
				"request_id", r.RequestID, "key", key, "method", q.GetMethod())
			return nil, jsonrpc.NewError(jsonrpc.CodeInternalError, fmt.Sprintf(
				"tool %s sent input request %q with method %q: only elicitation/create, sampling/createMessage and roots/list, with a JSON object as params, may be sent",
				tool.Name, key, q.GetMethod())), "error", true
		}
	}
	if missing, names := missingCapabilities(r.clientCapabilities(), res.GetInputRequests()); missing != nil {
		if r.Modern {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeMissingRequiredClientCapability,
				Message: fmt.Sprintf("Tool %s requires the client capability %s, which the request's clientCapabilities do not declare", tool.Name, names),
				Data:    map[string]any{"requiredCapabilities": missing}}, "missing_capability", true
		}
		return s.toolError(r, "tool %s needs to ask the client for input, which requires the client capability %s; this client did not declare it in initialize",
			tool.Name, names), nil, "missing_capability", true
	}
	if !r.Modern && round >= maxInputRounds {
		return s.toolError(r, "tool %s asked the client for input %d times without finishing; giving up", tool.Name, round), nil, "error", true
	}
	return nil, nil, "", false
}

// missingCapabilities returns, as a ClientCapabilities object, the
// capabilities the requests need that the client did not declare (nil when
// none), and their names for messages.
func missingCapabilities(raw []byte, reqs map[string]*toolgatev1.InputRequest) (map[string]any, string) {
	caps := sdk.ParseClientCapabilities(raw)
	missing := map[string]any{}
	var names []string
	for _, q := range reqs {
		c := sdk.Capability(q.GetMethod(), q.GetParams())
		if caps.Has(c) || slices.Contains(names, c) {
			continue
		}
		names = append(names, c)
		if top, sub, ok := strings.Cut(c, "."); ok {
			m, _ := missing[top].(map[string]any)
			if m == nil {
				m = map[string]any{}
				missing[top] = m
			}
			m[sub] = struct{}{}
		} else {
			missing[c] = struct{}{}
		}
	}
	if len(names) == 0 {
		return nil, ""
	}
	slices.Sort(names)
	return missing, strings.Join(names, ", ")
}

// inputRequired answers a 2026-07-28 call with the plugin's requests and
// the sealed state the retry must carry.
func (s *Server) inputRequired(r *Request, tool *registry.Tool, args json.RawMessage, res *toolgatev1.CallToolResult) (any, *jsonrpc.Error, string) {
	state, err := s.sealer.Seal(binding(r, tool, args), res.GetRequestState())
	if err != nil {
		return nil, jsonrpc.NewError(jsonrpc.CodeInternalError, "sealing the request state: "+err.Error()), "error"
	}
	out := &inputRequiredResult{ResultType: "input_required", InputRequests: map[string]inputRequest{},
		RequestState: state, Meta: s.serverInfoMeta}
	for key, q := range res.GetInputRequests() {
		out.InputRequests[key] = inputRequest{Method: q.GetMethod(), Params: q.GetParams()}
	}
	return out, nil, "input_required"
}

// askClient puts a session-era round's requests to the client, one after
// the other, and returns the answers; nil answers mean the call ends with
// out, jerr and outcome.
func (s *Server) askClient(ctx context.Context, r *Request, tool *registry.Tool, reqs map[string]*toolgatev1.InputRequest) (answers map[string][]byte, out any, jerr *jsonrpc.Error, outcome string) {
	keys := make([]string, 0, len(reqs))
	for k := range reqs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	answers = make(map[string][]byte, len(reqs))
	for _, key := range keys {
		q := reqs[key]
		if r.Peer == nil {
			return nil, nil, noBackChannel(tool, q.GetMethod()), "error"
		}
		answer, err := r.Peer.Request(ctx, q.GetMethod(), sessionParams(q))
		var clientErr *jsonrpc.Error
		switch {
		case errors.Is(err, ErrNoBackChannel):
			return nil, nil, noBackChannel(tool, q.GetMethod()), "error"
		case errors.As(err, &clientErr):
			return nil, s.toolError(r, "tool %s asked the client (%s) and the client refused: %s (%d)",
				tool.Name, q.GetMethod(), clientErr.Message, clientErr.Code), nil, "tool_error"
		case err != nil:
			out, jerr, outcome = s.callFailed(r, tool, err)
			return nil, out, jerr, outcome
		case len(answer) == 0 || answer[0] != '{':
			return nil, s.toolError(r, "tool %s asked the client (%s) and the answer is not a JSON object", tool.Name, q.GetMethod()), nil, "tool_error"
		}
		answers[key] = answer
	}
	return answers, nil, nil, ""
}

func noBackChannel(tool *registry.Tool, method string) *jsonrpc.Error {
	return jsonrpc.NewError(jsonrpc.CodeInvalidRequest, fmt.Sprintf(
		"tool %s needs to ask the client (%s) while it runs, and this request has no stream to do it on: "+
			"send the request with Accept: application/json, text/event-stream and read the text/event-stream response, "+
			"or use protocol version 2026-07-28", tool.Name, method))
}

// sessionParams are a request's params as the session era wants them: a URL
// mode elicitation carries an elicitationId there (2025-11-25), which the
// 2026-07-28 era dropped.
func sessionParams(q *toolgatev1.InputRequest) json.RawMessage {
	params := json.RawMessage(q.GetParams())
	if q.GetMethod() != "elicitation/create" {
		return params
	}
	var p map[string]json.RawMessage
	if json.Unmarshal(params, &p) != nil || string(p["mode"]) != `"url"` || p["elicitationId"] != nil {
		return params
	}
	id := make([]byte, 16)
	rand.Read(id)
	p["elicitationId"], _ = json.Marshal(hex.EncodeToString(id))
	out, _ := json.Marshal(p)
	return out
}
