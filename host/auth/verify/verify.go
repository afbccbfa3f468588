// Package verify checks bearer access tokens for Toolgate as an OAuth 2.1
// resource server.
//
// A JWT is matched to the trusted issuer its iss names and verified with
// that issuer's keys alone, as RFC 9068 §4 and RFC 8725 describe: an
// asymmetric algorithm the issuer is allowed, a key that fits it, an audience
// naming this resource (RFC 8707), and exp, nbf and iat within the clock
// skew. An opaque token is checked by RFC 7662 introspection at the issuers
// that offer it. Keys come from each issuer's JWKS, found by RFC 8414 or
// OpenID discovery when not configured, and are refreshed in the background.
//
// Refusals are *Error values with a short reason for metrics and a sentence
// for the error_description of the challenge. Neither ever repeats any part
// of the token.
package verify

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Identity is who a valid token says the caller is. A Verifier hands the
// same Identity to every request that presents the same token, so it is
// read-only.
type Identity struct {
	Subject, ClientID, Issuer string
	// Scopes are the granted scopes, sorted, unique.
	Scopes []string
	// Claims are the configured forward_claims present in the token; nil
	// when there are none.
	Claims map[string]any
	// ExpiresAt is the token's exp; zero for an introspected token whose
	// answer named none.
	ExpiresAt time.Time
}

// Error is a refused token.
type Error struct {
	// Reason is a short fixed word for metrics and logs: one of malformed,
	// bad_signature, unknown_key, algorithm, issuer, audience, expired,
	// not_yet_valid, issued_in_future, too_large, type, inactive, no_keys,
	// missing_claim, introspection_failed; and from BearerToken also
	// wrong_scheme and query_token.
	Reason string
	// Description says which check failed, for error_description: plain
	// printable ASCII without quotes or backslashes (RFC 6750 §3). It never
	// contains the token or any part of it.
	Description string
}

func (e *Error) Error() string { return e.Reason + ": " + e.Description }

func refuse(reason, description string) *Error {
	return &Error{Reason: reason, Description: description}
}

// IssuerConfig is one trusted authorization server.
type IssuerConfig struct {
	// Issuer is matched exactly against iss: no normalisation, not even of
	// a trailing slash (RFC 8414 §3.3, RFC 9068 §4).
	Issuer string
	// JWKSURL is where the issuer's keys are. Empty means discovered: RFC
	// 8414 metadata first, then the OpenID configuration.
	JWKSURL string
	// KeySet is a fixed key set used instead of a URL, for the local
	// issuer. It excludes JWKSURL and discovery.
	KeySet jwk.Set
	// Algorithms are the accepted JWS algorithms; asymmetric ones only.
	Algorithms []string
	// Audiences are the accepted aud values; at least one.
	Audiences []string
	// ScopeClaim names the JWT claim that holds the granted scopes.
	ScopeClaim string
	// RequireATJWT refuses a JWT whose typ is not at+jwt (RFC 9068 §4).
	RequireATJWT bool
	// KeyRefresh is how often the key set is fetched again in the
	// background; positive unless KeySet is set.
	KeyRefresh time.Duration
	// Introspection, when not nil, validates opaque tokens (RFC 7662).
	Introspection *Introspection
}

// Introspection is an issuer's RFC 7662 endpoint and Toolgate's credentials
// there, sent with HTTP Basic authentication.
type Introspection struct {
	URL, ClientID, ClientSecret string
	// CacheTTL bounds how long an answer is reused; never past the
	// token's exp. Zero means answers are not reused.
	CacheTTL time.Duration
}

// Options configure a Verifier.
type Options struct {
	Issuers []IssuerConfig
	// ClockSkew is the leeway allowed on exp, nbf and iat.
	ClockSkew time.Duration
	// MaxTokenBytes bounds the length of a token; positive.
	MaxTokenBytes int
	// ForwardClaims name the claims copied into Identity.Claims.
	ForwardClaims []string
	// HTTPClient fetches metadata and keys and calls introspection
	// endpoints. Nil means a client with a 10 s timeout.
	HTTPClient *http.Client
	// Logger receives warnings about key fetches and introspection. Nil
	// means none.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnKeyFetch, if set, is told the outcome of every key set fetch, for
	// metrics.
	OnKeyFetch func(issuer string, err error)
}
