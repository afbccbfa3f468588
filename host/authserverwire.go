package host

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toolgate/toolgate/config"
	"github.com/toolgate/toolgate/host/auth/authserver"
	"github.com/toolgate/toolgate/host/auth/localissuer"
	"github.com/toolgate/toolgate/host/registry"
)

// setupAuthServer builds the authorization server of [auth.server] on the
// local issuer and opens its store; the caller closes the store.
func setupAuthServer(cfg *config.Config, li *localissuer.Issuer, reg *registry.Registry, h *Host, registerer prometheus.Registerer) (*authserver.Server, *authserver.Store, error) {
	a := cfg.Auth.Server
	store, err := authserver.OpenStore(cfg.AuthStorePath())
	if err != nil {
		return nil, nil, fmt.Errorf("auth.server: %w", err)
	}
	opts := authserver.Options{
		Issuer: li, Store: store, Resource: cfg.CanonicalURL(), Scopes: resourceScopes(reg),
		AccessTokenTTL: cfg.Auth.Local.TokenTTL, CodeTTL: a.CodeTTL, RefreshTokenTTL: a.RefreshTokenTTL,
		DynamicRegistration: a.DynamicRegistration, MetadataDocuments: a.ClientMetadataDocuments,
		DevHTTPClientIDs: a.DevHTTPClientIDs,
		Logger:           h.log.With("component", "authserver"), Registerer: registerer,
	}
	for _, u := range a.Users {
		opts.Users = append(opts.Users, authserver.User{Username: u.Username, PasswordHash: u.PasswordHash, Scopes: u.Scopes})
	}
	for _, c := range a.Clients {
		opts.Clients = append(opts.Clients, authserver.MachineClient{ClientID: c.ClientID, SecretHash: c.SecretHash, Scopes: c.Scopes})
	}
	if len(opts.Users) == 0 {
		h.log.Warn("the authorization server has no users: nobody can sign in on its consent page; add [[auth.server.users]] (see toolgate hash-password)")
	}
	return authserver.New(opts), store, nil
}
