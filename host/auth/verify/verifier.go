package verify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Verifier checks access tokens. It is safe for concurrent use.
type Verifier struct {
	issuers       map[string]*issuer // by issuer identifier, for JWTs
	introspectors []*issuer          // those with introspection, in order
	sources       []*keySource       // of the issuers that need keys to be ready
	skew          time.Duration
	maxBytes      int
	forward       []string
	client        *http.Client
	log           *slog.Logger
	now           func() time.Time
	cache         *cache
	group         *group
	onKeyFetch    func(issuer string, err error)
}

// issuer is a trusted issuer with what verifying its tokens needs.
type issuer struct {
	IssuerConfig
	algorithms map[string]algorithm // the allowed ones
	keys       *keySource
}

// New returns a Verifier and starts fetching the keys of the issuers that
// publish them. An issuer that cannot be reached now does not make New
// fail: its keys are fetched again in the background, and until they are
// had its JWTs are refused with no_keys (see Ready). Fetching stops when
// ctx ends or at Close.
func New(ctx context.Context, opts Options) (*Verifier, error) {
	if len(opts.Issuers) == 0 {
		return nil, errors.New("no issuer is trusted")
	}
	if opts.MaxTokenBytes <= 0 {
		return nil, fmt.Errorf("max token bytes must be positive, got %d", opts.MaxTokenBytes)
	}
	if opts.ClockSkew < 0 {
		return nil, fmt.Errorf("clock skew must not be negative, got %s", opts.ClockSkew)
	}
	v := &Verifier{
		issuers:  map[string]*issuer{},
		skew:     opts.ClockSkew,
		maxBytes: opts.MaxTokenBytes,
		forward:  opts.ForwardClaims,
		client:   opts.HTTPClient,
		log:      opts.Logger,
		now:      opts.Now,
		cache:    newCache(),
		group:    newGroup(ctx),

		onKeyFetch: opts.OnKeyFetch,
	}
	if v.client == nil {
		v.client = defaultClient()
	}
	if v.log == nil {
		v.log = slog.New(slog.DiscardHandler)
	}
	if v.now == nil {
		v.now = time.Now
	}
	for _, ic := range opts.Issuers {
		iss, err := v.newIssuer(ic)
		if err != nil {
			v.group.close()
			return nil, fmt.Errorf("issuer %q: %w", ic.Issuer, err)
		}
		if v.issuers[ic.Issuer] != nil {
			v.group.close()
			return nil, fmt.Errorf("issuer %q is listed twice", ic.Issuer)
		}
		v.issuers[ic.Issuer] = iss
		if ic.Introspection != nil {
			v.introspectors = append(v.introspectors, iss)
		} else {
			// An issuer with introspection serves its opaque tokens
			// without keys, so only the others hold readiness back.
			v.sources = append(v.sources, iss.keys)
		}
	}
	for _, iss := range v.issuers {
		if !iss.keys.fixed {
			v.group.start(iss.keys.run)
		}
	}
	return v, nil
}

func (v *Verifier) newIssuer(ic IssuerConfig) (*issuer, error) {
	switch {
	case ic.Issuer == "":
		return nil, errors.New("the issuer identifier is empty")
	case len(ic.Algorithms) == 0:
		return nil, errors.New("no signing algorithm is accepted")
	case len(ic.Audiences) == 0:
		return nil, errors.New("no audience is accepted: tokens must be bound to this resource (RFC 8707)")
	case ic.ScopeClaim == "":
		return nil, errors.New("the scope claim is not named")
	case ic.KeySet != nil && ic.JWKSURL != "":
		return nil, errors.New("a fixed key set and a JWKS URL exclude each other")
	case ic.KeySet == nil && ic.KeyRefresh <= 0:
		return nil, fmt.Errorf("key refresh must be positive, got %s", ic.KeyRefresh)
	case ic.Introspection != nil && ic.Introspection.URL == "":
		return nil, errors.New("introspection has no URL")
	}
	iss := &issuer{IssuerConfig: ic, algorithms: map[string]algorithm{}}
	for _, name := range ic.Algorithms {
		alg, ok := algorithms[name]
		if !ok {
			return nil, fmt.Errorf(`algorithm %q is not accepted: only asymmetric signatures are (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA), never "none" or HMAC`, name)
		}
		iss.algorithms[name] = alg
	}
	iss.keys = &keySource{
		issuer:  ic.Issuer,
		jwksURL: ic.JWKSURL,
		fixed:   ic.KeySet != nil,
		refresh: ic.KeyRefresh,
		client:  v.client,
		log:     v.log,
		now:     v.now,
		group:   v.group,
		onFetch: v.onKeyFetch,
	}
	if ic.KeySet != nil {
		ks, err := newKeySet(ic.KeySet)
		if err != nil {
			return nil, err
		}
		iss.keys.keys.Store(ks)
	}
	return iss, nil
}

// Verify checks a bearer token and returns the caller it identifies, or
// why it is refused. The Identity may be shared with other callers of the
// same token: it must not be modified.
func (v *Verifier) Verify(ctx context.Context, token string) (*Identity, *Error) {
	// Before any parsing or hashing, so the work a token can cause is
	// bounded.
	if len(token) > v.maxBytes {
		return nil, refuse("too_large", fmt.Sprintf("the token is longer than %d bytes", v.maxBytes))
	}
	d := digestOf(token)
	now := v.now()
	if id, ok := v.cache.get(d, now); ok {
		return id, nil
	}
	// A cached token passed this check already.
	if !isToken68(token) {
		return nil, refuse("malformed", "the token has characters a bearer token cannot have (RFC 6750)")
	}
	id, until, err := v.verify(ctx, token, now)
	if err != nil {
		return nil, err
	}
	v.cache.put(d, id, until, now)
	return id, nil
}

// verify is Verify without the cache: it returns the identity and the time
// until which it may be reused.
func (v *Verifier) verify(ctx context.Context, token string, now time.Time) (*Identity, time.Time, *Error) {
	if looksLikeJWT(token) {
		return v.verifyJWT(ctx, token, now)
	}
	return v.introspect(ctx, token, now)
}

// Ready returns nil when every issuer whose tokens need its published keys
// has them, else an error naming each issuer that lacks them and why.
func (v *Verifier) Ready() error {
	var errs []error
	for _, s := range v.sources {
		errs = append(errs, s.ready())
	}
	return errors.Join(errs...)
}

// Close stops fetching keys and waits for the fetches under way to end.
// Verify still works afterwards, with the keys already had.
func (v *Verifier) Close() {
	v.group.close()
}
