// Package localissuer makes Toolgate an OAuth issuer of its own, for local
// use: a signing key created on first start and kept in a file, the public
// key served as a JWKS, RFC 8414 metadata describing the issuer, and RFC 9068
// access tokens minted by `toolgate token`.
package localissuer

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// Issuer signs tokens with the local key.
type Issuer struct {
	// URL is the issuer identifier, the iss of every token.
	URL     string
	private jwk.Key
	public  jwk.Set
}

// keyBits is the RSA key size: RS256 with 2048 bits is what every client
// and library accepts.
const keyBits = 2048

// Open loads the signing key from path, creating it (mode 0600) when the file
// does not exist. A key file others can read is refused.
func Open(path, issuerURL string) (*Issuer, error) {
	raw, err := readKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		raw, err = createKey(path)
	}
	if err != nil {
		return nil, err
	}
	priv, err := jwk.Import(raw)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	if err := jwk.AssignKeyID(priv); err != nil { // RFC 7638 thumbprint
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	for _, kv := range [][2]any{{jwk.AlgorithmKey, jwa.RS256()}, {jwk.KeyUsageKey, "sig"}} {
		if err := priv.Set(kv[0].(string), kv[1]); err != nil {
			return nil, fmt.Errorf("signing key %s: %w", path, err)
		}
	}
	pub, err := priv.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	set := jwk.NewSet()
	if err := set.AddKey(pub); err != nil {
		return nil, err
	}
	return &Issuer{URL: issuerURL, private: priv, public: set}, nil
}

func readKey(path string) (*rsa.PrivateKey, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("signing key %s is readable by others (mode %#o): run chmod 600 %s", path, st.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading signing key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("signing key %s: not a PEM \"PRIVATE KEY\" block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key %s: want an RSA key, found %T", path, k)
	}
	return rk, nil
}

// createKey writes a new key atomically: a partly written key file never
// exists, and a key another process created first is not overwritten.
func createKey(path string) (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, fmt.Errorf("generating a signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the signing key's directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".signing-key-*")
	if err != nil {
		return nil, fmt.Errorf("creating the signing key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("writing the signing key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("writing the signing key: %w", err)
	}
	// Link fails if the file appeared meanwhile; then that key is the one.
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return readKey(path)
	} else if err != nil {
		return nil, fmt.Errorf("saving the signing key: %w", err)
	}
	return k, nil
}

// PublicKeys is the JWKS of the issuer.
func (i *Issuer) PublicKeys() jwk.Set { return i.public }

// Token describes an access token to mint.
type Token struct {
	Subject  string
	ClientID string
	Scopes   []string
	Audience string
	TTL      time.Duration
}

// Mint signs an RFC 9068 access token (typ at+jwt).
func (i *Issuer) Mint(t Token) (string, error) {
	now := time.Now()
	b := jwt.NewBuilder().
		Issuer(i.URL).
		Subject(t.Subject).
		Audience([]string{t.Audience}).
		IssuedAt(now).
		NotBefore(now).
		Expiration(now.Add(t.TTL)).
		JwtID(rand.Text()).
		Claim("client_id", t.ClientID)
	if len(t.Scopes) > 0 {
		b = b.Claim("scope", strings.Join(t.Scopes, " "))
	}
	tok, err := b.Build()
	if err != nil {
		return "", fmt.Errorf("building the token: %w", err)
	}
	hdr := jws.NewHeaders()
	if err := hdr.Set(jws.TypeKey, "at+jwt"); err != nil {
		return "", err
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256(), i.private, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return "", fmt.Errorf("signing the token: %w", err)
	}
	return string(signed), nil
}

// Metadata is the issuer's RFC 8414 authorization server metadata. It
// advertises only what the issuer implements: its identity, its keys and
// the scopes it can grant. Tokens come from `toolgate token`.
func Metadata(issuer string, scopes []string) []byte {
	b, _ := json.Marshal(map[string]any{
		"issuer":                   issuer,
		"jwks_uri":                 issuer + "/.well-known/jwks.json",
		"scopes_supported":         scopes,
		"response_types_supported": []string{},
	})
	return b
}
