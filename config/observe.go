package config

import (
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

const (
	maxDrainTimeout = 10 * time.Minute
	// maxReplayEvents bounds the memory a session may hold for resumption.
	maxReplayEvents = 100_000
	minAuditBytes   = 1 << 20
	maxAuditBytes   = 10 << 30
	maxAuditFiles   = 1000
	maxAuditBuffer  = 1_000_000
)

// AuditPath is where audit records go: "-" (standard output) as is, else
// audit.file as is if it is absolute, else resolved against Dir. It is ""
// when audit.file is, as it may be while audit is off.
func (c *Config) AuditPath() string {
	if c.Audit.File == "" || c.Audit.File == "-" {
		return c.Audit.File
	}
	return resolve(c.Dir, c.Audit.File)
}

// MetricsBearerToken is the token a scraper of /metrics must present: the
// value of the environment variable metrics.bearer_token_env names, read
// when called. It is "" when bearer_token_env is empty, which means no
// token is asked for. Load refuses a config whose metrics are enabled and
// whose variable is unset or empty, so the host reads it once at start,
// just after Load.
func (c *Config) MetricsBearerToken() string {
	if c.Metrics.BearerTokenEnv == "" {
		return ""
	}
	return os.Getenv(c.Metrics.BearerTokenEnv)
}

func (v *validator) metrics(c *Config) {
	m := c.Metrics
	if m.Listen != "" {
		if err := checkListen(m.Listen); err != nil {
			v.add("metrics.listen", "%v", err)
		} else if checkListen(c.Server.Listen) == nil && !v.refused("server.listen") && clash(m.Listen, c.Server.Listen) {
			v.add("metrics.listen", "%q takes the port of server.listen %q: give /metrics a port of its own, or leave metrics.listen empty to serve it on the main listener", m.Listen, c.Server.Listen)
		}
	}
	// The variable's name is checked always, its value only where it is
	// used: a config with metrics off may name a variable that the
	// environment it runs in does not set. Where enabled was refused, a
	// default stands in for the file's word, so the value goes unchecked.
	v.secretEnv("metrics.bearer_token_env", m.BearerTokenEnv, m.Enabled && !v.refused("metrics.enabled"))
}

// clash reports whether listen addresses a and b, both valid, cannot both
// be bound: the same port, not 0 (any free one), and the same host, or all
// interfaces on either side.
func clash(a, b string) bool {
	ah, ap, _ := net.SplitHostPort(a)
	bh, bp, _ := net.SplitHostPort(b)
	an, _ := strconv.ParseUint(ap, 10, 16)
	bn, _ := strconv.ParseUint(bp, 10, 16)
	if an != bn || an == 0 {
		return false
	}
	return allInterfaces(ah) || allInterfaces(bh) || sameHost(ah, bh)
}

// allInterfaces reports whether a listen address's host is empty or an
// unspecified address (0.0.0.0, ::).
func allInterfaces(host string) bool {
	if host == "" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsUnspecified()
}

// sameHost compares two hosts of listen addresses: IP addresses as
// addresses, names without regard to case or a trailing dot.
func sameHost(a, b string) bool {
	ia, errA := netip.ParseAddr(a)
	ib, errB := netip.ParseAddr(b)
	if errA == nil && errB == nil {
		return ia.Unmap() == ib.Unmap()
	}
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// secretEnv checks the name of an environment variable holding a secret
// and, if must, that the variable is set and not empty. Messages name the
// variable, never its value.
func (v *validator) secretEnv(key, name string, must bool) {
	if name == "" {
		return
	}
	value, set := os.LookupEnv(name)
	switch {
	case !envName.MatchString(name):
		v.add(key, "%q is not an environment variable name", name)
	case !must:
	case !set:
		v.add(key, "environment variable %s is not set", name)
	case value == "":
		v.add(key, "environment variable %s is empty", name)
	}
}

func (v *validator) audit(a Audit) {
	// Where enabled was refused, its default (true) stands in for the
	// file's word, and the problem is that value, already reported.
	if a.Enabled && a.File == "" && !v.refused("audit.enabled") {
		v.add("audit.file", "must be set when audit.enabled is true")
	}
	v.noNUL("audit.file", a.File)
	if a.MaxBytes < minAuditBytes || a.MaxBytes > maxAuditBytes {
		v.add("audit.max_bytes", "must be from %d (1 MiB) to %d (10 GiB), got %d", minAuditBytes, int64(maxAuditBytes), a.MaxBytes)
	}
	if a.MaxFiles < 0 || a.MaxFiles > maxAuditFiles {
		v.add("audit.max_files", "must be from 0 to %d, got %d", maxAuditFiles, a.MaxFiles)
	}
	if a.Buffer < 1 || a.Buffer > maxAuditBuffer {
		v.add("audit.buffer", "must be from 1 to %d, got %d", maxAuditBuffer, a.Buffer)
	}
	switch a.OnFull {
	case "refuse", "drop":
	default:
		v.add("audit.on_full", "must be refuse or drop, got %q", a.OnFull)
	}
}
