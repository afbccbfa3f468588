package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/toolgate/toolgate/config"
	"github.com/toolgate/toolgate/host/limit"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// Supervision settings. A crashed plugin comes back after restartMin (plus
// jitter), then twice as long after each further failure up to restartMax;
// after parkAfter failures in a row the circuit opens and the plugin is left
// parked for parkFor before the next try. A plugin that fails pingFailures
// health pings in a row (plugins.ping_interval apart, each answered within
// the interval or maxPingTimeout) is taken for hung and restarted.
const (
	restartMin     = 50 * time.Millisecond
	restartMax     = 10 * time.Second
	parkAfter      = 5
	parkFor        = time.Minute
	maxPingTimeout = 2 * time.Second
	pingFailures   = 3
)

// Supervised keeps one plugin running. Calls go to the current process;
// while the plugin restarts they wait for the new one (bounded by their
// own deadline), and while it is parked they fail at once with
// ErrUnavailable.
//
// A Supervised that a reload replaces or removes is retired: the calls it
// runs finish, and a call that reaches it afterwards (its caller read the
// catalog just before the swap) goes to its successor, or fails as
// unavailable when the plugin was removed.
type Supervised struct {
	Name string
	// Tools, Prompts, Resources and ResourceTemplates are those of the
	// first start. A restarted process must offer the same ones, or it is
	// not taken into service.
	Tools             []*toolgatev1.Tool
	Prompts           []*toolgatev1.Prompt
	Resources         []*toolgatev1.Resource
	ResourceTemplates []*toolgatev1.ResourceTemplate

	spec config.Plugin
	opts Options
	// digest is the sha256 of the binary of the first start.
	digest string
	log    *slog.Logger
	cur    atomic.Pointer[Plugin]
	// restarts counts the processes started after the first.
	restarts atomic.Int64
	parked   atomic.Bool
	inFlight atomic.Int64
	// changed is closed and replaced whenever cur or parked changes, to
	// wake the calls waiting for a process.
	stateMu sync.Mutex
	changed chan struct{}

	// gate counts the calls inside CallTool until the Supervised is
	// retired; idle is closed when the last of them has left after that.
	gate      sync.Mutex
	active    int
	retired   bool
	idle      chan struct{}
	successor *Supervised
	// limit bounds the calls running in the process and waiting for it.
	limit *limit.Limiter
	// offer is what the first start offered: a restarted process must
	// offer the same at Init.
	offer *toolgatev1.InitResponse
	// current is what the plugin offers now, which it may change while it
	// runs (see watchOffer).
	current atomic.Pointer[currentOffer]

	stop chan struct{}
	done chan struct{}
}

// Supervise starts a plugin and keeps it running until Stop. The first start
// must succeed: a plugin that cannot start at all is a configuration error.
func Supervise(ctx context.Context, spec config.Plugin, opts Options) (*Supervised, error) {
	p, err := Start(ctx, spec, opts)
	if err != nil {
		return nil, err
	}
	templates, err := parseTemplates(p.ResourceTemplates)
	if err != nil {
		p.Stop()
		return nil, fmt.Errorf("plugin %s: %w", spec.Name, err)
	}
	s := &Supervised{
		Name: spec.Name, Tools: p.Tools, Prompts: p.Prompts, Resources: p.Resources, ResourceTemplates: p.ResourceTemplates,
		spec: spec, opts: opts, digest: p.Digest,
		log:     opts.Logger.With("plugin", spec.Name),
		limit:   limit.New(spec.MaxConcurrent, spec.MaxQueue),
		offer:   p.offer(),
		changed: make(chan struct{}), idle: make(chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	s.current.Store(&currentOffer{offer: s.offer, templates: templates})
	s.serve(p)
	go s.run(p)
	return s, nil
}

// Digest is the sha256 of the binary the current process runs, or of the
// first one while there is no process.
func (s *Supervised) Digest() string {
	if p := s.cur.Load(); p != nil {
		return p.Digest
	}
	return s.digest
}

// Spec is the [[plugins]] entry the plugin was started from.
func (s *Supervised) Spec() config.Plugin { return s.spec }

// Up reports whether a process serves the plugin's calls now.
func (s *Supervised) Up() bool { return s.cur.Load() != nil }

// Hidden reports whether the plugin's tools are off tools/list now: it is
// parked and plugins.when_parked is "hide".
func (s *Supervised) Hidden() bool { return s.spec.WhenParked == "hide" && s.parked.Load() }

// Retire takes the Supervised out of service in favour of successor (nil
// when the plugin was removed) and returns a channel closed once no call
// runs in it any more. The caller stops it after that.
func (s *Supervised) Retire(successor *Supervised) <-chan struct{} {
	s.gate.Lock()
	defer s.gate.Unlock()
	if !s.retired {
		s.retired, s.successor = true, successor
		if s.active == 0 {
			close(s.idle)
		}
	}
	return s.idle
}

// enter admits a call unless the Supervised is retired; then it returns
// where the call goes instead (nil: nowhere).
func (s *Supervised) enter() (ok bool, instead *Supervised) {
	s.gate.Lock()
	defer s.gate.Unlock()
	if s.retired {
		return false, s.successor
	}
	s.active++
	return true, nil
}

func (s *Supervised) leave() {
	s.gate.Lock()
	defer s.gate.Unlock()
	if s.active--; s.retired && s.active == 0 {
		close(s.idle)
	}
}

// acquire admits a request into s, or into the Supervised that replaced it,
// and then into that one's limit; done releases both.
func (s *Supervised) acquire(ctx context.Context) (t *Supervised, done func(), err error) {
	ok, instead := s.enter()
	if !ok {
		if instead != nil {
			return instead.acquire(ctx)
		}
		return nil, nil, fmt.Errorf("%w: was removed from the configuration", ErrUnavailable)
	}
	release, err := s.limit.Acquire(ctx)
	if err != nil {
		s.leave()
		if errors.Is(err, limit.ErrQueueFull) {
			return nil, nil, fmt.Errorf("plugin %s: %w (plugins.max_concurrent = %d, max_queue = %d)", s.Name, err, s.spec.MaxConcurrent, s.spec.MaxQueue)
		}
		return nil, nil, err
	}
	return s, func() { release(); s.leave() }, nil
}

// CallTool runs a call on the current process, once the plugin's limit
// admits it.
func (s *Supervised) CallTool(ctx context.Context, req *toolgatev1.CallToolRequest, onEvent func(*toolgatev1.CallToolEvent)) (*toolgatev1.CallToolResult, error) {
	t, done, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	for {
		p, err := t.process(ctx)
		if err != nil {
			return nil, err
		}
		t.inFlight.Add(1)
		res, err := p.CallTool(ctx, req, onEvent)
		t.inFlight.Add(-1)
		switch {
		case errors.Is(err, errExited):
			// The call never reached the plugin: it waits for the next
			// process.
			continue
		case errors.Is(err, ErrUnavailable):
			// The call may have run: it fails, but only once the host
			// has seen the process go, so that calls sent after this
			// one wait for the next process instead of failing too.
			t.awaitExit(ctx, p)
		}
		return res, err
	}
}

// admit admits a request other than a tool call (those retry on a process
// that exits under them, see CallTool): it waits for the plugin's limit and
// a process, and returns the process and the function to call when done.
func (s *Supervised) admit(ctx context.Context) (*Plugin, func(), error) {
	t, done, err := s.acquire(ctx)
	if err != nil {
		return nil, nil, err
	}
	p, err := t.process(ctx)
	if err != nil {
		done()
		return nil, nil, err
	}
	t.inFlight.Add(1)
	return p, func() { t.inFlight.Add(-1); done() }, nil
}

// process returns the process to run a call on, waiting while the plugin
// restarts: a crash costs the calls it interrupted, not those that follow.
// A process that has exited but is not yet replaced is waited past too.
func (s *Supervised) process(ctx context.Context) (*Plugin, error) {
	for {
		s.stateMu.Lock()
		p, parked, changed := s.cur.Load(), s.parked.Load(), s.changed
		s.stateMu.Unlock()
		switch {
		case p != nil && !p.hasExited():
			return p, nil
		case parked:
			return nil, fmt.Errorf("%w: is parked after failing %d times in a row; the next try is within %s", ErrUnavailable, parkAfter, parkFor)
		}
		select {
		case <-changed:
		case <-s.stop:
			return nil, fmt.Errorf("%w: is stopping", ErrUnavailable)
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: waiting for it to restart: %w", ErrUnavailable, ctx.Err())
		}
	}
}

// awaitExit waits, after a call found p's connection broken, for the
// process to be seen gone, up to maxPingTimeout or the call's end.
func (s *Supervised) awaitExit(ctx context.Context, p *Plugin) {
	t := time.NewTimer(maxPingTimeout)
	defer t.Stop()
	select {
	case <-p.Exited():
	case <-t.C:
	case <-ctx.Done():
	}
}

// setState publishes the current process (nil: none) and whether the
// plugin is parked, waking the calls that wait for a process.
func (s *Supervised) setState(p *Plugin, parked bool) {
	s.stateMu.Lock()
	wasHidden := s.Hidden()
	s.cur.Store(p)
	s.parked.Store(parked)
	close(s.changed)
	s.changed = make(chan struct{})
	hidden := s.Hidden()
	s.stateMu.Unlock()
	if hidden != wasHidden && s.opts.OnListChanged != nil {
		s.opts.OnListChanged()
	}
}

// Stop ends supervision and the process.
func (s *Supervised) Stop() {
	close(s.stop)
	<-s.done
}

// run watches the current process and replaces it when it dies or hangs.
func (s *Supervised) run(p *Plugin) {
	defer close(s.done)
	for {
		if !s.watch(p) {
			p.Stop()
			return
		}
		s.setState(nil, false)
		if p = s.restart(); p == nil {
			return
		}
		s.serve(p)
	}
}

// serve puts a process into service, following its resource updates when
// it offers resources and the changes of its offer.
func (s *Supervised) serve(p *Plugin) {
	s.setState(p, false)
	if len(s.Resources) > 0 || len(s.ResourceTemplates) > 0 {
		go s.watchUpdates(p)
	}
	go s.watchOffer(p)
}

// watch returns true when the process has died or stopped answering, false
// when supervision is to stop.
func (s *Supervised) watch(p *Plugin) bool {
	every := s.spec.PingInterval
	if every <= 0 {
		every = 5 * time.Second // a spec not from config.Load
	}
	timeout := min(every, maxPingTimeout)
	tick := time.NewTicker(every)
	defer tick.Stop()
	failed := 0
	for {
		select {
		case <-s.stop:
			return false
		case <-p.Exited():
			return true
		case <-tick.C:
			if err := ping(p, timeout); err != nil {
				failed++
				s.log.Warn("plugin did not answer a health ping", "failed", failed, "of", pingFailures, "error", err)
				if failed >= pingFailures {
					s.log.Error("plugin is hung: killing it to restart it")
					p.Kill()
					return true
				}
				continue
			}
			failed = 0
		}
	}
}

// ping bounds go-plugin's ping, which has no deadline of its own.
func ping(p *Plugin, timeout time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- p.Ping() }()
	select {
	case err := <-errc:
		return err
	case <-time.After(timeout):
		return errors.New("no answer within " + timeout.String())
	}
}

// restart starts a new process, backing off after each failure, until one
// serves or supervision stops (nil).
func (s *Supervised) restart() *Plugin {
	for failures := 0; ; failures++ {
		delay := backoff(failures)
		if failures >= parkAfter {
			if !s.parked.Load() {
				s.setState(nil, true)
			}
			delay = parkFor
			s.log.Error("plugin keeps failing: parked", "failures", failures, "next_try_in", delay)
		}
		select {
		case <-s.stop:
			return nil
		case <-time.After(delay):
		}
		p, err := Start(context.Background(), s.spec, s.opts)
		if err == nil && !proto.Equal(p.offer(), s.offer) {
			p.Stop()
			err = errors.New("the restarted plugin offers other tools, prompts or resources than at first start; restart Toolgate to take them")
		}
		if err != nil {
			s.log.Error("restarting plugin failed", "attempt", failures+1, "error", err)
			continue
		}
		s.restarts.Add(1)
		s.log.Info("plugin restarted", "attempt", failures+1, "restarts", s.restarts.Load())
		return p
	}
}

// backoff is the wait before restart attempt n+1: exponential with full
// jitter over its upper half, so plugins that crash together do not
// restart in lockstep.
func backoff(n int) time.Duration {
	d := restartMax
	if n < 20 {
		d = min(restartMin<<n, restartMax)
	}
	return d/2 + rand.N(d/2+1)
}
