package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// introspect checks an opaque token with RFC 7662 introspection, asking
// the issuers that offer it in order until one says the token is active.
// That issuer's answer then passes the checks a JWT's claims do.
func (v *Verifier) introspect(ctx context.Context, token string, now time.Time) (*Identity, time.Time, *Error) {
	if len(v.introspectors) == 0 {
		return nil, time.Time{}, refuse("malformed", "the token is not a JWT, and no trusted issuer offers introspection for other tokens")
	}
	failed := false
	for _, iss := range v.introspectors {
		c, active, err := ask(ctx, v.client, iss.Introspection, token, v.forward)
		if err != nil {
			failed = true
			if ctx.Err() == nil {
				v.log.Warn("token introspection failed", "issuer", iss.Issuer, "error", err)
			}
			continue
		}
		if !active {
			continue
		}
		if err := c.check(iss, now, v.skew); err != nil {
			return nil, time.Time{}, err
		}
		var until time.Time
		if ttl := iss.Introspection.CacheTTL; ttl > 0 {
			until = now.Add(ttl)
			if !c.exp.IsZero() {
				until = earlier(until, c.exp)
			}
		}
		return c.identity(iss.Issuer), until, nil
	}
	if failed {
		return nil, time.Time{}, refuse("introspection_failed", "the token could not be checked with its issuer; try again later")
	}
	return nil, time.Time{}, refuse("inactive", "the token is not active")
}

// ask posts the token to the introspection endpoint and returns whether it
// is active and, if so, the claims of the answer.
func ask(ctx context.Context, client *http.Client, in *Introspection, token string, forward []string) (*claims, bool, error) {
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	// RFC 7662 §2.1: the resource server authenticates; with
	// client_secret_basic both parts are form-urlencoded first (RFC 6749
	// §2.3.1).
	req.SetBasicAuth(url.QueryEscape(in.ClientID), url.QueryEscape(in.ClientSecret))
	body, err := do(client, req, maxAnswerBytes)
	if err != nil {
		return nil, false, err
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, false, fmt.Errorf("the answer is not an introspection response: %w", err)
	}
	// RFC 7662 §2.2: active is required, and only true means valid.
	if a.Active == nil {
		return nil, false, errors.New(`the answer has no "active"`)
	}
	if !*a.Active {
		return nil, false, nil
	}
	c := &claims{sub: a.Sub, clientID: a.ClientID, aud: a.Aud}
	// RFC 7662 §2.2 makes sub optional, and authorization servers leave it
	// out for a token no resource owner took part in, as one from the
	// client credentials grant; RFC 9068 §2.2 makes the client the subject
	// of such a token, so it is here too, as in a JWT from the same server.
	if c.sub == "" {
		c.sub = a.ClientID
	}
	if a.Iss != nil {
		c.iss, c.hasIss = *a.Iss, true
	}
	var err1, err2, err3 error
	c.exp, err1 = numericDate(a.Exp)
	c.nbf, err2 = numericDate(a.Nbf)
	c.iat, err3 = numericDate(a.Iat)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, false, fmt.Errorf("the answer is not an introspection response: %w", err)
	}
	c.scopes, _ = parseScopes(a.Scope)
	if len(forward) > 0 {
		var all map[string]any
		if err := json.Unmarshal(body, &all); err != nil {
			return nil, false, err
		}
		for _, name := range forward {
			if val, ok := all[name]; ok {
				if c.forward == nil {
					c.forward = map[string]any{}
				}
				c.forward[name] = val
			}
		}
	}
	return c, true, nil
}

// answer is an introspection response (RFC 7662 §2.2). A member of the
// wrong type makes it unusable.
type answer struct {
	Active   *bool       `json:"active"`
	Iss      *string     `json:"iss"`
	Sub      string      `json:"sub"`
	ClientID string      `json:"client_id"`
	Aud      audience    `json:"aud"`
	Exp      json.Number `json:"exp"`
	Nbf      json.Number `json:"nbf"`
	Iat      json.Number `json:"iat"`
	// Scope is a string of scopes separated by spaces.
	Scope string `json:"scope"`
}

// audience is an aud value: one string or an array of them (RFC 7519
// §4.1.3).
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New(`"aud" is neither a string nor an array of strings`)
	}
	*a = many
	return nil
}

// maxNumericDate is the last second of the year 9999: later times are
// not meant, and would overflow.
const maxNumericDate = 253402300799

// numericDate reads seconds since the epoch (RFC 7519 §2); "" is absent.
func numericDate(n json.Number) (time.Time, error) {
	if n == "" {
		return time.Time{}, nil
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f > maxNumericDate {
		return time.Time{}, fmt.Errorf("%q is not a time", n)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}
