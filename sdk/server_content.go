package sdk

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// This file serves prompts, resources and completions: the calls that
// answer with one message, unlike a tool call's stream.

// catalog indexes what a plugin offers besides tools.
type catalog struct {
	prompts   map[string]*Prompt
	resources map[string]*Resource
	templates map[string]*ResourceTemplate
}

func newCatalog(prompts []Prompt, resources []Resource, templates []ResourceTemplate) (catalog, error) {
	c := catalog{prompts: map[string]*Prompt{}, resources: map[string]*Resource{}, templates: map[string]*ResourceTemplate{}}
	for i := range prompts {
		if err := addOnce(c.prompts, prompts[i].Name, &prompts[i], "prompt"); err != nil {
			return c, err
		}
	}
	for i := range resources {
		if err := addOnce(c.resources, resources[i].URI, &resources[i], "resource"); err != nil {
			return c, err
		}
	}
	for i := range templates {
		if _, err := ParseURITemplate(templates[i].URITemplate); err != nil {
			return c, err
		}
		if err := addOnce(c.templates, templates[i].URITemplate, &templates[i], "resource template"); err != nil {
			return c, err
		}
	}
	return c, nil
}

func addOnce[T any](m map[string]*T, key string, v *T, kind string) error {
	if _, dup := m[key]; dup {
		return fmt.Errorf("two of the plugin's %ss are both %q: each needs its own", kind, key)
	}
	m[key] = v
	return nil
}

// offer adds the prompts, resources and templates to the Init response.
// offerContent adds the prompts, resources and templates to an offer.
func offerContent(resp *toolgatev1.InitResponse, prompts []Prompt, resources []Resource, templates []ResourceTemplate) error {
	for i := range prompts {
		p := &prompts[i]
		pp, err := p.proto()
		if err != nil {
			return fmt.Errorf("prompt %q: %w", p.Name, err)
		}
		resp.Prompts = append(resp.Prompts, pp)
	}
	for i := range resources {
		r := &resources[i]
		pr, err := r.proto()
		if err != nil {
			return fmt.Errorf("resource %q: %w", r.URI, err)
		}
		resp.Resources = append(resp.Resources, pr)
	}
	for i := range templates {
		t := &templates[i]
		pt, err := t.proto()
		if err != nil {
			return fmt.Errorf("resource template %q: %w", t.URITemplate, err)
		}
		resp.ResourceTemplates = append(resp.ResourceTemplates, pt)
	}
	return nil
}

func (s *server) GetPrompt(ctx context.Context, req *toolgatev1.GetPromptRequest) (*toolgatev1.GetPromptResult, error) {
	p, ok := s.catalog().prompts[req.GetName()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "no prompt named %q in this plugin", req.GetName())
	}
	var out *toolgatev1.GetPromptResult
	in := newInput(req)
	err := s.guard("prompt", p.Name, req.GetRequestId(), func() error {
		res, err := p.Handler(ctx, &PromptRequest{
			Prompt: p.Name, Arguments: req.GetArguments(),
			Caller: callerFromProto(req.GetCaller()), RequestID: req.GetRequestId(),
			Client: in.caps, Input: in,
		})
		if reqs, state, ok := in.questions(err); ok {
			out = &toolgatev1.GetPromptResult{InputRequests: reqs, RequestState: state}
			return nil
		}
		if err != nil {
			return err
		}
		if res == nil {
			res = &PromptResult{}
		}
		if out, err = res.toProto(); err != nil {
			return fmt.Errorf("invalid result: %w", err)
		}
		return nil
	})
	return out, err
}

func (s *server) ReadResource(ctx context.Context, req *toolgatev1.ReadResourceRequest) (*toolgatev1.ReadResourceResult, error) {
	var handler ResourceHandler
	name := req.GetUri()
	if tmpl := req.GetUriTemplate(); tmpl != "" {
		t, ok := s.catalog().templates[tmpl]
		if !ok {
			return nil, status.Errorf(codes.NotFound, "no resource template %q in this plugin", tmpl)
		}
		handler = t.Handler
	} else {
		r, ok := s.catalog().resources[req.GetUri()]
		if !ok {
			return nil, status.Errorf(codes.NotFound, "no resource %q in this plugin", req.GetUri())
		}
		handler = r.Handler
	}
	var out *toolgatev1.ReadResourceResult
	err := s.guard("resource", name, req.GetRequestId(), func() error {
		contents, err := handler(ctx, &ResourceRequest{
			URI: req.GetUri(), URITemplate: req.GetUriTemplate(), Variables: req.GetVariables(),
			Caller: callerFromProto(req.GetCaller()), RequestID: req.GetRequestId(),
		})
		if err != nil {
			return err
		}
		if len(contents) == 0 {
			return errors.New("the handler returned no contents; wrap sdk.ErrNotFound for a resource that does not exist")
		}
		out = &toolgatev1.ReadResourceResult{}
		for i, c := range contents {
			pc, err := c.proto()
			if err != nil {
				return fmt.Errorf("invalid contents %d: %w", i, err)
			}
			out.Contents = append(out.Contents, pc)
		}
		return nil
	})
	return out, err
}

func (s *server) Complete(ctx context.Context, req *toolgatev1.CompleteRequest) (*toolgatev1.CompleteResult, error) {
	var h CompleteHandler
	var name string
	switch ref := req.GetRef().(type) {
	case *toolgatev1.CompleteRequest_Prompt:
		p, ok := s.catalog().prompts[ref.Prompt]
		if !ok {
			return nil, status.Errorf(codes.NotFound, "no prompt named %q in this plugin", ref.Prompt)
		}
		h, name = p.Complete, p.Name
	case *toolgatev1.CompleteRequest_UriTemplate:
		t, ok := s.catalog().templates[ref.UriTemplate]
		if !ok {
			return nil, status.Errorf(codes.NotFound, "no resource template %q in this plugin", ref.UriTemplate)
		}
		h, name = t.Complete, t.URITemplate
	default:
		return nil, status.Errorf(codes.InvalidArgument, "a completion needs a prompt or a resource template")
	}
	if h == nil {
		return &toolgatev1.CompleteResult{Values: []string{}}, nil
	}
	var out *toolgatev1.CompleteResult
	err := s.guard("completion for", name, req.GetRequestId(), func() error {
		c, err := h(ctx, &CompleteRequest{
			Argument: req.GetArgument(), Value: req.GetValue(), Context: req.GetContext(),
			Caller: callerFromProto(req.GetCaller()), RequestID: req.GetRequestId(),
		})
		if err != nil {
			return err
		}
		if c == nil {
			c = &Completion{}
		}
		out = c.toProto()
		return nil
	})
	return out, err
}

func (s *server) WatchResources(_ *toolgatev1.WatchResourcesRequest, stream toolgatev1.Plugin_WatchResourcesServer) error {
	ch := s.plugin.watch.add()
	defer s.plugin.watch.remove(ch)
	// Headers tell the host the stream is subscribed: an update announced
	// from now on reaches it.
	if err := stream.SendHeader(metadata.MD{}); err != nil {
		return err
	}
	for {
		select {
		case <-stream.Context().Done():
			return nil
		case uri := <-ch:
			if err := stream.Send(&toolgatev1.ResourceUpdated{Uri: uri}); err != nil {
				return err
			}
		}
	}
}

// guard runs a handler and turns its error, or its panic, into the status
// the host maps to an MCP error: ErrNotFound to NOT_FOUND,
// ErrInvalidArguments to INVALID_ARGUMENT, anything else to INTERNAL. A
// panic's value stays in the plugin's log; the plugin process lives on.
func (s *server) guard(kind, name, requestID string, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("handler panicked", "kind", kind, "name", name, "request_id", requestID,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = status.Errorf(codes.Internal, "%s %s failed with an internal error", kind, name)
		}
	}()
	switch err := f(); {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound):
		return status.Errorf(codes.NotFound, "%v", err)
	case errors.Is(err, ErrInvalidArguments):
		return status.Errorf(codes.InvalidArgument, "%v", err)
	default:
		s.log.Error("handler failed", "kind", kind, "name", name, "request_id", requestID, "error", err)
		return status.Errorf(codes.Internal, "%s %s: %v", kind, name, err)
	}
}
