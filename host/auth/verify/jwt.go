package verify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// header is the part of a JWS protected header that picks the issuer's
// key and algorithm.
type header struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Typ  string          `json:"typ"`
	Crit json.RawMessage `json:"crit"`
}

// looksLikeJWT reports whether token has the shape of a JWS compact
// serialization: three base64url segments (RFC 7515 §7.1). Other tokens
// are opaque, for introspection.
func looksLikeJWT(token string) bool {
	dots := 0
	for i := 0; i < len(token); i++ {
		switch c := token[i]; {
		case c == '.':
			dots++
		case isBase64URL(c):
		default:
			return false
		}
	}
	return dots == 2
}

func isBase64URL(c byte) bool {
	return isAlnum(c) || c == '-' || c == '_'
}

// decodeSegment decodes one base64url segment holding a JSON object.
func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.Strict().DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// verifyJWT checks a JWT against the issuer its iss names, and returns
// the identity with the time until which it may be cached.
func (v *Verifier) verifyJWT(ctx context.Context, token string, now time.Time) (*Identity, time.Time, *Error) {
	headerSeg, rest, _ := strings.Cut(token, ".")
	payloadSeg, _, _ := strings.Cut(rest, ".")
	var h header
	if err := decodeSegment(headerSeg, &h); err != nil || h.Alg == "" {
		return nil, time.Time{}, refuse("malformed", "the token's header is not a base64url JSON object with an alg")
	}
	var unverified struct {
		Iss string `json:"iss"`
	}
	if err := decodeSegment(payloadSeg, &unverified); err != nil {
		return nil, time.Time{}, refuse("malformed", "the token's claims are not a base64url JSON object")
	}
	// The unverified iss only chooses whose keys to try: everything after
	// is checked with that issuer's keys and settings alone, so a token
	// can never be verified with another issuer's key. Keys the header
	// itself names (jwk, jku, x5u, x5c) are never used (RFC 8725 §3.10).
	iss := v.issuers[unverified.Iss]
	if iss == nil {
		return nil, time.Time{}, refuse("issuer", "the token's issuer (iss) is not trusted here")
	}
	alg, ok := iss.algorithms[h.Alg]
	if !ok {
		return nil, time.Time{}, refuse("algorithm", "the token's signing algorithm (alg) is not accepted from its issuer")
	}
	// RFC 7515 §4.1.11: critical extensions not understood make the JWS
	// invalid, and this verifier understands none.
	if h.Crit != nil {
		return nil, time.Time{}, refuse("malformed", "the token's header lists critical extensions (crit), which are not supported")
	}
	keys, err := iss.keys.lookup(ctx, h.Kid)
	if err != nil {
		return nil, time.Time{}, err
	}
	tok, err := verifySignature(token, h.Alg, alg, keys)
	if err != nil {
		return nil, time.Time{}, err
	}
	// RFC 9068 §4 step 1; the media type may be written in full (RFC 7515
	// §4.1.9) and is compared without regard to case.
	if iss.RequireATJWT && !strings.EqualFold(h.Typ, "at+jwt") && !strings.EqualFold(h.Typ, "application/at+jwt") {
		return nil, time.Time{}, refuse("type", "the token's type (typ) is not at+jwt, so it is not an access token (RFC 9068)")
	}
	c, err := jwtClaims(tok, iss.ScopeClaim, v.forward)
	if err != nil {
		return nil, time.Time{}, err
	}
	// RFC 9068 §2.2: an access token has an exp; one that never expires
	// would outlive every revocation.
	if c.exp.IsZero() {
		return nil, time.Time{}, refuse("missing_claim", "the token has no expiry (exp)")
	}
	if err := c.check(iss, now, v.skew); err != nil {
		return nil, time.Time{}, err
	}
	return c.identity(iss.Issuer), earlier(c.exp.Add(v.skew), now.Add(maxCacheAge)), nil
}

// verifySignature checks the signature with the keys the kid selected
// that fit the algorithm, and parses the claims of the verified token.
func verifySignature(token, name string, alg algorithm, keys []publicKey) (jwt.Token, *Error) {
	tried := false
	for _, k := range keys {
		// RFC 7517 §4.4: a key that names its algorithm serves only that
		// one; and the key must be of the algorithm's type and size, so a
		// key is never used in a way its issuer did not intend.
		if k.alg != "" && k.alg != name || !alg.fits(k.raw) {
			continue
		}
		tried = true
		tok, err := jwt.Parse([]byte(token), jwt.WithKey(alg.jwa, k.raw), jwt.WithValidate(false))
		if err == nil {
			return tok, nil
		}
		if !errors.Is(err, jws.VerificationError()) {
			return nil, refuse("malformed", "the token's signature or claims cannot be decoded")
		}
	}
	if !tried {
		return nil, refuse("algorithm", "the token's key (kid) does not fit its signing algorithm (alg)")
	}
	return nil, refuse("bad_signature", "the token's signature does not verify")
}

// jwtClaims reads the claims of a verified token.
func jwtClaims(tok jwt.Token, scopeClaim string, forward []string) (*claims, *Error) {
	c := &claims{}
	c.iss, c.hasIss = tok.Issuer()
	c.sub, _ = tok.Subject()
	c.aud, _ = tok.Audience()
	c.exp, _ = tok.Expiration()
	c.nbf, _ = tok.NotBefore()
	c.iat, _ = tok.IssuedAt()
	// RFC 9068 §2.2 names the client in client_id; OpenID Connect
	// providers often in azp.
	for _, name := range []string{"client_id", "azp"} {
		if c.clientID != "" || !tok.Has(name) {
			continue
		}
		if err := tok.Get(name, &c.clientID); err != nil {
			return nil, refuse("malformed", "the token's client_id or azp claim is not a string")
		}
	}
	var scope any
	if tok.Has(scopeClaim) {
		if err := tok.Get(scopeClaim, &scope); err != nil {
			return nil, refuse("malformed", "the token's scope claim cannot be read")
		}
	}
	var ok bool
	if c.scopes, ok = parseScopes(scope); !ok {
		return nil, refuse("malformed", "the token's scope claim is neither a string nor an array of strings")
	}
	for _, name := range forward {
		if !tok.Has(name) {
			continue
		}
		var val any
		if err := tok.Get(name, &val); err != nil {
			return nil, refuse("malformed", "a claim of the token cannot be read")
		}
		if c.forward == nil {
			c.forward = map[string]any{}
		}
		c.forward[name] = val
	}
	return c, nil
}
