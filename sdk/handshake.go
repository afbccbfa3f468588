package sdk

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// ProtocolVersion is the version of the plugin contract. It changes only when
// the contract changes in a way an older host or plugin cannot ignore.
const ProtocolVersion = 1

// PluginName is the name under which a plugin serves the contract.
const PluginName = "toolgate"

// Handshake is what host and plugin check before they talk. The cookie keeps
// a plugin binary from being run by hand by mistake: started outside a host,
// it prints a short explanation and exits.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "TOOLGATE_PLUGIN",
	MagicCookieValue: "8d7f1f6c-tool-gate-mcp-plugin-v1",
}

// GRPCPlugin adapts the contract to go-plugin. The host uses it with a nil Impl
// to obtain a client; Serve uses it with the plugin's server.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl toolgatev1.PluginServer
}

// GRPCServer registers the plugin's implementation of the contract.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	toolgatev1.RegisterPluginServer(s, p.Impl)
	return nil
}

// GRPCClient returns the host's client of the contract.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return toolgatev1.NewPluginClient(c), nil
}

// PluginSet is the go-plugin plugin map both sides use.
func PluginSet(server toolgatev1.PluginServer) plugin.PluginSet {
	return plugin.PluginSet{PluginName: &GRPCPlugin{Impl: server}}
}
