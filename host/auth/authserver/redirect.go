package authserver

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// checkRedirectURI vets a redirect URI a client registers: absolute, no
// fragment, https, http only to a loopback host (RFC 8252 §7.3), or a
// private-use scheme of a native app (§7.1). Schemes that run code or read
// local files are refused.
func checkRedirectURI(s string) error {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() {
		return fmt.Errorf("redirect URI %q is not an absolute URI", s)
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return fmt.Errorf("redirect URI %q has a fragment, which RFC 6749 §3.1.2 forbids", s)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		if u.Host == "" {
			return fmt.Errorf("redirect URI %q has no host", s)
		}
	case "http":
		if !loopbackHost(u.Hostname()) {
			return fmt.Errorf("redirect URI %q is plain http to a host that is not loopback: use https, or http://127.0.0.1 for a native app", s)
		}
	case "javascript", "data", "file", "vbscript", "blob", "about":
		return fmt.Errorf("redirect URI %q uses the %s scheme, which is refused", s, u.Scheme)
	}
	return nil
}

// loopbackHost reports whether host is localhost or a loopback IP.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// matchRedirectURI finds the registered URI that got equals: exactly, or,
// for an http loopback URI, with any port (RFC 8252 §7.3), since a native
// app listens on whatever port is free.
func matchRedirectURI(registered []string, got string) bool {
	for _, r := range registered {
		if r == got || loopbackPortVariant(r, got) {
			return true
		}
	}
	return false
}

func loopbackPortVariant(registered, got string) bool {
	r, err1 := url.Parse(registered)
	g, err2 := url.Parse(got)
	if err1 != nil || err2 != nil || r.Scheme != "http" || g.Scheme != "http" || !loopbackHost(r.Hostname()) {
		return false
	}
	return r.Hostname() == g.Hostname() && r.EscapedPath() == g.EscapedPath() &&
		r.RawQuery == g.RawQuery && r.User == nil && g.User == nil && g.Fragment == ""
}
