package sdk

import (
	"errors"
	"fmt"
	"sync"

	"google.golang.org/grpc/metadata"

	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// A plugin may change what it offers while it runs: SetTools and SetPrompts
// replace its tools or its prompts. The host watches (WatchOffer), rebuilds
// its catalog with the new offer and tells the clients that the list
// changed. A restarted plugin process starts again from its Plugin as
// written.

// offerState is the plugin's offer at one time: indexed for the calls, and
// as the host receives it.
type offerState struct {
	tools   map[string]*Tool
	catalog catalog
	resp    *toolgatev1.InitResponse
}

// buildOffer checks an offer and indexes it.
func buildOffer(tools []Tool, prompts []Prompt, resources []Resource, templates []ResourceTemplate) (*offerState, error) {
	st := &offerState{tools: make(map[string]*Tool, len(tools)), resp: &toolgatev1.InitResponse{}}
	for i := range tools {
		t := &tools[i]
		if _, dup := st.tools[t.Name]; dup {
			return nil, fmt.Errorf("two tools share the name %q: every tool of a plugin needs its own", t.Name)
		}
		st.tools[t.Name] = t
		pt, err := t.proto()
		if err != nil {
			return nil, fmt.Errorf("tool %q: %w", t.Name, err)
		}
		st.resp.Tools = append(st.resp.Tools, pt)
	}
	var err error
	if st.catalog, err = newCatalog(prompts, resources, templates); err != nil {
		return nil, err
	}
	if err := offerContent(st.resp, prompts, resources, templates); err != nil {
		return nil, err
	}
	return st, nil
}

// offer is the plugin's side of its offer: the current state and the host's
// open WatchOffer streams.
type offer struct {
	mu    sync.Mutex
	state *offerState
	subs  map[chan *toolgatev1.InitResponse]struct{}
}

// errNotServing is returned by SetTools and SetPrompts before the host has
// initialised the plugin.
var errNotServing = errors.New("sdk: the plugin is not serving yet; change Plugin.Tools and Plugin.Prompts directly before Serve")

// SetTools replaces the plugin's tools while it serves and tells the host,
// which lists the new tools from then on and tells clients that the list
// changed. An offer that is not valid (two tools of one name, a tool
// without a handler) is refused and nothing changes.
func (p *Plugin) SetTools(tools []Tool) error {
	return p.change(func() (*offerState, error) {
		return buildOffer(tools, p.Prompts, p.Resources, p.ResourceTemplates)
	}, func() { p.Tools = tools })
}

// SetPrompts replaces the plugin's prompts while it serves, as SetTools
// does its tools.
func (p *Plugin) SetPrompts(prompts []Prompt) error {
	return p.change(func() (*offerState, error) {
		return buildOffer(p.Tools, prompts, p.Resources, p.ResourceTemplates)
	}, func() { p.Prompts = prompts })
}

// change builds the next offer and, when it is valid, applies it and sends
// it to every watching host.
func (p *Plugin) change(build func() (*offerState, error), apply func()) error {
	o := &p.offer
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state == nil {
		return errNotServing
	}
	next, err := build()
	if err != nil {
		return fmt.Errorf("sdk: the new offer is refused: %w", err)
	}
	apply()
	o.state = next
	for ch := range o.subs {
		// Only the latest offer matters: one the host has not read yet
		// is replaced.
		select {
		case <-ch:
		default:
		}
		ch <- next.resp
	}
	return nil
}

// load builds the plugin's offer from its fields, as Init does.
func (p *Plugin) load() (*toolgatev1.InitResponse, error) {
	o := &p.offer
	o.mu.Lock()
	defer o.mu.Unlock()
	st, err := buildOffer(p.Tools, p.Prompts, p.Resources, p.ResourceTemplates)
	if err != nil {
		return nil, err
	}
	o.state = st
	return st.resp, nil
}

// current is the offer calls are served from; nil before Init.
func (p *Plugin) current() *offerState {
	p.offer.mu.Lock()
	defer p.offer.mu.Unlock()
	return p.offer.state
}

func (p *Plugin) watchOffer() chan *toolgatev1.InitResponse {
	o := &p.offer
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.subs == nil {
		o.subs = map[chan *toolgatev1.InitResponse]struct{}{}
	}
	ch := make(chan *toolgatev1.InitResponse, 1)
	if o.state != nil {
		ch <- o.state.resp
	}
	o.subs[ch] = struct{}{}
	return ch
}

func (p *Plugin) unwatchOffer(ch chan *toolgatev1.InitResponse) {
	p.offer.mu.Lock()
	defer p.offer.mu.Unlock()
	delete(p.offer.subs, ch)
}

// WatchOffer opens with the offer as it is, so that the host also learns of
// a change made before it watched, then sends each change.
func (s *server) WatchOffer(_ *toolgatev1.WatchOfferRequest, stream toolgatev1.Plugin_WatchOfferServer) error {
	ch := s.plugin.watchOffer()
	defer s.plugin.unwatchOffer(ch)
	// Headers tell the host the stream is subscribed: a change from now on
	// reaches it.
	if err := stream.SendHeader(metadata.MD{}); err != nil {
		return err
	}
	for {
		select {
		case <-stream.Context().Done():
			return nil
		case resp := <-ch:
			if err := stream.Send(resp); err != nil {
				return err
			}
		}
	}
}
