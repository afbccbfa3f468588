package transport

import (
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/toolgate/toolgate/host/dispatch"
	"github.com/toolgate/toolgate/host/jsonrpc"
)

// serveGet opens a session's GET stream, on which the server sends what
// belongs to no request (list changes, resource updates), or with
// Last-Event-ID resumes the stream that event belongs to: the GET stream
// or a POST's answer. 2026-07-28 has no GET: without a session it is 405.
func (h *Handler) serveGet(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(headerSessionID) == "" {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, jsonrpc.NewError(jsonrpc.CodeBadRequest,
			"method not allowed: GET opens a session's stream and needs Mcp-Session-Id; send JSON-RPC messages with POST"))
		return
	}
	if !acceptsSSE(r.Header.Values("Accept")) {
		writeError(w, http.StatusNotAcceptable, jsonrpc.NewError(jsonrpc.CodeBadRequest,
			"not acceptable: the Accept header must list text/event-stream"))
		return
	}
	none := &jsonrpc.Message{}
	caller, ok := h.authenticate(w, r, jsonrpc.ID{}, &dispatch.Request{Method: "GET", RequestID: newRequestID()})
	if !ok {
		return
	}
	if h.opts.Auth != nil {
		h.opts.Auth.Allowed()
	}
	s, ok := h.session(w, r, none, caller)
	if !ok {
		return
	}
	st, after, fresh := h.resumable(w, r, s)
	if st == nil {
		return
	}
	c := startSSE(w, h.streamsOpen, kindGet)
	s.listening.Add(1)
	defer func() {
		// Idle time counts from when the client stopped listening.
		s.lastUsed.Store(time.Now().UnixNano())
		s.listening.Add(-1)
	}()
	if !st.attach(c, after) {
		// The stream ended after it was looked up; its events are sent
		// below, like any ended stream's.
		h.replayEnded(c, s, st.key, after)
		return
	}
	defer st.detach(c)
	if fresh {
		st.prime()
	}
	defer st.keepAliveEvery(h.keepAlive)()
	select {
	case <-c.ended:
	case <-r.Context().Done():
	}
}

// resumable finds the stream a GET continues: the one Last-Event-ID names
// (the GET stream, a running POST's, or an ended POST's whose last events
// are replayed at once), or the session's GET stream. It answers the request
// itself, and returns nil, when there is nothing to attach to.
func (h *Handler) resumable(w http.ResponseWriter, r *http.Request, s *session) (st *stream, after uint64, fresh bool) {
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		st := s.getStream(true, h.streamsOpen)
		if st == nil || st.attached() {
			// One GET stream per session: a message goes to one stream only.
			writeError(w, http.StatusConflict, jsonrpc.NewError(jsonrpc.CodeBadRequest,
				"conflict: this session's GET stream is already open"))
			return nil, 0, false
		}
		// A new stream, not a resumption: nothing sent before is replayed.
		return st, s.log.last(), true
	}
	key, seq, ok := parseEventID(last)
	if !ok {
		writeError(w, http.StatusBadRequest, jsonrpc.NewError(jsonrpc.CodeBadRequest,
			"Bad Request: Last-Event-ID "+last+" is not an event id of this server"))
		return nil, 0, false
	}
	if key == 0 {
		st = s.getStream(true, h.streamsOpen)
	} else {
		st = s.stream(key)
	}
	if st == nil {
		// An ended POST stream: what the buffer still holds of it is
		// sent, then the stream ends as it did.
		h.replayEnded(startSSE(w, h.streamsOpen, kindGet), s, key, seq)
		return nil, 0, false
	}
	return st, seq, false
}

// replayEnded sends what the replay buffer holds of an ended stream after
// seq, then lets go of c.
func (h *Handler) replayEnded(c *sseConn, s *session, key, seq uint64) {
	for _, e := range s.log.after(key, seq) {
		if !c.event(eventID(key, e.seq), 0, e.data) {
			break
		}
	}
	c.release()
}

// attached reports whether a client is connected to the stream.
func (st *stream) attached() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.conn != nil
}

// acceptsSSE reports whether an Accept header admits text/event-stream.
func acceptsSSE(accept []string) bool {
	for _, line := range accept {
		for _, part := range strings.Split(line, ",") {
			mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err == nil && (mt == "text/event-stream" || mt == "text/*" || mt == "*/*") {
				return true
			}
		}
	}
	return false
}
