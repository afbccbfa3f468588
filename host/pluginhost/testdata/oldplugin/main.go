// Command oldplugin speaks the plugin contract as a plugin built before
// prompts and resources existed: it implements Init and CallTool only, so
// every later RPC answers UNIMPLEMENTED, and its Init response has no
// field past tools. The pluginhost tests start it to show that the host
// still serves such a plugin.
//
// It is built by the tests, never shipped.
package main

import (
	"context"

	"github.com/hashicorp/go-plugin"

	"github.com/toolgate/toolgate/sdk"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

type oldServer struct {
	toolgatev1.UnimplementedPluginServer
}

func (oldServer) Init(context.Context, *toolgatev1.InitRequest) (*toolgatev1.InitResponse, error) {
	return &toolgatev1.InitResponse{Tools: []*toolgatev1.Tool{{Name: "old", InputSchema: []byte(`{"type":"object"}`)}}}, nil
}

func (oldServer) CallTool(_ *toolgatev1.CallToolRequest, stream toolgatev1.Plugin_CallToolServer) error {
	return stream.Send(&toolgatev1.CallToolEvent{Event: &toolgatev1.CallToolEvent_Result{Result: &toolgatev1.CallToolResult{
		Content: []*toolgatev1.Content{{Kind: &toolgatev1.Content_Text{Text: &toolgatev1.TextContent{Text: "old"}}}},
	}}})
}

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: sdk.Handshake,
		Plugins:         sdk.PluginSet(oldServer{}),
		GRPCServer:      plugin.DefaultGRPCServer,
	})
}
