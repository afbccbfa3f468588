// Package config loads and validates mcp.toml, Toolgate's configuration.
//
// Load reads the file with koanf (TOML), lays TOOLGATE_* environment
// variables over it, fills in defaults, decodes it strictly into Config and
// validates every value. Every problem is reported with the file, the key
// and the reason, and no partial Config is ever returned: a caller keeps
// running the config it had.
//
// Durations are written as strings with a unit ("30s"). Where a zero
// duration is allowed, the field says what it means.
package config

import "time"

// Config is the whole of mcp.toml.
type Config struct {
	Server  Server          `koanf:"server"`
	Log     Log             `koanf:"log"`
	Plugins []Plugin        `koanf:"plugins"`
	Tools   map[string]Tool `koanf:"tools"`
	// Prompts and Resources are the operator's word on single prompts and
	// resources. They are arrays of tables rather than tables keyed by name
	// because resource URIs hold dots, which would split a key.
	Prompts   []PromptRule   `koanf:"prompts"`
	Resources []ResourceRule `koanf:"resources"`
	Auth      Auth           `koanf:"auth"`
	Metrics   Metrics        `koanf:"metrics"`
	Audit     Audit          `koanf:"audit"`

	// Dir is the directory of the config file; relative paths in it are
	// resolved against Dir. It is not read from the file.
	Dir string `koanf:"-"`
	// File is the path the config was loaded from, for messages.
	File string `koanf:"-"`
}

// Server is the [server] table: the HTTP listener and the MCP endpoint.
type Server struct {
	// Listen is the TCP address to serve on, host:port. An empty host
	// means all interfaces and port 0 any free port.
	Listen string `koanf:"listen"`
	// Path is the MCP endpoint's path: it starts with "/" and is clean
	// (no "//", "." or ".." segments).
	Path string `koanf:"path"`
	// PublicURL is the endpoint's canonical URL as clients see it (behind a
	// proxy): absolute http(s), no query or fragment. Load lowercases its
	// scheme and host and drops a default port. Empty means
	// http://<listen><path>; see Config.CanonicalURL.
	PublicURL string `koanf:"public_url"`
	// AllowedOrigins are browser origins accepted besides loopback ones
	// ("https://app.example.com"), compared exactly: http(s)://host[:port].
	// Load brings them to the form browsers send: lowercase scheme and
	// host, no default port.
	AllowedOrigins []string `koanf:"allowed_origins"`
	// AllowedHosts are Host header values accepted besides loopback ones
	// and the public URL's host: host or host:port, lowercased by Load.
	AllowedHosts []string `koanf:"allowed_hosts"`
	// MaxBodyBytes caps a request body; at most 64 MiB.
	MaxBodyBytes int64 `koanf:"max_body_bytes"`
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout protect
	// against slow or idle clients, as the http.Server fields of the same
	// names: zero means none, except for ReadHeaderTimeout, which is
	// positive, and IdleTimeout, for which zero means ReadTimeout.
	ReadHeaderTimeout time.Duration `koanf:"read_header_timeout"`
	ReadTimeout       time.Duration `koanf:"read_timeout"`
	WriteTimeout      time.Duration `koanf:"write_timeout"`
	IdleTimeout       time.Duration `koanf:"idle_timeout"`
	// CallTimeout is the default time a tool call may take; positive.
	CallTimeout time.Duration `koanf:"call_timeout"`
	// SessionIdleTimeout ends a session-era session nobody used for this
	// long; positive.
	SessionIdleTimeout time.Duration `koanf:"session_idle_timeout"`
	// DrainTimeout is how long shutting down waits for running requests
	// to finish, 0 to 10m; zero means it does not wait. Default 30s.
	DrainTimeout time.Duration `koanf:"drain_timeout"`
	// MaxSessions caps the number of live session-era sessions.
	MaxSessions int `koanf:"max_sessions"`
	// ReplayEvents is how many SSE events each session keeps so a client
	// can resume a dropped stream with Last-Event-ID, 0 to 100000.
	ReplayEvents int `koanf:"replay_events"`
	// PageSize is the number of entries in one tools/list page, 1 to 1000.
	PageSize int `koanf:"page_size"`
	// Instructions are sent to clients in initialize and server/discover.
	Instructions string `koanf:"instructions"`
	// RequestStateKeyFile, optional, holds the key (32 bytes, base64) that
	// seals the requestState of 2026-07-28 input_required results,
	// relative to the config file's directory. Replicas behind one URL
	// share it, so a retry may reach any of them. Empty means a key drawn
	// at random at each start: states then die with the process.
	RequestStateKeyFile string `koanf:"request_state_key_file"`
	// RequestStateTTL is how long a client may take to answer a tool's
	// questions and retry, 1s to 24h. Default 10m.
	RequestStateTTL time.Duration `koanf:"request_state_ttl"`
	// Watch reloads the config when this file or a plugin binary changes
	// on disk. SIGHUP and `toolgate reload` reload it either way.
	// Default true.
	Watch bool `koanf:"watch"`
}

// Log is the [log] table.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `koanf:"level"`
	// Format is text or json.
	Format string `koanf:"format"`
}

// Plugin is one [[plugins]] entry.
type Plugin struct {
	// Name identifies the plugin in logs and errors: unique, 1 to 63 of
	// a-z 0-9 _ -, starting with a letter or digit.
	Name string `koanf:"name"`
	// Path is the plugin binary, relative to the config file's directory;
	// Config.PluginPath resolves it.
	Path string `koanf:"path"`
	// Args are passed to the binary.
	Args []string `koanf:"args"`
	// SHA256, optional, pins the binary: a hex digest it must match,
	// lowercased by Load.
	SHA256 string `koanf:"sha256"`
	// Env is the plugin's whole environment besides what go-plugin sets.
	Env map[string]string `koanf:"env"`
	// StartTimeout bounds the handshake and Init; positive.
	StartTimeout time.Duration `koanf:"start_timeout"`
	// MaxConcurrent is how many calls may run in the plugin process at
	// once, 1 to 10000. Default 64.
	MaxConcurrent int `koanf:"max_concurrent"`
	// MaxQueue is how many calls may wait for a slot, 0 to 100000; a call
	// that arrives to a full queue is refused at once. Zero means no
	// waiting: a call that finds every slot taken is refused. Default 256.
	MaxQueue int `koanf:"max_queue"`
	// MaxResultBytes is the largest result message accepted from the
	// plugin, 1 KiB to 64 MiB (sdk.MaxMessageBytes, the most the plugin
	// contract carries). Default 16 MiB.
	MaxResultBytes int64 `koanf:"max_result_bytes"`
	// CallTimeout overrides server.call_timeout for this plugin's tools;
	// zero means it does not.
	CallTimeout time.Duration `koanf:"call_timeout"`
	// MemoryLimit caps the plugin process's address space (RLIMIT_AS), in
	// bytes: 0 (the default) for none, else 64 MiB to 1 TiB. A process
	// that reaches it fails to allocate, which ends a Go plugin, and is
	// restarted. Go reserves address space beyond what it uses: leave a
	// Go plugin several hundred MiB above its working set.
	MemoryLimit int64 `koanf:"memory_limit"`
	// CPULimit caps the CPU time the plugin process may use over its
	// whole life (RLIMIT_CPU): 0 (the default) for none, else 1s to
	// 1000h. The kernel ends a process that uses it up; it is restarted.
	CPULimit time.Duration `koanf:"cpu_limit"`
	// PingInterval is how often the host pings the plugin's health
	// service; after three pings in a row go unanswered, each within
	// min(PingInterval, 2s), the plugin is taken for hung and restarted.
	// 100ms to 10m. Default 5s.
	PingInterval time.Duration `koanf:"ping_interval"`
	// WhenParked is what becomes of the plugin's tools while its circuit
	// is open (it failed to restart five times in a row): "unavailable"
	// (the default) keeps them listed and calls fail as retryable;
	// "hide" takes them off tools/list until the plugin is back.
	WhenParked string `koanf:"when_parked"`
	// Config is handed to the plugin as a JSON object at start (see
	// ConfigJSON). It is free-form: its keys are the plugin's business.
	Config map[string]any `koanf:"config"`
}

// Tool is a [tools.<name>] table: the operator's word on one tool.
type Tool struct {
	// Scopes replace the scopes the plugin suggests. Nil (no scopes key)
	// leaves the plugin's suggestion; an empty list (scopes = []) means the
	// tool needs no scope.
	Scopes []string `koanf:"scopes"`
	// CallTimeout overrides the plugin's and the server's call timeout;
	// zero means it does not.
	CallTimeout time.Duration `koanf:"call_timeout"`
	// MaxConcurrent is how many calls of this tool may run at once, on
	// top of its plugin's max_concurrent, 0 to 10000. Zero (the default)
	// means no limit of the tool's own: the plugin's applies.
	MaxConcurrent int `koanf:"max_concurrent"`
	// MaxQueue is how many calls of this tool may wait for one of its own
	// slots, 0 to 100000; a call that arrives to a full queue is refused at
	// once. A positive MaxQueue needs a positive MaxConcurrent. Zero (the
	// default) means no waiting for the tool's own slots.
	MaxQueue int `koanf:"max_queue"`
	// LogArguments puts the call's arguments in the host's request log line.
	// Off by default: arguments may carry personal data or secrets.
	LogArguments bool `koanf:"log_arguments"`
}

// PromptRule is one [[prompts]] entry.
type PromptRule struct {
	// Name is the prompt's name; no two entries name the same prompt.
	Name string `koanf:"name"`
	// Scopes replace the scopes the plugin suggests, as [tools.NAME] scopes
	// do: nil leaves the suggestion, an empty list means none is needed.
	Scopes []string `koanf:"scopes"`
}

// ResourceRule is one [[resources]] entry.
type ResourceRule struct {
	// URI is a resource's URI or a resource template's URI template, as
	// the plugin offers it; no two entries name the same one. A URI that a
	// template matches takes the template's scopes.
	URI string `koanf:"uri"`
	// Scopes replace the scopes the plugin suggests, as for prompts.
	Scopes []string `koanf:"scopes"`
}

// Auth is the [auth] table: Toolgate as an OAuth 2.1 resource server.
// Unless it is turned off, auth needs at least one trusted issuer:
// Local, Issuers or both.
type Auth struct {
	// Enabled requires a valid bearer token on every MCP request. It is on
	// unless the file (or TOOLGATE_AUTH__ENABLED) turns it off, so that a
	// file without [auth] fails closed.
	Enabled bool `koanf:"enabled"`
	// DefaultToolScopes apply to a tool that neither [tools.NAME] nor its
	// plugin gives scopes. Nil and empty alike mean such a tool needs no
	// scope. Each is an OAuth scope token (RFC 6749 §3.3).
	DefaultToolScopes []string `koanf:"default_tool_scopes"`
	// DefaultPromptScopes and DefaultResourceScopes do the same for
	// prompts, and for resources and resource templates.
	DefaultPromptScopes   []string `koanf:"default_prompt_scopes"`
	DefaultResourceScopes []string `koanf:"default_resource_scopes"`
	// ChallengeScopes are named in the scope parameter of a 401 challenge:
	// what a client should ask for first. Nil (no challenge_scopes key)
	// means every scope a tool needs; an empty list (challenge_scopes = [])
	// means none is named. Each is an OAuth scope token, never
	// "offline_access".
	ChallengeScopes []string `koanf:"challenge_scopes"`
	// ToolsList is "filter" (tools/list shows only the tools the caller may
	// call) or "mark" (it shows all, each marked callable or not).
	// Default "filter".
	ToolsList string `koanf:"tools_list"`
	// ClockSkew is the leeway allowed on exp, nbf and iat, 0 to 5m.
	// Default 30s.
	ClockSkew time.Duration `koanf:"clock_skew"`
	// MaxTokenBytes bounds the length of a bearer token, 512 to 65536.
	// Default 8192.
	MaxTokenBytes int `koanf:"max_token_bytes"`
	// ForwardClaims are the token claims handed to plugins with the caller:
	// non-empty names, no repeats. Default email, name, preferred_username.
	ForwardClaims []string `koanf:"forward_claims"`
	// ResourceName and ResourceDocumentation go into the RFC 9728 metadata.
	// ResourceName defaults to "Toolgate"; ResourceDocumentation, optional,
	// is an absolute http(s) URL, normalised by Load as server.public_url.
	ResourceName          string `koanf:"resource_name"`
	ResourceDocumentation string `koanf:"resource_documentation"`
	// Local makes Toolgate an issuer of its own, for local use.
	Local LocalIssuer `koanf:"local"`
	// Server makes the local issuer a whole OAuth 2.1 authorization
	// server; see AuthServer.
	Server AuthServer `koanf:"server"`
	// Issuers are the trusted authorization servers. Being an array of
	// tables, they cannot be set from the environment.
	Issuers []Issuer `koanf:"issuers"`
}

// LocalIssuer is the [auth.local] table.
type LocalIssuer struct {
	// Enabled makes Toolgate sign tokens with a key of its own and trust
	// them. Default false.
	Enabled bool `koanf:"enabled"`
	// KeyFile holds the signing key (PEM, created with mode 0600 on first
	// start), relative to the config file's directory; Config.KeyFilePath
	// resolves it. Default "data/signing-key.pem"; it must be set when
	// Enabled is.
	KeyFile string `koanf:"key_file"`
	// Issuer is the local issuer's URL, http(s)://host[:port] with no path,
	// since Toolgate serves the issuer's metadata and keys at the root of
	// its origin; Load normalises it as server.public_url. Empty (the
	// default) means the scheme and host of the server's canonical URL; see
	// Config.LocalIssuerURL.
	Issuer string `koanf:"issuer"`
	// TokenTTL is the default lifetime of a token from `toolgate token`,
	// 1m to 24h. Default 1h.
	TokenTTL time.Duration `koanf:"token_ttl"`
}

// Issuer is one [[auth.issuers]] entry: an authorization server whose
// tokens Toolgate accepts.
//
// Every URL of an issuer is absolute, without query or fragment, and https
// unless its host is loopback (localhost, 127.0.0.0/8, ::1).
type Issuer struct {
	// Issuer is the issuer URL, matched exactly against the iss claim, so
	// Load keeps it as written. Required; no two entries have the same
	// issuer, and none has the local issuer's while auth.local is enabled.
	Issuer string `koanf:"issuer"`
	// JWKSURL is where the signing keys are. Empty means discovered from the
	// issuer's RFC 8414 metadata, then its OpenID configuration. Load
	// normalises it as server.public_url.
	JWKSURL string `koanf:"jwks_url"`
	// Algorithms are the accepted signature algorithms, of RS256 RS384
	// RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA; "none" and the
	// symmetric HS* are refused. Default RS256, ES256.
	Algorithms []string `koanf:"algorithms"`
	// Audiences are accepted aud values. Nil means the canonical resource
	// URL (see Config.Audiences); an empty list is refused.
	Audiences []string `koanf:"audiences"`
	// ScopeClaim names the claim holding the granted scopes: a
	// space-separated string or an array. Default "scope"; "scp" is common.
	ScopeClaim string `koanf:"scope_claim"`
	// RequireATJWT refuses JWTs whose typ is not at+jwt (RFC 9068). Many
	// IdPs send typ JWT, so it is off by default for external issuers.
	RequireATJWT bool `koanf:"require_at_jwt"`
	// KeyRefresh is how often the key set is refetched in the background,
	// 1m to 24h. Default 15m.
	KeyRefresh time.Duration `koanf:"key_refresh"`
	// Introspection, when its URL is set, validates opaque (non-JWT) tokens
	// with RFC 7662. Its zero value means no introspection.
	Introspection Introspection `koanf:"introspection"`
}

// Introspection is an issuer's RFC 7662 token introspection endpoint.
type Introspection struct {
	// URL is the endpoint, normalised by Load as server.public_url. The
	// other keys may be set only with it.
	URL string `koanf:"url"`
	// ClientID is the client Toolgate authenticates as; required with URL.
	ClientID string `koanf:"client_id"`
	// ClientSecretEnv names the environment variable holding the client
	// secret, so the secret stays out of the file. When it is set, Load
	// refuses the config unless the variable is set and not empty.
	ClientSecretEnv string `koanf:"client_secret_env"`
	// CacheTTL bounds how long an answer is reused; never past the token's
	// exp. 0 to 1h; zero means answers are not reused. Default 60s when URL
	// is set.
	CacheTTL time.Duration `koanf:"cache_ttl"`
}

// Metrics is the [metrics] table: the Prometheus endpoint.
type Metrics struct {
	// Enabled serves /metrics. Default true.
	Enabled bool `koanf:"enabled"`
	// Listen, when set, serves /metrics on this separate host:port instead
	// of the main listener. It is checked as server.listen is, and must
	// not be server.listen's address. Default "": the main listener.
	Listen string `koanf:"listen"`
	// BearerTokenEnv names the environment variable holding a token that
	// scrapers must present (Authorization: Bearer); empty means none.
	// While Enabled, Load refuses the config unless the variable is set
	// and not empty; Config.MetricsBearerToken reads it. Default "".
	BearerTokenEnv string `koanf:"bearer_token_env"`
}

// Audit is the [audit] table: the tamper-evident record of every tool call
// and every refusal.
type Audit struct {
	// Enabled writes the audit trail. Default true.
	Enabled bool `koanf:"enabled"`
	// File is where records go, relative to the config file's directory;
	// "-" means standard output. Config.AuditPath resolves it. It must be
	// set while Enabled is. Default "data/audit.log".
	File string `koanf:"file"`
	// MaxBytes rotates the file when it would grow past this size, 1 MiB
	// to 10 GiB. Default 104857600 (100 MiB).
	MaxBytes int64 `koanf:"max_bytes"`
	// MaxFiles is how many rotated files are kept besides the current one,
	// 0 to 1000. Default 10.
	MaxFiles int `koanf:"max_files"`
	// Buffer is how many records may wait for the disk, 1 to 1000000.
	// Default 4096.
	Buffer int `koanf:"buffer"`
	// OnFull is what happens when the buffer is full: "refuse" the call
	// (nothing unrecorded happens) or "drop" the record and count it.
	// Default "refuse".
	OnFull string `koanf:"on_full"`
}
