package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/toolgate/toolgate/sdk"
)

// TestMain clears the overrides of whoever runs the tests, which would
// otherwise change what every file loads to.
func TestMain(m *testing.M) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, envPrefix) {
			os.Unsetenv(name)
		}
	}
	os.Exit(m.Run())
}

// TestTestdata loads every file in testdata: each *.good.toml must load,
// and each *.bad.toml must fail with exactly the error in its *.bad.err,
// one problem a line, and return no Config.
func TestTestdata(t *testing.T) {
	testSecrets(t)
	files, err := filepath.Glob("testdata/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			c, err := Load(file)
			switch {
			case strings.HasSuffix(file, ".good.toml"):
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if c == nil {
					t.Fatal("got nil Config, want one")
				}
			case strings.HasSuffix(file, ".bad.toml"):
				want, rerr := os.ReadFile(strings.TrimSuffix(file, ".toml") + ".err")
				if rerr != nil {
					t.Fatalf("no expected error: %v", rerr)
				}
				if c != nil {
					t.Errorf("got Config %+v, want nil", c)
				}
				if err == nil {
					t.Fatal("got no error, want one")
				}
				if got, want := err.Error(), strings.TrimSpace(string(want)); got != want {
					t.Errorf("got error\n%s\nwant\n%s", got, want)
				}
				var e *Error
				if strings.Contains(string(want), "invalid TOML") {
					return
				}
				if !errors.As(err, &e) {
					t.Fatalf("got error of type %T, want *Error", err)
				}
				if got, want := len(e.Problems), strings.Count(strings.TrimSpace(string(want)), "\n")+1; got != want {
					t.Errorf("got %d problems, want %d", got, want)
				}
			default:
				t.Fatalf("name ends in neither .good.toml nor .bad.toml")
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c, err := Load("testdata/minimal.good.toml")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Server: Server{
			Listen:             "127.0.0.1:9000",
			Path:               "/mcp",
			MaxBodyBytes:       4 << 20,
			ReadHeaderTimeout:  5 * time.Second,
			ReadTimeout:        30 * time.Second,
			WriteTimeout:       0,
			IdleTimeout:        120 * time.Second,
			CallTimeout:        60 * time.Second,
			SessionIdleTimeout: 30 * time.Minute,
			DrainTimeout:       30 * time.Second,
			Watch:              true,
			MaxSessions:        10000,
			ReplayEvents:       256,
			PageSize:           100,
			RequestStateTTL:    10 * time.Minute,
		},
		Log: Log{Level: "info", Format: "text"},
		// Nil lists: no default_tool_scopes, and challenge_scopes unset
		// (every scope a tool needs).
		Auth: Auth{
			Enabled:       true,
			ToolsList:     "filter",
			ClockSkew:     30 * time.Second,
			MaxTokenBytes: 8192,
			ForwardClaims: []string{"email", "name", "preferred_username"},
			ResourceName:  "Toolgate",
			Local: LocalIssuer{
				Enabled:  true, // the file's one key
				KeyFile:  "data/signing-key.pem",
				TokenTTL: time.Hour,
			},
			Server: defaultAuthServer,
		},
		// Metrics on the main listener, with no token; the audit trail
		// on, refusing calls it cannot record.
		Metrics: Metrics{Enabled: true},
		Audit: Audit{
			Enabled:  true,
			File:     "data/audit.log",
			MaxBytes: 100 << 20,
			MaxFiles: 10,
			Buffer:   4096,
			OnFull:   "refuse",
		},
		Dir:  dir,
		File: "testdata/minimal.good.toml",
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got\n%+v\nwant\n%+v", c, want)
	}
	if got, want := c.CanonicalURL(), "http://127.0.0.1:9000/mcp"; got != want {
		t.Errorf("got canonical URL %q, want %q", got, want)
	}
	if got, want := c.LocalIssuerURL(), "http://127.0.0.1:9000"; got != want {
		t.Errorf("got local issuer %q, want %q", got, want)
	}
	if got, want := c.KeyFilePath(), filepath.Join(dir, "data", "signing-key.pem"); got != want {
		t.Errorf("got key file %q, want %q", got, want)
	}
	if got, want := c.AuditPath(), filepath.Join(dir, "data", "audit.log"); got != want {
		t.Errorf("got audit path %q, want %q", got, want)
	}
	if got := c.MetricsBearerToken(); got != "" {
		t.Errorf("got metrics bearer token %q, want none", got)
	}
}

// TestLimits checks the call limits at their bounds and their defaults:
// 64 calls running and 256 waiting per plugin, results up to 16 MiB, and no
// limit of a tool's own.
func TestLimits(t *testing.T) {
	c, err := Load("testdata/limits.good.toml")
	if err != nil {
		t.Fatal(err)
	}
	type limits struct {
		MaxConcurrent, MaxQueue int
		MaxResultBytes          int64
	}
	got := map[string]limits{}
	for _, p := range c.Plugins {
		got[p.Name] = limits{p.MaxConcurrent, p.MaxQueue, p.MaxResultBytes}
	}
	wantPlugins := map[string]limits{
		"low":   {1, 0, 1 << 10},
		"high":  {10000, 100000, 64 << 20},
		"plain": {64, 256, 16 << 20},
	}
	if err := want(got, wantPlugins); err != nil {
		t.Errorf("plugins: %v", err)
	}
	wantTools := map[string]Tool{
		"high":   {MaxConcurrent: 10000, MaxQueue: 100000},
		"single": {MaxConcurrent: 1},
		"zero":   {},
		"plain":  {CallTimeout: 5 * time.Second},
	}
	if err := want(c.Tools, wantTools); err != nil {
		t.Errorf("tools: %v", err)
	}
}

// TestLimitsMatchSDK keeps max_result_bytes within what the plugin
// contract carries.
func TestLimitsMatchSDK(t *testing.T) {
	if maxResultLimit != sdk.MaxMessageBytes {
		t.Errorf("max_result_bytes may reach %d, but sdk.MaxMessageBytes is %d", maxResultLimit, sdk.MaxMessageBytes)
	}
	if d := pluginDefaults["max_result_bytes"].(int64); d > sdk.MaxMessageBytes {
		t.Errorf("max_result_bytes defaults to %d, past sdk.MaxMessageBytes %d", d, sdk.MaxMessageBytes)
	}
}

// TestFull checks that every key is read, and that values that can be
// spelled several ways come out normalised.
func TestFull(t *testing.T) {
	testSecrets(t)
	c, err := Load("testdata/full.good.toml")
	if err != nil {
		t.Fatal(err)
	}
	wantServer := Server{
		Listen:              "[::1]:9100",
		Path:                "/api/mcp/",
		PublicURL:           "https://mcp.example.com/Api/MCP/",
		AllowedOrigins:      []string{"https://app.example.com", "http://localhost:3000", "http://b.example"},
		AllowedHosts:        []string{"mcp.example.com", "mcp.example.com:8443"},
		MaxBodyBytes:        64 << 20,
		ReadHeaderTimeout:   time.Second,
		ReadTimeout:         0,
		WriteTimeout:        2 * time.Minute,
		IdleTimeout:         0,
		CallTimeout:         90 * time.Second,
		SessionIdleTimeout:  time.Hour,
		DrainTimeout:        10 * time.Minute,
		Watch:               true,
		MaxSessions:         5,
		PageSize:            1000,
		ReplayEvents:        0,
		Instructions:        "Use echo to test.",
		RequestStateKeyFile: "request_state.key",
		RequestStateTTL:     30 * time.Minute,
	}
	if !reflect.DeepEqual(c.Server, wantServer) {
		t.Errorf("got server\n%+v\nwant\n%+v", c.Server, wantServer)
	}
	if want := (Log{Level: "debug", Format: "json"}); c.Log != want {
		t.Errorf("got log %+v, want %+v", c.Log, want)
	}
	wantPlugins := []Plugin{{
		Name:           "echo-2_b",
		Path:           "/opt/toolgate/echo",
		Args:           []string{"-v", "--mode=fast"},
		SHA256:         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		Env:            map[string]string{"HOME": "/var/empty", "_LOG": "1"},
		StartTimeout:   time.Minute,
		MaxConcurrent:  8,
		MaxQueue:       16,
		MaxResultBytes: 2 << 20,
		CallTimeout:    5 * time.Second,
		PingInterval:   5 * time.Second,
		WhenParked:     "unavailable",
		Config:         map[string]any{"greeting": "hi"},
	}}
	if !reflect.DeepEqual(c.Plugins, wantPlugins) {
		t.Errorf("got plugins\n%+v\nwant\n%+v", c.Plugins, wantPlugins)
	}
	wantTools := map[string]Tool{
		"echo":                   {Scopes: []string{"tools:echo", "https://example.com/scopes/echo"}, CallTimeout: 2 * time.Second, LogArguments: true, MaxConcurrent: 2, MaxQueue: 4},
		"Read.File-2":            {},
		strings.Repeat("m", 128): {},
	}
	if !reflect.DeepEqual(c.Tools, wantTools) {
		t.Errorf("got tools\n%+v\nwant\n%+v", c.Tools, wantTools)
	}
	if got, want := c.CanonicalURL(), "https://mcp.example.com/Api/MCP/"; got != want {
		t.Errorf("got canonical URL %q, want %q", got, want)
	}
	wantAuth := Auth{
		Enabled:               false,
		DefaultToolScopes:     []string{"tools:default"},
		ChallengeScopes:       []string{"tools:echo", "files:read"},
		ToolsList:             "mark",
		ClockSkew:             5 * time.Minute,
		MaxTokenBytes:         65536,
		ForwardClaims:         []string{"email", "groups"},
		ResourceName:          "Example MCP",
		ResourceDocumentation: "https://docs.example.com/mcp",
		Local: LocalIssuer{
			Enabled:  true,
			KeyFile:  "/etc/toolgate/signing-key.pem",
			Issuer:   "https://auth.example.com",
			TokenTTL: 24 * time.Hour,
		},
		Server: defaultAuthServer,
		Issuers: []Issuer{{
			Issuer:       "https://kc.example.com/realms/main",
			JWKSURL:      "https://kc.example.com/realms/main/protocol/openid-connect/certs",
			Algorithms:   []string{"PS256", "EdDSA"},
			Audiences:    []string{"https://mcp.example.com/Api/MCP/", "toolgate"},
			ScopeClaim:   "scp",
			RequireATJWT: true,
			KeyRefresh:   time.Hour,
			Introspection: Introspection{
				URL:             "https://kc.example.com/realms/main/protocol/openid-connect/token/introspect",
				ClientID:        "toolgate",
				ClientSecretEnv: "TESTDATA_IDP_SECRET",
				CacheTTL:        0,
			},
		}},
	}
	if !reflect.DeepEqual(c.Auth, wantAuth) {
		t.Errorf("got auth\n%+v\nwant\n%+v", c.Auth, wantAuth)
	}
	if got, want := c.LocalIssuerURL(), "https://auth.example.com"; got != want {
		t.Errorf("got local issuer %q, want %q", got, want)
	}
	if got, want := c.KeyFilePath(), "/etc/toolgate/signing-key.pem"; got != want {
		t.Errorf("got key file %q, want %q", got, want)
	}
	wantMetrics := Metrics{Enabled: true, Listen: "[::1]:9101", BearerTokenEnv: "TESTDATA_METRICS_TOKEN"}
	if c.Metrics != wantMetrics {
		t.Errorf("got metrics %+v, want %+v", c.Metrics, wantMetrics)
	}
	if got, want := c.MetricsBearerToken(), "not-a-real-token"; got != want {
		t.Errorf("got metrics bearer token %q, want %q", got, want)
	}
	wantAudit := Audit{
		Enabled:  false,
		File:     "/var/log/toolgate/audit.log",
		MaxBytes: 10 << 30,
		MaxFiles: 0,
		Buffer:   1000000,
		OnFull:   "drop",
	}
	if c.Audit != wantAudit {
		t.Errorf("got audit %+v, want %+v", c.Audit, wantAudit)
	}
	if got, want := c.AuditPath(), "/var/log/toolgate/audit.log"; got != want {
		t.Errorf("got audit path %q, want %q", got, want)
	}
}

// TestScopes checks that decoding keeps an absent scopes key (nil: the
// plugin's suggestion applies) apart from scopes = [] (no scope needed).
func TestScopes(t *testing.T) {
	c, err := Load("testdata/scopes.good.toml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		tool    string
		wantNil bool
		want    []string
	}{
		{tool: "unset", wantNil: true},
		{tool: "none", want: []string{}},
		{tool: "some", want: []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			got := c.Tools[tt.tool].Scopes
			if (got == nil) != tt.wantNil {
				t.Errorf("got nil %t, want nil %t", got == nil, tt.wantNil)
			}
			if len(got) != len(tt.want) || len(got) > 0 && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got scopes %q, want %q", got, tt.want)
			}
		})
	}
}

func TestInline(t *testing.T) {
	c, err := Load("testdata/inline.good.toml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Server.Listen, "127.0.0.1:9001"; got != want {
		t.Errorf("got listen %q, want %q", got, want)
	}
	if got, want := c.Server.Path, "/mcp"; got != want {
		t.Errorf("got path %q, want default %q", got, want)
	}
	if got, want := len(c.Plugins), 2; got != want {
		t.Fatalf("got %d plugins, want %d", got, want)
	}
	for _, p := range c.Plugins {
		if got, want := p.StartTimeout, 10*time.Second; got != want {
			t.Errorf("plugin %s: got start timeout %v, want default %v", p.Name, got, want)
		}
	}
	if s := c.Tools["a"].Scopes; s == nil || len(s) != 0 {
		t.Errorf("got scopes %#v for tool a, want empty", s)
	}
}

func TestConfigJSON(t *testing.T) {
	c, err := Load("testdata/plugin_config.good.toml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		plugin int
		want   string
	}{
		{0, `{"anything_goes":"unknown keys are the plugin's business","bool":true,` +
			`"empty_list":[],"entries":[{"id":1},{"id":2}],"float":1.5,"int":-7,` +
			`"list":[1,"two",[3]],"local_date":"2024-01-02","local_datetime":"2024-01-02T03:04:05",` +
			`"local_time":"03:04:05","nested":{"deep":{"deeper":1}},` +
			`"offset_datetime":"2024-01-02T03:04:05.5+01:00","string":"s"}`},
		{1, `{}`},
	}
	for _, tt := range tests {
		p := c.Plugins[tt.plugin]
		t.Run(p.Name, func(t *testing.T) {
			got, err := p.ConfigJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestEnv(t *testing.T) {
	tests := []struct {
		name  string
		file  string // testdata/env.good.toml if empty
		env   map[string]string
		check func(*Config) error
		err   string // the whole error, with file names left out
	}{
		{
			name: "listen",
			env:  map[string]string{"TOOLGATE_SERVER__LISTEN": "127.0.0.1:9100"},
			check: func(c *Config) error {
				return want(c.Server.Listen, "127.0.0.1:9100")
			},
		},
		{
			name: "log level",
			env:  map[string]string{"TOOLGATE_LOG__LEVEL": "debug"},
			check: func(c *Config) error {
				return want(c.Log.Level, "debug")
			},
		},
		{
			name: "list replaces the file's",
			env:  map[string]string{"TOOLGATE_SERVER__ALLOWED_ORIGINS": "https://a.example, https://B.example:443\thttp://c.example:8080"},
			check: func(c *Config) error {
				return want(c.Server.AllowedOrigins, []string{"https://a.example", "https://b.example", "http://c.example:8080"})
			},
		},
		{
			name: "integer",
			env:  map[string]string{"TOOLGATE_SERVER__MAX_BODY_BYTES": "1024"},
			check: func(c *Config) error {
				return want(c.Server.MaxBodyBytes, int64(1024))
			},
		},
		{
			name: "duration",
			env:  map[string]string{"TOOLGATE_SERVER__CALL_TIMEOUT": "5s", "TOOLGATE_SERVER__READ_TIMEOUT": "0"},
			check: func(c *Config) error {
				if err := want(c.Server.CallTimeout, 5*time.Second); err != nil {
					return err
				}
				return want(c.Server.ReadTimeout, time.Duration(0))
			},
		},
		{
			name: "empty value sets an empty list",
			env:  map[string]string{"TOOLGATE_TOOLS__ECHO__SCOPES": ""},
			check: func(c *Config) error {
				if s := c.Tools["echo"].Scopes; s == nil {
					return errors.New("got nil scopes, want empty")
				}
				return want(c.Tools["echo"].Scopes, []string{})
			},
		},
		{
			name: "new tool table",
			env:  map[string]string{"TOOLGATE_TOOLS__READ_FILE__CALL_TIMEOUT": "1s"},
			check: func(c *Config) error {
				return want(c.Tools["read_file"], Tool{CallTimeout: time.Second})
			},
		},
		{
			name: "variables without a double underscore are left alone",
			env:  map[string]string{"TOOLGATE_PLUGIN": "cookie", "TOOLGATE_CONFIG": "/etc/mcp.toml"},
			check: func(c *Config) error {
				return want(c.Server.Listen, "127.0.0.1:9000")
			},
		},
		{
			name: "unknown key",
			env:  map[string]string{"TOOLGATE_SERVER__LISSTEN": "127.0.0.1:9100"},
			err:  `unknown key "server.lissten" (from TOOLGATE_SERVER__LISSTEN)`,
		},
		{
			name: "key below a value",
			env:  map[string]string{"TOOLGATE_SERVER__LISTEN__PORT": "9100"},
			err:  `unknown key "server.listen.port" (from TOOLGATE_SERVER__LISTEN__PORT)`,
		},
		{
			name: "table",
			env:  map[string]string{"TOOLGATE_TOOLS__ECHO": "x"},
			err:  `"tools.echo" is a table, not a value (from TOOLGATE_TOOLS__ECHO)`,
		},
		{
			name: "plugins",
			env:  map[string]string{"TOOLGATE_PLUGINS__0__PATH": "bin/other"},
			err:  `plugins cannot be set from the environment (from TOOLGATE_PLUGINS__0__PATH)`,
		},
		{
			name: "not an integer",
			env:  map[string]string{"TOOLGATE_SERVER__MAX_BODY_BYTES": "4MiB"},
			err:  `server.max_body_bytes: must be an integer, got "4MiB" (from TOOLGATE_SERVER__MAX_BODY_BYTES)`,
		},
		{
			name: "not a duration",
			env:  map[string]string{"TOOLGATE_SERVER__READ_TIMEOUT": "30"},
			err:  `server.read_timeout: "30" is not a duration such as "30s" (from TOOLGATE_SERVER__READ_TIMEOUT)`,
		},
		{
			name: "invalid value",
			env:  map[string]string{"TOOLGATE_SERVER__LISTEN": "localhost"},
			err:  `server.listen: "localhost" is not host:port (from TOOLGATE_SERVER__LISTEN)`,
		},
		{
			name: "invalid list entry",
			env:  map[string]string{"TOOLGATE_TOOLS__ECHO__SCOPES": "a,,b a"},
			err:  `tools.echo.scopes[2]: "a" is already scopes[0] (from TOOLGATE_TOOLS__ECHO__SCOPES)`,
		},
		{
			name: "every problem is reported",
			env:  map[string]string{"TOOLGATE_LOG__FORMAT": "xml", "TOOLGATE_SERVER__PATH": "mcp"},
			err: `server.path: must start with "/", got "mcp" (from TOOLGATE_SERVER__PATH)` + "\n" +
				`log.format: must be text or json, got "xml" (from TOOLGATE_LOG__FORMAT)`,
		},
		{
			name: "auth off",
			env:  map[string]string{"TOOLGATE_AUTH__ENABLED": "false"},
			check: func(c *Config) error {
				return want(c.Auth.Enabled, false)
			},
		},
		{
			name: "booleans as strconv.ParseBool reads them",
			env:  map[string]string{"TOOLGATE_AUTH__ENABLED": "0", "TOOLGATE_AUTH__LOCAL__ENABLED": "TRUE"},
			check: func(c *Config) error {
				return want([]bool{c.Auth.Enabled, c.Auth.Local.Enabled}, []bool{false, true})
			},
		},
		{
			name: "local issuer turned on",
			file: "testdata/auth_missing.bad.toml",
			env:  map[string]string{"TOOLGATE_AUTH__LOCAL__ENABLED": "true"},
			check: func(c *Config) error {
				return want([]bool{c.Auth.Enabled, c.Auth.Local.Enabled}, []bool{true, true})
			},
		},
		{
			name: "auth turned off",
			file: "testdata/auth_missing.bad.toml",
			env:  map[string]string{"TOOLGATE_AUTH__ENABLED": "false"},
			check: func(c *Config) error {
				return want(c.Auth.Enabled, false)
			},
		},
		{
			name: "auth keys",
			env: map[string]string{
				"TOOLGATE_AUTH__DEFAULT_TOOL_SCOPES":    "tools:read",
				"TOOLGATE_AUTH__CHALLENGE_SCOPES":       "tools:echo, tools:read",
				"TOOLGATE_AUTH__TOOLS_LIST":             "mark",
				"TOOLGATE_AUTH__CLOCK_SKEW":             "1m",
				"TOOLGATE_AUTH__MAX_TOKEN_BYTES":        "1024",
				"TOOLGATE_AUTH__FORWARD_CLAIMS":         "email groups",
				"TOOLGATE_AUTH__RESOURCE_NAME":          "Team tools",
				"TOOLGATE_AUTH__RESOURCE_DOCUMENTATION": "HTTPS://Docs.Example.com/mcp",
			},
			check: func(c *Config) error {
				a := c.Auth
				a.Local = LocalIssuer{}
				a.Server = AuthServer{}
				return want(a, Auth{
					Enabled:               true,
					DefaultToolScopes:     []string{"tools:read"},
					ChallengeScopes:       []string{"tools:echo", "tools:read"},
					ToolsList:             "mark",
					ClockSkew:             time.Minute,
					MaxTokenBytes:         1024,
					ForwardClaims:         []string{"email", "groups"},
					ResourceName:          "Team tools",
					ResourceDocumentation: "https://docs.example.com/mcp",
				})
			},
		},
		{
			name: "empty value sets challenge_scopes to none",
			env:  map[string]string{"TOOLGATE_AUTH__CHALLENGE_SCOPES": ""},
			check: func(c *Config) error {
				if c.Auth.ChallengeScopes == nil {
					return errors.New("got nil challenge scopes, want empty")
				}
				return want(c.Auth.ChallengeScopes, []string{})
			},
		},
		{
			name: "local issuer keys",
			env: map[string]string{
				"TOOLGATE_AUTH__LOCAL__KEY_FILE":  "/run/toolgate/key.pem",
				"TOOLGATE_AUTH__LOCAL__ISSUER":    "HTTP://Auth.Example.COM:80",
				"TOOLGATE_AUTH__LOCAL__TOKEN_TTL": "2h",
			},
			check: func(c *Config) error {
				if err := want(c.Auth.Local, LocalIssuer{
					Enabled: true, KeyFile: "/run/toolgate/key.pem", Issuer: "http://auth.example.com", TokenTTL: 2 * time.Hour,
				}); err != nil {
					return err
				}
				return want(c.LocalIssuerURL(), "http://auth.example.com")
			},
		},
		{
			name: "local issuer turned off leaves none",
			env:  map[string]string{"TOOLGATE_AUTH__LOCAL__ENABLED": "false"},
			err:  "auth: " + noIssuerReason + " (from TOOLGATE_AUTH__LOCAL__ENABLED)",
		},
		{
			name: "local issuer turned off under the authorization server",
			file: "testdata/authserver.good.toml",
			env:  map[string]string{"TOOLGATE_AUTH__LOCAL__ENABLED": "false"},
			err: "auth: " + noIssuerReason + " (from TOOLGATE_AUTH__LOCAL__ENABLED)\n" +
				"auth.server.enabled: " + noLocalIssuerReason + " (from TOOLGATE_AUTH__LOCAL__ENABLED)",
		},
		{
			name: "auth turned on with no issuer",
			file: "testdata/scopes.good.toml",
			env:  map[string]string{"TOOLGATE_AUTH__ENABLED": "true"},
			err:  "auth: " + noIssuerReason + " (from TOOLGATE_AUTH__ENABLED)",
		},
		{
			name: "not a boolean",
			env:  map[string]string{"TOOLGATE_AUTH__ENABLED": "off"},
			err:  `auth.enabled: must be true or false, got "off" (from TOOLGATE_AUTH__ENABLED)`,
		},
		{
			name: "issuers",
			env:  map[string]string{"TOOLGATE_AUTH__ISSUERS__0__ISSUER": "https://idp.example.com"},
			err:  `auth.issuers cannot be set from the environment (from TOOLGATE_AUTH__ISSUERS__0__ISSUER)`,
		},
		{
			name: "issuers whole",
			env:  map[string]string{"TOOLGATE_AUTH__ISSUERS": "https://idp.example.com"},
			err:  `auth.issuers cannot be set from the environment (from TOOLGATE_AUTH__ISSUERS)`,
		},
		{
			name: "auth.local is a table",
			env:  map[string]string{"TOOLGATE_AUTH__LOCAL": "true"},
			err:  `"auth.local" is a table, not a value (from TOOLGATE_AUTH__LOCAL)`,
		},
		{
			name: "invalid auth value",
			env:  map[string]string{"TOOLGATE_AUTH__MAX_TOKEN_BYTES": "100"},
			err:  `auth.max_token_bytes: must be from 512 to 65536, got 100 (from TOOLGATE_AUTH__MAX_TOKEN_BYTES)`,
		},
		{
			name: "offline_access is never challenged for",
			env:  map[string]string{"TOOLGATE_AUTH__CHALLENGE_SCOPES": "tools:echo offline_access"},
			err:  `auth.challenge_scopes[1]: must not be "offline_access": ` + offlineAccessNote + ` (from TOOLGATE_AUTH__CHALLENGE_SCOPES)`,
		},
		{
			name: "invalid local issuer value",
			env:  map[string]string{"TOOLGATE_AUTH__LOCAL__TOKEN_TTL": "48h"},
			err:  `auth.local.token_ttl: must be from 1m to 24h, got 48h (from TOOLGATE_AUTH__LOCAL__TOKEN_TTL)`,
		},
		{
			name: "drain timeout",
			env:  map[string]string{"TOOLGATE_SERVER__DRAIN_TIMEOUT": "0"},
			check: func(c *Config) error {
				return want(c.Server.DrainTimeout, time.Duration(0))
			},
		},
		{
			name: "log arguments",
			env:  map[string]string{"TOOLGATE_TOOLS__ECHO__LOG_ARGUMENTS": "true"},
			check: func(c *Config) error {
				return want(c.Tools["echo"], Tool{Scopes: []string{"tools:echo"}, LogArguments: true})
			},
		},
		{
			name: "tool limits",
			env:  map[string]string{"TOOLGATE_TOOLS__ECHO__MAX_CONCURRENT": "4", "TOOLGATE_TOOLS__ECHO__MAX_QUEUE": "8"},
			check: func(c *Config) error {
				return want(c.Tools["echo"], Tool{Scopes: []string{"tools:echo"}, MaxConcurrent: 4, MaxQueue: 8})
			},
		},
		{
			name: "tool limit on a new tool table",
			env:  map[string]string{"TOOLGATE_TOOLS__READ_FILE__MAX_CONCURRENT": "1"},
			check: func(c *Config) error {
				return want(c.Tools["read_file"], Tool{MaxConcurrent: 1})
			},
		},
		{
			name: "tool limits over the file's",
			file: "testdata/limits.good.toml",
			env:  map[string]string{"TOOLGATE_TOOLS__HIGH__MAX_CONCURRENT": "0", "TOOLGATE_TOOLS__HIGH__MAX_QUEUE": "0"},
			check: func(c *Config) error {
				return want(c.Tools["high"], Tool{})
			},
		},
		{
			name: "tool queue without a tool limit",
			env:  map[string]string{"TOOLGATE_TOOLS__ECHO__MAX_QUEUE": "5"},
			err:  `tools.echo.max_queue: max_queue needs max_concurrent: a queue waits for the tool's own slots (from TOOLGATE_TOOLS__ECHO__MAX_QUEUE)`,
		},
		{
			name: "tool limit out of range",
			env:  map[string]string{"TOOLGATE_TOOLS__ECHO__MAX_CONCURRENT": "10001"},
			err:  `tools.echo.max_concurrent: must be 0 to 10000, got 10001 (from TOOLGATE_TOOLS__ECHO__MAX_CONCURRENT)`,
		},
		{
			name: "tool limit not an integer",
			env:  map[string]string{"TOOLGATE_TOOLS__ECHO__MAX_QUEUE": "lots"},
			err:  `tools.echo.max_queue: must be an integer, got "lots" (from TOOLGATE_TOOLS__ECHO__MAX_QUEUE)`,
		},
		{
			name: "plugin limits",
			env:  map[string]string{"TOOLGATE_PLUGINS__0__MAX_CONCURRENT": "8"},
			err:  `plugins cannot be set from the environment (from TOOLGATE_PLUGINS__0__MAX_CONCURRENT)`,
		},
		{
			name: "metrics keys",
			env: map[string]string{
				"TOOLGATE_METRICS__LISTEN":           "127.0.0.1:9101",
				"TOOLGATE_METRICS__BEARER_TOKEN_ENV": "TESTDATA_SCRAPE_TOKEN",
				"TESTDATA_SCRAPE_TOKEN":              "not-a-real-token",
			},
			check: func(c *Config) error {
				if err := want(c.Metrics, Metrics{Enabled: true, Listen: "127.0.0.1:9101", BearerTokenEnv: "TESTDATA_SCRAPE_TOKEN"}); err != nil {
					return err
				}
				return want(c.MetricsBearerToken(), "not-a-real-token")
			},
		},
		{
			name: "metrics off need no token",
			env: map[string]string{
				"TOOLGATE_METRICS__ENABLED":          "false",
				"TOOLGATE_METRICS__BEARER_TOKEN_ENV": "TESTDATA_SCRAPE_TOKEN_UNSET",
			},
			check: func(c *Config) error {
				return want(c.Metrics, Metrics{Enabled: false, BearerTokenEnv: "TESTDATA_SCRAPE_TOKEN_UNSET"})
			},
		},
		{
			name: "audit keys",
			env: map[string]string{
				"TOOLGATE_AUDIT__ENABLED":   "false",
				"TOOLGATE_AUDIT__FILE":      "-",
				"TOOLGATE_AUDIT__MAX_BYTES": "1048576",
				"TOOLGATE_AUDIT__MAX_FILES": "0",
				"TOOLGATE_AUDIT__BUFFER":    "1",
				"TOOLGATE_AUDIT__ON_FULL":   "drop",
			},
			check: func(c *Config) error {
				if err := want(c.Audit, Audit{File: "-", MaxBytes: 1 << 20, Buffer: 1, OnFull: "drop"}); err != nil {
					return err
				}
				return want(c.AuditPath(), "-")
			},
		},
		{
			name: "invalid drain timeout",
			env:  map[string]string{"TOOLGATE_SERVER__DRAIN_TIMEOUT": "1h"},
			err:  `server.drain_timeout: must be from 0s to 10m, got 1h (from TOOLGATE_SERVER__DRAIN_TIMEOUT)`,
		},
		{
			name: "log arguments not a boolean",
			env:  map[string]string{"TOOLGATE_TOOLS__ECHO__LOG_ARGUMENTS": "yes"},
			err:  `tools.echo.log_arguments: must be true or false, got "yes" (from TOOLGATE_TOOLS__ECHO__LOG_ARGUMENTS)`,
		},
		{
			name: "metrics on server.listen",
			env:  map[string]string{"TOOLGATE_METRICS__LISTEN": "127.0.0.1:9000"},
			err: `metrics.listen: "127.0.0.1:9000" takes the port of server.listen "127.0.0.1:9000": ` +
				`give /metrics a port of its own, or leave metrics.listen empty to serve it on the main listener (from TOOLGATE_METRICS__LISTEN)`,
		},
		{
			name: "metrics token variable unset",
			env:  map[string]string{"TOOLGATE_METRICS__BEARER_TOKEN_ENV": "TESTDATA_SCRAPE_TOKEN_UNSET"},
			err:  `metrics.bearer_token_env: environment variable TESTDATA_SCRAPE_TOKEN_UNSET is not set (from TOOLGATE_METRICS__BEARER_TOKEN_ENV)`,
		},
		{
			name: "metrics token variable empty",
			env: map[string]string{
				"TOOLGATE_METRICS__BEARER_TOKEN_ENV": "TESTDATA_SCRAPE_TOKEN",
				"TESTDATA_SCRAPE_TOKEN":              "",
			},
			err: `metrics.bearer_token_env: environment variable TESTDATA_SCRAPE_TOKEN is empty (from TOOLGATE_METRICS__BEARER_TOKEN_ENV)`,
		},
		{
			name: "invalid audit values",
			env: map[string]string{
				"TOOLGATE_AUDIT__ON_FULL":   "block",
				"TOOLGATE_AUDIT__MAX_BYTES": "1024",
			},
			err: `audit.max_bytes: must be from 1048576 (1 MiB) to 10737418240 (10 GiB), got 1024 (from TOOLGATE_AUDIT__MAX_BYTES)` + "\n" +
				`audit.on_full: must be refuse or drop, got "block" (from TOOLGATE_AUDIT__ON_FULL)`,
		},
		{
			name: "audit file emptied",
			env:  map[string]string{"TOOLGATE_AUDIT__FILE": ""},
			err:  `audit.file: must be set when audit.enabled is true (from TOOLGATE_AUDIT__FILE)`,
		},
		{
			name: "a variable does not hide the mistake it overrides",
			file: "testdata/plugins_type.bad.toml",
			env:  map[string]string{"TOOLGATE_TOOLS__ECHO__SCOPES": "tools:echo"},
			err: "plugins: must be an array of tables, got a table\n" +
				"tools: must be a table, got a string",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			file := tt.file
			if file == "" {
				file = "testdata/env.good.toml"
			}
			c, err := Load(file)
			if tt.err != "" {
				if c != nil {
					t.Errorf("got Config %+v, want nil", c)
				}
				if err == nil {
					t.Fatalf("got no error, want %q", tt.err)
				}
				if got := strings.ReplaceAll(err.Error(), file+": ", ""); got != tt.err {
					t.Errorf("got error\n%s\nwant\n%s", got, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if err := tt.check(c); err != nil {
				t.Error(err)
			}
		})
	}
}

func want(got, want any) error {
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("got %#v, want %#v", got, want)
	}
	return nil
}

// TestEnvTwice checks that two variables naming one key once lowercased
// are refused rather than one silently winning.
func TestEnvTwice(t *testing.T) {
	t.Setenv("TOOLGATE_LOG__LEVEL", "debug")
	t.Setenv("TOOLGATE_log__level", "warn")
	c, err := Load("testdata/env.good.toml")
	if c != nil {
		t.Errorf("got Config %+v, want nil", c)
	}
	if err == nil || !strings.Contains(err.Error(), ": log.level: also set by TOOLGATE_") {
		t.Errorf("got error %v, want log.level set twice", err)
	}
}

// TestRepoConfig loads the configuration shipped at the top of the
// repository, which must run as it is on a fresh clone and write out the
// defaults it documents.
func TestRepoConfig(t *testing.T) {
	c, err := Load("../mcp.toml")
	if err != nil {
		t.Fatal(err)
	}
	defaults, err := Load("testdata/minimal.good.toml")
	if err != nil {
		t.Fatal(err)
	}
	// The shipped file names the endpoint as people type it: localhost,
	// which the listener's 127.0.0.1 would not say.
	server := c.Server
	if server.PublicURL != "http://localhost:9000/mcp" {
		t.Errorf("got public_url %q, want http://localhost:9000/mcp", server.PublicURL)
	}
	server.AllowedOrigins, server.AllowedHosts, server.PublicURL = nil, nil, ""
	if !reflect.DeepEqual(server, defaults.Server) {
		t.Errorf("got [server]\n%+v\nwant the defaults\n%+v", server, defaults.Server)
	}
	if c.Log != defaults.Log {
		t.Errorf("got [log] %+v, want the defaults %+v", c.Log, defaults.Log)
	}
	if c.Metrics != defaults.Metrics {
		t.Errorf("got [metrics] %+v, want the defaults %+v", c.Metrics, defaults.Metrics)
	}
	if c.Audit != defaults.Audit {
		t.Errorf("got [audit] %+v, want the defaults %+v", c.Audit, defaults.Audit)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if c.Dir != root {
		t.Errorf("got dir %q, want %q", c.Dir, root)
	}
	var names []string
	for _, p := range c.Plugins {
		names = append(names, p.Name)
	}
	if err := want(names, []string{"echo", "files"}); err != nil {
		t.Fatalf("plugins: %v", err)
	}
	// The shipped entries write no limits: the documented defaults apply.
	for _, p := range c.Plugins {
		if p.MaxConcurrent != 64 || p.MaxQueue != 256 || p.MaxResultBytes != 16<<20 {
			t.Errorf("plugin %s: got limits %d, %d, %d; want the defaults 64, 256, 16777216",
				p.Name, p.MaxConcurrent, p.MaxQueue, p.MaxResultBytes)
		}
	}
	if got, want := c.PluginPath(c.Plugins[0]), filepath.Join(root, "bin", "echo"); got != want {
		t.Errorf("got echo at %q, want %q", got, want)
	}
	if err := want(c.Plugins[1].Config, map[string]any{"root": ".", "max_file_bytes": int64(1048576)}); err != nil {
		t.Errorf("files config: %v", err)
	}
	wantTools := map[string]Tool{
		"echo":           {Scopes: []string{"tools:echo"}},
		"read_file":      {Scopes: []string{"files:read"}},
		"list_directory": {Scopes: []string{"files:read"}},
		"search_files":   {Scopes: []string{"files:read"}},
	}
	if err := want(c.Tools, wantTools); err != nil {
		t.Errorf("tools: %v", err)
	}
	// Auth on, with the local issuer and its authorization server, whose
	// one user may grant every scope; default_tool_scopes = [] is none,
	// as the default is.
	wantAuth := defaults.Auth
	wantAuth.DefaultToolScopes = []string{}
	wantAuth.Server.Enabled = true
	wantAuth.Server.Users = []AuthUser{{
		Username: "alice", PasswordHash: "$2a$10$gWYdBK7jcg0DoynVKXd8fe6lzlTbLLz.hteQEq.setjK6vF4yrhbO",
		Scopes: []string{"tools:echo", "files:read"},
	}}
	if err := want(c.Auth, wantAuth); err != nil {
		t.Errorf("auth: %v", err)
	}
	if got, want := c.KeyFilePath(), filepath.Join(root, "data", "signing-key.pem"); got != want {
		t.Errorf("got key file %q, want %q", got, want)
	}
	if got, want := c.AuditPath(), filepath.Join(root, "data", "audit.log"); got != want {
		t.Errorf("got audit path %q, want %q", got, want)
	}
}

func TestLoadMissing(t *testing.T) {
	c, err := Load("testdata/missing.toml")
	if c != nil {
		t.Errorf("got Config %+v, want nil", c)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got error %v, want one that is fs.ErrNotExist", err)
	}
}

// TestProblems checks what an *Error holds besides its text.
func TestProblems(t *testing.T) {
	t.Setenv("TOOLGATE_LOG__LEVEL", "loud")
	_, err := Load("testdata/unknown_keys.bad.toml")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got error of type %T, want *Error", err)
	}
	if got, want := e.File, "testdata/unknown_keys.bad.toml"; got != want {
		t.Errorf("got file %q, want %q", got, want)
	}
	wantFirst := []Problem{
		{Key: "log.level", Env: "TOOLGATE_LOG__LEVEL", Reason: `must be debug, info, warn or error, got "loud"`},
		{Line: 3, Reason: `unknown key "lgo"`},
	}
	if len(e.Problems) < len(wantFirst) {
		t.Fatalf("got %d problems, want at least %d", len(e.Problems), len(wantFirst))
	}
	if err := want(e.Problems[:len(wantFirst)], wantFirst); err != nil {
		t.Error(err)
	}
}

func TestPluginPath(t *testing.T) {
	dir := t.TempDir()
	elsewhere := filepath.Join(t.TempDir(), "echo")
	c := &Config{Dir: dir}
	tests := []struct {
		path string
		want string
	}{
		{"bin/echo", filepath.Join(dir, "bin", "echo")},
		{"./bin/../plugins/echo", filepath.Join(dir, "plugins", "echo")},
		{elsewhere, elsewhere},
		{elsewhere + string(filepath.Separator), elsewhere},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p := Plugin{Path: tt.path}
			if got := c.PluginPath(p); got != tt.want {
				t.Errorf("got PluginPath %q, want %q", got, tt.want)
			}
			if got := p.BinaryPath(dir); got != tt.want {
				t.Errorf("got BinaryPath %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCanonicalURL(t *testing.T) {
	tests := []struct {
		name   string
		server Server
		want   string
	}{
		{"public url", Server{Listen: "127.0.0.1:9000", Path: "/mcp", PublicURL: "https://mcp.example.com/x"}, "https://mcp.example.com/x"},
		{"listen", Server{Listen: "127.0.0.1:9000", Path: "/mcp"}, "http://127.0.0.1:9000/mcp"},
		{"host lowercased", Server{Listen: "MCP.Local:80", Path: "/"}, "http://mcp.local:80/"},
		{"ipv6", Server{Listen: "[::1]:9000", Path: "/mcp"}, "http://[::1]:9000/mcp"},
		{"all interfaces", Server{Listen: ":9000", Path: "/mcp"}, "http://localhost:9000/mcp"},
		{"unspecified ipv4", Server{Listen: "0.0.0.0:9000", Path: "/mcp"}, "http://localhost:9000/mcp"},
		{"unspecified ipv6", Server{Listen: "[::]:9000", Path: "/mcp"}, "http://localhost:9000/mcp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Server: tt.server}
			if got := c.CanonicalURL(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAuditPath(t *testing.T) {
	dir := t.TempDir()
	elsewhere := filepath.Join(t.TempDir(), "audit.log")
	tests := []struct {
		file string
		want string
	}{
		{"data/audit.log", filepath.Join(dir, "data", "audit.log")},
		{"./logs/../audit.log", filepath.Join(dir, "audit.log")},
		{elsewhere, elsewhere},
		{"-", "-"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c := &Config{Dir: dir, Audit: Audit{File: tt.file}}
			if got := c.AuditPath(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestMetricsBearerToken checks that the token is read from the variable
// named, and that no message ever carries it.
func TestMetricsBearerToken(t *testing.T) {
	const token = "tok-do-not-print"
	t.Setenv("TESTDATA_SCRAPE_TOKEN", token)
	if got := (&Config{}).MetricsBearerToken(); got != "" {
		t.Errorf("got %q with no bearer_token_env, want none", got)
	}
	c := &Config{Metrics: Metrics{BearerTokenEnv: "TESTDATA_SCRAPE_TOKEN"}}
	if got := c.MetricsBearerToken(); got != token {
		t.Errorf("got %q, want %q", got, token)
	}
	t.Setenv("TOOLGATE_METRICS__BEARER_TOKEN_ENV", "TESTDATA_SCRAPE_TOKEN")
	t.Setenv("TOOLGATE_METRICS__LISTEN", "127.0.0.1:9000")
	_, err := Load("testdata/env.good.toml")
	if err == nil {
		t.Fatal("got no error, want metrics.listen refused")
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("error carries the token: %v", err)
	}
}

func TestClash(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"127.0.0.1:9000", "127.0.0.1:9000", true},
		{"127.0.0.1:9000", "127.0.0.1:9001", false},
		{"127.0.0.1:9000", "127.0.0.2:9000", false},
		{":9000", "127.0.0.1:9000", true},
		{"0.0.0.0:9000", "[::1]:9000", true},
		{"[::]:9000", "127.0.0.1:9000", true},
		{"[::ffff:127.0.0.1]:9000", "127.0.0.1:9000", true},
		{"[::1]:9000", "127.0.0.1:9000", false},
		{"LocalHost.:9000", "localhost:9000", true},
		{"localhost:9000", "localhost:09000", true},
		{"127.0.0.1:0", "127.0.0.1:0", false},
		{":0", ":0", false},
	}
	for _, tt := range tests {
		t.Run(tt.a+" "+tt.b, func(t *testing.T) {
			if got := clash(tt.a, tt.b); got != tt.want {
				t.Errorf("got %t, want %t", got, tt.want)
			}
			if got := clash(tt.b, tt.a); got != tt.want {
				t.Errorf("reversed: got %t, want %t", got, tt.want)
			}
		})
	}
}

// TestContentScopes checks the [[prompts]] and [[resources]] entries and
// their defaults: a URI with dots survives as the entry's value, and an
// absent scopes key stays apart from scopes = [].
func TestContentScopes(t *testing.T) {
	c, err := Load("testdata/content_scopes.good.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := []PromptRule{{Name: "echo_prompt", Scopes: []string{"prompts:echo"}}, {Name: "open.prompt", Scopes: []string{}}}
	if !reflect.DeepEqual(c.Prompts, want) {
		t.Errorf("got prompts %#v, want %#v", c.Prompts, want)
	}
	wantRes := []ResourceRule{{URI: "file:///notes/readme.md", Scopes: []string{"notes:read"}}, {URI: "test://template/{id}/data"}}
	if !reflect.DeepEqual(c.Resources, wantRes) {
		t.Errorf("got resources %#v, want %#v", c.Resources, wantRes)
	}
	if !reflect.DeepEqual(c.Auth.DefaultPromptScopes, []string{"prompts"}) ||
		!reflect.DeepEqual(c.Auth.DefaultResourceScopes, []string{"resources", "read"}) {
		t.Errorf("got defaults %q and %q", c.Auth.DefaultPromptScopes, c.Auth.DefaultResourceScopes)
	}
}

// defaultAuthServer is [auth.server] as a file without it loads.
var defaultAuthServer = AuthServer{
	StoreFile:               "data/authserver.db",
	CodeTTL:                 time.Minute,
	RefreshTokenTTL:         720 * time.Hour,
	DynamicRegistration:     true,
	ClientMetadataDocuments: true,
}
