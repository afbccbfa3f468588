package authserver

import (
	"sync"
	"time"
)

// Limits on authorization requests waiting for the user. They live in
// memory: one lost to a restart costs the user a new click in the client.
const (
	pendingTTL      = 10 * time.Minute
	maxPending      = 10000
	maxSignInFailed = 5
)

// authRequest is an authorization request checked and shown to the user,
// waiting for the consent form.
type authRequest struct {
	ID string
	// CSRF is the form's token; Browser the cookie's. A POST must carry
	// both, and a page on another site can read neither.
	CSRF, Browser string
	Client        *client
	RedirectURI   string
	State         string
	Challenge     string
	Resource      string
	Scopes        []string
	Expires       time.Time
	// Failed counts wrong passwords; past maxSignInFailed the request ends.
	Failed int
}

type pendingRequests struct {
	mu   sync.Mutex
	reqs map[string]*authRequest
}

func newPendingRequests() *pendingRequests {
	return &pendingRequests{reqs: map[string]*authRequest{}}
}

// add keeps req, and reports false when too many are waiting.
func (p *pendingRequests) add(req *authRequest) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.reqs) >= maxPending {
		now := time.Now()
		for id, r := range p.reqs {
			if now.After(r.Expires) {
				delete(p.reqs, id)
			}
		}
		if len(p.reqs) >= maxPending {
			return false
		}
	}
	p.reqs[req.ID] = req
	return true
}

// get returns the request with id, if it is still waiting. The caller
// may change it only through the methods below.
func (p *pendingRequests) get(id string) (authRequest, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.reqs[id]
	if !ok || time.Now().After(r.Expires) {
		delete(p.reqs, id)
		return authRequest{}, false
	}
	return *r, true
}

// take removes the request, and reports whether it was still there, so
// that one form yields one code even when submitted twice at once.
func (p *pendingRequests) take(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.reqs[id]
	delete(p.reqs, id)
	return ok
}

// fail counts a wrong password and reports whether the request may go on.
func (p *pendingRequests) fail(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.reqs[id]
	if !ok {
		return false
	}
	r.Failed++
	if r.Failed >= maxSignInFailed {
		delete(p.reqs, id)
		return false
	}
	return true
}
