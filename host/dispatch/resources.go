package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/toolgate/toolgate/host/jsonrpc"
	"github.com/toolgate/toolgate/host/pluginhost"
	"github.com/toolgate/toolgate/host/registry"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// codeResourceNotFound is the session era's "resource not found"; the
// 2026-07-28 era uses invalid params instead (SEP-2164).
const codeResourceNotFound = -32002

type listResourcesResult struct {
	Resources []json.RawMessage `json:"resources"`
	listCommon
}

type listTemplatesResult struct {
	ResourceTemplates []json.RawMessage `json:"resourceTemplates"`
	listCommon
}

func resourceScopes(x *registry.Resource) []string            { return x.Scopes }
func resourceDefinition(x *registry.Resource) json.RawMessage { return x.Definition }

func (s *Server) listResources(_ context.Context, r *Request) (any, *jsonrpc.Error) {
	defs, common, jerr := listPage(s, r, s.registry.Load().PageResources, resourceScopes, resourceDefinition)
	if jerr != nil {
		return nil, jerr
	}
	return &listResourcesResult{Resources: defs, listCommon: common}, nil
}

func (s *Server) listTemplates(_ context.Context, r *Request) (any, *jsonrpc.Error) {
	defs, common, jerr := listPage(s, r, s.registry.Load().PageTemplates, resourceScopes, resourceDefinition)
	if jerr != nil {
		return nil, jerr
	}
	return &listTemplatesResult{ResourceTemplates: defs, listCommon: common}, nil
}

// readResourceResult is the MCP ReadResourceResult.
type readResourceResult struct {
	ResultType string             `json:"resultType,omitempty"`
	Contents   []resourceContents `json:"contents"`
	Meta       json.RawMessage    `json:"_meta,omitempty"`
	*cacheHints
}

// notFound is the error for a URI nothing serves, in the request's era.
func notFound(r *Request, uri string) *jsonrpc.Error {
	code := codeResourceNotFound
	if r.Modern {
		code = jsonrpc.CodeInvalidParams
	}
	return &jsonrpc.Error{Code: code, Message: "Resource not found", Data: map[string]string{"uri": uri}}
}

func (s *Server) readResource(ctx context.Context, r *Request) (any, *jsonrpc.Error) {
	if r.Params.URI == nil {
		return nil, invalidParams("resources/read: params.uri is required")
	}
	uri := *r.Params.URI
	res, vars, ok := s.registry.Load().LookupResource(uri)
	if !ok {
		return nil, notFound(r, uri)
	}
	req := &toolgatev1.ReadResourceRequest{Uri: uri, Variables: vars, Caller: callerProto(r.Caller), RequestId: r.RequestID}
	if res.Template {
		req.UriTemplate = res.URI
	}
	ctx, cancel := context.WithTimeout(ctx, res.Timeout)
	defer cancel()
	answer, err := res.Provider.ReadResource(ctx, req)
	if err = deadline(ctx, err); err != nil {
		var ref *pluginhost.Refusal
		switch {
		case errors.As(err, &ref) && ref.NotFound:
			return nil, notFound(r, uri)
		case errors.As(err, &ref):
			return nil, invalidParams("resources/read: %s", ref.Message)
		}
		return nil, s.requestFailed(r, "resource "+uri, res.Plugin, err)
	}
	if len(answer.GetContents()) == 0 {
		// An empty list would read as "exists but empty" (SEP-2164).
		return nil, s.badAnswer(r, "resource "+uri, res.Plugin, errors.New("no contents"))
	}
	out := &readResourceResult{Contents: make([]resourceContents, len(answer.GetContents()))}
	for i, c := range answer.GetContents() {
		if c.GetUri() == "" {
			return nil, s.badAnswer(r, "resource "+uri, res.Plugin, fmt.Errorf("contents[%d] has no uri", i))
		}
		out.Contents[i] = resource(c)
	}
	if out.Meta, err = s.resultMeta(r, answer.GetMeta()); err != nil {
		return nil, s.badAnswer(r, "resource "+uri, res.Plugin, err)
	}
	if r.Modern {
		out.ResultType = "complete"
		// Contents may change at any time and may depend on the caller.
		out.cacheHints = &cacheHints{TTLMs: 0, CacheScope: "private"}
	}
	return out, nil
}
