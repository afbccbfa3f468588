package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/toolgate/toolgate/config"
	"github.com/toolgate/toolgate/host/limit"
	"github.com/toolgate/toolgate/sdk"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// Supervision settings. A crashed plugin comes back after restartMin (plus
// jitter), then twice as long after each further failure up to restartMax;
// after parkAfter failures in a row the circuit opens and the plugin is left
// parked for parkFor before the next try. A plugin that fails pingFailures
// health pings in a row is taken for hung and restarted.
const (
	restartMin   = 50 * time.Millisecond
	restartMax   = 10 * time.Second
	parkAfter    = 5
	parkFor      = time.Minute
	pingEvery    = 5 * time.Second
	pingTimeout  = 2 * time.Second
	pingFailures = 3
)

// Supervised keeps one plugin running. Calls go to the current process;
// while there is none (the plugin is restarting or parked) they fail at once
// with ErrUnavailable.
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
	log  *slog.Logger
	cur  atomic.Pointer[Plugin]
	// restarts counts the processes started after the first.
	restarts atomic.Int64
	parked   atomic.Bool
	inFlight atomic.Int64
	// limit bounds the calls running in the process and waiting for it.
	limit *limit.Limiter
	// offer is what the first start offered; templates its parsed
	// resource templates, for checking the updates the plugin reports.
	offer     *toolgatev1.InitResponse
	templates []*sdk.URITemplate
	// onUpdate receives resource updates; nil drops them.
	onUpdate atomic.Pointer[func(uri string)]

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
		spec: spec, opts: opts,
		log:   opts.Logger.With("plugin", spec.Name),
		limit: limit.New(spec.MaxConcurrent, spec.MaxQueue),
		offer: p.offer(), templates: templates,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	s.serve(p)
	go s.run(p)
	return s, nil
}

// Digest is the sha256 of the binary the current process runs.
func (s *Supervised) Digest() string {
	if p := s.cur.Load(); p != nil {
		return p.Digest
	}
	return ""
}

// Up reports whether a process serves the plugin's calls now.
func (s *Supervised) Up() bool { return s.cur.Load() != nil }

// CallTool runs a call on the current process, once the plugin's limit
// admits it.
func (s *Supervised) CallTool(ctx context.Context, req *toolgatev1.CallToolRequest, onEvent func(*toolgatev1.CallToolEvent)) (*toolgatev1.CallToolResult, error) {
	p, done, err := s.admit(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	return p.CallTool(ctx, req, onEvent)
}

// admit waits for the plugin's limit to admit a request and returns the
// process to send it to, and the function to call when it is done.
func (s *Supervised) admit(ctx context.Context) (*Plugin, func(), error) {
	release, err := s.limit.Acquire(ctx)
	if err != nil {
		if errors.Is(err, limit.ErrQueueFull) {
			return nil, nil, fmt.Errorf("plugin %s: %w (plugins.max_concurrent = %d, max_queue = %d)", s.Name, err, s.spec.MaxConcurrent, s.spec.MaxQueue)
		}
		return nil, nil, err
	}
	p := s.cur.Load()
	if p == nil {
		release()
		if s.parked.Load() {
			return nil, nil, fmt.Errorf("%w: is parked after failing %d times in a row; the next try is within %s", ErrUnavailable, parkAfter, parkFor)
		}
		return nil, nil, fmt.Errorf("%w: is restarting", ErrUnavailable)
	}
	s.inFlight.Add(1)
	return p, func() { s.inFlight.Add(-1); release() }, nil
}

// serve puts a process into service, following its resource updates when
// it offers resources.
func (s *Supervised) serve(p *Plugin) {
	s.cur.Store(p)
	if len(s.Resources) > 0 || len(s.ResourceTemplates) > 0 {
		go s.watchUpdates(p)
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
		s.cur.Store(nil)
		if p = s.restart(); p == nil {
			return
		}
		s.serve(p)
	}
}

// watch returns true when the process has died or stopped answering, false
// when supervision is to stop.
func (s *Supervised) watch(p *Plugin) bool {
	tick := time.NewTicker(pingEvery)
	defer tick.Stop()
	failed := 0
	for {
		select {
		case <-s.stop:
			return false
		case <-p.Exited():
			return true
		case <-tick.C:
			if err := ping(p); err != nil {
				failed++
				s.log.Warn("plugin did not answer a health ping", "failed", failed, "of", pingFailures, "error", err)
				if failed >= pingFailures {
					s.log.Error("plugin is hung: killing it to restart it")
					p.Stop()
					<-p.Exited()
					return true
				}
				continue
			}
			failed = 0
		}
	}
}

// ping bounds go-plugin's ping, which has no deadline of its own.
func ping(p *Plugin) error {
	errc := make(chan error, 1)
	go func() { errc <- p.Ping() }()
	select {
	case err := <-errc:
		return err
	case <-time.After(pingTimeout):
		return errors.New("no answer within " + pingTimeout.String())
	}
}

// restart starts a new process, backing off after each failure, until one
// serves or supervision stops (nil).
func (s *Supervised) restart() *Plugin {
	for failures := 0; ; failures++ {
		delay := backoff(failures)
		if failures >= parkAfter {
			s.parked.Store(true)
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
		s.parked.Store(false)
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
