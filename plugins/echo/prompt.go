package main

import (
	"context"
	"fmt"

	"github.com/toolgate/toolgate/sdk"
)

// echoPrompt is the walkthrough's echo_prompt(message): a user message that
// asks the model to echo the message back, with the echo tool or without.
var echoPrompt = sdk.Prompt{
	Name:        "echo_prompt",
	Title:       "Echo prompt",
	Description: "Asks the model to echo a message back.",
	Arguments:   []sdk.PromptArgument{{Name: "message", Description: "The message to echo.", Required: true}},
	Scopes:      []string{"prompts:echo"},
	Handler:     renderEchoPrompt,
}

func renderEchoPrompt(_ context.Context, req *sdk.PromptRequest) (*sdk.PromptResult, error) {
	msg := req.Arguments["message"]
	if msg == "" {
		return nil, fmt.Errorf("%w: message must not be empty", sdk.ErrInvalidArguments)
	}
	return &sdk.PromptResult{
		Description: "Echo a message",
		Messages:    []sdk.PromptMessage{sdk.UserMessage(sdk.Text("Please echo this message back: " + msg))},
	}, nil
}
