package verify

import (
	"strings"
	"testing"
	"time"
)

// TestNewRefuses: a configuration that could weaken verification is an
// error, not something to work around at verify time.
func TestNewRefuses(t *testing.T) {
	key := newRSAKey(t, 0, "k", "")
	valid := func() IssuerConfig {
		return IssuerConfig{
			Issuer: "https://as.test", JWKSURL: "https://as.test/jwks", Algorithms: []string{"RS256"},
			Audiences: []string{resource}, ScopeClaim: "scope", KeyRefresh: time.Hour,
		}
	}
	tests := []struct {
		name    string
		edit    func(o *Options)
		wantErr string
	}{
		{"no issuer", func(o *Options) { o.Issuers = nil }, "no issuer"},
		{"no max token bytes", func(o *Options) { o.MaxTokenBytes = 0 }, "max token bytes"},
		{"negative skew", func(o *Options) { o.ClockSkew = -time.Second }, "clock skew"},
		{"HS256", func(o *Options) { o.Issuers[0].Algorithms = []string{"RS256", "HS256"} }, `"HS256" is not accepted`},
		{"none", func(o *Options) { o.Issuers[0].Algorithms = []string{"none"} }, `"none" is not accepted`},
		{"unknown algorithm", func(o *Options) { o.Issuers[0].Algorithms = []string{"rs256"} }, `"rs256" is not accepted`},
		{"no algorithm", func(o *Options) { o.Issuers[0].Algorithms = nil }, "no signing algorithm"},
		{"no audience", func(o *Options) { o.Issuers[0].Audiences = nil }, "no audience"},
		{"no scope claim", func(o *Options) { o.Issuers[0].ScopeClaim = "" }, "scope claim"},
		{"empty issuer", func(o *Options) { o.Issuers[0].Issuer = "" }, "issuer identifier is empty"},
		{"issuer twice", func(o *Options) { o.Issuers = append(o.Issuers, o.Issuers[0]) }, "listed twice"},
		{"key set and URL", func(o *Options) { o.Issuers[0].KeySet = keySetOf(t, key) }, "exclude each other"},
		{"no key refresh", func(o *Options) { o.Issuers[0].KeyRefresh = 0 }, "key refresh"},
		{"introspection without URL", func(o *Options) { o.Issuers[0].Introspection = &Introspection{} }, "no URL"},
		{"key set without usable keys", func(o *Options) {
			o.Issuers[0].JWKSURL = ""
			o.Issuers[0].KeySet = keySetOf(t)
		}, "no public key usable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{Issuers: []IssuerConfig{valid()}, MaxTokenBytes: 8192}
			tt.edit(&opts)
			v, err := New(t.Context(), opts)
			if err == nil {
				v.Close()
				t.Fatalf("got a verifier, want an error saying %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got error %q, want one saying %q", err, tt.wantErr)
			}
		})
	}
}
