package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/toolgate/toolgate/host/jsonrpc"
	"github.com/toolgate/toolgate/host/pluginhost"
	"github.com/toolgate/toolgate/host/registry"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

type listToolsResult struct {
	ResultType string            `json:"resultType,omitempty"`
	Tools      []json.RawMessage `json:"tools"`
	NextCursor string            `json:"nextCursor,omitempty"`
	Meta       json.RawMessage   `json:"_meta,omitempty"`
	*cacheHints
}

// listTTL is the 2026-07-28 freshness hint for tools/list: the catalog only
// changes with a new config.
const listTTL = 60 * time.Second

func (s *Server) listTools(_ context.Context, r *Request) (any, *jsonrpc.Error) {
	cursor := ""
	if r.Params.Cursor != nil {
		cursor = *r.Params.Cursor
	}
	page, next, err := s.registry.Load().Page(cursor, s.opts.PageSize, nil)
	if err != nil {
		return nil, invalidParams("tools/list: %v", err)
	}
	res := &listToolsResult{Tools: make([]json.RawMessage, len(page)), NextCursor: next}
	for i, t := range page {
		res.Tools[i] = t.Definition
	}
	if r.Modern {
		res.ResultType = "complete"
		res.Meta = s.serverInfoMeta
		res.cacheHints = &cacheHints{TTLMs: listTTL.Milliseconds(), CacheScope: "public"}
	}
	return res, nil
}

func (s *Server) callTool(ctx context.Context, r *Request) (any, *jsonrpc.Error) {
	p := &r.Params
	if p.Name == nil {
		return nil, invalidParams("tools/call: params.name is required")
	}
	tool, ok := s.registry.Load().Lookup(*p.Name)
	if !ok {
		return nil, invalidParams("Unknown tool: %s", *p.Name)
	}
	args := p.Arguments
	if len(args) == 0 || string(args) == "null" {
		args = json.RawMessage("{}")
	} else if args[0] != '{' {
		return nil, invalidParams("tools/call: params.arguments must be an object")
	}
	// Input that breaks the schema is a tool execution error, so the model
	// sees which field to fix (MCP 2025-11-25 and later).
	if err := tool.ValidateArguments(args); err != nil {
		return s.toolError(r, "Invalid arguments for tool %s: %v", tool.Name, err), nil
	}

	ctx, cancel := context.WithTimeout(ctx, tool.Timeout)
	defer cancel()
	res, err := tool.Backend.CallTool(ctx, &toolgatev1.CallToolRequest{
		Name:      tool.Name,
		Arguments: args,
		Caller:    r.Caller.proto(),
		RequestId: r.RequestID,
	}, nil)
	if err != nil {
		return s.callFailed(r, tool, err)
	}
	if !res.GetIsError() {
		if err := tool.ValidateStructured(res.GetStructuredContent()); err != nil {
			s.opts.Logger.Error("tool result breaks its output schema", "tool", tool.Name, "plugin", tool.Plugin,
				"request_id", r.RequestID, "error", err)
			return nil, jsonrpc.NewError(jsonrpc.CodeInternalError,
				fmt.Sprintf("tool %s returned structuredContent that does not match its outputSchema: %v", tool.Name, err))
		}
	}
	out, err := s.encodeCallResult(r, res)
	if err != nil {
		return nil, jsonrpc.NewError(jsonrpc.CodeInternalError, fmt.Sprintf("tool %s returned a result that cannot be encoded: %v", tool.Name, err))
	}
	return out, nil
}

// callFailed turns a failed plugin call into the answer the client gets. A
// timeout is a tool error the model can act on; a dead plugin is a
// retryable protocol error; anything else is an internal error.
func (s *Server) callFailed(r *Request, tool *registry.Tool, err error) (any, *jsonrpc.Error) {
	log := s.opts.Logger.With("tool", tool.Name, "plugin", tool.Plugin, "request_id", r.RequestID)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		log.Warn("tool call timed out", "timeout", tool.Timeout)
		return s.toolError(r, "tool %s did not finish within %s and was cancelled", tool.Name, tool.Timeout), nil
	case errors.Is(err, context.Canceled):
		return nil, jsonrpc.NewError(jsonrpc.CodeInternalError, "request cancelled")
	case errors.Is(err, pluginhost.ErrUnavailable):
		log.Error("plugin unavailable", "error", err)
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeUnavailable,
			Message: fmt.Sprintf("tool %s is unavailable: its plugin %s is not running; retry shortly", tool.Name, tool.Plugin)}
	}
	log.Error("tool call failed", "error", err)
	return nil, jsonrpc.NewError(jsonrpc.CodeInternalError, fmt.Sprintf("tool %s failed in plugin %s: %v", tool.Name, tool.Plugin, err))
}

func (s *Server) toolError(r *Request, format string, args ...any) any {
	res := &callResult{
		Content: []any{textContent{Type: "text", Text: fmt.Sprintf(format, args...)}},
		IsError: true,
	}
	if r.Modern {
		res.ResultType = "complete"
		res.Meta = s.serverInfoMeta
	}
	return res
}

func (c Caller) proto() *toolgatev1.Caller {
	if c.Subject == "" && c.ClientID == "" {
		return nil
	}
	return &toolgatev1.Caller{Subject: c.Subject, ClientId: c.ClientID, Issuer: c.Issuer, Scopes: c.Scopes, Claims: c.Claims}
}
