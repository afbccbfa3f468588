package verify

import (
	"crypto/elliptic"
	"reflect"
	"strings"
	"testing"
)

func TestMetadataURLs(t *testing.T) {
	tests := []struct {
		issuer string
		want   []string
	}{
		{"https://as.test", []string{
			"https://as.test/.well-known/oauth-authorization-server",
			"https://as.test/.well-known/openid-configuration",
		}},
		{"https://as.test/", []string{
			"https://as.test/.well-known/oauth-authorization-server",
			"https://as.test/.well-known/openid-configuration",
		}},
		{"https://as.test/tenant/a", []string{
			"https://as.test/.well-known/oauth-authorization-server/tenant/a",
			"https://as.test/.well-known/openid-configuration/tenant/a",
			"https://as.test/tenant/a/.well-known/openid-configuration",
		}},
		{"https://as.test:8443/realms/x/", []string{
			"https://as.test:8443/.well-known/oauth-authorization-server/realms/x",
			"https://as.test:8443/.well-known/openid-configuration/realms/x",
			"https://as.test:8443/realms/x/.well-known/openid-configuration",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.issuer, func(t *testing.T) {
			got, err := metadataURLs(tt.issuer)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "as.test", "https://as.test?x=1", "https://as.test#f", "::"} {
		if _, err := metadataURLs(bad); err == nil {
			t.Errorf("issuer %q: got no error, want one", bad)
		}
	}
}

// TestDiscovery finds the key set through each kind of metadata document,
// served by a live server, and verifies a token with it.
func TestDiscovery(t *testing.T) {
	tests := []struct {
		name    string
		path    string // of the issuer
		docPath func(path string) string
	}{
		{"RFC 8414", "", func(string) string { return "/.well-known/oauth-authorization-server" }},
		{"RFC 8414 with path insertion", "/tenant/a", func(p string) string { return "/.well-known/oauth-authorization-server" + p }},
		{"OpenID configuration", "", func(string) string { return "/.well-known/openid-configuration" }},
		{"OpenID configuration appended to the path", "/realms/x", func(p string) string { return p + "/.well-known/openid-configuration" }},
		{"OpenID configuration with path insertion", "/realms/x", func(p string) string { return "/.well-known/openid-configuration" + p }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			as := newAS(t)
			key := newECKey(t, elliptic.P256(), "ec", "ES256")
			as.serveKeys(key)
			iss := as.URL + tt.path
			as.serveDoc(tt.docPath(tt.path), map[string]any{"issuer": iss, "jwks_uri": as.URL + "/jwks"})
			ic := as.issuerOf(iss)
			ic.JWKSURL = ""
			v := newVerifier(t, clk, Options{Issuers: []IssuerConfig{ic}}, true)
			token := key.sign(t, "ES256", nil, claimsFor(clk, iss, nil))
			wantAccepted(t, v, token)
		})
	}
}

// TestDiscoveryIssuerMismatch: a metadata document naming another issuer
// is not used (mix-up protection), not even its jwks_uri fetched.
func TestDiscoveryIssuerMismatch(t *testing.T) {
	t.Run("the only document names another issuer", func(t *testing.T) {
		clk := newClock()
		as := newAS(t)
		key := newRSAKey(t, 0, "k", "")
		as.serveKeys(key)
		as.serveDoc("/.well-known/oauth-authorization-server", map[string]any{"issuer": as.URL + "/", "jwks_uri": as.URL + "/jwks"})
		as.serveDoc("/.well-known/openid-configuration", map[string]any{"issuer": "https://evil.test", "jwks_uri": as.URL + "/jwks"})
		ic := as.issuerOf(as.URL)
		ic.JWKSURL = ""
		v := newVerifier(t, clk, Options{Issuers: []IssuerConfig{ic}}, false)
		waitFor(t, "discovery to fail", func() bool {
			return as.hitsOf("/.well-known/openid-configuration") > 0 && v.Ready() != nil && strings.Contains(v.Ready().Error(), "evil")
		})
		if err := v.Ready().Error(); !strings.Contains(err, as.URL) || !strings.Contains(err, "not used") {
			t.Errorf("Ready: got %q, want it to name the issuer and the refused document", err)
		}
		if n := as.hitsOf("/jwks"); n != 0 {
			t.Errorf("got %d fetches of the refused document's jwks_uri, want 0", n)
		}
		token := key.sign(t, "RS256", nil, claimsFor(clk, as.URL, nil))
		id, err := v.Verify(t.Context(), token)
		wantRefusal(t, id, err, "no_keys", token)
	})
	t.Run("a later document names the issuer", func(t *testing.T) {
		clk := newClock()
		as := newAS(t)
		key := newRSAKey(t, 0, "k", "")
		as.serveKeys(key)
		as.serveDoc("/.well-known/oauth-authorization-server", map[string]any{"issuer": "https://evil.test", "jwks_uri": as.URL + "/evil-keys"})
		as.serveDoc("/.well-known/openid-configuration", map[string]any{"issuer": as.URL, "jwks_uri": as.URL + "/jwks"})
		ic := as.issuerOf(as.URL)
		ic.JWKSURL = ""
		v := newVerifier(t, clk, Options{Issuers: []IssuerConfig{ic}}, true)
		if n := as.hitsOf("/evil-keys"); n != 0 {
			t.Errorf("got %d fetches of the refused document's jwks_uri, want 0", n)
		}
		wantAccepted(t, v, key.sign(t, "RS256", nil, claimsFor(clk, as.URL, nil)))
	})
}

func TestDiscoveryRefusesDocuments(t *testing.T) {
	tests := []struct {
		name    string
		doc     any
		wantErr string
	}{
		{"no jwks_uri", map[string]any{}, "no jwks_uri"},
		{"relative jwks_uri", map[string]any{"jwks_uri": "/jwks"}, "not an absolute URL"},
		{"jwks_uri of another scheme", map[string]any{"jwks_uri": "ftp://as.test/jwks"}, "must be https"},
		{"not an object", []int{1}, "not a metadata document"},
		{"plain http keys for an https issuer", map[string]any{"issuer": "https://as.test", "jwks_uri": "http://as.test/jwks"}, "must be https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as := newAS(t)
			issuer := as.URL
			if m, ok := tt.doc.(map[string]any); ok {
				if iss, ok := m["issuer"].(string); ok {
					issuer = iss
				}
				m["issuer"] = issuer
			}
			as.serveDoc("/.well-known/oauth-authorization-server", tt.doc)
			_, err := readMetadata(t.Context(), defaultClient(), as.URL+"/.well-known/oauth-authorization-server", issuer)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v, want an error saying %q", err, tt.wantErr)
			}
		})
	}
}
