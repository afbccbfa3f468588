// Command echo is the Toolgate echo plugin: one tool that echoes a message
// back. It is the reference tool of the MCP authorization walkthrough and
// the tool Toolgate's benchmarks call.
package main

import "github.com/toolgate/toolgate/sdk"

func main() {
	sdk.Serve(&sdk.Plugin{Tools: []sdk.Tool{echoTool}})
}
