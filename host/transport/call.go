package transport

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/toolgate/toolgate/host/dispatch"
	"github.com/toolgate/toolgate/host/jsonrpc"
)

// Why a request's context ended early; a request cancelled for any of them
// gets no answer.
var (
	errCancelled  = errors.New("request cancelled by the client")
	errClientGone = errors.New("the client closed the connection")
	errShutdown   = errors.New("the server is shutting down")
)

// call runs a request and sends its answer: plain JSON when nothing else
// was sent first, else an SSE stream of the request's notifications (and,
// in a session, its requests to the client) ending with the answer. s is
// the session, nil for 2026-07-28.
func (h *Handler) call(w http.ResponseWriter, r *http.Request, msg *jsonrpc.Message, req *dispatch.Request, s *session) {
	var st *stream
	if s != nil {
		var ok bool
		if st, ok = s.newStream(w, h.streamsOpen); !ok {
			writeError(w, http.StatusNotFound, withID(msg, jsonrpc.CodeSessionNotFound, "session not found: it ended"))
			return
		}
	} else {
		st = &stream{kind: kindPost, open: h.streamsOpen, w: w}
	}
	defer st.end()
	ctx, release := h.requestContext(r, msg, st, s)
	defer release()
	req.Peer = st
	defer st.keepAliveEvery(h.keepAlive)()

	result, jerr := h.d.Handle(ctx, req)
	if ctx.Err() != nil {
		// Nothing more is sent for a cancelled request.
		h.log.Debug("request ended without an answer", "request_id", req.RequestID, "method", req.Method, "cause", context.Cause(ctx))
		return
	}
	if jerr != nil {
		jerr.ID = msg.ID
		status := http.StatusOK
		switch {
		case req.Modern && jerr.Code == jsonrpc.CodeMethodNotFound:
			status = http.StatusNotFound
		case req.Modern && jerr.Code == jsonrpc.CodeMissingRequiredClientCapability:
			status = http.StatusBadRequest // 2026-07-28 requires it
		}
		st.answer(status, jsonrpc.EncodeError(jerr))
		return
	}
	body, err := jsonrpc.EncodeResult(msg.ID, result)
	if err != nil {
		e := withID(msg, jsonrpc.CodeInternalError, "encoding the result: "+err.Error())
		st.answer(http.StatusInternalServerError, jsonrpc.EncodeError(e))
		return
	}
	st.answer(http.StatusOK, body)
}

// requestContext is what a request runs under, and release frees it. The
// server's shutdown cancels it; so do notifications/cancelled and the
// session's end. A 2026-07-28 client that closes the connection cancels
// the request. A session-era client may drop a stream and resume it
// (2025-11-25: disconnection is not cancellation); only a client gone
// before anything was streamed cancels, since nothing could be resumed.
func (h *Handler) requestContext(r *http.Request, msg *jsonrpc.Message, st *stream, s *session) (ctx context.Context, release func()) {
	parent := r.Context()
	if s != nil {
		parent = context.WithoutCancel(parent)
	}
	ctx, cancel := context.WithCancelCause(parent)
	stopLife := context.AfterFunc(h.life, func() { cancel(errShutdown) })
	if s == nil {
		return ctx, func() { stopLife(); cancel(nil) }
	}
	stopGone := context.AfterFunc(r.Context(), func() {
		if !st.detach(nil) {
			cancel(errClientGone)
		}
	})
	untrack := s.track(msg.ID.String(), func() { cancel(errCancelled) })
	return ctx, func() { untrack(); stopGone(); stopLife(); cancel(nil) }
}

// A POST's stream is the dispatch.Peer of its request.
var _ dispatch.Peer = (*stream)(nil)

// serverRequests numbers the server's requests to clients.
var serverRequests atomic.Uint64

// Notify sends a notification of the request on its stream.
func (st *stream) Notify(method string, params any) error {
	body, err := jsonrpc.EncodeNotification(method, params)
	if err != nil {
		return err
	}
	st.send(body, false)
	return nil
}

// Request sends a request to the client on the POST's stream and waits for
// the client to POST its answer. Only the session era has this channel;
// 2026-07-28 embeds such requests in results instead.
func (st *stream) Request(ctx context.Context, method string, params any) (json.RawMessage, error) {
	if st.sess == nil {
		return nil, dispatch.ErrNoBackChannel
	}
	id := jsonrpc.StringID("toolgate-" + strconv.FormatUint(serverRequests.Add(1), 10))
	body, err := jsonrpc.EncodeRequest(id, method, params)
	if err != nil {
		return nil, err
	}
	answer, done := st.sess.await(id)
	defer done()
	if !st.send(body, false) {
		return nil, dispatch.ErrNoBackChannel
	}
	select {
	case m := <-answer:
		if m.Error != nil {
			return nil, m.Error
		}
		return m.Result, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
