//go:build unix

package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/toolgate/toolgate/sdk"
)

// askTool asks the client twice, in two rounds, and keeps an id it mints in
// the first round across both: it shows the rounds, the answers and the
// plugin's state reaching the plugin intact.
var askTool = sdk.Tool{
	Name:        "ask",
	Description: "Asks the user for a name, then for a colour, and greets them.",
	InputSchema: json.RawMessage(`{"type":"object","properties":{"greeting":{"type":"string"}},"additionalProperties":false}`),
	Handler: func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
		var args struct {
			Greeting string `json:"greeting"`
		}
		if err := call.Decode(&args); err != nil {
			return nil, err
		}
		var state struct{ Round1 string }
		if ok, err := call.LoadState(&state); err != nil {
			return nil, err
		} else if !ok {
			state.Round1 = call.RequestID // minted in the first round only
			if err := call.SaveState(state); err != nil {
				return nil, err
			}
		}
		name, err := call.Ask("user_name", "elicitation/create", map[string]any{
			"message":         "What is your name?",
			"requestedSchema": map[string]any{"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}, "required": []string{"name"}},
		})
		if err != nil {
			return nil, err
		}
		color, err := call.Elicit("What is your favourite colour?", map[string]any{
			"type": "object", "properties": map[string]any{"color": map[string]any{"type": "string"}}, "required": []string{"color"},
		})
		if err != nil {
			return nil, err
		}
		var n sdk.ElicitResult
		if err := json.Unmarshal(name, &n); err != nil {
			return nil, err
		}
		return sdk.StructuredResult(map[string]any{
			"text":  fmt.Sprintf("%s, %v! You like %v.", args.Greeting, n.Content["name"], color.Content["color"]),
			"first": state.Round1,
		})
	},
}

// sampleTool needs the client's sampling capability.
var sampleTool = sdk.Tool{
	Name:        "sample",
	Description: "Asks the client's model a question.",
	InputSchema: emptyInput,
	Handler: func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
		res, err := call.Sample(&sdk.SamplingRequest{Messages: []sdk.SamplingMessage{sdk.UserText("What is the capital of France?")}, MaxTokens: 100})
		if err != nil {
			return nil, err
		}
		return sdk.TextResult("LLM response: " + res.Text()), nil
	},
}
