package transport

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toolgate/toolgate/host/auth/verify"
	"github.com/toolgate/toolgate/host/jsonrpc"
)

// session is one session-era conversation, opened by initialize.
type session struct {
	id      string
	version string // the negotiated protocol version
	// capabilities are the client's, as initialize declared them.
	capabilities json.RawMessage
	// subject and issuer own the session ("" when authorization is off).
	subject, issuer string
	created         time.Time
	// lastUsed is a Unix time in nanoseconds, for idle expiry.
	lastUsed atomic.Int64

	// log numbers the session's events and keeps the last ones for
	// Last-Event-ID resumption.
	log eventLog
	// listening counts the connections a GET holds open; a session is not
	// idle while a client listens to it.
	listening atomic.Int32

	mu sync.Mutex
	// inflight cancels running requests by JSON-RPC id, for
	// notifications/cancelled.
	inflight map[string]context.CancelFunc
	closed   bool
	// streams are the session's live streams by key; get is the GET
	// stream once a client opened it (key 0).
	streams map[uint64]*stream
	lastKey uint64
	get     *stream
	// level is the logging/setLevel level ("" until the client sets one).
	level string
	// subs are the resource URIs of resources/subscribe.
	subs map[string]bool
	// pending are the server-to-client requests awaiting an answer, by id
	// as written.
	pending map[string]chan *jsonrpc.Message
}

// primes reports whether the session's streams start with the priming
// event, which 2025-11-25 introduced; older clients may choke on its empty
// data. Versions are dates, so they compare as strings.
func (s *session) primes() bool { return s.version >= "2025-11-25" }

// newStream returns the stream of a POST's answer in the session; false
// when the session has ended.
func (s *session) newStream(w http.ResponseWriter, open *prometheus.GaugeVec) (*stream, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, false
	}
	return &stream{sess: s, kind: kindPost, open: open, w: w}, true
}

// register gives a stream that started its key, so a GET can resume it
// and the session's end ends it.
func (s *session) register(st *stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastKey++
	st.key = s.lastKey
	s.streams[st.key] = st
}

// getStream returns the session's GET stream, creating it when create is
// set; nil when the session ended or there is none.
func (s *session) getStream(create bool, open *prometheus.GaugeVec) *stream {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.get == nil && create && !s.closed {
		s.get = &stream{sess: s, key: 0, kind: kindGet, open: open, started: true}
		s.streams[0] = s.get
	}
	return s.get
}

// stream returns the live stream with the given key.
func (s *session) stream(key uint64) *stream {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.streams[key]
}

// forget drops an ended stream; its events stay in the replay buffer.
func (s *session) forget(st *stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.streams[st.key] == st {
		delete(s.streams, st.key)
	}
	if s.get == st {
		s.get = nil
	}
}

func (s *session) logLevel() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.level
}

func (s *session) setLogLevel(level string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.level = level
}

func (s *session) subscribe(uri string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on {
		s.subs[uri] = true
	} else {
		delete(s.subs, uri)
	}
}

func (s *session) subscribed(uri string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.subs[uri]
}

// await registers a server-to-client request; done unregisters it.
func (s *session) await(id jsonrpc.ID) (answer chan *jsonrpc.Message, done func()) {
	ch := make(chan *jsonrpc.Message, 1)
	s.mu.Lock()
	s.pending[id.String()] = ch
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.pending, id.String())
		s.mu.Unlock()
	}
}

// deliver hands a client's response to the request awaiting it; false when
// none does.
func (s *session) deliver(m *jsonrpc.Message) bool {
	s.mu.Lock()
	ch, ok := s.pending[m.ID.String()]
	delete(s.pending, m.ID.String())
	s.mu.Unlock()
	if ok {
		ch <- m
	}
	return ok
}

// ownedBy reports whether the caller is the one who opened the session.
func (s *session) ownedBy(c *verify.Identity) bool {
	if c == nil {
		return s.subject == "" && s.issuer == ""
	}
	return c.Subject == s.subject && c.Issuer == s.issuer
}

// track registers a running request so notifications/cancelled and the
// session's end can cancel it; the returned func unregisters it.
func (s *session) track(id string, cancel context.CancelFunc) (untrack func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		cancel()
		return func() {}
	}
	s.inflight[id] = cancel
	return func() {
		s.mu.Lock()
		delete(s.inflight, id)
		s.mu.Unlock()
		s.lastUsed.Store(time.Now().UnixNano())
	}
}

// cancel cancels the request with the given id, if it still runs.
func (s *session) cancel(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.inflight[id]; ok {
		c()
	}
}

// busy reports whether a request of the session is running or a client
// listens on its GET stream; a session is not idle then.
func (s *session) busy() bool {
	if s.listening.Load() > 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.inflight) > 0
}

// close cancels everything the session runs and ends its streams.
func (s *session) close() {
	s.mu.Lock()
	s.closed = true
	for _, c := range s.inflight {
		c()
	}
	streams := make([]*stream, 0, len(s.streams))
	for _, st := range s.streams {
		streams = append(streams, st)
	}
	s.mu.Unlock()
	// Outside s.mu: a stream's lock comes before its session's.
	for _, st := range streams {
		st.end()
	}
}

// sessions is the set of live sessions.
type sessions struct {
	idle time.Duration
	max  int
	// replay is the size of each session's replay buffer, in events.
	replay int
	// duration observes how long each session lived, by protocol version.
	duration *prometheus.HistogramVec

	mu   sync.Mutex
	byID map[string]*session
}

var errTooManySessions = errors.New("too many open sessions")

func newSessions(idle time.Duration, max, replay int, reg prometheus.Registerer) *sessions {
	ss := &sessions{idle: idle, max: max, replay: replay, byID: map[string]*session{},
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:                            "mcp_server_session_duration_seconds",
			Help:                            "How long session-era MCP sessions lasted, from initialize to DELETE, expiry or shutdown (OpenTelemetry mcp.server.session.duration).",
			Buckets:                         []float64{1, 5, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400},
			NativeHistogramBucketFactor:     1.1,
			NativeHistogramMaxBucketNumber:  160,
			NativeHistogramMinResetDuration: time.Hour,
		}, []string{"mcp_protocol_version"})}
	reg.MustRegister(ss.duration)
	return ss
}

// end closes a session taken out of the set and records its duration.
func (ss *sessions) end(s *session) {
	s.close()
	ss.duration.WithLabelValues(s.version).Observe(time.Since(s.created).Seconds())
}

func (ss *sessions) create(version string, owner *verify.Identity, capabilities json.RawMessage) (*session, error) {
	s := &session{id: newSessionID(), version: version, capabilities: capabilities, inflight: map[string]context.CancelFunc{}, created: time.Now(),
		streams: map[uint64]*stream{}, subs: map[string]bool{}, pending: map[string]chan *jsonrpc.Message{}}
	s.log.max = ss.replay
	if owner != nil {
		s.subject, s.issuer = owner.Subject, owner.Issuer
	}
	s.lastUsed.Store(time.Now().UnixNano())
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.byID) >= ss.max {
		return nil, errTooManySessions
	}
	ss.byID[s.id] = s
	return s, nil
}

// get returns a live session and marks it used.
func (ss *sessions) get(id string) (*session, bool) {
	ss.mu.Lock()
	s, ok := ss.byID[id]
	ss.mu.Unlock()
	if ok {
		s.lastUsed.Store(time.Now().UnixNano())
	}
	return s, ok
}

func (ss *sessions) remove(id string) bool {
	ss.mu.Lock()
	s, ok := ss.byID[id]
	delete(ss.byID, id)
	ss.mu.Unlock()
	if ok {
		ss.end(s)
	}
	return ok
}

// expire ends sessions idle since before now-idle.
func (ss *sessions) expire(now time.Time) int {
	cutoff := now.Add(-ss.idle).UnixNano()
	var idle []*session
	ss.mu.Lock()
	for id, s := range ss.byID {
		if s.lastUsed.Load() < cutoff && !s.busy() {
			delete(ss.byID, id)
			idle = append(idle, s)
		}
	}
	ss.mu.Unlock()
	for _, s := range idle {
		ss.end(s)
	}
	return len(idle)
}

// closeAll ends every session, at shutdown.
func (ss *sessions) closeAll() {
	ss.mu.Lock()
	all := ss.byID
	ss.byID = map[string]*session{}
	ss.mu.Unlock()
	for _, s := range all {
		ss.end(s)
	}
}

// all returns the live sessions.
func (ss *sessions) all() []*session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	out := make([]*session, 0, len(ss.byID))
	for _, s := range ss.byID {
		out = append(out, s)
	}
	return out
}

func (ss *sessions) len() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.byID)
}

// newSessionID returns 128 random bits as hex: unguessable and visible ASCII,
// as the transport spec requires.
func newSessionID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
