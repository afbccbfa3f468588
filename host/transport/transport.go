// Package transport is MCP's Streamable HTTP transport for both protocol
// eras on one endpoint.
//
//	POST /mcp ──► guard (Host, Origin) ──► Content-Type, Accept, body limit
//	          ──► jsonrpc.Decode ──► auth (bearer token: 401) ──► dispatch.DecodeRequest
//	          ──► era? ─ _meta protocolVersion ──► modern: header checks, stateless
//	                   └ otherwise ─────────────► session era: initialize or Mcp-Session-Id
//	          ──► tool scopes (403) ──► dispatch.Server.Handle ──► JSON, or SSE when events come first
//
// A request that carries the 2026-07-28 _meta fields is served statelessly;
// an initialize request opens a session-era session (Mcp-Session-Id), which
// later requests name. DELETE ends a session; GET opens or resumes a
// session's stream.
//
// A request's answer is plain JSON unless something is sent before it
// (progress, log messages, requests to the client, keep-alives of a long
// call): then it is an SSE stream ending with the answer. In a session,
// events carry ids and a bounded replay buffer lets a client resume a
// dropped stream with Last-Event-ID.
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
	// ReplayEvents is how many events each session keeps for Last-Event-ID
	// resumption; 0 keeps none.
	ReplayEvents int
	// KeepAlive is how often a quiet SSE stream sends a comment; zero
	// means 15s.
	KeepAlive time.Duration
	// Auth, when set, requires a valid bearer token on every POST and the
	// tool's scopes on every tools/call. Nil serves without authorization.
	// SetAuth replaces it while serving.
	Auth   *auth.Authenticator
	Logger *slog.Logger
	// Registerer receives the session and stream metrics.
	Registerer prometheus.Registerer
	// Audit, when set, records every refused request.
	Audit *audit.Log
}

// Handler serves the MCP endpoint.
type Handler struct {
	d         *dispatch.Server
	opts      Options
	guard     *guard
	sessions  *sessions
	listeners *listeners
	log       *slog.Logger
	keepAlive time.Duration
	// streamsOpen counts the SSE streams open, by kind.
	streamsOpen *prometheus.GaugeVec
	// life ends when the server stops: every running request is cancelled.
	life     context.Context
	stopLife context.CancelFunc
	// authn is Options.Auth, swapped by SetAuth when a reload changes [auth].
	authn atomic.Pointer[auth.Authenticator]
}

// New returns the endpoint's handler. Run its session expiry with Run.
func New(d *dispatch.Server, opts Options) *Handler {
	h := &Handler{
		d:         d,
		opts:      opts,
		guard:     newGuard(opts.AllowedOrigins, opts.AllowedHosts, opts.PublicURL, opts.Loopback),
		sessions:  newSessions(opts.SessionIdleTimeout, opts.MaxSessions, opts.ReplayEvents, opts.Registerer),
		listeners: newListeners(),
		log:       opts.Logger,
		keepAlive: opts.KeepAlive,
		streamsOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "toolgate_sse_streams_open",
			Help: "SSE streams open now, by kind: post (a request's answer), get (a session's GET stream or a resumed stream), listen (2026-07-28 subscriptions/listen).",
		}, []string{"kind"}),
	}
	if h.keepAlive <= 0 {
		h.keepAlive = defaultKeepAlive
	}
	for _, k := range []string{kindPost, kindGet, kindListen} {
		h.streamsOpen.WithLabelValues(k) // every kind shows, at 0 too
	}
	opts.Registerer.MustRegister(h.streamsOpen)
	h.life, h.stopLife = context.WithCancel(context.Background())
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

// CloseStreams ends the streams that never end by themselves, sessions' GET
// streams and listen streams, so that a graceful shutdown need not wait for
// them; running requests go on.
func (h *Handler) CloseStreams() {
	for _, s := range h.sessions.all() {
		if st := s.getStream(false, nil); st != nil {
			st.end()
		}
	}
	h.listeners.closeAll()
}

// Stop cancels every running request (their plugins see their contexts
// end, and they get no answer) and ends all streams and sessions. A server
// that shuts down calls it once draining gave up; Run calls it too.
func (h *Handler) Stop() {
	h.stopLife()
	h.listeners.closeAll()
	h.sessions.closeAll()
}

// Run expires idle sessions until ctx is done, then stops the handler.
func (h *Handler) Run(ctx context.Context) {
	tick := time.NewTicker(max(h.opts.SessionIdleTimeout/4, time.Second))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			h.Stop()
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
	case http.MethodGet:
		h.serveGet(w, r)
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
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
		w.Header().Set("Allow", "GET, POST, DELETE")
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
