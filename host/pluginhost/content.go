package pluginhost

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/toolgate/toolgate/sdk"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// alive fails at once when the process has ended, rather than on a broken
// connection.
func (p *Plugin) alive() error {
	if p.hasExited() {
		return errExited
	}
	return nil
}

// GetPrompt renders one of the plugin's prompts.
func (p *Plugin) GetPrompt(ctx context.Context, req *toolgatev1.GetPromptRequest) (*toolgatev1.GetPromptResult, error) {
	if err := p.alive(); err != nil {
		return nil, err
	}
	res, err := p.rpc.GetPrompt(ctx, req)
	if err != nil {
		return nil, requestError(err)
	}
	return res, nil
}

// ReadResource reads one of the plugin's resources.
func (p *Plugin) ReadResource(ctx context.Context, req *toolgatev1.ReadResourceRequest) (*toolgatev1.ReadResourceResult, error) {
	if err := p.alive(); err != nil {
		return nil, err
	}
	res, err := p.rpc.ReadResource(ctx, req)
	if err != nil {
		return nil, requestError(err)
	}
	return res, nil
}

// Complete asks the plugin for completion values. A plugin built before
// completions existed completes nothing.
func (p *Plugin) Complete(ctx context.Context, req *toolgatev1.CompleteRequest) (*toolgatev1.CompleteResult, error) {
	if err := p.alive(); err != nil {
		return nil, err
	}
	res, err := p.rpc.Complete(ctx, req)
	if status.Code(err) == codes.Unimplemented {
		return &toolgatev1.CompleteResult{}, nil
	}
	if err != nil {
		return nil, requestError(err)
	}
	return res, nil
}

// offer is what the process offered at Init, to compare a restarted
// process with the first.
func (p *Plugin) offer() *toolgatev1.InitResponse {
	return &toolgatev1.InitResponse{Tools: p.Tools, Prompts: p.Prompts, Resources: p.Resources, ResourceTemplates: p.ResourceTemplates}
}

// GetPrompt renders a prompt on the current process, once the plugin's
// limit admits it.
func (s *Supervised) GetPrompt(ctx context.Context, req *toolgatev1.GetPromptRequest) (*toolgatev1.GetPromptResult, error) {
	p, done, err := s.admit(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	return p.GetPrompt(ctx, req)
}

// ReadResource reads a resource on the current process, once the plugin's
// limit admits it.
func (s *Supervised) ReadResource(ctx context.Context, req *toolgatev1.ReadResourceRequest) (*toolgatev1.ReadResourceResult, error) {
	p, done, err := s.admit(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	return p.ReadResource(ctx, req)
}

// Complete asks the current process for completion values, once the
// plugin's limit admits it.
func (s *Supervised) Complete(ctx context.Context, req *toolgatev1.CompleteRequest) (*toolgatev1.CompleteResult, error) {
	p, done, err := s.admit(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	return p.Complete(ctx, req)
}

// watchRetry is the pause before a broken plugin stream is opened again.
const watchRetry = time.Second

// follow keeps one of process p's server streams open (what names it in
// logs; open reads it until it breaks) until the process ends or
// supervision stops, reopening it after a pause when it breaks. A plugin
// that does not implement the stream is left alone: it was built before
// the stream existed.
func (s *Supervised) follow(p *Plugin, what string, open func(context.Context, *Plugin) error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-p.Exited():
		case <-s.stop:
		}
		cancel()
	}()
	for ctx.Err() == nil {
		err := open(ctx, p)
		switch {
		case ctx.Err() != nil:
			return
		case status.Code(err) == codes.Unimplemented:
			s.log.Debug("plugin does not implement the " + what + " stream")
			return
		}
		s.log.Warn(what+" stream ended; opening it again", "error", err, "in", watchRetry)
		select {
		case <-ctx.Done():
		case <-time.After(watchRetry):
		}
	}
}

// watchUpdates follows the resource update stream of process p. It runs
// for every process that offers resources.
func (s *Supervised) watchUpdates(p *Plugin) { s.follow(p, "resource update", s.followUpdates) }

func (s *Supervised) followUpdates(ctx context.Context, p *Plugin) error {
	stream, err := p.rpc.WatchResources(ctx, &toolgatev1.WatchResourcesRequest{})
	if err != nil {
		return err
	}
	for {
		u, err := stream.Recv()
		if err != nil {
			return err
		}
		uri := u.GetUri()
		if !s.owns(uri) {
			s.log.Warn("plugin reported an update of a resource it does not offer: dropped", "uri", uri)
			continue
		}
		if f := s.opts.OnResourceUpdated; f != nil {
			f(uri)
		}
	}
}

// owns reports whether uri is one of the plugin's resources or matches one
// of its templates.
func (s *Supervised) owns(uri string) bool {
	cur := s.current.Load()
	for _, r := range cur.offer.GetResources() {
		if r.GetUri() == uri {
			return true
		}
	}
	for _, t := range cur.templates {
		if _, ok := t.Match(uri); ok {
			return true
		}
	}
	return false
}

// parseTemplates parses the templates a plugin offered; the SDK refuses
// templates it cannot parse, so an error means a plugin not built with it.
func parseTemplates(ts []*toolgatev1.ResourceTemplate) ([]*sdk.URITemplate, error) {
	out := make([]*sdk.URITemplate, 0, len(ts))
	for _, t := range ts {
		u, err := sdk.ParseURITemplate(t.GetUriTemplate())
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}
