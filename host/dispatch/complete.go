package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/toolgate/toolgate/host/jsonrpc"
	"github.com/toolgate/toolgate/host/pluginhost"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// maxCompletionValues is MCP's limit on the values of one completion.
const maxCompletionValues = 100

type completeResult struct {
	ResultType string          `json:"resultType,omitempty"`
	Completion completion      `json:"completion"`
	Meta       json.RawMessage `json:"_meta,omitempty"`
}

type completion struct {
	Values  []string `json:"values"`
	Total   *int64   `json:"total,omitempty"`
	HasMore bool     `json:"hasMore,omitempty"`
}

func (s *Server) complete(ctx context.Context, r *Request) (any, *jsonrpc.Error) {
	p := &r.Params
	if p.Ref == nil {
		return nil, invalidParams("completion/complete: params.ref is required")
	}
	if p.Argument == nil || p.Argument.Name == nil || p.Argument.Value == nil {
		return nil, invalidParams("completion/complete: params.argument needs a name and a value")
	}
	req := &toolgatev1.CompleteRequest{Argument: *p.Argument.Name, Value: *p.Argument.Value, Caller: callerProto(r.Caller), RequestId: r.RequestID}
	if p.Context != nil {
		req.Context = p.Context.Arguments
	}
	reg := s.registry.Load()
	var what, plugin string
	var timeout time.Duration
	var provider interface {
		Complete(context.Context, *toolgatev1.CompleteRequest) (*toolgatev1.CompleteResult, error)
	}
	switch p.Ref.Type {
	case "ref/prompt":
		prompt, ok := reg.LookupPrompt(p.Ref.Name)
		if !ok {
			return nil, invalidParams("Unknown prompt: %s", p.Ref.Name)
		}
		req.Ref = &toolgatev1.CompleteRequest_Prompt{Prompt: prompt.Name}
		what, plugin, provider, timeout = "prompt "+prompt.Name, prompt.Plugin, prompt.Provider, prompt.Timeout
	case "ref/resource":
		t, ok := reg.LookupTemplate(p.Ref.URI)
		if !ok {
			if _, _, fixed := reg.LookupResource(p.Ref.URI); fixed {
				// A resource at a fixed URI has nothing to complete.
				return s.completeResult(r, &toolgatev1.CompleteResult{}), nil
			}
			return nil, invalidParams("Unknown resource template: %s", p.Ref.URI)
		}
		req.Ref = &toolgatev1.CompleteRequest_UriTemplate{UriTemplate: t.URI}
		what, plugin, provider, timeout = "resource template "+t.URI, t.Plugin, t.Provider, t.Timeout
	default:
		return nil, invalidParams(`completion/complete: params.ref.type must be "ref/prompt" or "ref/resource", got %q`, p.Ref.Type)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := provider.Complete(ctx, req)
	if err = deadline(ctx, err); err != nil {
		var ref *pluginhost.Refusal
		if errors.As(err, &ref) {
			return nil, invalidParams("completion/complete: %s", ref.Message)
		}
		return nil, s.requestFailed(r, "completion for "+what, plugin, err)
	}
	return s.completeResult(r, res), nil
}

func (s *Server) completeResult(r *Request, res *toolgatev1.CompleteResult) *completeResult {
	c := completion{Values: res.GetValues(), Total: res.Total, HasMore: res.GetHasMore()}
	if c.Values == nil {
		c.Values = []string{}
	}
	if len(c.Values) > maxCompletionValues {
		c.Values, c.HasMore = c.Values[:maxCompletionValues], true
	}
	out := &completeResult{Completion: c}
	if r.Modern {
		out.ResultType = "complete"
		out.Meta = s.serverInfoMeta
	}
	return out
}
