package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// server implements the contract on top of a Plugin.
type server struct {
	toolgatev1.UnimplementedPluginServer
	plugin *Plugin
	log    *slog.Logger
}

func newServer(p *Plugin, log *slog.Logger) *server {
	return &server{plugin: p, log: log}
}

// tool and catalog look up what the plugin offers now; nothing before Init.
func (s *server) tool(name string) (*Tool, bool) {
	st := s.plugin.current()
	if st == nil {
		return nil, false
	}
	t, ok := st.tools[name]
	return t, ok
}

func (s *server) catalog() catalog {
	if st := s.plugin.current(); st != nil {
		return st.catalog
	}
	return catalog{}
}

func (s *server) Init(ctx context.Context, req *toolgatev1.InitRequest) (*toolgatev1.InitResponse, error) {
	if s.plugin.Setup != nil {
		if err := s.plugin.Setup(ctx, Config{Raw: req.GetConfig()}); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "plugin setup: %v", err)
		}
	}
	resp, err := s.plugin.load()
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "%v", err)
	}
	return resp, nil
}

func (s *server) CallTool(req *toolgatev1.CallToolRequest, stream toolgatev1.Plugin_CallToolServer) error {
	t, ok := s.tool(req.GetName())
	if !ok {
		return status.Errorf(codes.NotFound, "no tool named %q in this plugin", req.GetName())
	}
	in := newInput(req)
	call := &Call{
		Tool:      t.Name,
		Arguments: req.GetArguments(),
		Caller:    callerFromProto(req.GetCaller()),
		RequestID: req.GetRequestId(),
		Client:    in.caps,
		Input:     in,
		send:      stream.Send,
	}
	res, err := s.run(stream.Context(), t, call)
	if reqs, state, ok := in.questions(err); ok {
		return call.finish(&toolgatev1.CallToolResult{InputRequests: reqs, RequestState: state})
	}
	if err != nil {
		res = ErrorResult("%v", err)
	}
	pr, err := res.toProto()
	if err != nil {
		s.log.Error("tool returned a result that cannot be sent", "tool", t.Name, "request_id", call.RequestID, "error", err)
		pr, _ = ErrorResult("tool %s returned an invalid result: %v", t.Name, err).toProto()
	}
	return call.finish(pr)
}

// run calls the handler and turns a panic into a result the model can read;
// the plugin process lives on. The handler's error is returned as it is, for
// CallTool to tell a call that needs input from one that failed.
func (s *server) run(ctx context.Context, t *Tool, call *Call) (res *Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("tool handler panicked", "tool", t.Name, "request_id", call.RequestID,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			res, err = ErrorResult("tool %s failed with an internal error", t.Name), nil
		}
	}()
	res, err = t.Handler(ctx, call)
	switch {
	case err != nil:
		return nil, err
	case res == nil:
		return &Result{}, nil
	}
	return res, nil
}

func (t *Tool) proto() (*toolgatev1.Tool, error) {
	meta, err := optionalJSON(t.Meta)
	if err != nil {
		return nil, fmt.Errorf("_meta: %w", err)
	}
	if t.Handler == nil {
		return nil, fmt.Errorf("no handler")
	}
	a := t.Annotations
	return &toolgatev1.Tool{
		Name:         t.Name,
		Title:        t.Title,
		Description:  t.Description,
		InputSchema:  t.InputSchema,
		OutputSchema: t.OutputSchema,
		Annotations: &toolgatev1.ToolAnnotations{
			Title: a.Title, ReadOnlyHint: a.ReadOnlyHint, DestructiveHint: a.DestructiveHint,
			IdempotentHint: a.IdempotentHint, OpenWorldHint: a.OpenWorldHint,
		},
		SuggestedScopes: t.Scopes,
		Meta:            meta,
	}, nil
}

func callerFromProto(c *toolgatev1.Caller) Caller {
	out := Caller{
		Subject:  c.GetSubject(),
		ClientID: c.GetClientId(),
		Issuer:   c.GetIssuer(),
		Scopes:   c.GetScopes(),
	}
	if len(c.GetClaims()) > 0 {
		// The host encodes claims as a JSON object; a malformed one leaves
		// Claims empty rather than failing the call.
		_ = json.Unmarshal(c.GetClaims(), &out.Claims)
	}
	return out
}
