// Package dispatch is the MCP method table: it answers initialize,
// server/discover, ping, tools/list, tools/call, prompts/list, prompts/get,
// resources/list, resources/templates/list, resources/read and
// completion/complete for both protocol eras, routing each to the plugin
// that serves it.
//
// The transport decodes a message into a Request (DecodeParams), checks the
// era's headers and session, then calls Server.Handle. Handle returns either
// a result to encode or a *jsonrpc.Error; it never writes HTTP itself.
package dispatch

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toolgate/toolgate/host/audit"
	"github.com/toolgate/toolgate/host/jsonrpc"
	"github.com/toolgate/toolgate/host/registry"
	"github.com/toolgate/toolgate/host/requeststate"
)

// Implementation names this server in initialize and server/discover.
type Implementation struct {
	Name    string `json:"name"`
	Title   string `json:"title,omitempty"`
	Version string `json:"version"`
}

// Options configure a Server.
type Options struct {
	Info         Implementation
	Instructions string
	PageSize     int
	// ToolsList is how tools/list treats tools the caller may not call:
	// "filter" leaves them out, "mark" lists them marked not callable, ""
	// (authorization off) lists all.
	ToolsList string
	Logger    *slog.Logger
	// Registerer receives the operation metrics.
	Registerer prometheus.Registerer
	// Audit, when set, records every tool call.
	Audit *audit.Log
	// RequestState seals the requestState of 2026-07-28 input_required
	// results; nil uses a key drawn at random, good for this process only.
	RequestState *requeststate.Sealer
}

// Server answers MCP requests. It is safe for concurrent use; the tool
// catalog is swapped atomically, so a call sees one catalog throughout.
type Server struct {
	opts     Options
	registry atomic.Pointer[registry.Registry]
	// serverInfoMeta is the modern era's result _meta, encoded once.
	serverInfoMeta json.RawMessage
	observer       *observer
	sealer         *requeststate.Sealer
}

// New returns a Server over the given catalog.
func New(reg *registry.Registry, opts Options) *Server {
	s := &Server{opts: opts, observer: newObserver(opts.Registerer, opts.Logger), sealer: opts.RequestState}
	if s.sealer == nil {
		// A nil key and a zero lifetime cannot fail.
		s.sealer, _ = requeststate.New(nil, 0)
	}
	s.registry.Store(reg)
	s.serverInfoMeta, _ = json.Marshal(map[string]Implementation{metaServerInfo: opts.Info})
	return s
}

// SetRegistry replaces the tool catalog for every later request.
func (s *Server) SetRegistry(r *registry.Registry) { s.registry.Store(r) }

// Registry returns the current tool catalog.
func (s *Server) Registry() *registry.Registry { return s.registry.Load() }

// Handle answers one request. The result is ready to be encoded as the
// JSON-RPC result; a *jsonrpc.Error is the JSON-RPC error to send instead.
func (s *Server) Handle(ctx context.Context, r *Request) (result any, jerr *jsonrpc.Error) {
	defer s.observe(r, time.Now(), &result, &jerr)
	h, ok := s.handler(r)
	if !ok {
		return nil, jsonrpc.NewError(jsonrpc.CodeMethodNotFound, "method not found: "+r.Method)
	}
	return h(ctx, r)
}

// observe records a handled request; it runs deferred, so it sees the
// final result and error.
func (s *Server) observe(r *Request, start time.Time, result *any, jerr **jsonrpc.Error) {
	var tool *registry.Tool
	if r.Method == "tools/call" && r.Params.Name != nil {
		tool, _ = s.registry.Load().Lookup(*r.Params.Name)
	}
	s.observer.observe(r, tool, *result, *jerr, time.Since(start))
}

// RequiredScopes returns the scopes a request needs beyond a valid token:
// a tool's scopes for tools/call, a prompt's for prompts/get, a resource's
// or its template's for resources/read, and for completion/complete those
// of the prompt or template it completes; none for everything else. What
// does not exist needs none here; Handle then answers that it does not.
func (s *Server) RequiredScopes(r *Request) []string {
	reg, p := s.registry.Load(), &r.Params
	switch {
	case r.Method == "tools/call" && p.Name != nil:
		if t, ok := reg.Lookup(*p.Name); ok {
			return t.Scopes
		}
	case r.Method == "prompts/get" && p.Name != nil:
		if pr, ok := reg.LookupPrompt(*p.Name); ok {
			return pr.Scopes
		}
	case r.Method == "resources/read" && p.URI != nil:
		if res, _, ok := reg.LookupResource(*p.URI); ok {
			return res.Scopes
		}
	case r.Method == "completion/complete" && p.Ref != nil:
		return completionScopes(reg, p.Ref)
	}
	return nil
}

type handlerFunc func(context.Context, *Request) (any, *jsonrpc.Error)

// handler picks the method table of the request's era. initialize is not
// here: the transport calls Initialize itself, since it opens a session.
func (s *Server) handler(r *Request) (handlerFunc, bool) {
	switch r.Method {
	case "tools/list":
		return s.listTools, true
	case "tools/call":
		return s.callTool, true
	case "prompts/list":
		return s.listPrompts, true
	case "prompts/get":
		return s.getPrompt, true
	case "resources/list":
		return s.listResources, true
	case "resources/templates/list":
		return s.listTemplates, true
	case "resources/read":
		return s.readResource, true
	case "completion/complete":
		return s.complete, true
	}
	if r.Modern {
		switch r.Method {
		case "server/discover":
			return s.discover, true
		case "subscriptions/listen":
			return listen, true
		}
		return nil, false
	}
	switch r.Method {
	case "ping":
		return ping, true
	case "logging/setLevel":
		return setLevel, true
	case "resources/subscribe", "resources/unsubscribe":
		return subscribe, true
	}
	return nil, false
}

func ping(context.Context, *Request) (any, *jsonrpc.Error) { return struct{}{}, nil }
