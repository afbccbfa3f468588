package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/toolgate/toolgate/host/auth"
	"github.com/toolgate/toolgate/host/auth/verify"
	"github.com/toolgate/toolgate/host/jsonrpc"
	"github.com/toolgate/toolgate/host/limit"
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
	callable := func(t *registry.Tool) bool {
		return r.Caller == nil || len(auth.Missing(t.Scopes, r.Caller.Scopes)) == 0
	}
	var keep func(*registry.Tool) bool
	if s.opts.ToolsList == "filter" {
		keep = callable
	}
	page, next, err := s.registry.Load().Page(cursor, s.opts.PageSize, keep)
	if err != nil {
		return nil, invalidParams("tools/list: %v", err)
	}
	res := &listToolsResult{Tools: make([]json.RawMessage, len(page)), NextCursor: next}
	for i, t := range page {
		res.Tools[i] = t.Definition
		if s.opts.ToolsList == "mark" {
			res.Tools[i] = t.MarkedDefinition(callable(t))
		}
	}
	if r.Modern {
		res.ResultType = "complete"
		res.Meta = s.serverInfoMeta
		scope := "public"
		if s.opts.ToolsList != "" {
			scope = "private" // the list depends on the caller's token
		}
		res.cacheHints = &cacheHints{TTLMs: listTTL.Milliseconds(), CacheScope: scope}
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
	if s.opts.Audit == nil {
		res, jerr, _ := s.runTool(ctx, r, tool, args)
		return res, jerr
	}
	// Room for the audit record is claimed before the tool runs: when the
	// trail cannot keep up, the call is refused rather than left unrecorded.
	slot, err := s.opts.Audit.Reserve()
	if err != nil {
		s.opts.Logger.Error("refused a tool call: the audit trail cannot take its record", "tool", tool.Name, "request_id", r.RequestID, "error", err)
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeUnavailable,
			Message: "tool calls are refused for now: the audit trail cannot keep up; retry shortly"}
	}
	start := time.Now()
	res, jerr, outcome := s.runTool(ctx, r, tool, args)
	if err := slot.Commit(callRecord(r, tool, args, outcome, time.Since(start))); err != nil {
		s.opts.Logger.Error("the audit record of a tool call was lost", "tool", tool.Name, "request_id", r.RequestID, "error", err)
	}
	return res, jerr
}

// runTool validates the arguments, calls the plugin, round after round
// while it asks the client for input, and checks its result; outcome names
// how the call ended, for the audit trail.
func (s *Server) runTool(ctx context.Context, r *Request, tool *registry.Tool, args json.RawMessage) (any, *jsonrpc.Error, string) {
	// Input that breaks the schema is a tool execution error, so the model
	// sees which field to fix (MCP 2025-11-25 and later).
	if err := tool.ValidateArguments(args); err != nil {
		return s.toolError(r, "Invalid arguments for tool %s: %v", tool.Name, err), nil, "invalid_arguments"
	}
	req := &toolgatev1.CallToolRequest{
		Name:               tool.Name,
		Arguments:          args,
		Caller:             callerProto(r.Caller),
		RequestId:          r.RequestID,
		ClientCapabilities: r.clientCapabilities(),
	}
	target := &inputTarget{kind: "tool", name: tool.Name, plugin: tool.Plugin, args: args,
		fail:   func(format string, a ...any) (any, *jsonrpc.Error) { return s.toolError(r, format, a...), nil },
		failed: func(err error) (any, *jsonrpc.Error, string) { return s.callFailed(r, tool, err) },
	}
	res, out, jerr, outcome, done := runRounds(ctx, s, r, target, func(responses map[string][]byte, state []byte) (*toolgatev1.CallToolResult, error) {
		req.InputResponses, req.RequestState = responses, state
		return s.callPlugin(ctx, r, tool, req)
	})
	if done {
		return out, jerr, outcome
	}
	return s.finishCall(r, tool, res)
}

// callPlugin runs one round in the plugin. The tool's timeout and its
// concurrency slot cover the plugin's work only, not the time a person
// takes to answer between rounds.
func (s *Server) callPlugin(ctx context.Context, r *Request, tool *registry.Tool, req *toolgatev1.CallToolRequest) (*toolgatev1.CallToolResult, error) {
	ctx, cancel := context.WithTimeout(ctx, tool.Timeout)
	defer cancel()
	release, err := tool.Limit.Acquire(ctx)
	if err != nil {
		if errors.Is(err, limit.ErrQueueFull) {
			err = fmt.Errorf("tool %s: %w ([tools.%s] max_concurrent, max_queue)", tool.Name, err, tool.Name)
		}
		return nil, err
	}
	defer release()
	res, err := tool.Backend.CallTool(ctx, req, s.events(r, tool))
	if ctx.Err() == context.DeadlineExceeded {
		// The plugin shares the deadline and may answer first with an
		// error of its own; the call still timed out.
		err = ctx.Err()
	}
	return res, err
}

// finishCall checks and encodes a plugin's final result.
func (s *Server) finishCall(r *Request, tool *registry.Tool, res *toolgatev1.CallToolResult) (any, *jsonrpc.Error, string) {
	if !res.GetIsError() {
		if err := tool.ValidateStructured(res.GetStructuredContent()); err != nil {
			s.opts.Logger.Error("tool result breaks its output schema", "tool", tool.Name, "plugin", tool.Plugin,
				"request_id", r.RequestID, "error", err)
			return nil, jsonrpc.NewError(jsonrpc.CodeInternalError,
				fmt.Sprintf("tool %s returned structuredContent that does not match its outputSchema: %v", tool.Name, err)), "error"
		}
	}
	out, err := s.encodeCallResult(r, res)
	if err != nil {
		return nil, jsonrpc.NewError(jsonrpc.CodeInternalError, fmt.Sprintf("tool %s returned a result that cannot be encoded: %v", tool.Name, err)), "error"
	}
	if res.GetIsError() {
		return out, nil, "tool_error"
	}
	return out, nil, "ok"
}

// callFailed turns a failed plugin call into the answer the client gets. A
// timeout is a tool error the model can act on; a dead plugin is a
// retryable protocol error; anything else is an internal error.
func (s *Server) callFailed(r *Request, tool *registry.Tool, err error) (any, *jsonrpc.Error, string) {
	log := s.opts.Logger.With("tool", tool.Name, "plugin", tool.Plugin, "request_id", r.RequestID)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		log.Warn("tool call timed out", "timeout", tool.Timeout)
		return s.toolError(r, "tool %s did not finish within %s and was cancelled", tool.Name, tool.Timeout), nil, "timeout"
	case errors.Is(err, context.Canceled):
		return nil, jsonrpc.NewError(jsonrpc.CodeInternalError, "request cancelled"), "cancelled"
	case errors.Is(err, limit.ErrQueueFull):
		log.Warn("call refused: too many calls", "error", err)
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeUnavailable,
			Message: fmt.Sprintf("tool %s is busy: %v; retry shortly", tool.Name, err)}, "busy"
	case errors.Is(err, pluginhost.ErrResultTooLarge):
		log.Error("tool result too large", "error", err)
		return nil, jsonrpc.NewError(jsonrpc.CodeInternalError,
			fmt.Sprintf("tool %s returned a result larger than its plugin's max_result_bytes", tool.Name)), "error"
	case errors.Is(err, pluginhost.ErrUnavailable):
		log.Error("plugin unavailable", "error", err)
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeUnavailable,
			Message: fmt.Sprintf("tool %s is unavailable: plugin %s %s; retry shortly", tool.Name, tool.Plugin,
				strings.TrimPrefix(err.Error(), pluginhost.ErrUnavailable.Error()+": "))}, "unavailable"
	}
	log.Error("tool call failed", "error", err)
	return nil, jsonrpc.NewError(jsonrpc.CodeInternalError, fmt.Sprintf("tool %s failed in plugin %s: %v", tool.Name, tool.Plugin, err)), "error"
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

// callerProto is the caller as a plugin sees it: never the token itself.
func callerProto(id *verify.Identity) *toolgatev1.Caller {
	if id == nil {
		return nil
	}
	c := &toolgatev1.Caller{Subject: id.Subject, ClientId: id.ClientID, Issuer: id.Issuer, Scopes: id.Scopes}
	if len(id.Claims) > 0 {
		// Claims came from a JSON token, so they encode.
		c.Claims, _ = json.Marshal(id.Claims)
	}
	return c
}
