package verify

import (
	"context"
	"sync"
)

// group runs the Verifier's background work: key fetching loops and the
// refetches that tokens with unknown keys trigger. Close stops them and waits,
// so none outlives the Verifier.
type group struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

func newGroup(ctx context.Context) *group {
	ctx, cancel := context.WithCancel(ctx)
	return &group{ctx: ctx, cancel: cancel}
}

// start runs f in a goroutine, unless the group is closed; it reports
// whether it did.
func (g *group) start(f func(context.Context)) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		f(g.ctx)
	}()
	return true
}

// close cancels the work and waits for it to end. Taking mu before Wait
// means no start can Add once Wait has begun.
func (g *group) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.cancel()
	g.wg.Wait()
}
