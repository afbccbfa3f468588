// Package sdktest runs a plugin in-process for tests. The plugin is served
// over go-plugin's gRPC transport exactly as a host would reach it, so a test
// exercises the real contract (encoding, streaming, cancellation) without
// building a binary:
//
//	func TestEcho(t *testing.T) {
//		c := sdktest.Start(t, newPlugin(), nil)
//		res, _, err := c.Call(t.Context(), "echo", map[string]any{"message": "hi"})
//		...
//	}
//
// CallWithInput plays the client through the rounds of a tool that asks for
// input (elicitation, sampling, roots), as the host does.
package sdktest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/hashicorp/go-plugin"

	"github.com/toolgate/toolgate/sdk"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// Client is the host's side of a plugin served in-process.
type Client struct {
	rpc   toolgatev1.PluginClient
	tools []*toolgatev1.Tool
	init  *toolgatev1.InitResponse
}

// Start serves p in-process and runs Init with config encoded as JSON (nil
// sends "{}", as the host does for a plugin without a config table). It
// fails the test when Init fails and stops the plugin when the test ends.
func Start(tb testing.TB, p *sdk.Plugin, config any) *Client {
	tb.Helper()
	c, err := Init(tb, p, config)
	if err != nil {
		tb.Fatalf("sdktest: init: %v", err)
	}
	return c
}

// Init is Start for tests that expect Init to fail: it returns Init's error
// (a gRPC status error, as the host would see it) instead of failing the test.
func Init(tb testing.TB, p *sdk.Plugin, config any) (*Client, error) {
	tb.Helper()
	raw, err := encodeConfig(config)
	if err != nil {
		tb.Fatalf("sdktest: %v", err)
	}
	rpc := serve(tb, p)
	resp, err := rpc.Init(tb.Context(), &toolgatev1.InitRequest{Config: raw, HostVersion: "sdktest"})
	if err != nil {
		return nil, err
	}
	return &Client{rpc: rpc, tools: resp.GetTools(), init: resp}, nil
}

// serve starts the plugin's gRPC server and returns a client connected to it.
func serve(tb testing.TB, p *sdk.Plugin) toolgatev1.PluginClient {
	tb.Helper()
	gc, _ := plugin.TestPluginGRPCConn(tb, false, sdk.PluginSet(sdk.NewServer(p)))
	// Closing the client also stops the server, through go-plugin's
	// controller service; stopping the server as well would race with that.
	tb.Cleanup(func() { _ = gc.Close() })
	raw, err := gc.Dispense(sdk.PluginName)
	if err != nil {
		tb.Fatalf("sdktest: dispensing the plugin: %v", err)
	}
	rpc, ok := raw.(toolgatev1.PluginClient)
	if !ok {
		tb.Fatalf("sdktest: dispensed %T, want toolgatev1.PluginClient", raw)
	}
	return rpc
}

func encodeConfig(config any) ([]byte, error) {
	if config == nil {
		return []byte("{}"), nil
	}
	b, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("encoding the plugin config: %w", err)
	}
	return b, nil
}

// Tools returns the tools the plugin offered in its Init response.
func (c *Client) Tools() []*toolgatev1.Tool { return c.tools }

// Tool returns the offered tool named name, or nil.
func (c *Client) Tool(name string) *toolgatev1.Tool {
	for _, t := range c.tools {
		if t.GetName() == name {
			return t
		}
	}
	return nil
}

// RPC returns the raw contract client, for what Call does not cover.
func (c *Client) RPC() toolgatev1.PluginClient { return c.rpc }
