package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// MaxMessageBytes bounds one message between host and plugin (a call's
// arguments, a result). It matches the largest request body the host can be
// configured to accept.
const MaxMessageBytes = 64 << 20

// Plugin is what a plugin binary offers the host.
type Plugin struct {
	// Tools, Prompts, Resources and ResourceTemplates are what the plugin
	// offers when the host starts it; Setup cannot add any. While it
	// serves, SetTools and SetPrompts change them.
	Tools             []Tool
	Prompts           []Prompt
	Resources         []Resource
	ResourceTemplates []ResourceTemplate
	// Setup, optional, receives the plugin's [plugins.config] table from
	// mcp.toml before any call. An error stops the plugin from loading and
	// reaches the operator in the host's log.
	Setup func(ctx context.Context, cfg Config) error

	// watch carries ResourceUpdated to the host.
	watch watchers
	// offer is the offer calls are served from, and carries its changes
	// to the host.
	offer offer
}

// Config is a plugin's [plugins.config] table.
type Config struct {
	Raw json.RawMessage
}

// Decode decodes the table into v strictly: a key v has no field for is an
// error, so an operator's typo is reported instead of ignored.
func (c Config) Decode(v any) error {
	raw := c.Raw
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("plugin config: %w", err)
	}
	return nil
}

// Serve runs the plugin until the host stops it. It is the whole of a
// plugin's main:
//
//	func main() { sdk.Serve(&sdk.Plugin{Tools: []sdk.Tool{echoTool}}) }
//
// Logs go to stderr as JSON lines, which the host forwards to its own log
// tagged with the plugin's name; use Logger to write them.
func Serve(p *Plugin) {
	protectHandshake()
	go watchParent(time.Second)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         PluginSet(newServer(p, Logger)),
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return plugin.DefaultGRPCServer(append(opts, grpc.MaxRecvMsgSize(MaxMessageBytes)))
		},
		Logger: hclog.New(&hclog.LoggerOptions{
			Name: "go-plugin", Level: hclog.Warn, JSONFormat: true, Output: os.Stderr,
		}),
	})
}

// NewServer returns the server side of the contract for p, logging to Logger.
// Serve runs it in a plugin process; sdk/sdktest runs it in-process so a
// plugin's tests exercise the real gRPC contract without building a binary.
func NewServer(p *Plugin) toolgatev1.PluginServer { return newServer(p, Logger) }

// Logger writes JSON lines to the plugin's stderr, which the host forwards to
// its own log tagged with the plugin's name.
var Logger = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
