// Package host is the Toolgate host process: it starts the plugins that
// mcp.toml lists, builds the tool catalog and serves MCP over Streamable
// HTTP.
//
// A request's path through the host:
//
//	HTTP ─► transport (Host/Origin guard, body limit, era, session, headers)
//	     ─► dispatch (method table: initialize, server/discover, ping, tools/list, tools/call)
//	     ─► registry (tool name ─► plugin, scopes, timeout, schemas; arguments validated)
//	     ─► pluginhost (gRPC stream to the plugin subprocess) ─► plugin (sdk)
//
// Each step lives in its own package below host/.
package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/toolgate/toolgate/config"
	"github.com/toolgate/toolgate/host/dispatch"
	"github.com/toolgate/toolgate/host/pluginhost"
	"github.com/toolgate/toolgate/host/registry"
	"github.com/toolgate/toolgate/host/transport"
)

// Version is the host's version; the build sets it with
// -ldflags "-X github.com/toolgate/toolgate/host.Version=v1.2.3", else it
// comes from the module's build information.
var Version = ""

// BuildVersion returns Version, or the module version the binary was built
// from, or "devel" with the commit it was built at.
func BuildVersion() string {
	if Version != "" {
		return Version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 12:
			rev = "+" + s.Value[:12]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	return "devel" + rev + dirty
}

// Host is a running set of plugins and the MCP server in front of them.
type Host struct {
	cfg       *config.Config
	log       *slog.Logger
	plugins   []*pluginhost.Plugin
	registry  *registry.Registry
	dispatch  *dispatch.Server
	transport *transport.Handler
}

// Start starts every plugin and builds the catalog. On error nothing is left
// running.
func Start(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Host, error) {
	plugins, err := pluginhost.StartAll(ctx, cfg.Plugins, pluginhost.Options{
		Dir: cfg.Dir, HostVersion: BuildVersion(), Logger: log,
	})
	if err != nil {
		return nil, err
	}
	reg, err := registry.New(cfg, sources(cfg, plugins))
	if err != nil {
		pluginhost.StopAll(plugins)
		return nil, err
	}
	h := &Host{cfg: cfg, log: log, plugins: plugins, registry: reg}
	h.dispatch = dispatch.New(reg, dispatch.Options{
		Info:         dispatch.Implementation{Name: "toolgate", Title: "Toolgate", Version: BuildVersion()},
		Instructions: cfg.Server.Instructions,
		PageSize:     cfg.Server.PageSize,
		Logger:       log.With("component", "dispatch"),
	})
	h.transport = transport.New(h.dispatch, transport.Options{
		MaxBodyBytes:       cfg.Server.MaxBodyBytes,
		AllowedOrigins:     cfg.Server.AllowedOrigins,
		AllowedHosts:       cfg.Server.AllowedHosts,
		PublicURL:          cfg.Server.PublicURL,
		Loopback:           isLoopbackListen(cfg.Server.Listen),
		SessionIdleTimeout: cfg.Server.SessionIdleTimeout,
		MaxSessions:        cfg.Server.MaxSessions,
		Logger:             log.With("component", "transport"),
	})
	return h, nil
}

func sources(cfg *config.Config, plugins []*pluginhost.Plugin) []registry.Source {
	out := make([]registry.Source, len(plugins))
	for i, p := range plugins {
		out[i] = registry.Source{Plugin: p.Name, Tools: p.Tools, Timeout: cfg.Plugins[i].CallTimeout, Backend: p}
	}
	return out
}

// Tools returns the catalog in name order.
func (h *Host) Tools() []*registry.Tool { return h.registry.All() }

// Handler returns the HTTP handler of every endpoint the host serves.
func (h *Host) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(h.cfg.Server.Path, h.transport)
	return mux
}

// Serve listens on server.listen and serves until ctx is done, then shuts
// down: it stops accepting, lets running requests finish for up to drain,
// and stops the plugins.
func (h *Host) Serve(ctx context.Context, drain time.Duration) error {
	ln, err := net.Listen("tcp", h.cfg.Server.Listen)
	if err != nil {
		h.Close()
		return fmt.Errorf("listening on %s (server.listen): %w", h.cfg.Server.Listen, err)
	}
	return h.ServeListener(ctx, ln, drain)
}

// ServeListener is Serve on a listener the caller opened.
func (h *Host) ServeListener(ctx context.Context, ln net.Listener, drain time.Duration) error {
	defer h.Close()
	s := h.cfg.Server
	srv := &http.Server{
		Handler:           h.Handler(),
		ReadHeaderTimeout: s.ReadHeaderTimeout,
		ReadTimeout:       s.ReadTimeout,
		WriteTimeout:      s.WriteTimeout,
		IdleTimeout:       s.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(h.log.Handler(), slog.LevelWarn),
	}
	sessCtx, stopSessions := context.WithCancel(context.Background())
	defer stopSessions()
	go h.transport.Run(sessCtx)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	h.log.Info("serving MCP", "url", h.cfg.CanonicalURL(), "listen", ln.Addr().String(),
		"tools", len(h.registry.All()), "plugins", len(h.plugins))

	select {
	case err := <-errc:
		return fmt.Errorf("serving HTTP: %w", err)
	case <-ctx.Done():
	}
	h.log.Info("shutting down", "drain", drain)
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("draining requests within %s: %w", drain, err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close stops every plugin.
func (h *Host) Close() {
	pluginhost.StopAll(h.plugins)
}

func isLoopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
