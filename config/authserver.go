package config

import (
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// AuthServer is the [auth.server] table: the local issuer as a whole OAuth
// 2.1 authorization server, with an authorization endpoint, a consent page,
// a token endpoint, client registration and revocation. It needs
// auth.enabled and auth.local.enabled.
type AuthServer struct {
	// Enabled serves the authorization server's endpoints. Off, none of
	// them exists. Default false; the shipped mcp.toml turns it on.
	Enabled bool `koanf:"enabled"`
	// StoreFile is where clients, codes, refresh tokens and consents
	// persist, relative to the config file's directory; see
	// Config.AuthStorePath. Default "data/authserver.db".
	StoreFile string `koanf:"store_file"`
	// CodeTTL is how long an authorization code may wait to be redeemed,
	// 10s to 10m. Default 1m.
	CodeTTL time.Duration `koanf:"code_ttl"`
	// RefreshTokenTTL is how long a refresh token family lives from its
	// sign-in, 1h to 8760h. Default 720h (30 days).
	RefreshTokenTTL time.Duration `koanf:"refresh_token_ttl"`
	// DynamicRegistration serves RFC 7591 client registration. Default true.
	DynamicRegistration bool `koanf:"dynamic_registration"`
	// ClientMetadataDocuments accepts https URLs as client ids, fetching
	// the client's metadata from them. Default true.
	ClientMetadataDocuments bool `koanf:"client_metadata_documents"`
	// DevHTTPClientIDs also accepts http://localhost client id URLs, and
	// fetches documents from loopback addresses: for developing a client
	// on this machine only. Default false.
	DevHTTPClientIDs bool `koanf:"dev_http_client_ids"`
	// Users may sign in on the consent page.
	Users []AuthUser `koanf:"users"`
	// Clients are machine clients, which get tokens for themselves with
	// the client_credentials grant.
	Clients []AuthClient `koanf:"clients"`
}

// AuthUser is one [[auth.server.users]] entry.
type AuthUser struct {
	// Username is what the user types; it becomes the token's sub.
	Username string `koanf:"username"`
	// PasswordHash is a bcrypt hash, as `toolgate hash-password` prints.
	PasswordHash string `koanf:"password_hash"`
	// Scopes are the most the user may grant a client.
	Scopes []string `koanf:"scopes"`
}

// AuthClient is one [[auth.server.clients]] entry: a confidential machine
// client.
type AuthClient struct {
	// ClientID identifies the client; it becomes the token's sub.
	ClientID string `koanf:"client_id"`
	// SecretHash is a bcrypt hash of the client secret.
	SecretHash string `koanf:"secret_hash"`
	// Scopes are the most the client may ask for.
	Scopes []string `koanf:"scopes"`
}

// AuthStorePath is the absolute path of the authorization server's store.
func (c *Config) AuthStorePath() string {
	return resolve(c.Dir, c.Auth.Server.StoreFile)
}

const noLocalIssuerReason = "the authorization server signs with the local issuer's key: set auth.local.enabled = true, or auth.server.enabled = false"

func (v *validator) authServer(c *Config) {
	s := &c.Auth.Server
	const key = "auth.server"
	if s.Enabled && !c.Auth.Local.Enabled && !v.refused("auth.local.enabled") && !v.refused("auth.server.enabled") {
		// The problem is the file's unless a variable turned the local
		// issuer off or the server on.
		env := v.set["auth.local.enabled"]
		if env == "" {
			env = v.set["auth.server.enabled"]
		}
		v.problems = append(v.problems, Problem{Key: child(key, "enabled"), Env: env, Reason: noLocalIssuerReason})
	}
	if s.Enabled && s.StoreFile == "" {
		v.add(child(key, "store_file"), "must be set when auth.server.enabled is true")
	}
	v.noNUL(child(key, "store_file"), s.StoreFile)
	v.within(child(key, "code_ttl"), s.CodeTTL, 10*time.Second, 10*time.Minute)
	v.within(child(key, "refresh_token_ttl"), s.RefreshTokenTTL, time.Hour, 8760*time.Hour)
	users := map[string]int{}
	for i, u := range s.Users {
		k := entry(child(key, "users"), i)
		v.uniqueName(child(k, "username"), u.Username, "users", users, i)
		v.bcryptHash(child(k, "password_hash"), u.PasswordHash)
		v.scopes(k, "scopes", u.Scopes)
	}
	clients := map[string]int{}
	for i, cl := range s.Clients {
		k := entry(child(key, "clients"), i)
		v.uniqueName(child(k, "client_id"), cl.ClientID, "clients", clients, i)
		if strings.Contains(cl.ClientID, "://") {
			v.add(child(k, "client_id"), "%q looks like a URL, which names a client metadata document: choose a plain name", cl.ClientID)
		}
		v.bcryptHash(child(k, "secret_hash"), cl.SecretHash)
		v.scopes(k, "scopes", cl.Scopes)
	}
}

// uniqueName checks a name that must be set and unique within a list.
func (v *validator) uniqueName(key, name, list string, seen map[string]int, i int) {
	j, dup := seen[name]
	switch {
	case name == "":
		v.add(key, "must be set")
	case strings.ContainsAny(name, " \t\r\n\x00"):
		v.add(key, "%q must not contain spaces or control characters", name)
	case dup:
		v.add(key, "%q is already %s[%d]", name, list, j)
	default:
		seen[name] = i
	}
}

// bcryptHash checks a stored password or secret hash. The message never
// repeats the value: it may be a password pasted by mistake.
func (v *validator) bcryptHash(key, hash string) {
	if hash == "" {
		v.add(key, "must be set: make one with `toolgate hash-password`")
		return
	}
	if _, err := bcrypt.Cost([]byte(hash)); err != nil {
		v.add(key, "is not a bcrypt hash: make one with `toolgate hash-password`")
	}
}
