// Package transport is MCP's Streamable HTTP transport for both protocol
// eras on one endpoint.
//
//	POST /mcp ──► guard (Host, Origin) ──► Content-Type, Accept, body limit
//	          ──► jsonrpc.Decode ──► auth (bearer token: 401) ──► dispatch.DecodeRequest
//	          ──► era? ─ _meta protocolVersion ──► modern: header checks, stateless
//	                   └ otherwise ─────────────► session era: initialize or Mcp-Session-Id
//	          ──► tool scopes (403) ──► dispatch.Server.Handle ──► JSON response
//
// A request that carries the 2026-07-28 _meta fields is served statelessly;
// an initialize request opens a session-era session (Mcp-Session-Id), which
// later requests name. DELETE ends a session; GET answers 405 for now.
package transport

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toolgate/toolgate/host/audit"
	"github.com/toolgate/toolgate/host/auth"
	"github.com/toolgate/toolgate/host/dispatch"
	"github.com/toolgate/toolgate/host/jsonrpc"
)

// Options configure the transport.
type Options struct {
	MaxBodyBytes       int64
	AllowedOrigins     []string
	AllowedHosts       []string
	PublicURL          string
	Loopback           bool // the listener is bound to a loopback address
	SessionIdleTimeout time.Duration
	MaxSessions        int
	// Auth, when set, requires a valid bearer token on every POST and the
	// tool's scopes on every tools/call. Nil serves without authorization.
	// SetAuth replaces it while serving.
	Auth   *auth.Authenticator
	Logger *slog.Logger
	// Registerer receives the session metrics.
	Registerer prometheus.Registerer
	// Audit, when set, records every refused request.
	Audit *audit.Log
}

// Handler serves the MCP endpoint.
type Handler struct {
	d        *dispatch.Server
	opts     Options
	guard    *guard
	sessions *sessions
	log      *slog.Logger
	// authn is Options.Auth, swapped by SetAuth when a reload changes [auth].
	authn atomic.Pointer[auth.Authenticator]
}

// New returns the endpoint's handler. Run its session expiry with Run.
func New(d *dispatch.Server, opts Options) *Handler {
	h := &Handler{
		d:        d,
		opts:     opts,
		guard:    newGuard(opts.AllowedOrigins, opts.AllowedHosts, opts.PublicURL, opts.Loopback),
		sessions: newSessions(opts.SessionIdleTimeout, opts.MaxSessions, opts.Registerer),
		log:      opts.Logger,
	}
	h.authn.Store(opts.Auth)
	return h
}

// SetAuth replaces the authenticator for every later request. Whether
// authorization is on cannot change while serving: a nil a is ignored when
// one is set, and the reverse.
func (h *Handler) SetAuth(a *auth.Authenticator) {
	if (a == nil) != (h.authn.Load() == nil) {
		return
	}
	h.authn.Store(a)
}

// auth is the authenticator in force, nil when authorization is off.
func (h *Handler) auth() *auth.Authenticator { return h.authn.Load() }

// Run expires idle sessions until ctx is done, then ends all sessions.
func (h *Handler) Run(ctx context.Context) {
	tick := time.NewTicker(max(h.opts.SessionIdleTimeout/4, time.Second))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			h.sessions.closeAll()
			return
		case now := <-tick.C:
			if n := h.sessions.expire(now); n > 0 {
				h.log.Debug("expired idle sessions", "count", n, "open", h.sessions.len())
			}
		}
	}
}

// GuardHost wraps a public document (the OAuth metadata, say) in the Host
// check against DNS rebinding. Origin is not checked: any web page may read
// such a document, which is why it carries CORS headers.
func (h *Handler) GuardHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.guard.allowHost(r.Host) {
			http.Error(w, "forbidden: Host "+r.Host+" is not served here", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.checkGuard(w, r) {
		return
	}
	switch r.Method {
	case http.MethodPost:
		h.servePost(w, r)
	case http.MethodDelete:
		h.serveDelete(w, r)
	default:
		// No server-initiated stream yet: GET is 405, which both eras allow.
		w.Header().Set("Allow", "POST, DELETE")
		writeError(w, http.StatusMethodNotAllowed, jsonrpc.NewError(jsonrpc.CodeBadRequest,
			"method not allowed: send JSON-RPC messages with POST"))
	}
}

// checkGuard refuses foreign Hosts and Origins with 403 before anything else
// runs, authentication included.
func (h *Handler) checkGuard(w http.ResponseWriter, r *http.Request) bool {
	if !h.guard.allowHost(r.Host) {
		h.log.Warn("refused request for a foreign Host", "host", r.Host, "remote", r.RemoteAddr)
		writeError(w, http.StatusForbidden, jsonrpc.NewError(jsonrpc.CodeBadRequest,
			"forbidden: Host "+r.Host+" is not served here (add it to server.allowed_hosts)"))
		return false
	}
	if o := r.Header.Get("Origin"); !h.guard.allowOrigin(o) {
		h.log.Warn("refused request from a foreign Origin", "origin", o, "remote", r.RemoteAddr)
		writeError(w, http.StatusForbidden, jsonrpc.NewError(jsonrpc.CodeBadRequest,
			"forbidden: Origin "+o+" is not allowed (add it to server.allowed_origins)"))
		return false
	}
	return true
}

// serveDelete ends a session; only its owner may.
func (h *Handler) serveDelete(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get(headerSessionID)
	if id == "" {
		w.Header().Set("Allow", "POST, DELETE")
		writeError(w, http.StatusMethodNotAllowed, jsonrpc.NewError(jsonrpc.CodeBadRequest,
			"DELETE ends a session: send it with the Mcp-Session-Id header"))
		return
	}
	caller, ok := h.authenticate(w, r, jsonrpc.ID{}, &dispatch.Request{Method: "DELETE", RequestID: newRequestID()})
	if !ok {
		return
	}
	if h.auth() != nil {
		h.auth().Allowed()
	}
	if s, ok := h.sessions.get(id); !ok || !s.ownedBy(caller) || !h.sessions.remove(id) {
		writeError(w, http.StatusNotFound, jsonrpc.NewError(jsonrpc.CodeSessionNotFound, "session not found"))
		return
	}
	w.WriteHeader(http.StatusOK)
}
