package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// LocalIssuerURL is the local issuer's identifier, the iss of the tokens
// it signs: auth.local.issuer if set, else the scheme and host of the
// canonical URL, as "http://127.0.0.1:9000".
func (c *Config) LocalIssuerURL() string {
	if c.Auth.Local.Issuer != "" {
		return c.Auth.Local.Issuer
	}
	u, err := url.Parse(c.CanonicalURL())
	if err != nil {
		// Only an unvalidated Config gets here.
		return c.CanonicalURL()
	}
	return u.Scheme + "://" + u.Host
}

// Audiences are the aud values accepted from issuer i: its audiences if it
// lists any, else the canonical URL alone.
func (c *Config) Audiences(i Issuer) []string {
	if len(i.Audiences) > 0 {
		return i.Audiences
	}
	return []string{c.CanonicalURL()}
}

// KeyFilePath is the absolute path of the local issuer's signing key:
// auth.local.key_file as is if it is absolute, else resolved against Dir.
func (c *Config) KeyFilePath() string {
	return resolve(c.Dir, c.Auth.Local.KeyFile)
}

const (
	maxClockSkew      = 5 * time.Minute
	minTokenBytes     = 512
	maxTokenBytes     = 64 << 10
	maxCacheTTL       = time.Hour
	noIssuerReason    = "auth is on but no issuer is trusted: set auth.local.enabled = true, add an [[auth.issuers]] entry, or set auth.enabled = false"
	algorithmList     = "RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 or EdDSA"
	symmetricReason   = "symmetric algorithms are never accepted: a public key must not double as an HMAC secret"
	loopbackOnlyHTTP  = "plain http is allowed only for a loopback host (localhost, 127.0.0.0/8, ::1)"
	offlineAccessNote = `a challenge names scopes for calling tools, and "offline_access" asks for a refresh token instead`
)

// algorithms are the JWS algorithms an issuer may sign with: asymmetric
// ones only.
var algorithms = map[string]bool{
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true,
	"EdDSA": true,
}

func (v *validator) auth(c *Config) {
	a := &c.Auth
	const key = "auth"
	if a.Enabled && !a.Local.Enabled && len(a.Issuers) == 0 &&
		// Where one of these was refused, a default stands in for it,
		// and the problem is that value, already reported.
		!v.refused("auth.enabled") && !v.refused("auth.local.enabled") && !v.refused("auth.issuers") {
		// The problem is the file's unless a variable turned the local
		// issuer off or auth on.
		env := v.set["auth.local.enabled"]
		if env == "" {
			env = v.set["auth.enabled"]
		}
		v.problems = append(v.problems, Problem{Key: key, Env: env, Reason: noIssuerReason})
	}
	v.scopes(key, "default_tool_scopes", a.DefaultToolScopes)
	v.scopes(key, "default_prompt_scopes", a.DefaultPromptScopes)
	v.scopes(key, "default_resource_scopes", a.DefaultResourceScopes)
	for i, s := range a.ChallengeScopes {
		if s == "offline_access" {
			v.add(entry("auth.challenge_scopes", i), "must not be %q: %s", s, offlineAccessNote)
		}
	}
	v.scopes(key, "challenge_scopes", a.ChallengeScopes)
	switch a.ToolsList {
	case "filter", "mark":
	default:
		v.add("auth.tools_list", "must be filter or mark, got %q", a.ToolsList)
	}
	v.within("auth.clock_skew", a.ClockSkew, 0, maxClockSkew)
	if a.MaxTokenBytes < minTokenBytes || a.MaxTokenBytes > maxTokenBytes {
		v.add("auth.max_token_bytes", "must be from %d to %d, got %d", minTokenBytes, maxTokenBytes, a.MaxTokenBytes)
	}
	v.names("auth.forward_claims", "forward_claims", a.ForwardClaims)
	if a.ResourceDocumentation != "" {
		u, err := publicURL(a.ResourceDocumentation)
		if err != nil {
			v.add("auth.resource_documentation", "%v", err)
		} else {
			a.ResourceDocumentation = u
		}
	}
	localOK := v.local(&a.Local)
	local := ""
	if a.Local.Enabled && localOK {
		local = c.LocalIssuerURL()
	}
	v.issuers(a.Issuers, local)
}

// local checks [auth.local] and reports whether its issuer URL is sound.
func (v *validator) local(l *LocalIssuer) bool {
	if l.Enabled && l.KeyFile == "" {
		v.add("auth.local.key_file", "must be set when auth.local.enabled is true")
	}
	v.noNUL("auth.local.key_file", l.KeyFile)
	v.within("auth.local.token_ttl", l.TokenTTL, time.Minute, 24*time.Hour)
	if l.Issuer == "" {
		return true
	}
	u, err := localIssuer(l.Issuer)
	if err != nil {
		v.add("auth.local.issuer", "%v", err)
		return false
	}
	l.Issuer = u
	return true
}

// issuers checks the [[auth.issuers]] entries; local is the local issuer's
// URL when it is enabled, else "".
func (v *validator) issuers(issuers []Issuer, local string) {
	seen := map[string]int{}
	for i := range issuers {
		iss := &issuers[i]
		key := entry("auth.issuers", i)
		k := child(key, "issuer")
		if iss.Issuer == "" {
			v.add(k, "must be set")
		} else if u, err := secureURL(iss.Issuer); err != nil {
			v.add(k, "%v", err)
		} else {
			// The issuer is kept as written, since the iss claim is
			// matched exactly, but two spellings of one URL are one issuer.
			j, dup := seen[u]
			switch {
			case dup:
				v.add(k, "%q is already the issuer of auth.issuers[%d]", iss.Issuer, j)
			case u == local:
				v.add(k, "%q is the local issuer, trusted already since auth.local.enabled is true", iss.Issuer)
			default:
				seen[u] = i
			}
		}
		if iss.JWKSURL != "" {
			if u, err := secureURL(iss.JWKSURL); err != nil {
				v.add(child(key, "jwks_url"), "%v", err)
			} else {
				iss.JWKSURL = u
			}
		}
		v.algorithms(child(key, "algorithms"), iss.Algorithms)
		if iss.Audiences != nil && len(iss.Audiences) == 0 {
			v.add(child(key, "audiences"), "must not be empty: leave it out to accept the canonical URL")
		}
		v.names(child(key, "audiences"), "audiences", iss.Audiences)
		if iss.ScopeClaim == "" {
			v.add(child(key, "scope_claim"), "must be set")
		}
		v.within(child(key, "key_refresh"), iss.KeyRefresh, time.Minute, 24*time.Hour)
		v.introspection(child(key, "introspection"), &iss.Introspection)
	}
}

func (v *validator) algorithms(key string, algs []string) {
	if len(algs) == 0 {
		v.add(key, "must name at least one of %s", algorithmList)
	}
	listed := map[string]int{}
	for i, a := range algs {
		k := entry(key, i)
		j, dup := listed[a]
		switch {
		case strings.EqualFold(a, "none"):
			v.add(k, "%q is refused: unsigned tokens are never accepted", a)
		case len(a) >= 2 && strings.EqualFold(a[:2], "HS"):
			v.add(k, "%q is refused: %s", a, symmetricReason)
		case !algorithms[a]:
			if name, ok := algorithmNamed(a); ok {
				v.add(k, "%q is not a signature algorithm Toolgate accepts: names are case-sensitive; write %q", a, name)
			} else {
				v.add(k, "%q is not a signature algorithm Toolgate accepts: %s", a, algorithmList)
			}
		case dup:
			v.add(k, "%q is already algorithms[%d]", a, j)
		default:
			listed[a] = i
		}
	}
}

// algorithmNamed finds the accepted algorithm a names when case is ignored.
func algorithmNamed(a string) (string, bool) {
	for name := range algorithms {
		if strings.EqualFold(name, a) {
			return name, true
		}
	}
	return "", false
}

func (v *validator) introspection(key string, in *Introspection) {
	if in.URL == "" {
		if in.ClientID != "" || in.ClientSecretEnv != "" || in.CacheTTL != 0 {
			v.add(child(key, "url"), "must be set when client_id, client_secret_env or cache_ttl is")
		}
	} else if u, err := secureURL(in.URL); err != nil {
		v.add(child(key, "url"), "%v", err)
	} else {
		in.URL = u
	}
	if in.URL != "" && in.ClientID == "" {
		v.add(child(key, "client_id"), "must be set when url is")
	}
	v.secretEnv(child(key, "client_secret_env"), in.ClientSecretEnv, true)
	v.within(child(key, "cache_ttl"), in.CacheTTL, 0, maxCacheTTL)
}

// names checks a list of free names, such as claims and audiences: none
// empty, none twice.
func (v *validator) names(key, name string, list []string) {
	listed := map[string]int{}
	for i, s := range list {
		j, dup := listed[s]
		switch {
		case s == "":
			v.add(entry(key, i), "must not be empty")
		case dup:
			v.add(entry(key, i), "%q is already %s[%d]", s, name, j)
		default:
			listed[s] = i
		}
	}
}

// within checks that d is from lo to hi.
func (v *validator) within(key string, d, lo, hi time.Duration) {
	if d < lo || d > hi {
		v.add(key, "must be from %s to %s, got %s", short(lo), short(hi), short(d))
	}
}

// short writes d as an operator would: "5m" rather than "5m0s".
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// secureURL normalises the URL of an authorization server, or of one of
// its endpoints, as publicURL does, and requires https unless the host is
// loopback: tokens and keys must not travel in the clear.
func secureURL(s string) (string, error) {
	n, err := publicURL(s)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(n)
	if err != nil {
		return "", err
	}
	if u.Scheme != "https" && !isLoopback(u.Hostname()) {
		return "", fmt.Errorf("%q must be https: %s", s, loopbackOnlyHTTP)
	}
	return n, nil
}

// localIssuer normalises the local issuer's URL: http(s)://host[:port],
// since Toolgate serves the issuer's metadata and keys at the root of its
// origin.
func localIssuer(s string) (string, error) {
	n, err := publicURL(s)
	if err != nil {
		return "", err
	}
	if u, err := url.Parse(n); err != nil || u.Path != "" || u.RawPath != "" {
		return "", fmt.Errorf("%q is not http(s)://host[:port]: it has a path, but Toolgate serves the local issuer's metadata and keys at the root of its origin", s)
	}
	return n, nil
}

// isLoopback reports whether host is localhost or a loopback address
// (127.0.0.0/8, ::1).
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
