package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/toolgate/toolgate/sdk"
)

// inputTools ask the client for input before they answer: one question or
// several at once, over several rounds, with state kept between rounds, and
// only what the client declared it can answer. The keys of the questions
// are the ones the conformance suite's input-required scenarios expect.
func inputTools() []sdk.Tool {
	tools := []sdk.Tool{
		{Name: "test_input_required_result_elicitation", Description: "Asks the user's name (key user_name), then greets them.", Handler: askName},
		{Name: "test_input_required_result_sampling", Description: "Asks the client's model the capital of France (key capital_question) and returns its answer.", Handler: askCapital},
		{Name: "test_input_required_result_list_roots", Description: "Asks the client for its roots (key client_roots) and lists them.", Handler: listRoots},
		{Name: "test_input_required_result_request_state", Description: "Saves state, asks for a confirmation (key confirm), and answers state-ok once the state comes back intact.", Handler: confirmWithState},
		{Name: "test_input_required_result_multiple_inputs", Description: "Asks for a name, a greeting from the model and the roots in one round.", Handler: askAll},
		{Name: "test_input_required_result_multi_round", Description: "Asks for a name (step1), then for a favourite colour (step2), one round each.", Handler: askInTwoRounds},
		{Name: "test_input_required_result_tampered_state", Description: "Saves state and asks for a confirmation; a retry whose requestState was altered is refused by the host.", Handler: confirmWithState},
		{Name: "test_input_required_result_capabilities", Description: "Asks only what the client declared it can answer: an elicitation, a sampling request, or both.", Handler: askWhatTheClientCan},
		{Name: "test_missing_capability", Description: "Needs sampling; a client that did not declare it gets a missing-capability error.", Handler: needSampling},
		{Name: "test_streaming_elicitation", Description: "Asks the user for a value while the request runs.", Handler: askValue},
	}
	for i := range tools {
		tools[i].InputSchema, tools[i].Annotations = noArguments, readOnly
	}
	return tools
}

// nameSchema and the other schemas are the flat forms the questions send.
var (
	nameSchema    = json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}`)
	confirmSchema = json.RawMessage(`{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]}`)
	colorSchema   = json.RawMessage(`{"type":"object","properties":{"color":{"type":"string"}},"required":["color"]}`)
	valueSchema   = json.RawMessage(`{"type":"object","properties":{"value":{"type":"string"}},"required":["value"]}`)
)

func elicitParams(message string, schema json.RawMessage) map[string]any {
	return map[string]any{"message": message, "requestedSchema": schema}
}

func samplingParams(prompt string, maxTokens int) *sdk.SamplingRequest {
	return &sdk.SamplingRequest{Messages: []sdk.SamplingMessage{sdk.UserText(prompt)}, MaxTokens: maxTokens}
}

// elicit asks under key and decodes the user's answer.
func elicit(in *sdk.Input, key, message string, schema json.RawMessage) (*sdk.ElicitResult, error) {
	raw, err := in.Ask(key, "elicitation/create", elicitParams(message, schema))
	if err != nil {
		return nil, err
	}
	var res sdk.ElicitResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("the answer to %s is not an elicitation result: %w", key, err)
	}
	return &res, nil
}

// sample asks the client's model under key and returns the text of its answer.
func sample(in *sdk.Input, key, prompt string, maxTokens int) (string, error) {
	raw, err := in.Ask(key, "sampling/createMessage", samplingParams(prompt, maxTokens))
	if err != nil {
		return "", err
	}
	var res sdk.SamplingResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return "", fmt.Errorf("the answer to %s is not a sampling result: %w", key, err)
	}
	return res.Text(), nil
}

// roots asks the client for its roots under key.
func roots(in *sdk.Input, key string) ([]sdk.Root, error) {
	raw, err := in.Ask(key, "roots/list", struct{}{})
	if err != nil {
		return nil, err
	}
	var res struct {
		Roots []sdk.Root `json:"roots"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("the answer to %s is not a roots list: %w", key, err)
	}
	return res.Roots, nil
}

// field returns a string field of an accepted form, or "" when the user
// declined or left it out.
func field(r *sdk.ElicitResult, name string) string {
	s, _ := r.Content[name].(string)
	return s
}

func askName(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
	r, err := elicit(call.Input, "user_name", "What is your name?", nameSchema)
	if err != nil {
		return nil, err
	}
	if !r.Accepted() {
		return sdk.TextResult("The user did not give their name (" + r.Action + ")."), nil
	}
	return sdk.TextResult("Hello, " + field(r, "name") + "!"), nil
}

func askCapital(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
	text, err := sample(call.Input, "capital_question", "What is the capital of France?", 100)
	if err != nil {
		return nil, err
	}
	return sdk.TextResult("The model answered: " + text), nil
}

func listRoots(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
	rs, err := roots(call.Input, "client_roots")
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(rs)
	return sdk.TextResult(fmt.Sprintf("The client has %d root(s): %s", len(rs), b)), nil
}

// confirmState is what confirmWithState keeps between its rounds.
type confirmState struct {
	Asked string `json:"asked"`
}

// confirmWithState saves state in the round that asks and checks it in the
// round that answers: the state travels sealed by the host, through the
// client, and back.
func confirmWithState(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
	var st confirmState
	found, err := call.LoadState(&st)
	if err != nil {
		return nil, err
	}
	if !found {
		if err := call.SaveState(confirmState{Asked: "confirm"}); err != nil {
			return nil, err
		}
	}
	r, err := elicit(call.Input, "confirm", "Please confirm", confirmSchema)
	if err != nil {
		return nil, err
	}
	if !found || st.Asked != "confirm" {
		return nil, errors.New("the state saved when asking did not come back")
	}
	return sdk.TextResult(fmt.Sprintf("state-ok: the user answered %s", r.Action)), nil
}

func askAll(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
	// Asked together, so all three go to the client in one round.
	name, err1 := elicit(call.Input, "user_name", "What is your name?", nameSchema)
	greeting, err2 := sample(call.Input, "greeting", "Generate a greeting", 50)
	rs, err3 := roots(call.Input, "client_roots")
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, err
	}
	return sdk.TextResult(fmt.Sprintf("%s, %s: you have %d root(s).", greeting, field(name, "name"), len(rs))), nil
}

func askInTwoRounds(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
	// The second question depends on the first being answered, so each
	// takes a round of its own.
	name, err := elicit(call.Input, "step1", "Step 1: What is your name?", nameSchema)
	if err != nil {
		return nil, err
	}
	color, err := elicit(call.Input, "step2", "Step 2: What is your favorite color?", colorSchema)
	if err != nil {
		return nil, err
	}
	return sdk.TextResult(fmt.Sprintf("%s likes %s.", field(name, "name"), field(color, "color"))), nil
}

func askWhatTheClientCan(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
	var errs []error
	var answers []string
	if call.Client.Elicitation {
		r, err := elicit(call.Input, "user_name", "What is your name?", nameSchema)
		errs = append(errs, err)
		if err == nil {
			answers = append(answers, "name: "+field(r, "name"))
		}
	}
	if call.Client.Sampling {
		text, err := sample(call.Input, "capital_question", "What is the capital of France?", 100)
		errs = append(errs, err)
		if err == nil {
			answers = append(answers, "model: "+text)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(answers) == 0 {
		return sdk.TextResult("The client declared neither elicitation nor sampling, so nothing was asked."), nil
	}
	return sdk.TextResult(fmt.Sprint(answers)), nil
}

func needSampling(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
	// Sample fails with a CapabilityError when the client lacks sampling;
	// returned as it is, the host answers with a missing-capability error.
	res, err := call.Sample(samplingParams("Say hello.", 20))
	if err != nil {
		return nil, err
	}
	return sdk.TextResult("The model answered: " + res.Text()), nil
}

func askValue(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
	r, err := call.Elicit("Enter a value", valueSchema)
	if err != nil {
		return nil, err
	}
	return sdk.TextResult("You entered: " + field(r, "value")), nil
}

// inputPrompts ask the client for input before they render, as the tools
// above do.
func inputPrompts() []sdk.Prompt {
	return []sdk.Prompt{{
		Name:        "test_input_required_result_prompt",
		Description: "Asks the user what context to use (key user_context), then renders a prompt with it.",
		Scopes:      []string{scope},
		Handler:     promptWithContext,
	}}
}

var contextSchema = json.RawMessage(`{"type":"object","properties":{"context":{"type":"string"}},"required":["context"]}`)

func promptWithContext(_ context.Context, req *sdk.PromptRequest) (*sdk.PromptResult, error) {
	r, err := elicit(req.Input, "user_context", "What context should the prompt use?", contextSchema)
	if err != nil {
		return nil, err
	}
	return &sdk.PromptResult{
		Description: "A prompt rendered with the context the user gave",
		Messages:    []sdk.PromptMessage{sdk.UserMessage(sdk.Text("Answer with this context in mind: " + field(r, "context")))},
	}, nil
}
