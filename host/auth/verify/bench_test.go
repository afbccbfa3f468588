package verify

import (
	"crypto/elliptic"
	"testing"
)

// benchVerifier trusts one issuer with a fixed RSA and P-256 key and
// returns a valid token signed with each.
func benchVerifier(b *testing.B) (*Verifier, map[string]string) {
	clk := newClock()
	rsaKey := newRSAKey(b, 0, "rsa", "RS256")
	ecKey := newECKey(b, elliptic.P256(), "ec", "ES256")
	const iss = "https://as.test"
	v := newVerifier(b, clk, Options{Issuers: []IssuerConfig{{
		Issuer: iss, KeySet: keySetOf(b, rsaKey, ecKey), Algorithms: []string{"RS256", "ES256"},
		Audiences: []string{resource}, ScopeClaim: "scope",
	}}}, true)
	return v, map[string]string{
		"RS256": rsaKey.sign(b, "RS256", nil, claimsFor(clk, iss, nil)),
		"ES256": ecKey.sign(b, "ES256", nil, claimsFor(clk, iss, nil)),
	}
}

// BenchmarkVerifyCached is a token already verified: the hot path.
func BenchmarkVerifyCached(b *testing.B) {
	v, tokens := benchVerifier(b)
	for _, alg := range []string{"RS256", "ES256"} {
		b.Run(alg, func(b *testing.B) {
			token := tokens[alg]
			if _, err := v.Verify(b.Context(), token); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(b.Context(), token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyUncached is the full check, cache aside: what each new
// token costs.
func BenchmarkVerifyUncached(b *testing.B) {
	v, tokens := benchVerifier(b)
	for _, alg := range []string{"RS256", "ES256"} {
		b.Run(alg, func(b *testing.B) {
			token := tokens[alg]
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := v.verify(b.Context(), token, v.now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
