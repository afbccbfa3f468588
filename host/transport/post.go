package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"

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
	if jerr != nil {
		writeError(w, http.StatusBadRequest, jerr)
		return
	}
	if msg.IsResponse {
		// An answer to a server-to-client request; none are sent yet, so
		// there is nothing waiting for it.
		w.WriteHeader(http.StatusAccepted)
		return
	}
	req, jerr := dispatch.DecodeRequest(msg)
	if jerr != nil {
		writeError(w, http.StatusBadRequest, jerr)
		return
	}
	req.RequestID = newRequestID()
	if req.Modern {
		h.serveModern(w, r, msg, req)
		return
	}
	if v := r.Header.Get(headerProtocolVersion); dispatch.IsModernVersion(v) {
		writeError(w, http.StatusBadRequest, withID(msg, jsonrpc.CodeInvalidParams,
			fmt.Sprintf("MCP-Protocol-Version %s needs params._meta[%q] in every request", v, "io.modelcontextprotocol/protocolVersion")))
		return
	}
	h.serveSession(w, r, msg, req)
}

// serveModern serves a 2026-07-28 request: no session, every fact the server
// needs in the request itself, headers mirroring the body.
func (h *Handler) serveModern(w http.ResponseWriter, r *http.Request, msg *jsonrpc.Message, req *dispatch.Request) {
	if jerr := checkModernHeaders(r.Header, msg, req); jerr != nil {
		writeError(w, http.StatusBadRequest, jerr)
		return
	}
	if !dispatch.IsModernVersion(req.ProtocolVersion) {
		e := withID(msg, jsonrpc.CodeUnsupportedProtocolVersion, "Unsupported protocol version: "+req.ProtocolVersion)
		e.Data = map[string]any{"supported": dispatch.SupportedVersions(), "requested": req.ProtocolVersion}
		writeError(w, http.StatusBadRequest, e)
		return
	}
	if req.Params.Meta.ClientCapabilities == nil {
		writeError(w, http.StatusBadRequest, withID(msg, jsonrpc.CodeInvalidParams,
			fmt.Sprintf("params._meta[%q] is required", "io.modelcontextprotocol/clientCapabilities")))
		return
	}
	if msg.IsNotification() {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	result, jerr := h.d.Handle(r.Context(), req)
	if jerr != nil {
		jerr.ID = msg.ID
		status := http.StatusOK
		if jerr.Code == jsonrpc.CodeMethodNotFound {
			status = http.StatusNotFound
		}
		writeError(w, status, jerr)
		return
	}
	writeResult(w, msg.ID, result)
}

// checkModernHeaders enforces that MCP-Protocol-Version, Mcp-Method and
// Mcp-Name are present and equal to the body (2026-07-28, Server Validation).
func checkModernHeaders(hdr http.Header, msg *jsonrpc.Message, req *dispatch.Request) *jsonrpc.Error {
	mismatch := func(format string, args ...any) *jsonrpc.Error {
		return withID(msg, jsonrpc.CodeHeaderMismatch, "Header mismatch: "+fmt.Sprintf(format, args...))
	}
	switch v := hdr.Get(headerProtocolVersion); {
	case v == "":
		return mismatch("the MCP-Protocol-Version header is required")
	case v != req.ProtocolVersion:
		return mismatch("MCP-Protocol-Version header %q does not match body value %q", v, req.ProtocolVersion)
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
	if body := req.Params.Name; body == nil || *body != name {
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
	id := r.Header.Get(headerSessionID)
	if id == "" {
		writeError(w, http.StatusBadRequest, withID(msg, jsonrpc.CodeBadRequest,
			"Bad Request: Mcp-Session-Id header is required (send initialize first, or use protocol version 2026-07-28)"))
		return
	}
	s, ok := h.sessions.get(id)
	if !ok {
		writeError(w, http.StatusNotFound, withID(msg, jsonrpc.CodeSessionNotFound,
			"session not found: it ended or expired; send initialize to start a new one"))
		return
	}
	if v := r.Header.Get(headerProtocolVersion); v != "" && !dispatch.IsSessionVersion(v) {
		e := withID(msg, jsonrpc.CodeBadRequest, "Bad Request: unsupported MCP-Protocol-Version "+strconv.Quote(v))
		e.Data = map[string]any{"supported": dispatch.SupportedVersions(), "requested": v}
		writeError(w, http.StatusBadRequest, e)
		return
	}
	req.ProtocolVersion = s.version
	if msg.IsNotification() {
		h.notify(s, req)
		w.WriteHeader(http.StatusAccepted)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer s.track(msg.ID.String(), cancel)()
	result, jerr := h.d.Handle(ctx, req)
	if jerr != nil {
		jerr.ID = msg.ID
		writeError(w, http.StatusOK, jerr)
		return
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
	s, err := h.sessions.create(version)
	if err != nil {
		h.log.Warn("refused a new session", "error", err, "max_sessions", h.opts.MaxSessions)
		writeError(w, http.StatusServiceUnavailable, withID(msg, jsonrpc.CodeBadRequest,
			"too many open sessions; retry later"))
		return
	}
	w.Header().Set(headerSessionID, s.id)
	writeResult(w, msg.ID, result)
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
