package transport

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// stream is one SSE stream: the answer to a POST, a session's GET stream or
// a 2026-07-28 listen stream. A POST answer starts as nothing and becomes an
// event stream only when there is something to send before the result, so a
// plain call keeps its plain JSON answer.
//
// In a session, events carry ids and are kept in the session's replay
// buffer, and the connection is not the stream: when it drops, the stream
// goes on without one, and a GET with Last-Event-ID attaches a new one.
type stream struct {
	sess *session // nil in 2026-07-28: no ids, no resumption
	key  uint64   // the stream's number in its session; 0 is the GET stream
	kind string
	open *prometheus.GaugeVec

	mu sync.Mutex
	w  http.ResponseWriter // a POST's own response, until it starts
	// conn is the connection events go to: nil before the start and
	// while no client is attached.
	conn *sseConn
	// own is the connection of the POST's own response, once started.
	own      *sseConn
	started  bool
	finished bool
	// ka sends keep-alives every kaEvery until kaStopped.
	ka        *time.Timer
	kaEvery   time.Duration
	kaStopped bool
}

// eventID names an event: its stream and its place in the session.
func eventID(key, seq uint64) string {
	return strconv.FormatUint(key, 10) + "-" + strconv.FormatUint(seq, 10)
}

// parseEventID reads an id made by eventID.
func parseEventID(id string) (key, seq uint64, ok bool) {
	k, s, found := strings.Cut(id, "-")
	if !found {
		return 0, 0, false
	}
	key, err1 := strconv.ParseUint(k, 10, 64)
	seq, err2 := strconv.ParseUint(s, 10, 64)
	return key, seq, err1 == nil && err2 == nil
}

// startLocked turns the stream's response into an event stream. A session
// of 2025-11-25 or later first gets the priming event (an id, empty data)
// and the reconnection delay, so it can resume even before the first message.
func (st *stream) startLocked() {
	if st.started {
		return
	}
	st.started = true
	st.conn = startSSE(st.w, st.open, st.kind)
	st.own = st.conn
	st.w = nil
	if st.sess != nil {
		// Only now can a client resume it: it gets its key.
		st.sess.register(st)
	}
	st.primeLocked()
}

// prime sends the priming event on the attached connection, when the
// session's version has it.
func (st *stream) prime() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.primeLocked()
}

func (st *stream) primeLocked() {
	if st.sess != nil && st.sess.primes() {
		st.writeLocked(eventID(st.key, st.sess.log.next()), retryMillis, nil)
	}
}

// writeLocked writes one event to the attached connection, if any; a
// connection that fails is let go.
func (st *stream) writeLocked(id string, retry int, data []byte) {
	if st.conn != nil && !st.conn.event(id, retry, data) {
		st.dropLocked()
	}
}

// send delivers one message; final marks the answer, after which the stream
// ends. It reports whether the stream was still open.
func (st *stream) send(data []byte, final bool) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.sendLocked(data, final)
}

func (st *stream) sendLocked(data []byte, final bool) bool {
	if st.finished {
		return false
	}
	st.startLocked()
	id := ""
	if st.sess != nil {
		id = eventID(st.key, st.sess.log.add(st.key, data))
	}
	st.writeLocked(id, 0, data)
	if final {
		st.finishLocked()
	}
	return true
}

// answer sends the answer to a POST: as plain JSON when nothing was
// streamed before it, else as the stream's last event.
func (st *stream) answer(status int, body []byte) {
	st.mu.Lock()
	if !st.started && !st.finished {
		st.finishLocked()
		w := st.w
		st.w = nil
		st.mu.Unlock()
		writeJSON(w, status, body)
		return
	}
	st.mu.Unlock()
	st.send(body, true)
}

// end ends the stream without another message: the request was cancelled,
// or the stream's session or the server is going away.
func (st *stream) end() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.finished {
		return
	}
	if st.w != nil {
		// A response must still be sent; an empty event stream says nothing.
		st.startLocked()
	}
	st.finishLocked()
}

func (st *stream) finishLocked() {
	st.finished = true
	st.dropLocked()
	if st.sess != nil {
		st.sess.forget(st)
	}
}

// dropLocked lets go of the connection.
func (st *stream) dropLocked() {
	if st.conn != nil {
		st.conn.release()
		st.conn = nil
	}
}

// detach lets go of c (nil: the POST's own connection) when it is still
// the stream's connection: its client went away. It reports whether the stream goes on without it, which a
// session's started stream does, to be resumed.
func (st *stream) detach(c *sseConn) (goesOn bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if c == nil {
		c = st.own
	}
	if c != nil && st.conn == c {
		st.dropLocked()
	}
	return st.started && st.sess != nil && !st.finished
}

// attach resumes the stream on a new connection: it replays the events after
// seq from the replay buffer, then sends live ones there. A connection it
// held before is let go. It reports false when the stream already ended.
func (st *stream) attach(c *sseConn, after uint64) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.finished {
		return false
	}
	st.dropLocked()
	st.started = true
	st.conn = c
	// Replay and live events are both written under st.mu, so none is
	// delivered twice or skipped.
	for _, e := range st.sess.log.after(st.key, after) {
		st.writeLocked(eventID(st.key, e.seq), 0, e.data)
	}
	return true
}

// keepAlive sends a comment, first turning a POST answer into an event
// stream. It reports whether the stream is still open.
func (st *stream) keepAlive() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.finished {
		return false
	}
	st.startLocked()
	if st.conn != nil && !st.conn.comment() {
		st.dropLocked()
	}
	return true
}

// keepAliveEvery sends a keep-alive every d until the stream ends or stop
// is called; while it runs, calling it again does nothing.
func (st *stream) keepAliveEvery(d time.Duration) (stop func()) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ka == nil || st.kaStopped {
		st.kaEvery, st.kaStopped = d, false
		st.ka = time.AfterFunc(d, st.keepAliveTick)
	}
	return st.stopKeepAlive
}

func (st *stream) keepAliveTick() {
	if st.keepAlive() {
		st.mu.Lock()
		if !st.kaStopped {
			st.ka.Reset(st.kaEvery)
		}
		st.mu.Unlock()
	}
}

func (st *stream) stopKeepAlive() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.kaStopped = true
	if st.ka != nil {
		st.ka.Stop()
	}
}

// logged is one event in a session's replay buffer.
type logged struct {
	key, seq uint64
	data     []byte
}

// eventLog numbers a session's events and keeps the last max of them, for
// Last-Event-ID resumption.
type eventLog struct {
	mu   sync.Mutex
	max  int
	seq  uint64
	ring []logged // oldest first
}

// last returns the sequence number of the latest event.
func (l *eventLog) last() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq
}

// next takes a sequence number for an event that is not kept.
func (l *eventLog) next() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	return l.seq
}

// add keeps an event of stream key and returns its sequence number.
func (l *eventLog) add(key uint64, data []byte) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	if l.max > 0 {
		if len(l.ring) == l.max {
			copy(l.ring, l.ring[1:])
			l.ring = l.ring[:len(l.ring)-1]
		}
		l.ring = append(l.ring, logged{key: key, seq: l.seq, data: data})
	}
	return l.seq
}

// after returns the kept events of stream key that follow seq.
func (l *eventLog) after(key, seq uint64) []logged {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []logged
	for _, e := range l.ring {
		if e.key == key && e.seq > seq {
			out = append(out, e)
		}
	}
	return out
}
