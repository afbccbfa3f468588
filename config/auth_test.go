package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// testSecrets sets the environment the testdata's introspection clients
// name in client_secret_env, and its metrics in bearer_token_env: two
// secrets set, one empty, one unset.
func testSecrets(t *testing.T) {
	t.Helper()
	t.Setenv("TESTDATA_IDP_SECRET", "not-a-real-secret")
	t.Setenv("TESTDATA_METRICS_TOKEN", "not-a-real-token")
	t.Setenv("TESTDATA_EMPTY_SECRET", "")
	t.Setenv("TESTDATA_UNSET_SECRET", "")
	os.Unsetenv("TESTDATA_UNSET_SECRET")
}

// TestAuth checks the defaults of [[auth.issuers]] entries, and that
// empty lists stay apart from absent ones.
func TestAuth(t *testing.T) {
	c, err := Load("testdata/auth.good.toml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Auth.ChallengeScopes == nil || len(c.Auth.ChallengeScopes) != 0 {
		t.Errorf("got challenge scopes %#v, want empty, not nil", c.Auth.ChallengeScopes)
	}
	if c.Auth.DefaultToolScopes == nil || len(c.Auth.DefaultToolScopes) != 0 {
		t.Errorf("got default tool scopes %#v, want empty, not nil", c.Auth.DefaultToolScopes)
	}
	if !c.Auth.Enabled || c.Auth.Local.Enabled {
		t.Errorf("got enabled %t and local enabled %t, want true and false", c.Auth.Enabled, c.Auth.Local.Enabled)
	}
	defaults := []string{"RS256", "ES256"}
	wantIssuers := []Issuer{
		{
			Issuer:     "http://LocalHost:8080/realms/Dev/",
			Algorithms: defaults,
			ScopeClaim: "scope",
			KeyRefresh: 15 * time.Minute,
		},
		{
			Issuer:     "http://127.0.0.53",
			JWKSURL:    "http://[::1]:8081/jwks",
			Algorithms: defaults,
			ScopeClaim: "scope",
			KeyRefresh: 15 * time.Minute,
			Introspection: Introspection{
				URL:      "http://127.0.0.1:8081/introspect",
				ClientID: "toolgate",
				CacheTTL: time.Minute,
			},
		},
		{
			Issuer:     "https://idp.example.com",
			Algorithms: defaults,
			Audiences:  []string{"api://toolgate"},
			ScopeClaim: "scp",
			KeyRefresh: 15 * time.Minute,
		},
		{
			Issuer:     "http://[::ffff:127.0.0.1]:9000",
			Algorithms: defaults,
			ScopeClaim: "scope",
			KeyRefresh: 15 * time.Minute,
		},
	}
	if err := want(c.Auth.Issuers, wantIssuers); err != nil {
		t.Error(err)
	}
	if got, want := c.Audiences(c.Auth.Issuers[0]), []string{"http://127.0.0.1:9000/mcp"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got audiences %q, want %q", got, want)
	}
	if got, want := c.Audiences(c.Auth.Issuers[2]), []string{"api://toolgate"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got audiences %q, want %q", got, want)
	}

	// Each Config has lists of its own, not the defaults'.
	c.Auth.Issuers[0].Algorithms[0] = "PS512"
	c.Auth.ForwardClaims[0] = "sub"
	again, err := Load("testdata/auth.good.toml")
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Auth.Issuers[0].Algorithms[0]; got != "RS256" {
		t.Errorf("got first default algorithm %q after changing another Config's, want RS256", got)
	}
	if got := again.Auth.ForwardClaims[0]; got != "email" {
		t.Errorf("got first default forwarded claim %q after changing another Config's, want email", got)
	}
}

func TestLocalIssuerURL(t *testing.T) {
	tests := []struct {
		name   string
		server Server
		issuer string
		want   string
	}{
		{"listen", Server{Listen: "127.0.0.1:9000", Path: "/mcp"}, "", "http://127.0.0.1:9000"},
		{"all interfaces", Server{Listen: ":9000", Path: "/mcp"}, "", "http://localhost:9000"},
		{"ipv6", Server{Listen: "[::1]:9000", Path: "/mcp"}, "", "http://[::1]:9000"},
		{"public url", Server{Listen: "0.0.0.0:9000", Path: "/mcp", PublicURL: "https://mcp.example.com/team/mcp"}, "", "https://mcp.example.com"},
		{"public url with port", Server{Listen: "0.0.0.0:9000", Path: "/mcp", PublicURL: "https://mcp.example.com:8443/mcp"}, "", "https://mcp.example.com:8443"},
		{"set", Server{Listen: "127.0.0.1:9000", Path: "/mcp", PublicURL: "https://mcp.example.com/mcp"}, "https://auth.example.com", "https://auth.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Server: tt.server, Auth: Auth{Local: LocalIssuer{Issuer: tt.issuer}}}
			if got := c.LocalIssuerURL(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAudiences(t *testing.T) {
	c := &Config{Server: Server{Listen: "127.0.0.1:9000", Path: "/mcp", PublicURL: "https://mcp.example.com/mcp"}}
	tests := []struct {
		name      string
		audiences []string
		want      []string
	}{
		{"unset", nil, []string{"https://mcp.example.com/mcp"}},
		{"empty", []string{}, []string{"https://mcp.example.com/mcp"}},
		{"set", []string{"toolgate", "https://mcp.example.com/mcp"}, []string{"toolgate", "https://mcp.example.com/mcp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Audiences(Issuer{Audiences: tt.audiences}); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestKeyFilePath(t *testing.T) {
	dir := t.TempDir()
	elsewhere := filepath.Join(t.TempDir(), "key.pem")
	tests := []struct {
		file string
		want string
	}{
		{"data/signing-key.pem", filepath.Join(dir, "data", "signing-key.pem")},
		{"./keys/../key.pem", filepath.Join(dir, "key.pem")},
		{elsewhere, elsewhere},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c := &Config{Dir: dir, Auth: Auth{Local: LocalIssuer{KeyFile: tt.file}}}
			if got := c.KeyFilePath(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if !filepath.IsAbs(c.KeyFilePath()) {
				t.Errorf("got relative path %q", c.KeyFilePath())
			}
		})
	}
}

func TestSecureURL(t *testing.T) {
	const httpsOnly = " must be https: " + loopbackOnlyHTTP
	tests := []struct {
		url  string
		want string // the normalised URL, or the error
	}{
		{"https://idp.example.com/realms/main", "https://idp.example.com/realms/main"},
		{"HTTPS://IDP.Example.com:443/x", "https://idp.example.com/x"},
		{"http://localhost:8080/realms/dev", "http://localhost:8080/realms/dev"},
		{"http://LocalHost", "http://localhost"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://127.255.255.254", "http://127.255.255.254"},
		{"http://[::1]:8080/jwks", "http://[::1]:8080/jwks"},
		{"http://[::ffff:127.0.0.1]", "http://[::ffff:127.0.0.1]"},
		{"http://idp.example.com", `"http://idp.example.com"` + httpsOnly},
		{"http://localhost.example.com", `"http://localhost.example.com"` + httpsOnly},
		{"http://app.localhost", `"http://app.localhost"` + httpsOnly},
		{"http://10.0.0.1", `"http://10.0.0.1"` + httpsOnly},
		{"http://0.0.0.0", `"http://0.0.0.0"` + httpsOnly},
		{"http://[::2]", `"http://[::2]"` + httpsOnly},
		{"idp.example.com", `"idp.example.com" is not an absolute http(s) URL`},
		{"https://idp.example.com/?a=1", `"https://idp.example.com/?a=1" is not an absolute http(s) URL: it has a query`},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := secureURL(tt.url)
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestShort(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{30 * time.Second, "30s"},
		{5 * time.Minute, "5m"},
		{90 * time.Second, "1m30s"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{time.Hour + time.Second, "1h0m1s"},
		{-time.Second, "-1s"},
		{1500 * time.Millisecond, "1.5s"},
	}
	for _, tt := range tests {
		if got := short(tt.d); got != tt.want {
			t.Errorf("short(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
