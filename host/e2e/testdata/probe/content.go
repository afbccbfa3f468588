//go:build unix

package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/toolgate/toolgate/sdk"
)

// probe is the plugin main serves; touch announces resource updates on it.
var probe *sdk.Plugin

// probePrompt echoes its text back as a user message; the text "missing"
// makes it answer that the prompt has nothing for it, "bad" that the
// arguments do not fit.
var probePrompt = sdk.Prompt{
	Name:        "probe_prompt",
	Title:       "Probe prompt",
	Description: "Repeats its text as a user message.",
	Arguments:   []sdk.PromptArgument{{Name: "text", Description: "What to repeat.", Required: true}, {Name: "tone"}},
	Scopes:      []string{"prompts:probe"},
	Handler: func(_ context.Context, req *sdk.PromptRequest) (*sdk.PromptResult, error) {
		if req.Arguments["text"] == "bad" {
			return nil, fmt.Errorf("%w: text must not be \"bad\"", sdk.ErrInvalidArguments)
		}
		return &sdk.PromptResult{Description: "The probe's prompt", Messages: []sdk.PromptMessage{
			sdk.UserMessage(sdk.Text(req.Arguments["text"] + " " + req.Arguments["tone"])),
		}}, nil
	},
	Complete: sdk.CompleteFrom(map[string][]string{"tone": {"calm", "cheerful", "grave"}}),
}

var staticResource = sdk.Resource{
	URI: "probe://static.txt", Name: "static.txt", Title: "Static", Description: "A fixed text.", MIMEType: "text/plain",
	Scopes: []string{"resources:probe"},
	Handler: func(_ context.Context, req *sdk.ResourceRequest) ([]sdk.ResourceContents, error) {
		return sdk.TextContents(req.URI, "text/plain", "static text"), nil
	},
}

// itemTemplate serves probe://items/{id} as JSON naming the id; the id
// "missing" does not exist.
var itemTemplate = sdk.ResourceTemplate{
	URITemplate: "probe://items/{id}", Name: "item", Description: "One item by id.", MIMEType: "application/json",
	Handler: func(_ context.Context, req *sdk.ResourceRequest) ([]sdk.ResourceContents, error) {
		id := req.Variables["id"]
		if id == "missing" {
			return nil, fmt.Errorf("item %s: %w", id, sdk.ErrNotFound)
		}
		b, _ := json.Marshal(map[string]string{"id": id})
		return sdk.TextContents(req.URI, "application/json", string(b)), nil
	},
	Complete: sdk.CompleteFrom(map[string][]string{"id": {"1", "12", "123", "missing"}}),
}

// touchTool announces that the resource at uri changed.
var touchTool = sdk.Tool{
	Name:        "touch",
	Description: "Reports the resource at uri as updated.",
	InputSchema: json.RawMessage(`{"type":"object","properties":{"uri":{"type":"string"}},"required":["uri"]}`),
	Handler: func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
		var in struct {
			URI string `json:"uri"`
		}
		if err := call.Decode(&in); err != nil {
			return nil, err
		}
		probe.ResourceUpdated(in.URI)
		return sdk.TextResult("touched " + in.URI), nil
	},
}
