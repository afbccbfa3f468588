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

// inputTarget is what asks the client for input: a tool call or a prompt
// request.
type inputTarget struct {
	// kind is "tool" or "prompt"; name and plugin say which one, for the
	// binding of its state and for messages.
	kind, name, plugin string
	// args are the request's arguments, which its state is bound to.
	args json.RawMessage
	// fail ends the request with a failure its caller reads: for a tool a
	// result with isError set, so the model sees it; for a prompt a
	// JSON-RPC error.
	fail func(format string, a ...any) (any, *jsonrpc.Error)
	// failed turns a failed round in the plugin into the answer.
	failed func(err error) (any, *jsonrpc.Error, string)
}

// roundResult is a plugin's answer to one round: CallToolResult or
// GetPromptResult.
type roundResult interface {
	GetInputRequests() map[string]*toolgatev1.InputRequest
	GetRequestState() []byte
}

// runRounds runs a request that may ask the client for input. run runs one
// round in the plugin with the client's answers and the plugin's state of
// the round before. When the plugin finishes, its result is returned with
// done false, for the caller to check and encode; otherwise the request
// ends here with out, jerr and outcome (an input_required result, an error).
func runRounds[R roundResult](ctx context.Context, s *Server, r *Request, t *inputTarget,
	run func(responses map[string][]byte, state []byte) (R, error)) (res R, out any, jerr *jsonrpc.Error, outcome string, done bool) {
	var responses map[string][]byte
	var state []byte
	if r.Modern {
		if responses, state, jerr = s.resume(r, t); jerr != nil {
			return res, nil, jerr, "invalid_input", true
		}
	}
	for round := 1; ; round++ {
		res, err := run(responses, state)
		if err != nil {
			out, jerr, outcome = t.failed(err)
			return res, out, jerr, outcome, true
		}
		reqs := res.GetInputRequests()
		if len(reqs) == 0 {
			return res, nil, nil, "", false
		}
		if out, jerr, outcome, done := s.checkInputRequests(r, t, reqs, round); done {
			return res, out, jerr, outcome, true
		}
		if r.Modern {
			out, jerr, outcome = s.inputRequired(r, t, reqs, res.GetRequestState())
			return res, out, jerr, outcome, true
		}
		answers, out, jerr, outcome := s.askClient(ctx, r, t, reqs)
		if answers == nil {
			return res, out, jerr, outcome, true
		}
		responses, state = answers, res.GetRequestState()
	}
}

// binding is what a request's requestState is bound to. A prompt's name
// is kept apart from a tool's of the same name by a prefix that no name
// can hold.
func binding(r *Request, t *inputTarget) requeststate.Binding {
	name := t.name
	if t.kind != "tool" {
		name = t.kind + " " + t.name
	}
	b := requeststate.Binding{Tool: name, ArgsDigest: argsDigest(t.args)}
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

// resume reads a 2026-07-28 retry's inputResponses and requestState.
// Answers without a requestState are passed on as they are: they are the
// client's word either way, and only the plugin's own state needs
// protecting.
func (s *Server) resume(r *Request, t *inputTarget) (responses map[string][]byte, state []byte, jerr *jsonrpc.Error) {
	if raw := r.Params.InputResponses; raw != nil {
		var answers map[string]json.RawMessage
		if err := json.Unmarshal(raw, &answers); err != nil || answers == nil {
			return nil, nil, invalidParams("%s: params.inputResponses must be an object mapping each key of inputRequests to the client's result", r.Method)
		}
		responses = make(map[string][]byte, len(answers))
		for key, v := range answers {
			if len(v) == 0 || v[0] != '{' {
				return nil, nil, invalidParams("%s: params.inputResponses[%q] must be an object: the client's result for that input request", r.Method, key)
			}
			responses[key] = v
		}
	}
	if r.Params.RequestState == nil {
		return responses, nil, nil
	}
	state, err := s.sealer.Open(binding(r, t), *r.Params.RequestState)
	if err != nil {
		s.opts.Logger.Warn("refused a requestState", t.kind, t.name, "request_id", r.RequestID, "error", err)
		return nil, nil, invalidParams("%s: %v; send the request again without inputResponses and requestState", r.Method, err)
	}
	return responses, state, nil
}

// checkInputRequests refuses what a plugin may not ask or the client cannot
// answer; done is true when the request ends here.
func (s *Server) checkInputRequests(r *Request, t *inputTarget, reqs map[string]*toolgatev1.InputRequest, round int) (out any, jerr *jsonrpc.Error, outcome string, done bool) {
	for key, q := range reqs {
		if sdk.Capability(q.GetMethod(), nil) == "" || len(q.GetParams()) == 0 || q.GetParams()[0] != '{' || !json.Valid(q.GetParams()) {
			s.opts.Logger.Error("plugin asked the client for something it may not", t.kind, t.name, "plugin", t.plugin,
				"request_id", r.RequestID, "key", key, "method", q.GetMethod())
			return nil, jsonrpc.NewError(jsonrpc.CodeInternalError, fmt.Sprintf(
				"%s %s sent input request %q with method %q: only elicitation/create, sampling/createMessage and roots/list, with a JSON object as params, may be sent",
				t.kind, t.name, key, q.GetMethod())), "error", true
		}
	}
	if missing, names := missingCapabilities(r.clientCapabilities(), reqs); missing != nil {
		if r.Modern {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeMissingRequiredClientCapability,
				Message: fmt.Sprintf("%s %s requires the client capability %s, which the request's clientCapabilities do not declare", capitalized(t.kind), t.name, names),
				Data:    map[string]any{"requiredCapabilities": missing}}, "missing_capability", true
		}
		out, jerr = t.fail("%s %s needs to ask the client for input, which requires the client capability %s; this client did not declare it in initialize",
			t.kind, t.name, names)
		return out, jerr, "missing_capability", true
	}
	if !r.Modern && round >= maxInputRounds {
		out, jerr = t.fail("%s %s asked the client for input %d times without finishing; giving up", t.kind, t.name, round)
		return out, jerr, "error", true
	}
	return nil, nil, "", false
}

func capitalized(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
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

// inputRequired answers a 2026-07-28 request with the plugin's requests
// and the sealed state the retry must carry.
func (s *Server) inputRequired(r *Request, t *inputTarget, reqs map[string]*toolgatev1.InputRequest, pluginState []byte) (any, *jsonrpc.Error, string) {
	state, err := s.sealer.Seal(binding(r, t), pluginState)
	if err != nil {
		return nil, jsonrpc.NewError(jsonrpc.CodeInternalError, "sealing the request state: "+err.Error()), "error"
	}
	out := &inputRequiredResult{ResultType: "input_required", InputRequests: map[string]inputRequest{},
		RequestState: state, Meta: s.serverInfoMeta}
	for key, q := range reqs {
		out.InputRequests[key] = inputRequest{Method: q.GetMethod(), Params: q.GetParams()}
	}
	return out, nil, "input_required"
}

// askClient puts a session-era round's requests to the client, one after
// the other, and returns the answers; nil answers mean the request ends
// with out, jerr and outcome.
func (s *Server) askClient(ctx context.Context, r *Request, t *inputTarget, reqs map[string]*toolgatev1.InputRequest) (answers map[string][]byte, out any, jerr *jsonrpc.Error, outcome string) {
	keys := make([]string, 0, len(reqs))
	for k := range reqs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	answers = make(map[string][]byte, len(reqs))
	for _, key := range keys {
		q := reqs[key]
		if r.Peer == nil {
			return nil, nil, noBackChannel(t, q.GetMethod()), "error"
		}
		answer, err := r.Peer.Request(ctx, q.GetMethod(), sessionParams(q))
		var clientErr *jsonrpc.Error
		switch {
		case errors.Is(err, ErrNoBackChannel):
			return nil, nil, noBackChannel(t, q.GetMethod()), "error"
		case errors.As(err, &clientErr):
			out, jerr = t.fail("%s %s asked the client (%s) and the client refused: %s (%d)",
				t.kind, t.name, q.GetMethod(), clientErr.Message, clientErr.Code)
			return nil, out, jerr, "tool_error"
		case err != nil:
			out, jerr, outcome = t.failed(err)
			return nil, out, jerr, outcome
		case len(answer) == 0 || answer[0] != '{':
			out, jerr = t.fail("%s %s asked the client (%s) and the answer is not a JSON object", t.kind, t.name, q.GetMethod())
			return nil, out, jerr, "tool_error"
		}
		answers[key] = answer
	}
	return answers, nil, nil, ""
}

func noBackChannel(t *inputTarget, method string) *jsonrpc.Error {
	return jsonrpc.NewError(jsonrpc.CodeInvalidRequest, fmt.Sprintf(
		"%s %s needs to ask the client (%s) while it runs, and this request has no stream to do it on: "+
			"send the request with Accept: application/json, text/event-stream and read the text/event-stream response, "+
			"or use protocol version 2026-07-28", t.kind, t.name, method))
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
