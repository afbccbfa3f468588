package transport

import (
	"net"
	"net/url"
	"strings"
)

// guard checks Origin and Host against DNS rebinding: a web page on another
// origin, or a name that resolves to this machine, must not reach the server.
type guard struct {
	origins map[string]bool // normalized scheme://host[:port]
	hosts   map[string]bool // lowercase host names without port
	// loopback admits loopback origins and hosts: right for a server bound
	// to loopback, wrong for one exposed beyond this machine.
	loopback bool
}

func newGuard(allowedOrigins, allowedHosts []string, publicURL string, loopback bool) *guard {
	g := &guard{origins: map[string]bool{}, hosts: map[string]bool{}, loopback: loopback}
	for _, o := range allowedOrigins {
		if n, ok := normalizeOrigin(o); ok {
			g.origins[n] = true
		}
	}
	for _, h := range allowedHosts {
		g.hosts[strings.ToLower(stripPort(h))] = true
	}
	if u, err := url.Parse(publicURL); err == nil && u.Host != "" {
		g.hosts[strings.ToLower(u.Hostname())] = true
		if n, ok := normalizeOrigin(u.Scheme + "://" + u.Host); ok {
			g.origins[n] = true
		}
	}
	return g
}

// allowOrigin accepts requests without an Origin (not from a browser), and
// browser origins that are configured or, on a loopback server, loopback.
// Origins are parsed and compared whole: "http://localhost.evil.com" is not
// "http://localhost".
func (g *guard) allowOrigin(origin string) bool {
	if origin == "" {
		return true
	}
	n, ok := normalizeOrigin(origin)
	if !ok {
		return false
	}
	if g.origins[n] {
		return true
	}
	u, _ := url.Parse(n)
	return g.loopback && isLoopbackName(u.Hostname())
}

// allowHost accepts the Host header of a request.
func (g *guard) allowHost(host string) bool {
	name := strings.ToLower(stripPort(host))
	if name == "" {
		return false
	}
	return g.hosts[name] || (g.loopback && isLoopbackName(name))
}

func normalizeOrigin(o string) (string, bool) {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

func stripPort(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return strings.Trim(h, "[]")
	}
	return strings.Trim(hostport, "[]")
}

func isLoopbackName(name string) bool {
	if name == "localhost" {
		return true
	}
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}
