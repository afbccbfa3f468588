package host

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toolgate/toolgate/config"
	"github.com/toolgate/toolgate/host/pluginhost"
	"github.com/toolgate/toolgate/host/registry"
)

// Reload loads the config file again and applies what changed, or keeps
// the config in service and returns why not. trigger names what asked
// for it, for the log and the control file.
//
// It is all or nothing: the new file is loaded and validated, every new or
// changed plugin started and checked, the new catalog and authorization
// built, and only then is everything swapped in at once. Plugins that
// leave or are replaced finish their calls (up to server.drain_timeout)
// and stop after the swap.
func (h *Host) Reload(ctx context.Context, trigger string) (summary string, err error) {
	h.reloadMu.Lock()
	defer h.reloadMu.Unlock()
	if h.closed {
		return "", errors.New("the host is shutting down")
	}
	start := time.Now()
	summary, err = h.reload(ctx)
	log := h.log.With("trigger", trigger, "took", time.Since(start).Round(time.Millisecond))
	if err != nil {
		h.reloads.refused.Inc()
		log.Error("reload refused: the config in service is kept", "file", h.cfg.File, "error", err)
	} else {
		h.reloads.applied.Inc()
		h.reloads.lastApplied.SetToCurrentTime()
		log.Info("reload applied", "file", h.cfg.File, "changes", summary)
	}
	h.recordReload(trigger, summary, err)
	return summary, err
}

// reloadMetrics count reloads by result and say when the last one applied.
type reloadMetrics struct {
	applied, refused prometheus.Counter
	lastApplied      prometheus.Gauge
}

func newReloadMetrics(reg prometheus.Registerer) reloadMetrics {
	total := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "toolgate_config_reloads_total",
		Help: "Config reloads (file change, SIGHUP, toolgate reload), by result: applied or refused.",
	}, []string{"result"})
	last := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "toolgate_config_last_reload_success_timestamp_seconds",
		Help: "When the last reload was applied (Unix time); the start time until one is.",
	})
	last.SetToCurrentTime()
	reg.MustRegister(total, last)
	return reloadMetrics{applied: total.WithLabelValues("applied"), refused: total.WithLabelValues("refused"), lastApplied: last}
}

// reload does the work of Reload under its lock.
func (h *Host) reload(ctx context.Context) (string, error) {
	old := h.live.Load()
	cfg, err := config.Load(old.cfg.File)
	if err != nil {
		return "", err
	}
	if keys := fixedKeys(old.cfg, cfg); len(keys) > 0 {
		return "", fmt.Errorf("%s: %s cannot change while serving; restart Toolgate to apply the change (nothing was applied)",
			cfg.File, strings.Join(keys, ", "))
	}
	// The file may say ":0" (any free port): the port bound at start is
	// the one the canonical URL and the tokens' audience name.
	cfg.Server.Listen = old.cfg.Server.Listen
	next, err := h.startChanged(ctx, old, cfg)
	if err != nil {
		return "", err
	}
	abort := func() { pluginhost.StopAll(next.started()) }
	reg, err := registry.New(cfg, sources(cfg, next.plugins))
	if err != nil {
		abort()
		return "", err
	}
	authSetup, err := h.authFor(ctx, old, cfg, reg)
	if err != nil {
		abort()
		return "", err
	}
	changed := h.swap(old, &live{cfg: cfg, plugins: next.plugins, auth: authSetup}, reg, func() {
		for _, s := range next.retired {
			h.retire(s, next.successor[s], cfg.Server.DrainTimeout)
		}
	})
	return next.summary(authSetup != old.auth, changed), nil
}

// authFor returns the authorization that serves cfg and reg: the one in
// service, unless the auth config or the scopes the catalog names changed.
func (h *Host) authFor(ctx context.Context, old *live, cfg *config.Config, reg *registry.Registry) (*authSetup, error) {
	if old.auth == nil || (reflect.DeepEqual(old.cfg.Auth, cfg.Auth) && slices.Equal(resourceScopes(h.dispatch.Registry()), resourceScopes(reg))) {
		return old.auth, nil
	}
	return setupAuth(ctx, cfg, reg, h)
}

// swap puts next and its catalog in service at once, in place of old, runs
// after (with the new catalog in service), and tells clients which lists
// changed; it returns them.
func (h *Host) swap(old, next *live, reg *registry.Registry, after func()) []string {
	oldReg := h.dispatch.Registry()
	// Every later request sees the new catalog and config whole.
	h.live.Store(next)
	h.dispatch.SetRegistry(reg)
	if next.auth != old.auth {
		old.auth.unregister(h.metrics)
		next.auth.register(h.metrics)
		h.transport.SetAuth(next.auth.authenticator)
		old.auth.verifier.Close()
	}
	after()
	changed := changedLists(oldReg, reg)
	if len(changed) > 0 {
		h.transport.NotifyListChanged(changed...)
	}
	return changed
}

// pluginSet is the plugins a new config runs: those kept, those started
// for it, and the old ones it retires.
type pluginSet struct {
	plugins   []*pluginhost.Supervised // in the config's order
	added     []string
	upgraded  []string
	fresh     map[*pluginhost.Supervised]bool
	retired   []*pluginhost.Supervised
	successor map[*pluginhost.Supervised]*pluginhost.Supervised
}

func (p *pluginSet) started() []*pluginhost.Supervised {
	var out []*pluginhost.Supervised
	for _, s := range p.plugins {
		if p.fresh[s] {
			out = append(out, s)
		}
	}
	return out
}

func (p *pluginSet) summary(authChanged bool, changedLists []string) string {
	var parts []string
	add := func(what string, names []string) {
		if len(names) > 0 {
			parts = append(parts, what+" "+strings.Join(names, " "))
		}
	}
	add("started", p.added)
	add("upgraded", p.upgraded)
	var removed []string
	for _, s := range p.retired {
		if p.successor[s] == nil {
			removed = append(removed, s.Name)
		}
	}
	add("removed", removed)
	if authChanged {
		parts = append(parts, "authorization rebuilt")
	}
	for _, kind := range changedLists {
		parts = append(parts, kind+"/list changed")
	}
	if len(parts) == 0 {
		return "nothing changed that plugins or clients see"
	}
	return strings.Join(parts, "; ")
}

// startChanged keeps the plugins whose spec and binary are unchanged and
// starts the others next to the old ones. On error it stops what it
// started and nothing else has changed.
func (h *Host) startChanged(ctx context.Context, old *live, cfg *config.Config) (*pluginSet, error) {
	byName := map[string]*pluginhost.Supervised{}
	for _, s := range old.plugins {
		byName[s.Name] = s
	}
	next := &pluginSet{fresh: map[*pluginhost.Supervised]bool{}, successor: map[*pluginhost.Supervised]*pluginhost.Supervised{}}
	kept := map[*pluginhost.Supervised]bool{}
	for i, spec := range cfg.Plugins {
		prev := byName[spec.Name]
		if prev != nil && unchanged(prev, spec, cfg.Dir) {
			kept[prev] = true
			next.plugins = append(next.plugins, prev)
			continue
		}
		s, err := pluginhost.Supervise(ctx, spec, h.pluginOptions(cfg))
		if err != nil {
			pluginhost.StopAll(next.started())
			return nil, fmt.Errorf("%s: plugins[%d]: %w", cfg.File, i, err)
		}
		next.fresh[s] = true
		next.plugins = append(next.plugins, s)
		if prev == nil {
			next.added = append(next.added, spec.Name)
			continue
		}
		next.upgraded = append(next.upgraded, spec.Name)
		next.successor[prev] = s
	}
	for _, s := range old.plugins {
		if !kept[s] {
			next.retired = append(next.retired, s)
		}
	}
	return next, nil
}

// unchanged reports whether a running plugin serves spec as it is now: the
// same [[plugins]] entry and the same binary on disk. A binary that cannot
// be read counts as changed, so that starting it says what is wrong; so
// does a plugin with no process (restarting or parked), so that a reload
// brings it back at once.
func unchanged(s *pluginhost.Supervised, spec config.Plugin, dir string) bool {
	if !s.Up() || !reflect.DeepEqual(s.Spec(), spec) {
		return false
	}
	digest, err := pluginhost.BinaryDigest(spec.BinaryPath(dir))
	return err == nil && digest == s.Digest()
}

// retire takes a plugin out of service: its running calls finish, up to
// drain, and then it stops. Calls that reach it after the swap go to its
// successor.
func (h *Host) retire(s, successor *pluginhost.Supervised, drain time.Duration) {
	idle := s.Retire(successor)
	h.drains.Add(1)
	go func() {
		defer h.drains.Done()
		timer := time.NewTimer(drain)
		defer timer.Stop()
		select {
		case <-idle:
		case <-timer.C:
			h.log.Warn("retired plugin still runs calls after server.drain_timeout: stopping it", "plugin", s.Name, "drain_timeout", drain)
		case <-h.closing:
		}
		s.Stop()
	}()
}

// pluginOptions are what each plugin of cfg starts with.
func (h *Host) pluginOptions(cfg *config.Config) pluginhost.Options {
	return pluginhost.Options{
		Dir: cfg.Dir, HostVersion: BuildVersion(), Logger: h.log,
		OnListChanged: h.toolsChanged, OnResourceUpdated: h.resourceUpdated, OnOfferChanged: h.offerChanged,
	}
}

// resourceUpdated hands a plugin's resource update to the subscribed
// clients.
func (h *Host) resourceUpdated(uri string) {
	if t := h.transportReady.Load(); t != nil {
		t.NotifyResourceUpdated(uri)
	}
}

// toolsChanged tells clients that tools/list changed outside a reload (a
// parked plugin's tools left or came back).
func (h *Host) toolsChanged() {
	// Plugins start before the transport exists; nothing can be listed
	// before it does either.
	if t := h.transportReady.Load(); t != nil {
		t.NotifyListChanged("tools")
	}
}

// changedLists names the lists ("tools", "prompts", "resources") whose
// entries differ between two catalogs: added, removed or defined otherwise.
func changedLists(a, b *registry.Registry) []string {
	var kinds []string
	if !sameDefinitions(a.All(), b.All(), func(t *registry.Tool) (string, []byte) { return t.Name, t.Definition }) {
		kinds = append(kinds, "tools")
	}
	if !sameDefinitions(a.Prompts(), b.Prompts(), func(p *registry.Prompt) (string, []byte) { return p.Name, p.Definition }) {
		kinds = append(kinds, "prompts")
	}
	res := func(r *registry.Resource) (string, []byte) { return r.URI, r.Definition }
	if !sameDefinitions(a.Resources(), b.Resources(), res) || !sameDefinitions(a.Templates(), b.Templates(), res) {
		kinds = append(kinds, "resources")
	}
	return kinds
}

// sameDefinitions reports whether two sorted lists hold the same entries,
// defined the same way.
func sameDefinitions[T any](a, b []T, def func(T) (string, []byte)) bool {
	return slices.EqualFunc(a, b, func(x, y T) bool {
		xk, xd := def(x)
		yk, yd := def(y)
		return xk == yk && string(xd) == string(yd)
	})
}

// liveKeys are the keys outside [plugins], [tools] and [auth] that a reload
// applies; every other key needs a restart.
var liveKeys = map[string]bool{
	"server.call_timeout":  true, // the next call's timeout
	"server.drain_timeout": true, // the drains of later reloads
}

// restartKeys are the keys of [auth] that need a restart: whether
// authorization is on, how tools/list treats the tools a caller may not
// call, and the authorization server's switch and store, which stays open
// for the host's life.
var restartKeys = []string{"auth.enabled", "auth.tools_list", "auth.server.enabled", "auth.server.store_file"}

// fixedKeys names the keys that differ between old and cfg and cannot
// change while serving.
func fixedKeys(old, cfg *config.Config) []string {
	var keys []string
	for _, sec := range []struct {
		name     string
		old, new any
	}{
		{"server", old.Server, cfg.Server},
		{"log", old.Log, cfg.Log},
		{"metrics", old.Metrics, cfg.Metrics},
		{"audit", old.Audit, cfg.Audit},
	} {
		o, n := reflect.ValueOf(sec.old), reflect.ValueOf(sec.new)
		for i := range o.NumField() {
			key := sec.name + "." + o.Type().Field(i).Tag.Get("koanf")
			if liveKeys[key] || reflect.DeepEqual(o.Field(i).Interface(), n.Field(i).Interface()) {
				continue
			}
			if key == "server.listen" && sameListen(old.Server.Listen, cfg.Server.Listen) {
				continue
			}
			keys = append(keys, key)
		}
	}
	if old.Auth.Enabled != cfg.Auth.Enabled {
		keys = append(keys, restartKeys[0])
	}
	if old.Auth.ToolsList != cfg.Auth.ToolsList {
		keys = append(keys, restartKeys[1])
	}
	if old.Auth.Server.Enabled != cfg.Auth.Server.Enabled {
		keys = append(keys, restartKeys[2])
	}
	if old.AuthStorePath() != cfg.AuthStorePath() {
		keys = append(keys, restartKeys[3])
	}
	return keys
}

// sameListen reports whether the file's listen address is served by the
// bound one: equal, or any free port (":0") on the same host, which is what
// the host bound at start.
func sameListen(bound, file string) bool {
	if bound == file {
		return true
	}
	bh, _, err1 := net.SplitHostPort(bound)
	fh, fp, err2 := net.SplitHostPort(file)
	return err1 == nil && err2 == nil && fp == "0" && bh == fh
}
