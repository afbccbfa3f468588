package verify

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

// algorithm is a JWS algorithm a token may be signed with. Only asymmetric
// ones exist here: "none" and the HMAC family can never be allowed, so a
// public key can never serve as an HMAC secret (RFC 8725 §2.1, §3.1), whatever
// an issuer's configuration says.
type algorithm struct {
	jwa jwa.SignatureAlgorithm
	// fits reports whether a public key is of the type and size the
	// algorithm is defined for (RFC 7518 §3, RFC 8037 §3.1).
	fits func(key any) bool
}

var algorithms = map[string]algorithm{
	"RS256": {jwa.RS256(), rsaKey},
	"RS384": {jwa.RS384(), rsaKey},
	"RS512": {jwa.RS512(), rsaKey},
	"PS256": {jwa.PS256(), rsaKey},
	"PS384": {jwa.PS384(), rsaKey},
	"PS512": {jwa.PS512(), rsaKey},
	"ES256": {jwa.ES256(), ecKey(elliptic.P256())},
	"ES384": {jwa.ES384(), ecKey(elliptic.P384())},
	"ES512": {jwa.ES512(), ecKey(elliptic.P521())},
	"EdDSA": {jwa.EdDSA(), edKey},
}

// rsaKey requires the 2048 bits RFC 7518 §3.3 and §3.5 demand.
func rsaKey(k any) bool {
	pk, ok := k.(*rsa.PublicKey)
	return ok && pk.N.BitLen() >= 2048
}

// ecKey requires the curve RFC 7518 §3.4 pairs with the algorithm.
func ecKey(curve elliptic.Curve) func(any) bool {
	return func(k any) bool {
		pk, ok := k.(*ecdsa.PublicKey)
		return ok && pk.Curve == curve
	}
}

// edKey accepts Ed25519, the one EdDSA curve Go implements (RFC 8037 §3.1).
func edKey(k any) bool {
	_, ok := k.(ed25519.PublicKey)
	return ok
}
