package host

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toolgate/toolgate/config"
	"github.com/toolgate/toolgate/host/auth"
	"github.com/toolgate/toolgate/host/auth/authserver"
	"github.com/toolgate/toolgate/host/auth/localissuer"
	"github.com/toolgate/toolgate/host/auth/verify"
	"github.com/toolgate/toolgate/host/registry"
)

// authSetup is what authorization adds to the host: the authenticator the
// transport consults, the verifier to close, and the documents to serve.
type authSetup struct {
	authenticator *auth.Authenticator
	verifier      *verify.Verifier
	routes        map[string]http.Handler
	store         *authserver.Store // nil unless auth.server is on
}

// close releases what authorization holds open.
func (a *authSetup) close() {
	a.verifier.Close()
	if a.store != nil {
		a.store.Close()
	}
}

// setupAuth builds the resource server from [auth]. The local issuer's key
// is created on first start.
func setupAuth(ctx context.Context, cfg *config.Config, reg *registry.Registry, h *Host, registerer prometheus.Registerer) (_ *authSetup, err error) {
	canonical := cfg.CanonicalURL()
	var issuers []verify.IssuerConfig
	var servers []string
	var store *authserver.Store
	routes := map[string]http.Handler{}
	if cfg.Auth.Local.Enabled {
		li, err := localissuer.Open(cfg.KeyFilePath(), cfg.LocalIssuerURL())
		if err != nil {
			return nil, fmt.Errorf("auth.local: %w", err)
		}
		issuers = append(issuers, verify.IssuerConfig{
			Issuer: li.URL, KeySet: li.PublicKeys(), Algorithms: []string{"RS256"},
			Audiences: []string{canonical}, ScopeClaim: "scope", RequireATJWT: true,
		})
		servers = append(servers, li.URL)
		jwks, err := json.Marshal(li.PublicKeys())
		if err != nil {
			return nil, fmt.Errorf("auth.local: encoding the key set: %w", err)
		}
		routes["/.well-known/jwks.json"] = auth.PublicJSON(jwks)
		routes["/.well-known/oauth-authorization-server"] = auth.PublicJSON(localissuer.Metadata(li.URL, resourceScopes(reg)))
		if cfg.Auth.Server.Enabled {
			srv, st, err := setupAuthServer(cfg, li, reg, h, registerer)
			if err != nil {
				return nil, err
			}
			store = st
			defer func() {
				if err != nil {
					store.Close()
				}
			}()
			maps.Copy(routes, srv.Routes())
		}
	}
	for _, iss := range cfg.Auth.Issuers {
		issuers = append(issuers, issuerConfig(cfg, iss))
		servers = append(servers, iss.Issuer)
	}
	keyFetches := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "toolgate_auth_key_fetches_total",
		Help: "Fetches of an issuer's signing keys (background refreshes and refetches on an unknown kid), by issuer and result.",
	}, []string{"issuer", "result"})
	registerer.MustRegister(keyFetches)
	v, err := verify.New(ctx, verify.Options{
		Issuers:       issuers,
		ClockSkew:     cfg.Auth.ClockSkew,
		MaxTokenBytes: cfg.Auth.MaxTokenBytes,
		ForwardClaims: cfg.Auth.ForwardClaims,
		Logger:        h.log.With("component", "auth"),
		OnKeyFetch: func(issuer string, err error) {
			result := "ok"
			if err != nil {
				result = "error"
			}
			keyFetches.WithLabelValues(issuer, result).Inc()
		},
	})
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	scopes := resourceScopes(reg)
	challenge := cfg.Auth.ChallengeScopes
	if challenge == nil {
		challenge = scopes
	}
	prmPath := "/.well-known/oauth-protected-resource" + mustPath(canonical)
	a := auth.New(auth.Options{
		Verifier: v,
		Metadata: auth.Metadata{
			Resource:               canonical,
			AuthorizationServers:   servers,
			ScopesSupported:        scopes,
			BearerMethodsSupported: []string{"header"},
			ResourceName:           cfg.Auth.ResourceName,
			ResourceDocumentation:  cfg.Auth.ResourceDocumentation,
		},
		MetadataURL:     origin(canonical) + prmPath,
		ChallengeScopes: challenge,
		MaxTokenBytes:   cfg.Auth.MaxTokenBytes,
		Logger:          h.log.With("component", "auth"),
		Registerer:      registerer,
	})
	// Clients try the path-suffixed document first, then the root one
	// (RFC 9728 §3.1); a proxy may serve the endpoint under another path.
	for _, p := range []string{prmPath, "/.well-known/oauth-protected-resource" + cfg.Server.Path, "/.well-known/oauth-protected-resource"} {
		routes[p] = a.MetadataHandler()
	}
	return &authSetup{authenticator: a, verifier: v, routes: routes, store: store}, nil
}

// resourceScopes are the scopes a tool needs, as published: never
// offline_access, which asks for a refresh token, not for access.
func resourceScopes(reg *registry.Registry) []string {
	return slices.DeleteFunc(reg.Scopes(), func(s string) bool { return s == "offline_access" })
}

func issuerConfig(cfg *config.Config, iss config.Issuer) verify.IssuerConfig {
	ic := verify.IssuerConfig{
		Issuer:       iss.Issuer,
		JWKSURL:      iss.JWKSURL,
		Algorithms:   iss.Algorithms,
		Audiences:    cfg.Audiences(iss),
		ScopeClaim:   iss.ScopeClaim,
		RequireATJWT: iss.RequireATJWT,
		KeyRefresh:   iss.KeyRefresh,
	}
	if in := iss.Introspection; in.URL != "" {
		ic.Introspection = &verify.Introspection{
			URL: in.URL, ClientID: in.ClientID, CacheTTL: in.CacheTTL,
			ClientSecret: os.Getenv(in.ClientSecretEnv),
		}
	}
	return ic
}

// origin is scheme://host of a URL; mustPath its path. The canonical URL was
// validated when the config loaded.
func origin(u string) string {
	p, _ := url.Parse(u)
	return p.Scheme + "://" + p.Host
}

func mustPath(u string) string {
	p, _ := url.Parse(u)
	return p.Path
}
