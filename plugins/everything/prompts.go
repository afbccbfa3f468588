package main

import (
	"context"
	"fmt"

	"github.com/toolgate/toolgate/sdk"
)

// prompts are the plugin's prompts: plain text, arguments filled in, an
// embedded resource and an image among the messages.
func prompts() []sdk.Prompt {
	return []sdk.Prompt{
		{
			Name:        "test_simple_prompt",
			Title:       "Simple prompt",
			Description: "A prompt without arguments: one user message.",
			Handler:     fixedPrompt(sdk.UserMessage(sdk.Text("This is a simple prompt for testing."))),
		},
		{
			Name:        "test_prompt_with_arguments",
			Title:       "Prompt with arguments",
			Description: "A prompt that repeats its two arguments; arg1 has completions.",
			Arguments: []sdk.PromptArgument{
				{Name: "arg1", Description: "First test argument", Required: true},
				{Name: "arg2", Description: "Second test argument", Required: true},
			},
			Handler: func(_ context.Context, req *sdk.PromptRequest) (*sdk.PromptResult, error) {
				text := fmt.Sprintf("Prompt with arguments: arg1='%s', arg2='%s'", req.Arguments["arg1"], req.Arguments["arg2"])
				return &sdk.PromptResult{Messages: []sdk.PromptMessage{sdk.UserMessage(sdk.Text(text))}}, nil
			},
			// The values the user is offered for arg1, filtered by what
			// they typed so far.
			Complete: sdk.CompleteFrom(map[string][]string{"arg1": {"paris", "park", "party"}}),
		},
		{
			Name:        "test_prompt_with_embedded_resource",
			Title:       "Prompt with an embedded resource",
			Description: "A prompt that embeds a text resource at the URI it is given.",
			Arguments:   []sdk.PromptArgument{{Name: "resourceUri", Description: "URI of the resource to embed", Required: true}},
			Handler: func(_ context.Context, req *sdk.PromptRequest) (*sdk.PromptResult, error) {
				return &sdk.PromptResult{Messages: []sdk.PromptMessage{
					sdk.UserMessage(&sdk.EmbeddedResource{URI: req.Arguments["resourceUri"], MIMEType: "text/plain",
						Text: "Embedded resource content for testing."}),
					sdk.UserMessage(sdk.Text("Please process the embedded resource above.")),
				}}, nil
			},
		},
		{
			Name:        "test_prompt_with_image",
			Title:       "Prompt with an image",
			Description: "A prompt whose first message is an image: a 1x1 PNG.",
			Handler: fixedPrompt(
				sdk.UserMessage(&sdk.ImageContent{Data: pngPixel, MIMEType: "image/png"}),
				sdk.UserMessage(sdk.Text("Please analyze the image above.")),
			),
		},
	}
}

// fixedPrompt renders the same messages whatever the arguments.
func fixedPrompt(messages ...sdk.PromptMessage) sdk.PromptHandler {
	return func(context.Context, *sdk.PromptRequest) (*sdk.PromptResult, error) {
		return &sdk.PromptResult{Messages: messages}, nil
	}
}
