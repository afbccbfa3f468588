package transport

import (
	"net/http"
	"slices"
	"sync"

	"github.com/toolgate/toolgate/host/dispatch"
	"github.com/toolgate/toolgate/host/jsonrpc"
)

const metaSubscriptionID = "io.modelcontextprotocol/subscriptionId"

// listener is one open 2026-07-28 subscriptions/listen stream.
type listener struct {
	st     *stream
	id     jsonrpc.ID // the listen request's id: the subscription id
	filter dispatch.ListenFilter
	// closing is closed when the server ends the subscription.
	closing chan struct{}
	once    sync.Once
}

// meta is the _meta every message of the subscription carries.
func (l *listener) meta() map[string]any { return map[string]any{metaSubscriptionID: l.id} }

func (l *listener) wants(kind string) bool {
	switch kind {
	case "tools":
		return l.filter.ToolsListChanged
	case "prompts":
		return l.filter.PromptsListChanged
	case "resources":
		return l.filter.ResourcesListChanged
	}
	return false
}

func (l *listener) notify(method string, params map[string]any) {
	params["_meta"] = l.meta()
	if body, err := jsonrpc.EncodeNotification(method, params); err == nil {
		l.st.send(body, false)
	}
}

// listeners are the open listen streams.
type listeners struct {
	mu  sync.Mutex
	set map[*listener]struct{}
}

func newListeners() *listeners { return &listeners{set: map[*listener]struct{}{}} }

func (ls *listeners) add(l *listener) {
	ls.mu.Lock()
	ls.set[l] = struct{}{}
	ls.mu.Unlock()
}

func (ls *listeners) remove(l *listener) {
	ls.mu.Lock()
	delete(ls.set, l)
	ls.mu.Unlock()
}

func (ls *listeners) all() []*listener {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	out := make([]*listener, 0, len(ls.set))
	for l := range ls.set {
		out = append(out, l)
	}
	return out
}

// closeAll ends every subscription gracefully, at shutdown.
func (ls *listeners) closeAll() {
	for _, l := range ls.all() {
		l.once.Do(func() { close(l.closing) })
	}
}

// listen serves subscriptions/listen: the acknowledgement with the filter
// the server honours, then the notifications it asked for, until the client
// closes the stream (which ends the subscription) or the server shuts down
// (which answers the request, ending it gracefully).
func (h *Handler) listen(w http.ResponseWriter, r *http.Request, msg *jsonrpc.Message, req *dispatch.Request) {
	result, jerr := h.d.Handle(r.Context(), req)
	if jerr != nil {
		jerr.ID = msg.ID
		writeError(w, http.StatusOK, jerr)
		return
	}
	l := &listener{
		st:      &stream{kind: kindListen, open: h.streamsOpen, w: w},
		id:      msg.ID,
		filter:  result.(dispatch.ListenFilter),
		closing: make(chan struct{}),
	}
	ack, err := jsonrpc.EncodeNotification("notifications/subscriptions/acknowledged",
		map[string]any{"_meta": l.meta(), "notifications": l.filter})
	if err != nil {
		writeError(w, http.StatusInternalServerError, withID(msg, jsonrpc.CodeInternalError, "encoding the acknowledgement: "+err.Error()))
		return
	}
	defer l.st.end()
	// Registered while the acknowledgement is written, under the stream's
	// lock: no notification can come before it, and none is missed.
	l.st.mu.Lock()
	h.listeners.add(l)
	l.st.sendLocked(ack, false)
	l.st.mu.Unlock()
	defer h.listeners.remove(l)
	ended := l.st.connEnded()
	defer l.st.keepAliveEvery(h.keepAlive)()
	select {
	case <-r.Context().Done():
	case <-ended:
	case <-l.closing:
		body, err := jsonrpc.EncodeResult(msg.ID, map[string]any{"resultType": "complete", "_meta": l.meta()})
		if err == nil {
			l.st.send(body, true)
		}
	}
}

// connEnded returns what is closed when the stream lets go of its
// connection; a closed channel when it has none.
func (st *stream) connEnded() <-chan struct{} {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.conn == nil {
		c := make(chan struct{})
		close(c)
		return c
	}
	return st.conn.ended
}

// listChangeKinds are the lists whose changes NotifyListChanged announces.
var listChangeKinds = []string{"tools", "prompts", "resources"}

// NotifyListChanged tells clients that lists changed: kinds are "tools",
// "prompts" or "resources" (others are ignored). Each session with a GET
// stream gets notifications/<kind>/list_changed on it, and each 2026-07-28
// listen stream that asked for that kind gets it there.
func (h *Handler) NotifyListChanged(kinds ...string) {
	for _, kind := range kinds {
		if !slices.Contains(listChangeKinds, kind) {
			h.log.Warn("ignored a list change of an unknown kind", "kind", kind)
			continue
		}
		method := "notifications/" + kind + "/list_changed"
		if body, err := jsonrpc.EncodeNotification(method, nil); err == nil {
			for _, s := range h.sessions.all() {
				if st := s.getStream(false, nil); st != nil {
					st.send(body, false)
				}
			}
		}
		for _, l := range h.listeners.all() {
			if l.wants(kind) {
				l.notify(method, map[string]any{})
			}
		}
	}
}

// NotifyResourceUpdated tells the clients subscribed to uri that the
// resource changed: sessions that sent resources/subscribe for it, on their
// GET stream, and listen streams whose resourceSubscriptions name it.
func (h *Handler) NotifyResourceUpdated(uri string) {
	const method = "notifications/resources/updated"
	if body, err := jsonrpc.EncodeNotification(method, map[string]string{"uri": uri}); err == nil {
		for _, s := range h.sessions.all() {
			if !s.subscribed(uri) {
				continue
			}
			if st := s.getStream(false, nil); st != nil {
				st.send(body, false)
			}
		}
	}
	for _, l := range h.listeners.all() {
		if slices.Contains(l.filter.ResourceSubscriptions, uri) {
			l.notify(method, map[string]any{"uri": uri})
		}
	}
}
