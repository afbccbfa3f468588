// Package baseline is the yardstick of Toolgate's benchmarks: the echo tool
// served in process by the official Go SDK, with no plugin boundary. It is
// shared by the Go benchmark in host/bench and by the standalone server in
// host/bench/testdata/baseline that .ci/bench loads with wrk, so both
// measure the same thing.
package baseline

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The schemas are written out, not derived from the Go types, so that they
// say what plugins/echo publishes (bounds and default included): the SDK
// then validates arguments and output the way Toolgate's host does.
var (
	inputSchema = json.RawMessage(`{
		"type": "object",
		"properties": {
			"message": {"type": "string", "minLength": 1, "description": "The message to echo."},
			"repeat_count": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1,
				"description": "How many times to repeat the message."}
		},
		"required": ["message"],
		"additionalProperties": false
	}`)
	outputSchema = json.RawMessage(`{
		"type": "object",
		"properties": {
			"text": {"type": "string", "description": "The message repeated repeat_count times and joined by single spaces."},
			"repeat_count": {"type": "integer", "minimum": 1, "maximum": 10,
				"description": "How many times the message was repeated."}
		},
		"required": ["text", "repeat_count"],
		"additionalProperties": false
	}`)
)

type echoInput struct {
	Message     string `json:"message"`
	RepeatCount int    `json:"repeat_count"`
}

type echoOutput struct {
	Text        string `json:"text"`
	RepeatCount int    `json:"repeat_count"`
}

// maxRepeat is the schema's maximum, checked again by the handler as the
// plugin does.
const maxRepeat = 10

// echo leaves Content empty: the SDK then adds the text mirror of the
// structured output, as Toolgate's sdk.StructuredResult does.
func echo(_ context.Context, _ *mcp.CallToolRequest, in echoInput) (*mcp.CallToolResult, echoOutput, error) {
	n := in.RepeatCount // the SDK has applied the schema's default of 1
	if in.Message == "" {
		return nil, echoOutput{}, fmt.Errorf("echo: message must not be empty")
	}
	if n < 1 || n > maxRepeat {
		return nil, echoOutput{}, fmt.Errorf("echo: repeat_count is %d, want 1 to %d", n, maxRepeat)
	}
	return nil, echoOutput{Text: strings.TrimSuffix(strings.Repeat(in.Message+" ", n), " "), RepeatCount: n}, nil
}

// NewServer returns an MCP server with the echo tool.
func NewServer() *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "baseline", Version: "1"}, nil)
	mcp.AddTool(s, &mcp.Tool{
		Name:         "echo",
		Title:        "Echo",
		Description:  "Echoes a message back, optionally repeated.",
		InputSchema:  inputSchema,
		OutputSchema: outputSchema,
	}, echo)
	return s
}

// Handler serves NewServer over Streamable HTTP, stateless and with JSON
// responses: the SDK's cheapest configuration, and the one closest to how
// Toolgate answers (one JSON body per POST).
func Handler() http.Handler {
	s := NewServer()
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true})
}
