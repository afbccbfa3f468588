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
	// MaxSessions caps the number of live session-era sessions.
	MaxSessions int `koanf:"max_sessions"`
	// PageSize is the number of entries in one tools/list page, 1 to 1000.
	PageSize int `koanf:"page_size"`
	// Instructions are sent to clients in initialize and server/discover.
	Instructions string `koanf:"instructions"`
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
	// CallTimeout overrides server.call_timeout for this plugin's tools;
	// zero means it does not.
	CallTimeout time.Duration `koanf:"call_timeout"`
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
}
