package verify

import (
	"strings"
	"testing"
	"time"
)

// introspecting configures as as an issuer whose opaque tokens are
// introspected at its /introspect.
func introspecting(as *testAS, ttl time.Duration) IssuerConfig {
	ic := as.issuerOf(as.URL)
	ic.Introspection = &Introspection{URL: as.URL + "/introspect", ClientID: introspectID, ClientSecret: introspectSecret, CacheTTL: ttl}
	return ic
}

func activeAnswer(clk *clock, as *testAS, edit map[string]any) map[string]any {
	a := claimsFor(clk, as.URL, edit)
	a["active"] = true
	return a
}

func TestIntrospection(t *testing.T) {
	clk := newClock()
	as := newAS(t)
	as.serveKeys(newRSAKey(t, 0, "k", ""))
	v := newVerifier(t, clk, Options{Issuers: []IssuerConfig{introspecting(as, time.Minute)}, ForwardClaims: []string{"username"}}, false)

	tests := []struct {
		name   string
		answer map[string]any // nil: the server does not know the token
		reason string         // "" = accepted
		want   Identity
	}{
		{"active", activeAnswer(clk, as, map[string]any{"scope": "b a", "username": "al"}), "", Identity{
			Subject: "alice", ClientID: "app-1", Issuer: as.URL, Scopes: []string{"a", "b"},
			Claims: map[string]any{"username": "al"}, ExpiresAt: time.Unix(clk.unix(time.Hour), 0),
		}},
		{"active, no exp", activeAnswer(clk, as, map[string]any{"exp": nil, "scope": nil}), "", Identity{
			Subject: "alice", ClientID: "app-1", Issuer: as.URL,
		}},
		{"active, aud an array", activeAnswer(clk, as, map[string]any{"aud": []string{"x", resource}, "scope": nil}), "", Identity{
			Subject: "alice", ClientID: "app-1", Issuer: as.URL, ExpiresAt: time.Unix(clk.unix(time.Hour), 0),
		}},
		{"unknown to the server", nil, "inactive", Identity{}},
		{"inactive", map[string]any{"active": false}, "inactive", Identity{}},
		{"active as a string", map[string]any{"active": "true"}, "introspection_failed", Identity{}},
		{"no active", map[string]any{"sub": "alice"}, "introspection_failed", Identity{}},
		{"server error", map[string]any{"status": 500}, "introspection_failed", Identity{}},
		{"sub a number", activeAnswer(clk, as, map[string]any{"sub": 1}), "introspection_failed", Identity{}},
		{"exp not a number", activeAnswer(clk, as, map[string]any{"exp": "soon"}), "introspection_failed", Identity{}},
		{"wrong aud", activeAnswer(clk, as, map[string]any{"aud": "https://other.test"}), "audience", Identity{}},
		{"no aud", activeAnswer(clk, as, map[string]any{"aud": nil}), "audience", Identity{}},
		{"another issuer", activeAnswer(clk, as, map[string]any{"iss": "https://other.test"}), "issuer", Identity{}},
		{"expired", activeAnswer(clk, as, map[string]any{"exp": clk.unix(-time.Minute)}), "expired", Identity{}},
		{"not yet valid", activeAnswer(clk, as, map[string]any{"nbf": clk.unix(time.Minute)}), "not_yet_valid", Identity{}},
		// As oidc-provider answers for a client credentials token.
		{"no sub: the client is the subject", activeAnswer(clk, as, map[string]any{"sub": nil, "scope": nil}), "", Identity{
			Subject: "app-1", ClientID: "app-1", Issuer: as.URL, ExpiresAt: time.Unix(clk.unix(time.Hour), 0),
		}},
		{"no sub, no client_id", activeAnswer(clk, as, map[string]any{"sub": nil, "client_id": nil}), "missing_claim", Identity{}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := "opaque-" + strings.Repeat("x", i) + "~/+="
			if tt.answer != nil {
				as.answer(token, tt.answer)
			}
			if tt.reason == "" {
				wantIdentity(t, wantAccepted(t, v, token), tt.want)
				return
			}
			id, err := v.Verify(t.Context(), token)
			wantRefusal(t, id, err, tt.reason, token)
		})
	}
}

// TestIntrospectionCache: an answer is reused for at most the cache TTL,
// and never past the token's exp.
func TestIntrospectionCache(t *testing.T) {
	clk := newClock()
	as := newAS(t)
	as.serveKeys(newRSAKey(t, 0, "k", ""))
	v := newVerifier(t, clk, Options{Issuers: []IssuerConfig{introspecting(as, time.Minute)}}, false)
	long, short := "opaque-long", "opaque-short"
	as.answer(long, activeAnswer(clk, as, nil))
	calls := func() int { return as.hitsOf("/introspect") }

	expiresSoon := func() {
		as.answer(short, activeAnswer(clk, as, map[string]any{"exp": clk.unix(20 * time.Second)}))
	}
	steps := []struct {
		name      string
		before    func()
		advance   time.Duration
		token     string
		wantCalls int
	}{
		{"first use asks", nil, 0, long, 1},
		{"second use is cached", nil, 0, long, 1},
		{"59 s later still cached", nil, 59 * time.Second, long, 1},
		{"after the TTL asks again", nil, 2 * time.Second, long, 2},
		{"a token expiring in 20 s asks", expiresSoon, 0, short, 3},
		{"and is cached 19 s later", nil, 19 * time.Second, short, 3},
		{"but not at its exp, before the TTL", nil, time.Second, short, 4},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.before != nil {
				s.before()
			}
			clk.add(s.advance)
			wantAccepted(t, v, s.token)
			if got := calls(); got != s.wantCalls {
				t.Errorf("got %d introspection calls, want %d", got, s.wantCalls)
			}
		})
	}
	t.Run("past exp and the skew the token is refused, from the answer", func(t *testing.T) {
		clk.add(30 * time.Second)
		id, err := v.Verify(t.Context(), short)
		wantRefusal(t, id, err, "expired", short)
	})
}

// TestIntrospectionIssuers: several issuers are asked in order until one
// says active; a JWT never goes to introspection.
func TestIntrospectionIssuers(t *testing.T) {
	clk := newClock()
	first, second := newAS(t), newAS(t)
	key := newRSAKey(t, 0, "k", "")
	first.serveKeys(key)
	second.serveKeys(key)
	v := newVerifier(t, clk, Options{Issuers: []IssuerConfig{introspecting(first, 0), introspecting(second, 0)}}, false)
	token := "opaque-for-second"
	second.answer(token, activeAnswer(clk, second, nil))
	id := wantAccepted(t, v, token)
	if id.Issuer != second.URL {
		t.Errorf("got issuer %s, want %s", id.Issuer, second.URL)
	}
	// The first says inactive, the second active.
	if first.hitsOf("/introspect") != 1 || second.hitsOf("/introspect") != 1 {
		t.Errorf("got %d and %d introspection calls, want 1 and 1", first.hitsOf("/introspect"), second.hitsOf("/introspect"))
	}
	// CacheTTL 0: not cached.
	if _, err := v.Verify(t.Context(), token); err != nil || second.hitsOf("/introspect") != 2 {
		t.Errorf("got %v and %d calls, want a second call", err, second.hitsOf("/introspect"))
	}

	waitFor(t, "keys", func() bool { return v.issuers[first.URL].keys.keys.Load() != nil })
	calls := first.hitsOf("/introspect") + second.hitsOf("/introspect")
	jwt := key.sign(t, "RS256", nil, claimsFor(clk, first.URL, nil))
	wantAccepted(t, v, jwt)
	if first.hitsOf("/introspect")+second.hitsOf("/introspect") != calls {
		t.Errorf("a JWT was introspected")
	}

	t.Run("one server fails, the other says inactive", func(t *testing.T) {
		token := "opaque-failing"
		first.answer(token, map[string]any{"status": 503})
		id, err := v.Verify(t.Context(), token)
		wantRefusal(t, id, err, "introspection_failed", token)
	})
}

// TestIntrospectionLogs: a failure is logged without the token.
func TestIntrospectionLogs(t *testing.T) {
	clk := newClock()
	as := newAS(t)
	as.serveKeys(newRSAKey(t, 0, "k", ""))
	var logs logBuffer
	ic := introspecting(as, 0)
	ic.Introspection.ClientSecret = "wrong"
	v := newVerifier(t, clk, Options{Issuers: []IssuerConfig{ic}, Logger: logs.logger()}, false)
	token := "opaque-secret-token-value"
	id, err := v.Verify(t.Context(), token)
	wantRefusal(t, id, err, "introspection_failed", token)
	out := logs.String()
	if !strings.Contains(out, "token introspection failed") || !strings.Contains(out, "401") {
		t.Errorf("got log %q, want the failure logged", out)
	}
	if strings.Contains(out, token) || strings.Contains(out, "wrong") {
		t.Errorf("the log holds the token or the secret: %q", out)
	}
}
