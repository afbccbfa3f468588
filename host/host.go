// Package host is the Toolgate host process: it starts the plugins that
// mcp.toml lists, builds the catalog of what they offer and serves MCP over
// Streamable HTTP; it reloads the config and upgrades plugins while serving
// (reload.go, watch.go, offer.go).
//
// A request's path through the host:
//
//	HTTP ─► transport (Host/Origin guard, body limit, era, session, headers; JSON or SSE)
//	     ─► auth (bearer token ─► verify; 401 / 403 challenges)
//	     ─► dispatch (method table: lifecycle, tools, prompts, resources, completion;
//	                  rounds of input from the client)
//	     ─► registry (name or URI ─► plugin, scopes, timeout, schemas; arguments validated)
//	     ─► pluginhost (gRPC to the supervised plugin subprocess) ─► plugin (sdk)
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
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toolgate/toolgate/config"
	"github.com/toolgate/toolgate/host/audit"
	"github.com/toolgate/toolgate/host/auth"
	"github.com/toolgate/toolgate/host/auth/authserver"
	"github.com/toolgate/toolgate/host/dispatch"
	"github.com/toolgate/toolgate/host/metrics"
	"github.com/toolgate/toolgate/host/pluginhost"
	"github.com/toolgate/toolgate/host/registry"
	"github.com/toolgate/toolgate/host/transport"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
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
	// cfg is the config the host started with: what a reload cannot
	// change (the listener, the endpoint's path, metrics) is read here;
	// live holds what it can.
	cfg       *config.Config
	log       *slog.Logger
	live      atomic.Pointer[live]
	dispatch  *dispatch.Server
	transport *transport.Handler
	// transportReady is transport once it exists, for plugin goroutines.
	transportReady atomic.Pointer[transport.Handler]
	metrics        *prometheus.Registry
	audit          *audit.Log // nil when the audit trail is off
	// authStore holds the authorization server's clients and grants; nil
	// unless auth.server is on.
	authStore *authserver.Store
	reloads   reloadMetrics

	// reloadMu serialises reloads with each other and with Close.
	reloadMu  sync.Mutex
	closed    bool
	reloadSeq int
	// drains are the retired plugins still finishing their calls; closing
	// tells them to stop at once.
	drains  sync.WaitGroup
	closing chan struct{}
}

// live is what a reload swaps as one: the config in force, the plugins
// serving it in its order, and the authorization built from it.
type live struct {
	cfg     *config.Config
	plugins []*pluginhost.Supervised
	auth    *authSetup // nil when authorization is off
}

// Start starts every plugin and builds the catalog. On error nothing is left
// running.
func Start(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Host, error) {
	h := &Host{cfg: cfg, log: log, metrics: metrics.NewRegistry(), closing: make(chan struct{})}
	plugins, err := pluginhost.StartAll(ctx, cfg.Plugins, h.pluginOptions(cfg))
	if err != nil {
		return nil, err
	}
	reg, err := registry.New(cfg, sources(cfg, plugins))
	if err != nil {
		pluginhost.StopAll(plugins)
		return nil, err
	}
	if m := cfg.Metrics; m.Enabled && m.BearerTokenEnv != "" && cfg.MetricsBearerToken() == "" {
		// Fail closed: without its token /metrics would be open to all.
		pluginhost.StopAll(plugins)
		return nil, fmt.Errorf("%s: metrics.bearer_token_env: the variable %s is empty or unset", cfg.File, m.BearerTokenEnv)
	}
	l := &live{cfg: cfg, plugins: plugins}
	h.live.Store(l)
	h.reloads = newReloadMetrics(h.metrics)
	h.metrics.MustRegister(pluginhost.NewCollector(func() []*pluginhost.Supervised { return h.live.Load().plugins }), buildInfo())
	if cfg.Audit.Enabled {
		h.audit, err = audit.Open(audit.Options{
			Path: cfg.AuditPath(), MaxBytes: cfg.Audit.MaxBytes, MaxFiles: cfg.Audit.MaxFiles,
			Buffer: cfg.Audit.Buffer, DropWhenFull: cfg.Audit.OnFull == "drop",
			Logger: log.With("component", "audit"), Registerer: h.metrics,
		})
		if err != nil {
			pluginhost.StopAll(plugins)
			return nil, fmt.Errorf("audit trail: %w", err)
		}
	}
	var authenticator *auth.Authenticator
	toolsList := ""
	if cfg.Auth.Enabled {
		if h.authStore, err = openAuthStore(cfg); err != nil {
			h.Close()
			return nil, err
		}
		if l.auth, err = setupAuth(ctx, cfg, reg, h); err != nil {
			h.Close()
			return nil, err
		}
		l.auth.register(h.metrics)
		authenticator, toolsList = l.auth.authenticator, cfg.Auth.ToolsList
	} else {
		log.Warn("authorization is off: anyone who can reach the endpoint may call every tool (auth.enabled = false)")
	}
	sealer, err := newSealer(cfg)
	if err != nil {
		h.Close()
		return nil, err
	}
	h.dispatch = dispatch.New(reg, dispatch.Options{
		Info:         dispatch.Implementation{Name: "toolgate", Title: "Toolgate", Version: BuildVersion()},
		Instructions: cfg.Server.Instructions,
		PageSize:     cfg.Server.PageSize,
		ToolsList:    toolsList,
		Logger:       log.With("component", "dispatch"),
		Registerer:   h.metrics,
		Audit:        h.audit,
		RequestState: sealer,
	})
	h.transport = transport.New(h.dispatch, transport.Options{
		MaxBodyBytes:       cfg.Server.MaxBodyBytes,
		AllowedOrigins:     cfg.Server.AllowedOrigins,
		AllowedHosts:       cfg.Server.AllowedHosts,
		PublicURL:          cfg.Server.PublicURL,
		Loopback:           isLoopbackListen(cfg.Server.Listen),
		SessionIdleTimeout: cfg.Server.SessionIdleTimeout,
		MaxSessions:        cfg.Server.MaxSessions,
		ReplayEvents:       cfg.Server.ReplayEvents,
		Auth:               authenticator,
		Logger:             log.With("component", "transport"),
		Registerer:         h.metrics,
		Audit:              h.audit,
	})
	h.transportReady.Store(h.transport)
	return h, nil
}

// buildInfo is the constant toolgate_build_info series, which says what
// runs where.
func buildInfo() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "toolgate_build_info",
		Help:        "Always 1; the labels say which Toolgate and Go runtime serve.",
		ConstLabels: prometheus.Labels{"version": BuildVersion(), "goversion": runtime.Version()},
	}, func() float64 { return 1 })
}

func sources(cfg *config.Config, plugins []*pluginhost.Supervised) []registry.Source {
	out := make([]registry.Source, len(plugins))
	for i, p := range plugins {
		out[i] = source(cfg.Plugins[i], p, p.Offer())
	}
	return out
}

// source is what plugin p brings to the catalog when it offers offer.
func source(spec config.Plugin, p *pluginhost.Supervised, offer *toolgatev1.InitResponse) registry.Source {
	return registry.Source{Plugin: p.Name, Tools: offer.GetTools(), Timeout: spec.CallTimeout, Backend: p,
		Prompts: offer.GetPrompts(), Resources: offer.GetResources(), ResourceTemplates: offer.GetResourceTemplates(), Provider: p}
}

// Tools returns the catalog in name order.
func (h *Host) Tools() []*registry.Tool { return h.dispatch.Registry().All() }

// Handler returns the HTTP handler of every endpoint the host serves.
func (h *Host) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(h.cfg.Server.Path, h.transport)
	mux.Handle("/healthz", h.transport.GuardHost(http.HandlerFunc(h.healthz)))
	mux.Handle("/readyz", h.transport.GuardHost(http.HandlerFunc(h.readyz)))
	if h.cfg.Metrics.Enabled && h.cfg.Metrics.Listen == "" {
		mux.Handle("/metrics", h.transport.GuardHost(h.metricsHandler()))
	}
	if h.live.Load().auth != nil {
		for _, path := range authPaths(h.cfg) {
			mux.Handle(path, h.transport.GuardHost(h.authRoute(path)))
		}
	}
	return mux
}

// Serve serves on ln until ctx is done, then shuts down: it stops accepting,
// lets running requests finish for up to drain, and stops the plugins.
func (h *Host) Serve(ctx context.Context, ln net.Listener, drain time.Duration) error {
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
	// GET and listen streams never end by themselves: they close as the
	// shutdown begins, so that draining waits only for running requests.
	srv.RegisterOnShutdown(h.transport.CloseStreams)
	removeControl, err := h.writeControlFiles()
	if err != nil {
		return err
	}
	defer removeControl()
	if s.Watch {
		if err := h.watch(sessCtx); err != nil {
			return err
		}
	}

	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if m := h.cfg.Metrics; m.Enabled && m.Listen != "" {
		msrv, err := h.serveMetrics(m.Listen, errc)
		if err != nil {
			return err
		}
		defer msrv.Close()
	}
	h.log.Info("serving MCP", "url", h.cfg.CanonicalURL(), "listen", ln.Addr().String(),
		"tools", len(h.Tools()), "plugins", len(h.live.Load().plugins))

	select {
	case err := <-errc:
		return fmt.Errorf("serving HTTP: %w", err)
	case <-ctx.Done():
	}
	h.log.Info("shutting down", "drain", drain)
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	err = srv.Shutdown(sctx)
	// Requests still running are cancelled before their plugins stop, so
	// each plugin sees its calls' contexts end and no answer goes out.
	h.transport.Stop()
	if err != nil {
		return fmt.Errorf("draining requests within %s: %w", drain, err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// serveMetrics serves /metrics on its own listener, for deployments that
// keep scraping off the MCP port.
func (h *Host) serveMetrics(addr string, errc chan<- error) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s (metrics.listen): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", h.metricsHandler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: h.cfg.Server.ReadHeaderTimeout}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("serving metrics: %w", err)
		}
	}()
	h.log.Info("serving metrics", "listen", ln.Addr().String())
	return srv, nil
}

// Close flushes the audit trail, stops the key refreshes and every plugin.
// The trail closes first: no call is running by now, so every record it
// will ever get is in its buffer.
func (h *Host) Close() {
	h.reloadMu.Lock()
	defer h.reloadMu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	if h.audit != nil {
		if err := h.audit.Close(); err != nil {
			h.log.Error("closing the audit trail", "error", err)
		}
	}
	l := h.live.Load()
	if l.auth != nil {
		l.auth.verifier.Close()
	}
	if h.authStore != nil {
		h.authStore.Close()
	}
	close(h.closing)
	pluginhost.StopAll(l.plugins)
	h.drains.Wait()
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
