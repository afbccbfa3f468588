package pluginhost

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/toolgate/toolgate/sdk"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// currentOffer is what a plugin offers now, with its resource templates
// parsed for checking the updates it reports.
type currentOffer struct {
	offer     *toolgatev1.InitResponse
	templates []*sdk.URITemplate
}

// Offer is what the plugin offers now: its first start's offer until it
// announces another.
func (s *Supervised) Offer() *toolgatev1.InitResponse { return s.current.Load().offer }

// UseOffer makes offer the plugin's current one. The host calls it once its
// catalog has taken the offer, from Options.OnOfferChanged.
func (s *Supervised) UseOffer(offer *toolgatev1.InitResponse) error {
	templates, err := parseTemplates(offer.GetResourceTemplates())
	if err != nil {
		return err
	}
	s.current.Store(&currentOffer{offer: offer, templates: templates})
	return nil
}

// offerChanged hands an announced offer to the host.
func (s *Supervised) offerChanged(offer *toolgatev1.InitResponse) {
	if _, err := parseTemplates(offer.GetResourceTemplates()); err != nil {
		s.log.Error("plugin announced an offer with an invalid resource template: refused", "error", err)
		return
	}
	if s.opts.OnOfferChanged == nil {
		return
	}
	if err := s.opts.OnOfferChanged(s, offer); err != nil {
		s.log.Error("plugin announced an offer the host cannot take: the catalog is unchanged", "error", err)
		return
	}
	s.log.Info("plugin changed its offer", "tools", len(offer.GetTools()), "prompts", len(offer.GetPrompts()),
		"resources", len(offer.GetResources()), "resource_templates", len(offer.GetResourceTemplates()))
}

// watchOffer follows the offer changes of process p. A plugin built before
// WatchOffer never changes its offer.
func (s *Supervised) watchOffer(p *Plugin) { s.follow(p, "offer change", s.followOffer) }

func (s *Supervised) followOffer(ctx context.Context, p *Plugin) error {
	stream, err := p.rpc.WatchOffer(ctx, &toolgatev1.WatchOfferRequest{})
	if err != nil {
		return err
	}
	for {
		offer, err := stream.Recv()
		if err != nil {
			return err
		}
		// The stream opens with the process's offer as it is: a restarted
		// process's first offer, which undoes the changes of the process
		// before, or a change made before the stream opened.
		if !proto.Equal(offer, s.Offer()) {
			s.offerChanged(offer)
		}
	}
}
