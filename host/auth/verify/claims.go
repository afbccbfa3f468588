package verify

import (
	"slices"
	"strings"
	"time"
)

// claims are what a token states about itself, read from a verified JWT or
// from an introspection answer, so both kinds of token pass the same checks.
type claims struct {
	iss      string
	hasIss   bool
	sub      string
	aud      []string
	exp      time.Time // zero when absent, as are nbf and iat
	nbf      time.Time
	iat      time.Time
	clientID string
	scopes   []string
	forward  map[string]any
}

// check applies the checks every token must pass, for the issuer that
// vouched for it.
func (c *claims) check(iss *issuer, now time.Time, skew time.Duration) *Error {
	if c.hasIss && c.iss != iss.Issuer {
		return refuse("issuer", "the token's issuer (iss) is not the issuer that vouched for it")
	}
	// Audience binding is mandatory (RFC 8707 §2, RFC 9068 §4, and the MCP
	// authorization specification): a token that names no audience, or
	// another one, was not issued for this resource and could be a token
	// replayed from another.
	if len(c.aud) == 0 {
		return refuse("audience", "the token names no audience (aud); it must be issued for this resource (RFC 8707)")
	}
	if !slices.ContainsFunc(c.aud, func(a string) bool { return slices.Contains(iss.Audiences, a) }) {
		return refuse("audience", "the token's audience (aud) is not this resource")
	}
	// RFC 7519 §4.1.4: the time must be before exp, give or take the skew.
	if !c.exp.IsZero() && !now.Before(c.exp.Add(skew)) {
		return refuse("expired", "the token has expired (exp)")
	}
	if !c.nbf.IsZero() && now.Add(skew).Before(c.nbf) {
		return refuse("not_yet_valid", "the token is not valid yet (nbf)")
	}
	if !c.iat.IsZero() && c.iat.After(now.Add(skew)) {
		return refuse("issued_in_future", "the token's issue time (iat) is in the future")
	}
	if c.sub == "" {
		return refuse("missing_claim", "the token names no subject (sub)")
	}
	return nil
}

// identity is the caller the claims describe.
func (c *claims) identity(issuer string) *Identity {
	return &Identity{
		Subject:   c.sub,
		ClientID:  c.clientID,
		Issuer:    issuer,
		Scopes:    c.scopes,
		Claims:    c.forward,
		ExpiresAt: c.exp,
	}
}

// parseScopes reads a scope claim: a string of scopes separated by spaces
// (RFC 6749 §3.3, RFC 9068 §2.2.3, RFC 7662 §2.2) or an array of strings,
// as "scp" commonly is. An absent claim grants no scope. The result is
// sorted, without duplicates.
func parseScopes(v any) ([]string, bool) {
	var list []string
	switch v := v.(type) {
	case nil:
		return nil, true
	case string:
		list = strings.Split(v, " ")
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			list = append(list, s)
		}
	default:
		return nil, false
	}
	list = slices.DeleteFunc(list, func(s string) bool { return s == "" })
	if len(list) == 0 {
		return nil, true
	}
	slices.Sort(list)
	return slices.Compact(list), true
}
