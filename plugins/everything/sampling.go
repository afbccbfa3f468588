package main

import (
	"context"
	"encoding/json"

	"github.com/toolgate/toolgate/sdk"
)

// samplingTools ask the client's model for a message while they run.
func samplingTools() []sdk.Tool {
	return []sdk.Tool{{
		Name: "test_sampling",
		Description: "Sends its prompt to the client's model (sampling/createMessage) and returns the answer. " +
			"Fails when the client did not declare the sampling capability.",
		InputSchema: json.RawMessage(`{"type":"object","properties":{"prompt":{"type":"string","description":"The prompt to send to the model"}},"required":["prompt"],"additionalProperties":false}`),
		Annotations: readOnly,
		Handler:     sampleTool,
	}}
}

// sampleTool asks the client's model the prompt it is given.
func sampleTool(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
	var in struct {
		Prompt string `json:"prompt"`
	}
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	// The first run returns sdk.ErrInputRequired from here; the host asks
	// the client and runs the handler again, and then Sample has the answer.
	res, err := call.Sample(&sdk.SamplingRequest{Messages: []sdk.SamplingMessage{sdk.UserText(in.Prompt)}, MaxTokens: 100})
	if err != nil {
		return nil, err
	}
	return sdk.TextResult("LLM response: " + res.Text()), nil
}
