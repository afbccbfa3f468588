package limit

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	l := New(2, 1)
	ctx := context.Background()
	r1, err1 := l.Acquire(ctx)
	r2, err2 := l.Acquire(ctx)
	if err1 != nil || err2 != nil {
		t.Fatalf("two calls within the limit: %v, %v", err1, err2)
	}
	waiting := make(chan error, 1)
	go func() {
		r, err := l.Acquire(ctx)
		if err == nil {
			r()
		}
		waiting <- err
	}()
	for l.Queued() != 1 { // the third call waits in the queue
		time.Sleep(time.Millisecond)
	}
	if _, err := l.Acquire(ctx); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("a fourth call with the queue full: got %v, want ErrQueueFull", err)
	}
	r1()
	if err := <-waiting; err != nil {
		t.Fatalf("the queued call, once a slot freed: %v", err)
	}
	r2()
	if q := l.Queued(); q != 0 {
		t.Errorf("Queued() = %d after all calls ended, want 0", q)
	}
}

func TestLimiterQueueWaitEndsWithContext(t *testing.T) {
	l := New(1, 1)
	release, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting past the deadline: got %v, want DeadlineExceeded", err)
	}
	if q := l.Queued(); q != 0 {
		t.Errorf("Queued() = %d after the wait ended, want 0", q)
	}
}

func TestNoQueue(t *testing.T) {
	l := New(1, 0)
	release, _ := l.Acquire(context.Background())
	defer release()
	if _, err := l.Acquire(context.Background()); !errors.Is(err, ErrQueueFull) {
		t.Errorf("max_queue 0 with the slot taken: got %v, want ErrQueueFull at once", err)
	}
}

func TestNilLimiterAdmitsAll(t *testing.T) {
	var l *Limiter = New(0, 5)
	for range 100 {
		if _, err := l.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}
