package host

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/toolgate/toolgate/host/pluginhost"
	"github.com/toolgate/toolgate/host/registry"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// offerAuthTimeout bounds rebuilding authorization for an offer that names
// new scopes.
const offerAuthTimeout = 30 * time.Second

// offerChanged takes the offer a plugin announced while it runs: the
// catalog is rebuilt with it as a reload rebuilds it, swapped in at once,
// and clients are told which lists changed. An offer the catalog cannot
// take (a tool named as another plugin's, say) is refused and nothing
// changes.
func (h *Host) offerChanged(s *pluginhost.Supervised, offer *toolgatev1.InitResponse) error {
	if h.transportReady.Load() == nil {
		return errors.New("the host is still starting: the plugin's offer at start is kept")
	}
	h.reloadMu.Lock()
	defer h.reloadMu.Unlock()
	if h.closed {
		return errors.New("the host is shutting down")
	}
	old := h.live.Load()
	i := slices.Index(old.plugins, s)
	if i < 0 {
		return errors.New("the plugin is no longer in service")
	}
	srcs := sources(old.cfg, old.plugins)
	srcs[i] = source(old.cfg.Plugins[i], s, offer)
	reg, err := registry.New(old.cfg, srcs)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), offerAuthTimeout)
	defer cancel()
	authSetup, err := h.authFor(ctx, old, old.cfg, reg)
	if err != nil {
		return err
	}
	if err := s.UseOffer(offer); err != nil {
		if authSetup != old.auth {
			authSetup.verifier.Close()
		}
		return err
	}
	changed := h.swap(old, &live{cfg: old.cfg, plugins: old.plugins, auth: authSetup}, reg, func() {})
	h.log.Info("catalog rebuilt for a plugin's new offer", "plugin", s.Name, "changed", changed)
	return nil
}
