package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/toolgate/toolgate/sdk"
)

// maxRepeat bounds repeat_count, so a call cannot ask for an arbitrarily
// large answer.
const maxRepeat = 10

type echoInput struct {
	Message     string `json:"message" jsonschema:"minLength=1,description=The message to echo."`
	RepeatCount *int   `json:"repeat_count,omitempty" jsonschema:"minimum=1,maximum=10,default=1,description=How many times to repeat the message."`
}

type echoOutput struct {
	Text        string `json:"text" jsonschema:"description=The message repeated repeat_count times and joined by single spaces."`
	RepeatCount int    `json:"repeat_count" jsonschema:"minimum=1,maximum=10,description=How many times the message was repeated."`
}

// echoTool is built once: Typed derives its schemas by reflection here, at
// start-up, and not per call.
var echoTool = sdk.Typed(sdk.Tool{
	Name:        "echo",
	Title:       "Echo",
	Description: "Echoes a message back, optionally repeated.",
	Annotations: sdk.Annotations{
		ReadOnlyHint:    sdk.Hint(true),
		DestructiveHint: sdk.Hint(false),
		IdempotentHint:  sdk.Hint(true),
		OpenWorldHint:   sdk.Hint(false),
	},
	Scopes: []string{"tools:echo"},
}, echo)

// echo is the tool's handler. The host validates arguments against the
// input schema, but the checks are repeated here because they are cheap and
// the handler must not trust what reaches it.
func echo(_ context.Context, _ *sdk.Call, in echoInput) (echoOutput, error) {
	n := 1 // the schema's default
	if in.RepeatCount != nil {
		n = *in.RepeatCount
	}
	switch {
	case in.Message == "":
		return echoOutput{}, fmt.Errorf("echo: message must not be empty")
	case n < 1 || n > maxRepeat:
		return echoOutput{}, fmt.Errorf("echo: repeat_count is %d, want 1 to %d", n, maxRepeat)
	}
	return echoOutput{Text: repeat(in.Message, n), RepeatCount: n}, nil
}

// repeat joins n copies of s with single spaces, allocating once.
func repeat(s string, n int) string {
	var b strings.Builder
	b.Grow(n*len(s) + n - 1)
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	return b.String()
}
