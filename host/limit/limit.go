// Package limit bounds how many calls run at once and how many may wait
// for a turn. A call that finds the queue full is refused at once, so
// overload shows as a clear error instead of a pile of waiting requests.
package limit

import (
	"context"
	"errors"
	"sync/atomic"
)

// ErrQueueFull means every slot is taken and the queue is full.
var ErrQueueFull = errors.New("too many calls: every slot is taken and the queue is full")

// Limiter admits up to a fixed number of concurrent calls. A nil *Limiter
// admits everything.
type Limiter struct {
	slots    chan struct{}
	maxQueue int64
	queued   atomic.Int64
}

// New returns a limiter for concurrent running calls with room for queue
// waiting ones, or nil (no limit) when concurrent is not positive.
func New(concurrent, queue int) *Limiter {
	if concurrent <= 0 {
		return nil
	}
	return &Limiter{slots: make(chan struct{}, concurrent), maxQueue: int64(max(queue, 0))}
}

// Acquire takes a slot, waiting in the queue while there is room in it and
// ctx lasts. The returned func gives the slot back.
func (l *Limiter) Acquire(ctx context.Context) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	select {
	case l.slots <- struct{}{}:
		return l.release, nil
	default:
	}
	if l.queued.Add(1) > l.maxQueue {
		l.queued.Add(-1)
		return nil, ErrQueueFull
	}
	defer l.queued.Add(-1)
	select {
	case l.slots <- struct{}{}:
		return l.release, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (l *Limiter) release() { <-l.slots }

// Queued is the number of calls waiting now.
func (l *Limiter) Queued() int64 {
	if l == nil {
		return 0
	}
	return l.queued.Load()
}
