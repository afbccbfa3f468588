package pluginhost

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/toolgate/toolgate/config"
	"github.com/toolgate/toolgate/host/limit"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

func TestBackoff(t *testing.T) {
	for n := range 40 {
		want := restartMax
		if n < 20 {
			want = min(restartMin<<n, restartMax)
		}
		for range 50 {
			got := backoff(n)
			if got < want/2 || got > want {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, got, want/2, want)
			}
		}
	}
	if first := backoff(0); first > restartMin {
		t.Errorf("backoff(0) = %v: a crashed plugin must come back within %v", first, restartMin)
	}
}

func TestBackoffJitters(t *testing.T) {
	seen := map[time.Duration]bool{}
	for range 100 {
		seen[backoff(6)] = true
	}
	if len(seen) < 10 {
		t.Errorf("backoff(6) took %d distinct values in 100 draws, want spread to avoid restarts in lockstep", len(seen))
	}
}

// parkedPlugin is a Supervised with no process, parked: every call it takes
// fails at once, naming it.
func parkedPlugin(name string) *Supervised {
	s := &Supervised{
		Name: name, spec: config.Plugin{Name: name}, limit: limit.New(1, 0),
		changed: make(chan struct{}), idle: make(chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	s.parked.Store(true)
	return s
}

func TestRetireForwardsToSuccessor(t *testing.T) {
	old, next := parkedPlugin("old"), parkedPlugin("next")
	defer close(old.stop)
	_, err := old.CallTool(t.Context(), &toolgatev1.CallToolRequest{Name: "x"}, nil)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "parked") {
		t.Fatalf("a call before the retirement: got %v, want the parked error", err)
	}
	idle := old.Retire(next)
	select {
	case <-idle:
	default:
		t.Fatal("a retired plugin with no call running is not idle")
	}
	if again := old.Retire(nil); again != idle {
		t.Error("a second Retire returned another channel")
	}
	// The successor tells itself apart: it is stopping, not parked.
	next.parked.Store(false)
	close(next.stop)
	_, err = old.CallTool(t.Context(), &toolgatev1.CallToolRequest{Name: "x"}, nil)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "stopping") {
		t.Errorf("a call after the retirement: got %v, want it handed to the successor, which is stopping", err)
	}
	if next.limit.Queued() != 0 {
		t.Errorf("the successor's queue holds %d calls after the call ended", next.limit.Queued())
	}
}

func TestRetireRemoved(t *testing.T) {
	s := parkedPlugin("gone")
	s.Retire(nil)
	_, err := s.CallTool(t.Context(), &toolgatev1.CallToolRequest{Name: "x"}, nil)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "removed from the configuration") {
		t.Errorf("a call to a removed plugin: got %v, want unavailable, removed", err)
	}
}
