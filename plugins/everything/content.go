package main

import (
	"context"
	"encoding/base64"
	"encoding/json"

	"github.com/toolgate/toolgate/sdk"
)

// noArguments is the input schema of a tool that takes none.
var noArguments = json.RawMessage(`{"type":"object","properties":{},"additionalProperties":false}`)

// A 1x1 PNG and a WAV file with a single silent sample: the smallest valid
// files of their kind.
var (
	pngPixel = mustBase64("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")
	wavBlip  = mustBase64("UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=")
)

func mustBase64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic("everything: a built-in file is not valid base64: " + err.Error())
	}
	return b
}

// contentTools return one kind of content block each, and one all of them.
func contentTools() []sdk.Tool {
	return []sdk.Tool{
		fixed("test_simple_text", "Returns a text block.",
			sdk.Text("This is a simple text response for testing.")),
		fixed("test_image_content", "Returns an image block: a 1x1 PNG.",
			&sdk.ImageContent{Data: pngPixel, MIMEType: "image/png"}),
		fixed("test_audio_content", "Returns an audio block: a WAV file of one silent sample.",
			&sdk.AudioContent{Data: wavBlip, MIMEType: "audio/wav"}),
		fixed("test_embedded_resource", "Returns an embedded text resource.",
			&sdk.EmbeddedResource{URI: "test://embedded-resource", MIMEType: "text/plain",
				Text: "This is an embedded resource content."}),
		fixed("test_multiple_content_types", "Returns a text, an image and an embedded resource block.",
			sdk.Text("Multiple content types test:"),
			&sdk.ImageContent{Data: pngPixel, MIMEType: "image/png"},
			&sdk.EmbeddedResource{URI: "test://mixed-content-resource", MIMEType: "application/json",
				Text: `{"test":"data","value":123}`}),
	}
}

// fixed is a tool without arguments that always returns the same content.
func fixed(name, description string, content ...sdk.Content) sdk.Tool {
	return sdk.Tool{
		Name:        name,
		Description: description,
		InputSchema: noArguments,
		Annotations: readOnly,
		Handler: func(context.Context, *sdk.Call) (*sdk.Result, error) {
			return &sdk.Result{Content: content}, nil
		},
	}
}

// readOnly are the annotations of a tool that only returns data.
var readOnly = sdk.Annotations{
	ReadOnlyHint:    sdk.Hint(true),
	DestructiveHint: sdk.Hint(false),
	IdempotentHint:  sdk.Hint(true),
	OpenWorldHint:   sdk.Hint(false),
}
