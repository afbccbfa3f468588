package transport

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toolgate/toolgate/host/auth/verify"
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

	mu sync.Mutex
	// inflight cancels running requests by JSON-RPC id, for
	// notifications/cancelled.
	inflight map[string]context.CancelFunc
	closed   bool
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

// busy reports whether a request of the session is running; a session is
// not idle while it works.
func (s *session) busy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.inflight) > 0
}

// close cancels everything the session runs.
func (s *session) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, c := range s.inflight {
		c()
	}
}

// sessions is the set of live sessions.
type sessions struct {
	idle time.Duration
	max  int
	// duration observes how long each session lived, by protocol version.
	duration *prometheus.HistogramVec

	mu   sync.Mutex
	byID map[string]*session
}

var errTooManySessions = errors.New("too many open sessions")

func newSessions(idle time.Duration, max int, reg prometheus.Registerer) *sessions {
	ss := &sessions{idle: idle, max: max, byID: map[string]*session{},
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
	s := &session{id: newSessionID(), version: version, capabilities: capabilities, inflight: map[string]context.CancelFunc{}, created: time.Now()}
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
