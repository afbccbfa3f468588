package authserver

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// client is a client however it became known: registered (RFC 7591), by
// its metadata document, or configured as a machine client.
type client struct {
	ID           string
	Name         string
	RedirectURIs []string
	GrantTypes   []string
	AuthMethod   string
	// secretHash is SHA-256 for registered clients, bcrypt for configured
	// ones, as bcryptSecret says.
	secretHash   string
	bcryptSecret bool
	// scopes bound a machine client's grants; nil for the others, whose
	// grants the user decides.
	scopes []string
}

// displayName is how the consent page names the client.
func (c *client) displayName() string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

func (c *client) confidential() bool { return c.AuthMethod != "none" }

// isURLClientID reports whether id names a client metadata document.
func isURLClientID(id string) bool {
	return strings.HasPrefix(id, "https://") || strings.HasPrefix(id, "http://")
}

// errUnknownClient is an id no client has.
var errUnknownClient = errors.New("no client has this client_id: register it first")

// lookupClient finds the client an id names. Its errors are fit to show.
func (s *Server) lookupClient(ctx context.Context, id string) (*client, error) {
	if id == "" {
		return nil, errors.New("the client_id parameter is missing")
	}
	if m, ok := s.machines[id]; ok {
		return &client{
			ID: m.ClientID, GrantTypes: []string{"client_credentials"}, AuthMethod: "client_secret_basic",
			secretHash: m.SecretHash, bcryptSecret: true, scopes: m.Scopes,
		}, nil
	}
	if isURLClientID(id) {
		if !s.opts.MetadataDocuments {
			return nil, errors.New("this server does not accept client metadata documents (auth.server.client_metadata_documents = false): register the client instead")
		}
		return s.docs.client(ctx, id)
	}
	c, ok, err := s.opts.Store.Client(id)
	if err != nil {
		s.log.Error("reading a client from the store", "client_id", id, "err", err)
		return nil, errors.New("the client's registration could not be read")
	}
	if !ok {
		return nil, errUnknownClient
	}
	return &client{
		ID: c.ID, Name: c.Name, RedirectURIs: c.RedirectURIs, GrantTypes: c.GrantTypes,
		AuthMethod: c.AuthMethod, secretHash: c.SecretHash,
	}, nil
}

// authenticateClient identifies the client of a token or revocation
// request (RFC 6749 §2.3): HTTP Basic, the secret in the body, or, for a
// public client, client_id alone. The method used must be the client's.
func (s *Server) authenticateClient(r *http.Request) (*client, *oauthError) {
	id, secret, basic := r.BasicAuth()
	method := "client_secret_basic"
	if basic {
		// RFC 6749 §2.3.1: both parts are form-encoded first.
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return nil, errInvalidClient("the Basic credentials are not form-encoded", true)
		}
		if r.PostForm.Has("client_secret") {
			return nil, errInvalidRequest("the client authenticated twice: with Basic and with client_secret")
		}
	} else {
		id = r.PostForm.Get("client_id")
		secret = r.PostForm.Get("client_secret")
		method = "client_secret_post"
		if !r.PostForm.Has("client_secret") {
			method = "none"
		}
	}
	if id == "" {
		return nil, errInvalidClient("no client_id: authenticate with Basic, or send client_id", false)
	}
	c, err := s.lookupClient(r.Context(), id)
	if err != nil {
		return nil, errInvalidClient(err.Error(), basic)
	}
	if c.AuthMethod != method && !(c.bcryptSecret && method != "none") {
		return nil, errInvalidClient(fmt.Sprintf("client %s authenticates with %s, not %s", id, c.AuthMethod, method), basic)
	}
	if c.confidential() && !c.secretMatches(secret) {
		return nil, errInvalidClient("wrong client secret", basic)
	}
	return c, nil
}

func (c *client) secretMatches(secret string) bool {
	if secret == "" {
		return false
	}
	if c.bcryptSecret {
		return bcrypt.CompareHashAndPassword([]byte(c.secretHash), []byte(secret)) == nil
	}
	return subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(c.secretHash)) == 1
}

func (c *client) allowsGrant(g string) bool { return slices.Contains(c.GrantTypes, g) }
