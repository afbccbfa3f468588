// Command echo is the Toolgate echo plugin: one tool that echoes a message
// back, and one prompt that asks for it. They are the reference tool and
// prompt of the MCP authorization walkthrough; the tool is also the one
// Toolgate's benchmarks call.
package main

import "github.com/toolgate/toolgate/sdk"

func main() {
	sdk.Serve(newPlugin())
}

func newPlugin() *sdk.Plugin {
	return &sdk.Plugin{Tools: []sdk.Tool{echoTool}, Prompts: []sdk.Prompt{echoPrompt}}
}
