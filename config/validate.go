package config

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

const maxBodyLimit = 64 << 20

// Call limits. maxResultLimit is sdk.MaxMessageBytes, the largest message
// the plugin contract carries; TestLimitsMatchSDK keeps the two equal
// without config depending on the plugin SDK.
const (
	maxConcurrentLimit = 10000
	maxQueueLimit      = 100000
	minResultLimit     = 1 << 10
	maxResultLimit     = 64 << 20
	minMemoryLimit     = 64 << 20
	maxMemoryLimit     = 1 << 40
)

var (
	// urlPath holds the characters a path may have unencoded (RFC 3986
	// pchar and "/"). Braces are not among them, so the path cannot turn
	// into an http.ServeMux wildcard.
	urlPath    = regexp.MustCompile(`^/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$`)
	pluginName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	envName    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// toolName is an MCP tool name.
	toolName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)
	// uriScheme is the start of an absolute URI (RFC 3986 §3.1).
	uriScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
	// scopeToken is an OAuth scope token (RFC 6749 §3.3).
	scopeToken = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]+$`)
)

// validate reports every value that cannot work, and normalises those
// that can be spelled more than one way: URLs get a lowercase scheme and
// host, digests lowercase hex. bad are the keys the conformer refused,
// whose defaults now stand in their place; set maps the keys the
// environment set to the variables that set them.
func (c *Config) validate(bad []string, set map[string]string) []Problem {
	v := validator{bad: bad, set: set}
	v.server(&c.Server)
	v.requestState(c.Server)
	v.log(c.Log)
	v.plugins(c.Plugins)
	v.tools(c.Tools)
	v.prompts(c.Prompts)
	v.resources(c.Resources)
	v.auth(c)
	v.authServer(c)
	v.metrics(c)
	v.audit(c.Audit)
	return v.problems
}

type validator struct {
	problems []Problem
	bad      []string
	set      map[string]string
}

// refused reports whether the conformer refused key or a table holding
// it, so that what key holds now is a default rather than the file's word.
func (v *validator) refused(key string) bool {
	return slices.ContainsFunc(v.bad, func(bad string) bool { return under(key, bad) })
}

func (v *validator) add(key, format string, args ...any) {
	v.problems = append(v.problems, Problem{Key: key, Reason: fmt.Sprintf(format, args...)})
}

func (v *validator) positive(key string, d time.Duration) {
	if d <= 0 {
		v.add(key, "must be positive, got %s", d)
	}
}

func (v *validator) notNegative(key string, d time.Duration) {
	if d < 0 {
		v.add(key, "must not be negative, got %s", d)
	}
}

func (v *validator) noNUL(key, s string) {
	if strings.ContainsRune(s, 0) {
		v.add(key, "must not hold a NUL character")
	}
}

func (v *validator) server(s *Server) {
	if err := checkListen(s.Listen); err != nil {
		v.add("server.listen", "%v", err)
	}
	switch {
	case !strings.HasPrefix(s.Path, "/"):
		v.add("server.path", `must start with "/", got %q`, s.Path)
	case !urlPath.MatchString(s.Path):
		v.add("server.path", "%q holds characters a URL path cannot have unencoded", s.Path)
	case cleanPath(s.Path) != s.Path:
		// http.ServeMux redirects such a path to its clean form, so a
		// request could never reach it.
		v.add("server.path", "%q is not a clean path; write %q", s.Path, cleanPath(s.Path))
	}
	if s.PublicURL != "" {
		u, err := publicURL(s.PublicURL)
		if err != nil {
			v.add("server.public_url", "%v", err)
		} else {
			s.PublicURL = u
		}
	}
	for i, o := range s.AllowedOrigins {
		n, err := origin(o)
		if err != nil {
			v.add(entry("server.allowed_origins", i), "%v", err)
		} else {
			s.AllowedOrigins[i] = n
		}
	}
	for i, h := range s.AllowedHosts {
		n, err := hostHeader(h)
		if err != nil {
			v.add(entry("server.allowed_hosts", i), "%v", err)
		} else {
			s.AllowedHosts[i] = n
		}
	}
	if s.MaxBodyBytes < 1 || s.MaxBodyBytes > maxBodyLimit {
		v.add("server.max_body_bytes", "must be from 1 to %d (64 MiB), got %d", maxBodyLimit, s.MaxBodyBytes)
	}
	v.positive("server.read_header_timeout", s.ReadHeaderTimeout)
	v.notNegative("server.read_timeout", s.ReadTimeout)
	v.notNegative("server.write_timeout", s.WriteTimeout)
	v.notNegative("server.idle_timeout", s.IdleTimeout)
	v.positive("server.call_timeout", s.CallTimeout)
	// A session that never expires would hold its place under
	// max_sessions for good.
	v.positive("server.session_idle_timeout", s.SessionIdleTimeout)
	// Zero shuts down without waiting for running requests.
	v.within("server.drain_timeout", s.DrainTimeout, 0, maxDrainTimeout)
	if s.MaxSessions < 1 {
		v.add("server.max_sessions", "must be positive, got %d", s.MaxSessions)
	}
	if s.ReplayEvents < 0 || s.ReplayEvents > maxReplayEvents {
		v.add("server.replay_events", "must be from 0 to %d, got %d", maxReplayEvents, s.ReplayEvents)
	}
	if s.PageSize < 1 || s.PageSize > 1000 {
		v.add("server.page_size", "must be from 1 to 1000, got %d", s.PageSize)
	}
}

func (v *validator) log(l Log) {
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		v.add("log.level", "must be debug, info, warn or error, got %q", l.Level)
	}
	switch l.Format {
	case "text", "json":
	default:
		v.add("log.format", "must be text or json, got %q", l.Format)
	}
}

func (v *validator) plugins(ps []Plugin) {
	named := map[string]int{}
	for i := range ps {
		p := &ps[i]
		key := entry("plugins", i)
		switch j, dup := named[p.Name]; {
		case p.Name == "":
			v.add(child(key, "name"), "must be set")
		case !pluginName.MatchString(p.Name):
			v.add(child(key, "name"), "%q is not a plugin name: 1 to 63 of a-z 0-9 _ -, starting with a letter or digit", p.Name)
		case dup:
			v.add(child(key, "name"), "%q is already the name of plugins[%d]", p.Name, j)
		default:
			named[p.Name] = i
		}
		if p.Path == "" {
			v.add(child(key, "path"), "must be set")
		}
		v.noNUL(child(key, "path"), p.Path)
		for j, a := range p.Args {
			v.noNUL(entry(child(key, "args"), j), a)
		}
		p.SHA256 = strings.ToLower(p.SHA256)
		if p.SHA256 != "" && !isHex64(p.SHA256) {
			v.add(child(key, "sha256"), "must be 64 hex digits, got %q", p.SHA256)
		}
		for _, name := range slices.Sorted(maps.Keys(p.Env)) {
			k := child(child(key, "env"), name)
			if !envName.MatchString(name) {
				v.add(k, "%q is not an environment variable name", name)
			}
			v.noNUL(k, p.Env[name])
		}
		// The start is bounded by a context: with no time, no plugin
		// would ever start.
		v.positive(child(key, "start_timeout"), p.StartTimeout)
		v.notNegative(child(key, "call_timeout"), p.CallTimeout)
		v.inRange(child(key, "max_concurrent"), int64(p.MaxConcurrent), 1, maxConcurrentLimit)
		v.inRange(child(key, "max_queue"), int64(p.MaxQueue), 0, maxQueueLimit)
		v.inRange(child(key, "max_result_bytes"), p.MaxResultBytes, minResultLimit, maxResultLimit)
		v.processLimits(key, p)
		if _, err := p.ConfigJSON(); err != nil {
			v.add(child(key, "config"), "cannot be handed to the plugin as JSON: %v", err)
		}
	}
}

// processLimits checks the keys that bound the plugin process and its
// supervision.
func (v *validator) processLimits(key string, p *Plugin) {
	// Zero is no limit.
	if p.MemoryLimit != 0 {
		v.inRange(child(key, "memory_limit"), p.MemoryLimit, minMemoryLimit, maxMemoryLimit)
	}
	if p.CPULimit != 0 {
		v.within(child(key, "cpu_limit"), p.CPULimit, time.Second, 1000*time.Hour)
	}
	v.within(child(key, "ping_interval"), p.PingInterval, 100*time.Millisecond, 10*time.Minute)
	switch p.WhenParked {
	case "unavailable", "hide":
	default:
		v.add(child(key, "when_parked"), `must be "unavailable" or "hide", got %q`, p.WhenParked)
	}
}

// cleanPath is path.Clean keeping a trailing slash.
func cleanPath(p string) string {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

func (v *validator) tools(ts map[string]Tool) {
	for _, name := range slices.Sorted(maps.Keys(ts)) {
		t := ts[name]
		key := child("tools", name)
		if !toolName.MatchString(name) {
			v.add(key, "%q is not a tool name: 1 to 128 of A-Z a-z 0-9 _ . -", name)
		}
		v.scopes(key, "scopes", t.Scopes)
		v.notNegative(child(key, "call_timeout"), t.CallTimeout)
		// Zero leaves the tool to its plugin's limits.
		v.inRange(child(key, "max_concurrent"), int64(t.MaxConcurrent), 0, maxConcurrentLimit)
		v.inRange(child(key, "max_queue"), int64(t.MaxQueue), 0, maxQueueLimit)
		// A max_concurrent refused for its type is reported already.
		if t.MaxQueue > 0 && t.MaxConcurrent == 0 && !v.refused(child(key, "max_concurrent")) {
			v.add(child(key, "max_queue"), "max_queue needs max_concurrent: a queue waits for the tool's own slots")
		}
	}
}

func (v *validator) prompts(ps []PromptRule) {
	named := map[string]int{}
	for i, p := range ps {
		key := entry("prompts", i)
		switch j, dup := named[p.Name]; {
		case p.Name == "":
			v.add(child(key, "name"), "must be set")
		case !toolName.MatchString(p.Name):
			v.add(child(key, "name"), "%q is not a prompt name: 1 to 128 of A-Z a-z 0-9 _ . -", p.Name)
		case dup:
			v.add(child(key, "name"), "%q is already the name of prompts[%d]", p.Name, j)
		default:
			named[p.Name] = i
		}
		v.scopes(key, "scopes", p.Scopes)
	}
}

func (v *validator) resources(rs []ResourceRule) {
	named := map[string]int{}
	for i, r := range rs {
		key := entry("resources", i)
		switch j, dup := named[r.URI]; {
		case r.URI == "":
			v.add(child(key, "uri"), "must be set")
		case !uriScheme.MatchString(r.URI) || strings.ContainsAny(r.URI, "\x00 \t\r\n"):
			v.add(child(key, "uri"), "%q is not an absolute URI or URI template such as \"file:///notes/{name}\"", r.URI)
		case dup:
			v.add(child(key, "uri"), "%q is already the uri of resources[%d]", r.URI, j)
		default:
			named[r.URI] = i
		}
		v.scopes(key, "scopes", r.Scopes)
	}
}

// inRange checks that a count lies in [lo, hi].
func (v *validator) inRange(key string, n, lo, hi int64) {
	if n < lo || n > hi {
		v.add(key, "must be %d to %d, got %d", lo, hi, n)
	}
}

// scopes checks the list of OAuth scope tokens named name in table.
func (v *validator) scopes(table, name string, list []string) {
	listed := map[string]int{}
	for i, s := range list {
		k := entry(child(table, name), i)
		j, dup := listed[s]
		switch {
		case s == "":
			v.add(k, "must not be empty")
		case !scopeToken.MatchString(s):
			v.add(k, "%q is not an OAuth scope token (RFC 6749 §3.3)", s)
		case dup:
			v.add(k, "%q is already %s[%d]", s, name, j)
		default:
			listed[s] = i
		}
	}
}
