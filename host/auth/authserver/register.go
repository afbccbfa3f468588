package authserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// maxClients caps registrations: registration is open to anyone who can
// reach the server, and each costs a record.
const maxClients = 10000

// registration is an RFC 7591 request's metadata, and its response.
type registration struct {
	RedirectURIs  []string `json:"redirect_uris"`
	AuthMethod    string   `json:"token_endpoint_auth_method,omitempty"`
	GrantTypes    []string `json:"grant_types,omitempty"`
	ResponseTypes []string `json:"response_types,omitempty"`
	ClientName    string   `json:"client_name,omitempty"`
	ClientURI     string   `json:"client_uri,omitempty"`
	Scope         string   `json:"scope,omitempty"`
}

type registrationResponse struct {
	ClientID              string `json:"client_id"`
	ClientSecret          string `json:"client_secret,omitempty"`
	ClientIDIssuedAt      int64  `json:"client_id_issued_at"`
	ClientSecretExpiresAt *int64 `json:"client_secret_expires_at,omitempty"`
	registration
}

func errClientMetadata(format string, args ...any) *oauthError {
	return &oauthError{Status: http.StatusBadRequest, Code: "invalid_client_metadata", Description: fmt.Sprintf(format, args...)}
}

// serveRegister registers a client (RFC 7591 §3). Only clients of the code
// flow register: a machine client is configured in mcp.toml, since open
// registration of client_credentials clients would hand tokens to anyone.
func (s *Server) serveRegister(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		errInvalidRequest("register a client with POST").write(w)
		return
	}
	var reg registration
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10))
	if err := dec.Decode(&reg); err != nil {
		errInvalidRequest("the body is not a JSON object of client metadata of at most 16 KiB: " + err.Error()).write(w)
		return
	}
	if e := completeRegistration(&reg); e != nil {
		e.write(w)
		return
	}
	resp, e := s.register(reg)
	if e != nil {
		e.write(w)
		return
	}
	s.log.Info("client registered", "client_id", resp.ClientID, "client_name", reg.ClientName,
		"redirect_uris", reg.RedirectURIs, "token_endpoint_auth_method", reg.AuthMethod)
	writeJSON(w, http.StatusCreated, resp)
}

// completeRegistration checks the metadata and fills in the defaults of
// RFC 7591 §2.
func completeRegistration(reg *registration) *oauthError {
	if reg.AuthMethod == "" {
		reg.AuthMethod = "client_secret_basic"
	}
	if !slices.Contains(authMethods, reg.AuthMethod) {
		return errClientMetadata("token_endpoint_auth_method %q is not one of none, client_secret_basic, client_secret_post", reg.AuthMethod)
	}
	if len(reg.GrantTypes) == 0 {
		reg.GrantTypes = []string{"authorization_code"}
	}
	for _, g := range reg.GrantTypes {
		switch g {
		case "authorization_code", "refresh_token":
		case "client_credentials":
			return errClientMetadata("grant type client_credentials is not open to registration: configure the machine client in [[auth.server.clients]]")
		default:
			return errClientMetadata("grant type %q is not supported: use authorization_code and refresh_token", g)
		}
	}
	if !slices.Contains(reg.GrantTypes, "authorization_code") {
		return errClientMetadata("grant_types must include authorization_code")
	}
	// Every code-flow client gets refresh tokens.
	if !slices.Contains(reg.GrantTypes, "refresh_token") {
		reg.GrantTypes = append(reg.GrantTypes, "refresh_token")
	}
	if len(reg.ResponseTypes) == 0 {
		reg.ResponseTypes = []string{"code"}
	}
	if len(reg.ResponseTypes) != 1 || reg.ResponseTypes[0] != "code" {
		return errClientMetadata("response_types must be [\"code\"]")
	}
	if len(reg.RedirectURIs) == 0 {
		return &oauthError{Status: http.StatusBadRequest, Code: "invalid_redirect_uri", Description: "redirect_uris must list at least one URI"}
	}
	for _, u := range reg.RedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			return &oauthError{Status: http.StatusBadRequest, Code: "invalid_redirect_uri", Description: err.Error()}
		}
	}
	if len(reg.ClientName) > 200 {
		return errClientMetadata("client_name is longer than 200 characters")
	}
	return nil
}

func (s *Server) register(reg registration) (*registrationResponse, *oauthError) {
	s.regMu.Lock()
	defer s.regMu.Unlock()
	if n, err := s.opts.Store.Clients(); err != nil || n >= maxClients {
		if err != nil {
			s.log.Error("counting registered clients", "err", err)
		}
		return nil, &oauthError{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable",
			Description: fmt.Sprintf("no more clients can register (at most %d)", maxClients)}
	}
	now := time.Now().Unix()
	c := Client{
		ID: "tg-" + newSecret(), Name: reg.ClientName, URI: reg.ClientURI, RedirectURIs: reg.RedirectURIs,
		GrantTypes: reg.GrantTypes, AuthMethod: reg.AuthMethod, IssuedAt: now,
	}
	resp := &registrationResponse{ClientID: c.ID, ClientIDIssuedAt: now, registration: reg}
	if reg.AuthMethod != "none" {
		secret := newSecret() + newSecret()
		c.SecretHash = hashSecret(secret)
		never := int64(0)
		resp.ClientSecret, resp.ClientSecretExpiresAt = secret, &never
	}
	if err := s.opts.Store.PutClient(c); err != nil {
		s.log.Error("saving a registered client", "err", err)
		return nil, errServer("the registration could not be saved")
	}
	return resp, nil
}
