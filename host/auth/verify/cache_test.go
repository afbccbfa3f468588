package verify

import (
	"crypto/rand"
	"testing"
	"time"
)

// TestVerifiedCache: a verified JWT is served from the cache without the
// key set, each hit checks the expiry, and no entry outlives maxCacheAge.
func TestVerifiedCache(t *testing.T) {
	clk := newClock()
	as := newAS(t)
	key, other := newRSAKey(t, 0, "k1", ""), newRSAKey(t, 1, "k2", "")
	as.serveKeys(key)
	v := newVerifier(t, clk, Options{Issuers: []IssuerConfig{as.issuerOf(as.URL)}}, true)

	token := key.sign(t, "RS256", nil, claimsFor(clk, as.URL, nil))
	first := wantAccepted(t, v, token)
	// The issuer withdraws the key: a refetch (forced by another kid)
	// gives a set without it.
	as.serveKeys(other)
	fetches := as.hitsOf("/jwks")
	wantAccepted(t, v, other.sign(t, "RS256", nil, claimsFor(clk, as.URL, nil)))
	if as.hitsOf("/jwks") != fetches+1 {
		t.Fatalf("got %d fetches, want %d", as.hitsOf("/jwks"), fetches+1)
	}
	fetches++

	t.Run("hit: same identity, no key set needed, no fetch", func(t *testing.T) {
		clk.add(maxCacheAge - time.Second)
		second, err := v.Verify(t.Context(), token)
		if err != nil {
			t.Fatalf("got refusal %v, want the cached identity", err)
		}
		if second != first {
			t.Errorf("got a new identity, want the cached one")
		}
		if as.hitsOf("/jwks") != fetches {
			t.Errorf("got %d fetches, want %d", as.hitsOf("/jwks"), fetches)
		}
	})
	t.Run("no hit after maxCacheAge: verified again, the key is gone", func(t *testing.T) {
		clk.add(time.Second)
		id, err := v.Verify(t.Context(), token)
		wantRefusal(t, id, err, "unknown_key", token)
	})

	t.Run("a cached token is refused once it expires", func(t *testing.T) {
		short := other.sign(t, "RS256", nil, claimsFor(clk, as.URL, map[string]any{"exp": clk.unix(10 * time.Second)}))
		wantAccepted(t, v, short)
		clk.add(10*time.Second + v.skew - time.Nanosecond)
		wantAccepted(t, v, short)
		clk.add(time.Nanosecond)
		id, err := v.Verify(t.Context(), short)
		wantRefusal(t, id, err, "expired", short)
	})

	t.Run("a hit allocates nothing", func(t *testing.T) {
		hot := other.sign(t, "RS256", nil, claimsFor(clk, as.URL, nil))
		if _, err := v.Verify(t.Context(), hot); err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		if n := testing.AllocsPerRun(100, func() { v.Verify(ctx, hot) }); n != 0 {
			t.Errorf("got %v allocations per cached Verify, want 0", n)
		}
	})
}

// TestCacheBounded: the cache never holds more than cacheEntries, and a
// full shard drops expired entries first.
func TestCacheBounded(t *testing.T) {
	c := newCache()
	now := time.Unix(1_800_000_000, 0)
	id := &Identity{Subject: "s"}
	var expiring digest
	for i := range cacheEntries + 2000 {
		var d digest
		rand.Read(d[:])
		until := now.Add(time.Hour + time.Duration(i)*time.Millisecond)
		if i == 0 {
			expiring, until = d, now.Add(time.Second)
		}
		c.put(d, id, until, now)
	}
	total := 0
	for i := range c.shards {
		total += len(c.shards[i].entries)
	}
	if total > cacheEntries {
		t.Errorf("got %d entries, want at most %d", total, cacheEntries)
	}
	if _, ok := c.get(expiring, now); ok {
		t.Errorf("the entry closest to its deadline survived eviction")
	}

	later := now.Add(2 * time.Hour)
	var d digest
	rand.Read(d[:])
	c.put(d, id, later.Add(time.Minute), later)
	s := &c.shards[d[0]%cacheShards]
	if n := len(s.entries); n != 1 {
		t.Errorf("after every entry expired: got %d entries in the shard, want 1", n)
	}
	if _, ok := c.get(d, later.Add(time.Minute)); ok {
		t.Errorf("got a hit at the deadline, want none")
	}
}
