package transport

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// session is one session-era conversation, opened by initialize.
type session struct {
	id      string
	version string // the negotiated protocol version
	// lastUsed is a Unix time in nanoseconds, for idle expiry.
	lastUsed atomic.Int64

	mu sync.Mutex
	// inflight cancels running requests by JSON-RPC id, for
	// notifications/cancelled.
	inflight map[string]context.CancelFunc
	closed   bool
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

	mu   sync.Mutex
	byID map[string]*session
}

var errTooManySessions = errors.New("too many open sessions")

func newSessions(idle time.Duration, max int) *sessions {
	return &sessions{idle: idle, max: max, byID: map[string]*session{}}
}

func (ss *sessions) create(version string) (*session, error) {
	s := &session{id: newSessionID(), version: version, inflight: map[string]context.CancelFunc{}}
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
		s.close()
	}
	return ok
}

// expire ends sessions idle since before now-idle.
func (ss *sessions) expire(now time.Time) int {
	cutoff := now.Add(-ss.idle).UnixNano()
	var idle []*session
	ss.mu.Lock()
	for id, s := range ss.byID {
		if s.lastUsed.Load() < cutoff {
			delete(ss.byID, id)
			idle = append(idle, s)
		}
	}
	ss.mu.Unlock()
	for _, s := range idle {
		s.close()
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
		s.close()
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
