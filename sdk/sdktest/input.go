package sdktest

import (
	"context"
	"encoding/json"
	"fmt"

	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// ClientInput answers a plugin's questions (elicitation, sampling, roots) the way
// a test wants, for CallWithInput.
type ClientInput struct {
	// Capabilities are the client's declared capabilities, encoded as
	// JSON (nil declares none): {"elicitation": {}, "sampling": {}}.
	Capabilities any
	// Answer returns the client's result for one question, encoded as
	// JSON. A nil Answer answers nothing, so the call stops after its
	// first round.
	Answer func(method string, params json.RawMessage) (any, error)
	// MaxRounds bounds the rounds; 0 means 10.
	MaxRounds int
}

// Round is one round of a call that asked the client for input.
type Round struct {
	// Requests are the questions the plugin asked, by key.
	Requests map[string]*toolgatev1.InputRequest
	// State is the request_state the plugin returned with them.
	State []byte
}

// CallWithInput calls a tool and, as a host does, answers its questions and
// calls again until the plugin returns a result: the final result and the
// rounds that asked for input, in order. The result is nil when the plugin
// still asks after MaxRounds or when Answer is nil and it asked.
func (c *Client) CallWithInput(ctx context.Context, name string, args any, in ClientInput) (*toolgatev1.CallToolResult, []Round, error) {
	raw, err := encodeArgs(args)
	if err != nil {
		return nil, nil, err
	}
	id := fmt.Sprintf("sdktest-%d", callSeq.Add(1))
	return withInput(in, func(caps []byte, answers map[string][]byte, state []byte) (*toolgatev1.CallToolResult, error) {
		res, _, err := c.CallRequest(ctx, &toolgatev1.CallToolRequest{Name: name, Arguments: raw, ClientCapabilities: caps,
			RequestId: id, InputResponses: answers, RequestState: state})
		return res, err
	})
}

// GetPromptWithInput renders a prompt as CallWithInput calls a tool,
// answering the prompt's questions round after round.
func (c *Client) GetPromptWithInput(ctx context.Context, name string, args map[string]string, in ClientInput) (*toolgatev1.GetPromptResult, []Round, error) {
	id := fmt.Sprintf("sdktest-%d", callSeq.Add(1))
	return withInput(in, func(caps []byte, answers map[string][]byte, state []byte) (*toolgatev1.GetPromptResult, error) {
		return c.rpc.GetPrompt(ctx, &toolgatev1.GetPromptRequest{Name: name, Arguments: args, ClientCapabilities: caps,
			RequestId: id, InputResponses: answers, RequestState: state})
	})
}

// roundResult is a plugin's answer to one round.
type roundResult interface {
	GetInputRequests() map[string]*toolgatev1.InputRequest
	GetRequestState() []byte
}

// withInput runs the rounds of a request: do sends one with the client's
// capabilities, answers and the plugin's state of the round before.
func withInput[R roundResult](in ClientInput, do func(caps []byte, answers map[string][]byte, state []byte) (R, error)) (R, []Round, error) {
	var none R
	caps := []byte("{}")
	if in.Capabilities != nil {
		var err error
		if caps, err = json.Marshal(in.Capabilities); err != nil {
			return none, nil, fmt.Errorf("sdktest: encoding the capabilities: %w", err)
		}
	}
	maxRounds := in.MaxRounds
	if maxRounds == 0 {
		maxRounds = 10
	}
	var rounds []Round
	var answers map[string][]byte
	var state []byte
	for range maxRounds {
		res, err := do(caps, answers, state)
		if err != nil || len(res.GetInputRequests()) == 0 {
			return res, rounds, err
		}
		rounds = append(rounds, Round{Requests: res.GetInputRequests(), State: res.GetRequestState()})
		if in.Answer == nil {
			return none, rounds, nil
		}
		answers = map[string][]byte{}
		for key, q := range res.GetInputRequests() {
			a, err := in.Answer(q.GetMethod(), q.GetParams())
			if err != nil {
				return none, rounds, fmt.Errorf("sdktest: answering %s (%s): %w", key, q.GetMethod(), err)
			}
			if answers[key], err = json.Marshal(a); err != nil {
				return none, rounds, fmt.Errorf("sdktest: encoding the answer to %s: %w", key, err)
			}
		}
		state = res.GetRequestState()
	}
	return none, rounds, nil
}
