package pluginhost

import (
	"testing"
	"time"
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
