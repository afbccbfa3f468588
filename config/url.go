package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// CanonicalURL is the MCP endpoint's URL as clients reach it: public_url
// if set, else http://<listen><path>. A listener on all interfaces has no
// name of its own, so it is given as localhost; such a server should set
// public_url.
func (c *Config) CanonicalURL() string {
	if c.Server.PublicURL != "" {
		return c.Server.PublicURL
	}
	host, port, err := net.SplitHostPort(c.Server.Listen)
	if err != nil {
		// Only an unvalidated Config gets here.
		return "http://" + strings.ToLower(c.Server.Listen) + c.Server.Path
	}
	if ip, err := netip.ParseAddr(host); host == "" || err == nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(strings.ToLower(host), port) + c.Server.Path
}

// hostname is a DNS name; underscores are allowed, as container and
// intranet names have them.
var hostname = regexp.MustCompile(`^([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?$`)

// validHost reports whether h is a host name or an IP address.
func validHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	return len(h) <= 253 && hostname.MatchString(h)
}

// validPort reports whether p is a port number, 0 included.
func validPort(p string) bool {
	_, err := strconv.ParseUint(p, 10, 16)
	return err == nil
}

// checkListen says what is wrong with a listen address, if anything.
// The host may be empty (all interfaces) and the port 0 (any free one).
func checkListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not host:port", addr)
	case !validPort(port):
		return fmt.Errorf("%q is not host:port: the port must be a number from 0 to 65535", addr)
	case host != "" && !validHost(host):
		return fmt.Errorf("%q is not host:port: %q is not a host name or IP address", addr, host)
	}
	return nil
}

// parseURL parses an absolute URL that has a host and neither user info,
// query nor fragment, and lowercases its host (url.Parse lowercases the
// scheme). Errors say s is not form, and why when that helps.
func parseURL(s, form string) (*url.URL, error) {
	bad := func(why string) error {
		if why == "" {
			return fmt.Errorf("%q is not %s", s, form)
		}
		return fmt.Errorf("%q is not %s: %s", s, form, why)
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Scheme == "" || u.Host == "":
		return nil, bad("")
	case u.User != nil:
		return nil, bad("it holds a user name")
	case u.RawQuery != "" || u.ForceQuery:
		return nil, bad("it has a query")
	case strings.Contains(s, "#"):
		return nil, bad("it has a fragment")
	case !validHost(u.Hostname()):
		return nil, bad(strconv.Quote(u.Hostname()) + " is not a host name or IP address")
	case strings.HasSuffix(u.Host, ":") || u.Port() != "" && (!validPort(u.Port()) || u.Port() == "0"):
		return nil, bad("the port must be a number from 1 to 65535")
	}
	u.Host = strings.ToLower(u.Host)
	return u, nil
}

// dropDefaultPort removes the scheme's default port, which an Origin
// header never carries (RFC 3986 §6.2.3, RFC 6454 §6).
func dropDefaultPort(u *url.URL) {
	if p := u.Port(); u.Scheme == "http" && p == "80" || u.Scheme == "https" && p == "443" {
		u.Host = strings.TrimSuffix(u.Host, ":"+p)
	}
}

// publicURL normalises an absolute http(s) URL.
func publicURL(s string) (string, error) {
	const form = "an absolute http(s) URL"
	u, err := parseURL(s, form)
	if err != nil {
		return "", err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%q is not %s", s, form)
	}
	dropDefaultPort(u)
	return u.String(), nil
}

// origin normalises http(s)://host[:port], the form of an Origin header
// from a web page; origins of other schemes are never admitted.
func origin(s string) (string, error) {
	const form = "an origin (http[s]://host[:port])"
	u, err := parseURL(s, form)
	if err != nil {
		return "", err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%q is not %s", s, form)
	}
	if u.Path != "" {
		return "", fmt.Errorf("%q is not %s: it has a path", s, form)
	}
	dropDefaultPort(u)
	return u.String(), nil
}

// hostHeader lowercases host[:port], the form of a Host header.
func hostHeader(s string) (string, error) {
	u, err := parseURL("http://"+s, "")
	if err != nil || u.Path != "" {
		return "", fmt.Errorf("%q is not host[:port]", s)
	}
	return u.Host, nil
}
