package audit

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ErrFull is what Write returns when the buffer is full and records are not
// to be dropped: the caller must refuse the call, so that nothing happens
// unrecorded.
var ErrFull = errors.New("audit: the audit buffer is full (the disk is slow or failing)")

// ErrClosed is what Write returns after Close.
var ErrClosed = errors.New("audit: the audit log is closed")

// Options configure a Log.
type Options struct {
	// Path is the file to append to; "-" means standard output.
	Path string
	// MaxBytes rotates the file when the next record would take it past
	// this size; 0 never rotates.
	MaxBytes int64
	// MaxFiles is how many rotated files (Path.1 … Path.N) are kept.
	MaxFiles int
	// Buffer is how many records may wait for the disk.
	Buffer int
	// DropWhenFull drops (and counts) records when the buffer is full;
	// otherwise Write returns ErrFull.
	DropWhenFull bool
	// Logger gets the writer's errors and warnings; nil discards them.
	Logger *slog.Logger
	// Registerer gets the writer's metrics; nil registers none.
	Registerer prometheus.Registerer

	hooks hooks // for tests
}

// hooks let tests stop the writer and break the disk.
type hooks struct {
	// batch is called by the writer goroutine after it takes the first
	// record of a batch, before it writes anything.
	batch func()
	// wrap wraps every file the writer writes to.
	wrap func(file) file
}

// file is what the writer needs of an *os.File.
type file interface {
	io.Writer
	Sync() error
	Close() error
}

const (
	maxBatch      = 256         // records per write
	syncEvery     = time.Second // fsync at most this often
	retryMin      = 50 * time.Millisecond
	retryMax      = 5 * time.Second // between attempts of a failing write
	rotateBackoff = time.Minute     // after a failed rotation, before the next attempt
)

// Log appends records to the audit trail. Write is safe for concurrent use.
type Log struct {
	opts Options
	log  *slog.Logger
	m    *metrics

	mu      sync.RWMutex // guards closed and sending on ch against Close
	closed  bool
	ch      chan Record
	quit    chan struct{} // closed by Close: stop retrying
	done    chan struct{} // closed when the writer has finished
	err     error         // the writer's result, read after done
	dropped atomic.Uint64 // records dropped since the last MethodDropped record
	// reserved counts room claimed with Reserve and not yet used; together
	// with the queue it never exceeds the queue's capacity.
	reserved atomic.Int64

	// Owned by the writer goroutine (by Open before it starts it).
	f             file
	stdout        bool
	retry         bool  // whether a failed write is retried (not during Open)
	size          int64 // bytes in the current file
	seq           uint64
	prev          string // hex SHA-256 of the last line
	sealer        *sealer
	pending       []byte              // sealed lines not yet written
	counts        [len(decisions)]int // records in pending, by decision
	failing       map[string]failure  // by kind of operation
	dirty         bool                // written since the last fsync
	lastSync      time.Time           // of the last fsync
	syncTimer     *time.Timer         // fires when the next fsync is due
	lastDropNote  time.Time           // of the last MethodDropped record
	noRotateUntil time.Time           // after a failed rotation
}

type failure struct {
	n    int    // failures in a row
	last string // the last error's text
}

// Open opens the trail for appending and starts its writer. It continues
// the chain of the existing file, or starts an explicit new segment when
// the file ends in a broken line; see the package documentation.
func Open(opts Options) (*Log, error) {
	switch {
	case opts.Path == "":
		return nil, errors.New("audit: no file to write to")
	case opts.Buffer < 1:
		return nil, fmt.Errorf("audit: buffer is %d; it must be at least 1", opts.Buffer)
	case opts.MaxBytes < 0 || opts.MaxFiles < 0:
		return nil, fmt.Errorf("audit: max bytes (%d) and max files (%d) must not be negative", opts.MaxBytes, opts.MaxFiles)
	}
	l := &Log{
		opts:      opts,
		log:       opts.Logger,
		ch:        make(chan Record, opts.Buffer),
		quit:      make(chan struct{}),
		done:      make(chan struct{}),
		sealer:    newSealer(),
		failing:   map[string]failure{},
		syncTimer: time.NewTimer(time.Hour),
	}
	l.syncTimer.Stop()
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	l.m = newMetrics(func() float64 { return float64(len(l.ch)) })

	if opts.Path == "-" {
		l.stdout = true
		l.f = l.wrap(os.Stdout)
		l.add(Record{Method: MethodRestart, Reason: "the audit trail goes to standard output, where the previous chain cannot be read: a new chain starts"})
	} else if err := l.openFile(); err != nil {
		return nil, err
	}
	// What Open added (a restart record, a newline ending a torn line)
	// is written now, so that a disk that does not take it fails the
	// start.
	if err := l.flush(); err != nil {
		l.closeFile()
		return nil, fmt.Errorf("audit: writing %s: %w", opts.Path, err)
	}
	l.sync()
	if err := l.m.register(opts.Registerer); err != nil {
		l.closeFile()
		return nil, err
	}
	l.log.Info("audit trail open", "file", opts.Path, "next_seq", l.seq+1, "head_sha256", l.prev)
	l.retry = true
	go l.run()
	return l, nil
}

// openFile opens the trail's file and picks up its chain.
func (l *Log) openFile() error {
	path := l.opts.Path
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	rp, err := l.resume()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("audit: %w", err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		l.log.Warn("the audit trail is open to other users; chmod 600 it", "file", path, "mode", fmt.Sprintf("%#o", perm))
	}
	l.f, l.size = l.wrap(f), st.Size()
	l.seq, l.prev = rp.seq, rp.prev
	if rp.newline {
		l.pending = append(l.pending, '\n')
	}
	if rp.restart != "" {
		l.add(Record{Method: MethodRestart, Reason: rp.restart})
	}
	return nil
}

func (l *Log) wrap(f *os.File) file {
	if l.opts.hooks.wrap != nil {
		return l.opts.hooks.wrap(f)
	}
	return f
}

// Write queues r for the trail and returns at once: it never waits for the
// disk. When the buffer is full it drops r and returns nil if
// Options.DropWhenFull is set, else it returns ErrFull and the caller must
// refuse the call. A zero r.Time is set to now. The writer sets the chain
// fields. r.Decision must be set: records with an empty decision are the
// writer's own. r.Scopes must not be changed after the call.
func (l *Log) Write(r Record) error {
	res, err := l.Reserve()
	if err != nil {
		return err
	}
	return res.Commit(r)
}

// Reservation is room in the buffer for one record; commit or release it
// exactly once.
type Reservation struct {
	l    *Log
	drop bool // the buffer was full and the policy is to drop
}

// Reserve claims room for a record before the audited action happens, so
// that a full buffer refuses the action (ErrFull) instead of losing its
// record. Under the drop policy a full buffer gives a reservation whose
// record is dropped and counted. Every reservation must be committed or
// released.
func (l *Log) Reserve() (Reservation, error) {
	for {
		n := l.reserved.Load()
		if int(n)+len(l.ch) >= cap(l.ch) {
			if l.opts.DropWhenFull {
				return Reservation{l: l, drop: true}, nil
			}
			return Reservation{}, ErrFull
		}
		if l.reserved.CompareAndSwap(n, n+1) {
			return Reservation{l: l}, nil
		}
	}
}

// Commit queues the record in the reserved room; it never waits for the disk.
func (res Reservation) Commit(r Record) error {
	l := res.l
	if res.drop {
		l.dropped.Add(1)
		l.m.dropped.Inc()
		return nil
	}
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	defer l.reserved.Add(-1)
	if l.closed {
		return ErrClosed
	}
	l.ch <- r // cannot block: the room was reserved
	return nil
}

// Release gives the room back unused, when the action did not happen.
func (res Reservation) Release() {
	if !res.drop {
		res.l.reserved.Add(-1)
	}
}

// Close writes what is queued, fsyncs and closes the file. It does not
// retry a failing write: it returns an error saying how many records were
// not written. Writes after Close return ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		<-l.done
		return nil
	}
	l.closed = true
	close(l.ch)
	l.mu.Unlock()
	close(l.quit)
	<-l.done
	return l.err
}

// run is the writer goroutine: it takes batches of records off the queue,
// writes each batch with one write, and fsyncs when due.
func (l *Log) run() {
	defer close(l.done)
	for {
		select {
		case r, ok := <-l.ch:
			if !ok {
				l.err = l.shutdown()
				return
			}
			if l.opts.hooks.batch != nil {
				l.opts.hooks.batch()
			}
			l.add(r)
			l.drain()
			l.noteDrops(false)
			_ = l.flush() // fails only when Close stops the retries; shutdown reports
		case <-l.syncTimer.C:
			l.sync()
		}
	}
}

// drain adds what else is queued, up to a batch.
func (l *Log) drain() {
	for range maxBatch - 1 {
		select {
		case r, ok := <-l.ch:
			if !ok {
				return
			}
			l.add(r)
		default:
			return
		}
	}
}

// add seals r as the next record of the chain and appends it to pending,
// first rotating the file if r would take it past MaxBytes.
func (l *Log) add(r Record) {
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	r.Time = r.Time.UTC()
	r.Seq, r.Prev = l.seq+1, l.prev
	line, sum, err := l.sealer.seal(&r)
	if err == nil && len(line) > maxLine {
		err = fmt.Errorf("the record is %d bytes long, more than %d", len(line), maxLine)
	}
	if err != nil {
		// Record that something happened, and why it is not all here.
		l.log.Error("audit record cannot be written in full; writing what can be", "request_id", clip(r.RequestID), "error", err)
		r = Record{
			Time: time.Now().UTC(), RequestID: clip(r.RequestID), Subject: clip(r.Subject), ClientID: clip(r.ClientID),
			Issuer: clip(r.Issuer), Method: clip(r.Method), Tool: clip(r.Tool), Plugin: clip(r.Plugin),
			Decision: clip(r.Decision), Outcome: clip(r.Outcome),
			Reason: "audit: the record could not be written in full: " + clip(err.Error()),
			Seq:    r.Seq, Prev: r.Prev,
		}
		line, sum, _ = l.sealer.seal(&r) // short strings and a valid time: cannot fail
	}
	if l.rotateDue(len(line) + 1) {
		if l.flush() == nil {
			l.rotate()
		}
	}
	l.pending = append(l.pending, line...)
	l.pending = append(l.pending, '\n')
	l.counts[decisionIndex(r.Decision)]++
	l.seq = r.Seq
	l.prev = hex.EncodeToString(sum[:])
}

func clip(s string) string {
	if len(s) > 256 {
		return s[:256]
	}
	return s
}

// noteDrops adds a MethodDropped record when records were dropped: at most
// once a second, and at Close.
func (l *Log) noteDrops(final bool) {
	if l.dropped.Load() == 0 || (!final && time.Since(l.lastDropNote) < time.Second) {
		return
	}
	n := l.dropped.Swap(0)
	l.lastDropNote = time.Now()
	l.log.Warn("audit buffer was full: records dropped", "dropped", n, "file", l.opts.Path)
	l.add(Record{Method: MethodDropped,
		Reason: fmt.Sprintf("%d records were dropped because the audit buffer was full (audit.on_full = \"drop\")", n)})
}

// flush writes pending. A failed write is retried with backoff until it
// succeeds or Close is called, without taking more records off the queue:
// the queue then fills up and Write reports it. The lines are sealed
// already, so a write that resumes after a partial one continues the chain.
func (l *Log) flush() error {
	var err error
	for attempt := 0; len(l.pending) > 0; attempt++ {
		var n int
		n, err = l.f.Write(l.pending)
		l.size += int64(n)
		l.pending = l.pending[:copy(l.pending, l.pending[n:])]
		if len(l.pending) == 0 {
			break
		}
		if err == nil {
			err = io.ErrShortWrite
		}
		l.failed("write", err)
		if !l.retry || !l.wait(backoff(attempt)) {
			return err
		}
	}
	l.recovered("write")
	for i, n := range l.counts {
		if n > 0 {
			l.m.records[i].Add(float64(n))
			l.counts[i] = 0
		}
	}
	if !l.stdout && !l.dirty {
		l.dirty = true
		l.syncTimer.Reset(max(0, time.Until(l.lastSync.Add(syncEvery))))
	}
	return nil
}

func backoff(attempt int) time.Duration {
	return min(retryMin<<min(attempt, 10), retryMax)
}

// wait waits for d, or until Close; it returns false on Close.
func (l *Log) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-l.quit:
		return false
	}
}

// sync fsyncs the file if it was written since the last fsync.
func (l *Log) sync() {
	if !l.dirty || l.stdout {
		return
	}
	if err := l.f.Sync(); err != nil && !cannotSync(err) {
		l.failed("fsync", err)
		l.syncTimer.Reset(syncEvery)
		return
	}
	l.recovered("fsync")
	l.dirty, l.lastSync = false, time.Now()
}

// cannotSync tells a file that has nothing to sync (a FIFO, a character
// device such as /dev/stderr) from a disk that failed: the former is no error.
func cannotSync(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP)
}

// shutdown writes what is left, once, and closes the file.
func (l *Log) shutdown() error {
	l.noteDrops(true)
	var errs []error
	if err := l.flush(); err != nil {
		n := 0
		for _, c := range l.counts {
			n += c
		}
		errs = append(errs, fmt.Errorf("audit: %d records were not written to %s: %w", n, l.opts.Path, err))
	}
	if l.dirty && !l.stdout {
		if err := l.f.Sync(); err != nil && !cannotSync(err) {
			l.m.errors.Inc()
			errs = append(errs, fmt.Errorf("audit: fsync %s: %w", l.opts.Path, err))
		}
	}
	if err := l.closeFile(); err != nil {
		errs = append(errs, fmt.Errorf("audit: closing %s: %w", l.opts.Path, err))
	}
	l.syncTimer.Stop()
	l.log.Info("audit trail closed", "file", l.opts.Path, "last_seq", l.seq, "head_sha256", l.prev)
	return errors.Join(errs...)
}

func (l *Log) closeFile() error {
	if l.stdout || l.f == nil {
		return nil
	}
	return l.f.Close()
}

// failed counts a failed operation and logs it when a burst of failures
// starts or its error changes, not at every retry.
func (l *Log) failed(kind string, err error) {
	l.m.errors.Inc()
	f := l.failing[kind]
	f.n++
	if f.n == 1 || err.Error() != f.last {
		l.log.Error("audit trail: "+kind+" failed", "file", l.opts.Path, "error", err, "failures", f.n, "effect", effects[kind])
	}
	f.last = err.Error()
	l.failing[kind] = f
}

var effects = map[string]string{
	"write":  "retrying; once the buffer fills, calls are refused (audit.on_full = refuse) or records dropped (drop)",
	"fsync":  "written records may not survive a power loss; retrying",
	"rotate": "writing on in the current file; retrying in a minute",
}

// recovered logs the end of a burst of failures.
func (l *Log) recovered(kind string) {
	if len(l.failing) == 0 {
		return
	}
	if f, ok := l.failing[kind]; ok {
		delete(l.failing, kind)
		l.log.Warn("audit trail: "+kind+" works again", "file", l.opts.Path, "failures", f.n)
	}
}
