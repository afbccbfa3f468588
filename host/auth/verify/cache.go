package verify

import (
	"crypto/sha256"
	"sync"
	"time"
	"unsafe"
)

const (
	cacheShards = 16
	// cacheEntries bounds the cache, all shards together.
	cacheEntries = 10_000
	// maxCacheAge bounds how long a verified JWT is reused, so that a key
	// the issuer withdraws stops being honoured soon.
	maxCacheAge = 5 * time.Minute
)

// digest is the SHA-256 of a token, the cache's key: the cache holds no
// token itself, so its memory gives away no credential.
type digest [sha256.Size]byte

func digestOf(token string) digest {
	// A read-only view of the string's bytes, which Sum256 neither keeps
	// nor changes: converting would copy the token on every request, the
	// one allocation a cache hit would make.
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(token), len(token)))
}

// cache remembers the identities of tokens already verified, until a
// deadline the verifier sets: never past the token's exp. Shards keep
// concurrent requests from contending for one lock.
type cache struct {
	shards [cacheShards]shard
}

type shard struct {
	mu      sync.RWMutex
	entries map[digest]cached
}

type cached struct {
	id    *Identity
	until time.Time
}

func newCache() *cache {
	c := &cache{}
	for i := range c.shards {
		c.shards[i].entries = map[digest]cached{}
	}
	return c
}

// get returns the identity cached for d, if its deadline has not passed:
// every hit is checked against the clock, so an expired token is never
// accepted from the cache.
func (c *cache) get(d digest, now time.Time) (*Identity, bool) {
	s := &c.shards[d[0]%cacheShards]
	s.mu.RLock()
	e, ok := s.entries[d]
	s.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		return nil, false
	}
	return e.id, true
}

// put caches id until the deadline. A full shard first drops its expired
// entries, then, if need be, the one closest to its deadline.
func (c *cache) put(d digest, id *Identity, until, now time.Time) {
	if !now.Before(until) {
		return
	}
	s := &c.shards[d[0]%cacheShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.entries[d]; !ok && len(s.entries) >= cacheEntries/cacheShards {
		s.evict(now)
	}
	s.entries[d] = cached{id: id, until: until}
}

func (s *shard) evict(now time.Time) {
	var soonest digest
	var soonestUntil time.Time
	for d, e := range s.entries {
		switch {
		case !now.Before(e.until):
			delete(s.entries, d)
		case soonestUntil.IsZero() || e.until.Before(soonestUntil):
			soonest, soonestUntil = d, e.until
		}
	}
	if len(s.entries) >= cacheEntries/cacheShards {
		delete(s.entries, soonest)
	}
}

// earlier is the earlier of two deadlines.
func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
