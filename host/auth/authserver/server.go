// Package authserver makes the local issuer a whole OAuth 2.1 authorization
// server, so that an MCP client knowing only the endpoint's URL can
// discover it, register, have the user sign in and consent, and get a
// token bound to this resource:
//
//   - the authorization endpoint: code flow with PKCE (S256), exact
//     redirect URI matching (loopback ports may vary, RFC 8252), the
//     resource parameter (RFC 8707) and iss in the response (RFC 9207);
//   - a consent page in plain HTML with local sign-in;
//   - the token endpoint: authorization_code, refresh_token (rotated, reuse
//     revokes the family) and client_credentials;
//   - client registration: Client ID Metadata Documents and RFC 7591;
//   - revocation of refresh tokens (RFC 7009);
//   - RFC 8414 metadata advertising exactly that.
//
// Access tokens are RFC 9068 JWTs from the local issuer's key, which the
// resource server already trusts.
package authserver

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toolgate/toolgate/host/auth/localissuer"
)

// The endpoints' paths, below the issuer's origin.
const (
	PathAuthorize = "/oauth/authorize"
	PathToken     = "/oauth/token"
	PathRegister  = "/oauth/register"
	PathRevoke    = "/oauth/revoke"
)

// User may sign in on the consent page.
type User struct {
	Username     string
	PasswordHash string // bcrypt
	Scopes       []string
}

// MachineClient is a configured confidential client of the
// client_credentials grant.
type MachineClient struct {
	ClientID   string
	SecretHash string // bcrypt
	Scopes     []string
}

// Options configure a Server.
type Options struct {
	Issuer *localissuer.Issuer
	Store  *Store
	// Resource is the canonical URL of the protected resource: the only
	// resource tokens are issued for, and their aud.
	Resource string
	// Scopes are those the resource's tools need: the scopes a client may
	// ask for.
	Scopes          []string
	AccessTokenTTL  time.Duration
	CodeTTL         time.Duration
	RefreshTokenTTL time.Duration
	// DynamicRegistration serves RFC 7591 registration.
	DynamicRegistration bool
	// MetadataDocuments accepts client ids that are https URLs.
	MetadataDocuments bool
	// DevHTTPClientIDs also accepts http://localhost client ids and fetches
	// from loopback addresses.
	DevHTTPClientIDs bool
	Users            []User
	Clients          []MachineClient
	Logger           *slog.Logger
	Registerer       prometheus.Registerer
}

// Server is the authorization server.
type Server struct {
	opts     Options
	log      *slog.Logger
	users    map[string]User
	machines map[string]MachineClient
	docs     *documentCache
	pending  *pendingRequests
	grants   *prometheus.CounterVec
	// regMu serialises registrations, so the client cap holds.
	regMu sync.Mutex
}

// New returns a Server and registers its metrics.
func New(opts Options) *Server {
	s := &Server{
		opts:     opts,
		log:      opts.Logger,
		users:    map[string]User{},
		machines: map[string]MachineClient{},
		docs:     newDocumentCache(opts.DevHTTPClientIDs),
		pending:  newPendingRequests(),
		grants: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "toolgate_authserver_token_grants_total",
			Help: "Token endpoint requests, by grant type and result (ok, or the OAuth error code).",
		}, []string{"grant_type", "result"}),
	}
	for _, u := range opts.Users {
		s.users[u.Username] = u
	}
	for _, c := range opts.Clients {
		s.machines[c.ClientID] = c
	}
	opts.Registerer.MustRegister(s.grants)
	return s
}

// Routes are the server's endpoints by path, to serve on the issuer's
// origin: the metadata and the endpoints it names.
func (s *Server) Routes() map[string]http.Handler {
	r := map[string]http.Handler{
		"/.well-known/oauth-authorization-server": publicJSON(s.metadata()),
		PathAuthorize: http.HandlerFunc(s.serveAuthorize),
		PathToken:     cors(http.HandlerFunc(s.serveToken)),
		PathRevoke:    cors(http.HandlerFunc(s.serveRevoke)),
	}
	if s.opts.DynamicRegistration {
		r[PathRegister] = cors(http.HandlerFunc(s.serveRegister))
	}
	return r
}

// issuer is the issuer identifier, the origin the endpoints are under.
func (s *Server) issuer() string { return s.opts.Issuer.URL }
