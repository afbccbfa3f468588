package transport

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Stream kinds, as the open-streams gauge labels them: the answer to a POST,
// a session's GET stream (or a stream resumed over GET), a 2026-07-28
// subscriptions/listen stream.
const (
	kindPost   = "post"
	kindGet    = "get"
	kindListen = "listen"
)

const (
	// defaultKeepAlive is how often an SSE stream with nothing to say sends a
	// comment, so that proxies and clients do not take it for dead; a call
	// that runs this long without an event is switched to SSE for it.
	defaultKeepAlive = 15 * time.Second
	// retryMillis is the reconnection delay a session-era client is told
	// in the priming event.
	retryMillis = 1000
	// eventWriteTimeout bounds one write, so a client that stops reading
	// cannot hold a stream (and what waits on it) for good.
	eventWriteTimeout = 10 * time.Second
)

// sseConn is one HTTP response carrying an event stream. It is written only
// by the stream it is attached to, under that stream's lock; the handler that
// owns the response does not return while the connection is attached.
type sseConn struct {
	w     http.ResponseWriter
	rc    *http.ResponseController
	open  prometheus.Gauge
	dead  bool
	ended chan struct{} // closed when the stream lets go of the connection
}

// startSSE sends the event-stream headers and counts the stream as open
// until end.
func startSSE(w http.ResponseWriter, open *prometheus.GaugeVec, kind string) *sseConn {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	// Proxies such as nginx must pass each event on at once.
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	c := &sseConn{w: w, rc: http.NewResponseController(w), open: open.WithLabelValues(kind), ended: make(chan struct{})}
	c.open.Inc()
	c.flush()
	return c
}

// event writes one event: id and retry when set, then data. Encoded JSON
// has no line breaks, but should data hold one, each line gets its own
// data field, so no line can end the event early. It reports whether the
// client can still be reached.
func (c *sseConn) event(id string, retry int, data []byte) bool {
	buf := make([]byte, 0, len(data)+64)
	if id != "" {
		buf = append(append(append(buf, "id: "...), id...), '\n')
	}
	if retry > 0 {
		buf = append(strconv.AppendInt(append(buf, "retry: "...), int64(retry), 10), '\n')
	}
	buf = append(buf, "data: "...)
	for len(data) > 0 {
		i := bytes.IndexAny(data, "\r\n")
		if i < 0 {
			buf = append(buf, data...)
			break
		}
		buf = append(buf, data[:i]...)
		if data[i] == '\n' {
			buf = append(buf, "\ndata: "...)
		}
		data = data[i+1:]
	}
	buf = append(buf, "\n\n"...)
	return c.write(buf)
}

// comment writes a keep-alive comment, which clients ignore.
func (c *sseConn) comment() bool { return c.write([]byte(":\n\n")) }

func (c *sseConn) write(b []byte) bool {
	if c.dead {
		return false
	}
	_ = c.rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout))
	if _, err := c.w.Write(b); err != nil {
		c.dead = true
		return false
	}
	c.flush()
	_ = c.rc.SetWriteDeadline(time.Time{})
	return !c.dead
}

func (c *sseConn) flush() {
	if err := c.rc.Flush(); err != nil {
		c.dead = true
	}
}

// release lets the owning handler return: the stream is done with the
// connection. It is called once, under the stream's lock.
func (c *sseConn) release() {
	close(c.ended)
	c.open.Dec()
}
