package transport

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"

	"github.com/toolgate/toolgate/host/auth"
	"github.com/toolgate/toolgate/host/auth/verify"
	"github.com/toolgate/toolgate/host/dispatch"
	"github.com/toolgate/toolgate/host/jsonrpc"
)

func (h *Handler) servePost(w http.ResponseWriter, r *http.Request) {
	if !isJSONContent(r.Header) {
		writeError(w, http.StatusUnsupportedMediaType, jsonrpc.NewError(jsonrpc.CodeBadRequest,
			"unsupported Content-Type: send application/json"))
		return
	}
	if !acceptsMCP(r.Header.Values("Accept")) {
		writeError(w, http.StatusNotAcceptable, jsonrpc.NewError(jsonrpc.CodeBadRequest,
			"not acceptable: the Accept header must list application/json and text/event-stream"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, jsonrpc.NewError(jsonrpc.CodeInvalidRequest,
				fmt.Sprintf("request body is larger than %d bytes (server.max_body_bytes)", tooLarge.Limit)))
			return
		}
		writeError(w, http.StatusBadRequest, jsonrpc.NewError(jsonrpc.CodeParseError, "reading the request body: "+err.Error()))
		return
	}
	msg, jerr := jsonrpc.Decode(body)
	// Authentication comes before anything is acted on; it comes after
	// decoding only so that a refusal can carry the request's id.
	rid := newRequestID()
	caller, ok := h.authenticate(w, r, requestID(msg, jerr), &dispatch.Request{Method: methodOf(msg), RequestID: rid})
	if !ok {
		return
	}
	if jerr != nil {
		writeError(w, http.StatusBadRequest, jerr)
		return
	}
	if msg.IsResponse {
		h.serveResponse(w, r, msg, caller)
		return
	}
	req, jerr := dispatch.DecodeRequest(msg)
	if jerr != nil {
		writeError(w, http.StatusBadRequest, jerr)
		return
	}
	req.RequestID = rid
	req.Caller = caller
	if !h.authorize(w, r, msg, req) {
		return
	}
	modernHeader := dispatch.IsModernVersion(r.Header.Get(headerProtocolVersion))
	if msg.IsNotification() && (req.Modern || modernHeader) {
		// 2026-07-28 defines no client notifications over Streamable HTTP
		// (closing a response stream is what cancels) and no header rules
		// for their POSTs. Clients send notifications/cancelled anyway (the
		// official Go SDK does after closing a call's or a listen's stream)
		// and take an error status for a broken connection; there is
		// nothing to act on, so accept and ignore them.
		w.WriteHeader(http.StatusAccepted)
		return
	}
	if req.Modern {
		h.serveModern(w, r, msg, req)
		return
	}
	if v := r.Header.Get(headerProtocolVersion); modernHeader {
		writeError(w, http.StatusBadRequest, withID(msg, jsonrpc.CodeInvalidParams,
			fmt.Sprintf("MCP-Protocol-Version %s needs params._meta[%q] in every request", v, "io.modelcontextprotocol/protocolVersion")))
		return
	}
	h.serveSession(w, r, msg, req)
}

// serveModern serves a 2026-07-28 request: no session, every fact the server
// needs in the request itself, headers mirroring the body.
func (h *Handler) serveModern(w http.ResponseWriter, r *http.Request, msg *jsonrpc.Message, req *dispatch.Request) {
	// A version header that contradicts the body is a HeaderMismatch even
	// when the body's version is unsupported: which of the two the client
	// meant cannot be told. Otherwise the version comes first, so that any
	// client learns which versions to retry with, whatever else is wrong
	// with its request.
	if jerr := versionHeaderMismatch(r.Header, msg, req); jerr != nil {
		writeError(w, http.StatusBadRequest, jerr)
		return
	}
	if !dispatch.IsModernVersion(req.ProtocolVersion) {
		e := withID(msg, jsonrpc.CodeUnsupportedProtocolVersion, "Unsupported protocol version: "+req.ProtocolVersion)
		e.Data = map[string]any{"supported": dispatch.SupportedVersions(), "requested": req.ProtocolVersion}
		writeError(w, http.StatusBadRequest, e)
		return
	}
	if jerr := checkModernHeaders(r.Header, msg, req); jerr != nil {
		writeError(w, http.StatusBadRequest, jerr)
		return
	}
	if jerr := h.checkParamHeaders(r.Header, msg, req); jerr != nil {
		writeError(w, http.StatusBadRequest, jerr)
		return
	}
	if req.Params.Meta.ClientCapabilities == nil {
		writeError(w, http.StatusBadRequest, withID(msg, jsonrpc.CodeInvalidParams,
			fmt.Sprintf("params._meta[%q] is required", "io.modelcontextprotocol/clientCapabilities")))
		return
	}
	if l := req.Params.Meta.LogLevel; l != nil {
		if !dispatch.ValidLogLevel(*l) {
			writeError(w, http.StatusBadRequest, withID(msg, jsonrpc.CodeInvalidParams,
				fmt.Sprintf("params._meta[%q] must be one of debug, info, notice, warning, error, critical, alert, emergency", "io.modelcontextprotocol/logLevel")))
			return
		}
		req.LogLevel = *l
	}
	if req.Method == "subscriptions/listen" {
		h.listen(w, r, msg, req)
		return
	}
	h.call(w, r, msg, req, nil)
}

// versionHeaderMismatch is the HeaderMismatch of an MCP-Protocol-Version
// header that is present and differs from the body's version, else nil.
func versionHeaderMismatch(hdr http.Header, msg *jsonrpc.Message, req *dispatch.Request) *jsonrpc.Error {
	if v := hdr.Get(headerProtocolVersion); v != "" && v != req.ProtocolVersion {
		return headerMismatch(msg, "MCP-Protocol-Version header %q does not match body value %q", v, req.ProtocolVersion)
	}
	return nil
}

func headerMismatch(msg *jsonrpc.Message, format string, args ...any) *jsonrpc.Error {
	return withID(msg, jsonrpc.CodeHeaderMismatch, "Header mismatch: "+fmt.Sprintf(format, args...))
}

// checkModernHeaders enforces that MCP-Protocol-Version, Mcp-Method and
// Mcp-Name are present and equal to the body (2026-07-28, Server Validation).
func checkModernHeaders(hdr http.Header, msg *jsonrpc.Message, req *dispatch.Request) *jsonrpc.Error {
	mismatch := func(format string, args ...any) *jsonrpc.Error { return headerMismatch(msg, format, args...) }
	if hdr.Get(headerProtocolVersion) == "" {
		return mismatch("the MCP-Protocol-Version header is required")
	}
	if jerr := versionHeaderMismatch(hdr, msg, req); jerr != nil {
		return jerr
	}
	switch m := hdr.Get(headerMethod); {
	case m == "":
		return mismatch("the Mcp-Method header is required")
	case m != req.Method:
		return mismatch("Mcp-Method header %q does not match body value %q", m, req.Method)
	}
	if req.Method != "tools/call" && req.Method != "prompts/get" && req.Method != "resources/read" {
		return nil
	}
	raw := hdr.Get(headerName)
	if raw == "" {
		return mismatch("the Mcp-Name header is required for %s", req.Method)
	}
	name, err := decodeHeaderValue(raw)
	if err != nil {
		return mismatch("Mcp-Name header: %v", err)
	}
	body := req.Params.Name
	if req.Method == "resources/read" {
		body = req.Params.URI // the spec names a resource by its URI
	}
	if body == nil || *body != name {
		return mismatch("Mcp-Name header %q does not match body value %s", name, quoteOrMissing(body))
	}
	return nil
}

// serveSession serves the session era: initialize opens a session, every
// other message names it with Mcp-Session-Id.
func (h *Handler) serveSession(w http.ResponseWriter, r *http.Request, msg *jsonrpc.Message, req *dispatch.Request) {
	if req.Method == "initialize" {
		h.initialize(w, msg, req)
		return
	}
	s, ok := h.session(w, r, msg, req.Caller)
	if !ok {
		return
	}
	req.ProtocolVersion = s.version
	req.ClientCapabilities = s.capabilities
	if msg.IsNotification() {
		h.notify(s, req)
		w.WriteHeader(http.StatusAccepted)
		return
	}
	switch req.Method {
	case "logging/setLevel", "resources/subscribe", "resources/unsubscribe":
		h.sessionState(w, r, msg, req, s)
		return
	}
	// Until the client sets a level it gets every log message, as from the
	// TypeScript SDK's server, which the conformance suite is modelled on
	// (the spec leaves it open; the Go SDK's server sends none).
	req.LogLevel = s.logLevel()
	if req.LogLevel == "" {
		req.LogLevel = "debug"
	}
	h.call(w, r, msg, req, s)
}

// sessionState answers the requests that change what a session receives:
// its log level and its resource subscriptions.
func (h *Handler) sessionState(w http.ResponseWriter, r *http.Request, msg *jsonrpc.Message, req *dispatch.Request, s *session) {
	result, jerr := h.d.Handle(r.Context(), req)
	if jerr != nil {
		jerr.ID = msg.ID
		writeError(w, http.StatusOK, jerr)
		return
	}
	switch req.Method {
	case "logging/setLevel":
		s.setLogLevel(*req.Params.Level)
	case "resources/subscribe":
		s.subscribe(*req.Params.URI, true)
	case "resources/unsubscribe":
		s.subscribe(*req.Params.URI, false)
	}
	writeResult(w, msg.ID, result)
}

func (h *Handler) initialize(w http.ResponseWriter, msg *jsonrpc.Message, req *dispatch.Request) {
	if msg.IsNotification() {
		writeError(w, http.StatusBadRequest, jsonrpc.NewError(jsonrpc.CodeInvalidRequest, "initialize must be a request with an id"))
		return
	}
	result, version, jerr := h.d.Initialize(req)
	if jerr != nil {
		jerr.ID = msg.ID
		writeError(w, http.StatusOK, jerr)
		return
	}
	s, err := h.sessions.create(version, req.Caller, req.Params.Capabilities)
	if err != nil {
		h.log.Warn("refused a new session", "error", err, "max_sessions", h.opts.MaxSessions)
		writeError(w, http.StatusServiceUnavailable, withID(msg, jsonrpc.CodeBadRequest,
			"too many open sessions; retry later"))
		return
	}
	w.Header().Set(headerSessionID, s.id)
	writeResult(w, msg.ID, result)
}

// session finds the session a session-era message names and checks that the
// caller owns it and speaks its version; otherwise it answers and returns false.
func (h *Handler) session(w http.ResponseWriter, r *http.Request, msg *jsonrpc.Message, caller *verify.Identity) (*session, bool) {
	id := r.Header.Get(headerSessionID)
	if id == "" {
		writeError(w, http.StatusBadRequest, withID(msg, jsonrpc.CodeBadRequest,
			"Bad Request: Mcp-Session-Id header is required (send initialize first, or use protocol version 2026-07-28)"))
		return nil, false
	}
	s, ok := h.sessions.get(id)
	// A session belongs to whoever opened it: to anyone else it does not
	// exist. The session id is never authentication.
	if ok && !s.ownedBy(caller) {
		h.log.Warn("refused a session opened by another caller", "remote", r.RemoteAddr)
		ok = false
	}
	if !ok {
		writeError(w, http.StatusNotFound, withID(msg, jsonrpc.CodeSessionNotFound,
			"session not found: it ended or expired; send initialize to start a new one"))
		return nil, false
	}
	// Absent, the header means the negotiated version. Present, it should be
	// that version and must be one this server speaks in sessions: the spec
	// refuses only invalid or unsupported versions, and the conformance
	// suite's raw requests send 2025-03-26 in a 2025-11-25 session.
	if v := r.Header.Get(headerProtocolVersion); v != "" && !dispatch.IsSessionVersion(v) {
		e := withID(msg, jsonrpc.CodeBadRequest, fmt.Sprintf("Bad Request: MCP-Protocol-Version %q is not a supported session-era version (this session negotiated %q)", v, s.version))
		e.Data = map[string]any{"supported": dispatch.SupportedVersions(), "requested": v}
		writeError(w, http.StatusBadRequest, e)
		return nil, false
	}
	return s, true
}

// serveResponse takes a client's answer to a server-to-client request and
// hands it to the request that waits for it. It must come in the session
// the request was sent in; an answer nothing waits for (it came too late)
// is accepted and dropped.
func (h *Handler) serveResponse(w http.ResponseWriter, r *http.Request, msg *jsonrpc.Message, caller *verify.Identity) {
	if h.auth() != nil {
		h.auth().Allowed() // a response needs no scope
	}
	s, ok := h.session(w, r, msg, caller)
	if !ok {
		return
	}
	if !s.deliver(msg) {
		h.log.Debug("dropped a response nothing waits for", "id", msg.ID.String())
	}
	w.WriteHeader(http.StatusAccepted)
}

// notify handles a session-era notification.
func (h *Handler) notify(s *session, req *dispatch.Request) {
	if req.Method != "notifications/cancelled" {
		return // notifications/initialized and others need no action
	}
	if id := req.Params.RequestID; len(id) > 0 {
		s.cancel(string(id))
	}
}

// authenticate returns the caller when authorization is on, or sends the
// refusal and returns false. With authorization off the caller is nil;
// what names the request for the audit trail.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request, id jsonrpc.ID, what *dispatch.Request) (*verify.Identity, bool) {
	if h.auth() == nil {
		return nil, true
	}
	caller, refusal := h.auth().Authenticate(r)
	if refusal != nil {
		h.refuse(w, r, refusal, id)
		h.auditRefusal(what, refusal.Reason)
		return nil, false
	}
	return caller, true
}

// methodOf names a message for the audit trail: its JSON-RPC method, or
// what it is when it has none.
func methodOf(msg *jsonrpc.Message) string {
	switch {
	case msg == nil:
		return "(undecodable message)"
	case msg.IsResponse:
		return "(response)"
	}
	return msg.Method
}

// authorize checks that the caller holds the scopes the request needs; if
// not, it sends the 403 step-up challenge and returns false.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request, msg *jsonrpc.Message, req *dispatch.Request) bool {
	if h.auth() == nil {
		return true
	}
	need := h.d.RequiredScopes(req)
	if len(auth.Missing(need, req.Caller.Scopes)) == 0 {
		h.auth().Allowed()
		return true
	}
	h.refuse(w, r, h.auth().Forbid(req.Method, need, req.Caller.Scopes), msg.ID)
	h.auditRefusal(req, "insufficient_scope")
	return false
}

// refuse sends an authorization refusal: its status, its WWW-Authenticate
// challenge and a JSON-RPC error with the request's id.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, ref *auth.Refusal, id jsonrpc.ID) {
	h.log.Info("refused request", "reason", ref.Reason, "status", ref.Status, "remote", r.RemoteAddr)
	w.Header().Set("WWW-Authenticate", ref.Challenge)
	code := jsonrpc.CodeBadRequest
	if ref.Status == http.StatusForbidden {
		code = jsonrpc.CodeForbidden
	} else if ref.Status == http.StatusUnauthorized {
		code = jsonrpc.CodeUnauthorized
	}
	e := jsonrpc.NewError(code, ref.Message)
	e.ID = id
	writeError(w, ref.Status, e)
}

// requestID is the id to answer with: the message's, or the one a decode
// error could still read.
func requestID(msg *jsonrpc.Message, jerr *jsonrpc.Error) jsonrpc.ID {
	if msg != nil {
		return msg.ID
	}
	return jerr.ID
}

func withID(msg *jsonrpc.Message, code int, message string) *jsonrpc.Error {
	e := jsonrpc.NewError(code, message)
	e.ID = msg.ID
	return e
}

func quoteOrMissing(s *string) string {
	if s == nil {
		return "(missing)"
	}
	return strconv.Quote(*s)
}

// newRequestID names a request in logs and in the plugin call.
func newRequestID() string { return strconv.FormatUint(rand.Uint64(), 36) }
