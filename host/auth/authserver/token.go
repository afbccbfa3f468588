package authserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/toolgate/toolgate/host/auth/localissuer"
)

// tokenResponse is a successful token response (RFC 6749 §5.1).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// serveToken is the token endpoint.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	grant, clientID := "unknown", ""
	resp, e := func() (*tokenResponse, *oauthError) {
		if e := readForm(w, r); e != nil {
			return nil, e
		}
		switch g := r.PostForm.Get("grant_type"); g {
		case "authorization_code", "refresh_token", "client_credentials":
			grant = g
		case "":
			return nil, errInvalidRequest("grant_type is missing")
		default:
			return nil, &oauthError{Status: http.StatusBadRequest, Code: "unsupported_grant_type",
				Description: fmt.Sprintf("grant_type %q is not supported: use authorization_code, refresh_token or client_credentials", g)}
		}
		c, e := s.authenticateClient(r)
		if e != nil {
			return nil, e
		}
		clientID = c.ID
		if !c.allowsGrant(grant) {
			return nil, errUnauthorizedClient(fmt.Sprintf("client %s may not use the %s grant", c.ID, grant))
		}
		if _, e := s.resourceParam(r.PostForm["resource"]); e != nil {
			return nil, e
		}
		switch grant {
		case "authorization_code":
			return s.codeGrant(r, c)
		case "refresh_token":
			return s.refreshGrant(r, c)
		default:
			return s.clientGrant(r, c)
		}
	}()
	if e != nil {
		s.grants.WithLabelValues(grant, e.Code).Inc()
		s.log.Info("token request refused", "grant_type", grant, "client_id", clientID, "error", e.Code, "error_description", e.Description)
		e.write(w)
		return
	}
	s.grants.WithLabelValues(grant, "ok").Inc()
	s.log.Info("token issued", "grant_type", grant, "client_id", clientID, "scope", resp.Scope)
	writeJSON(w, http.StatusOK, resp)
}

// codeGrant redeems an authorization code (RFC 6749 §4.1.3, RFC 7636 §4.6).
func (s *Server) codeGrant(r *http.Request, c *client) (*tokenResponse, *oauthError) {
	f := r.PostForm
	code, verifier := f.Get("code"), f.Get("code_verifier")
	if code == "" {
		return nil, errInvalidRequest("code is missing")
	}
	if verifier == "" {
		return nil, errInvalidRequest("code_verifier is missing: this server requires PKCE")
	}
	rec, err := s.opts.Store.RedeemCode(code, time.Now(), s.opts.RefreshTokenTTL)
	switch {
	case errors.Is(err, errReused):
		s.log.Warn("an authorization code was presented again: the tokens issued for it are revoked", "client_id", rec.ClientID)
		return nil, errInvalidGrant("the code was already used; the tokens issued for it are revoked")
	case errors.Is(err, errNotFound), errors.Is(err, errExpired):
		return nil, errInvalidGrant("the code is unknown or expired")
	case err != nil:
		s.log.Error("redeeming a code", "err", err)
		return nil, errServer("the code could not be redeemed")
	}
	// Checked after redeeming, so a code tried with a wrong verifier is
	// spent: it cannot be guessed at.
	switch {
	case rec.ClientID != c.ID:
		return nil, errInvalidGrant("the code was issued to another client")
	case f.Get("redirect_uri") != rec.RedirectURI:
		return nil, errInvalidGrant("redirect_uri differs from the authorization request's")
	case !pkceMatches(verifier, rec.Challenge):
		return nil, errInvalidGrant("code_verifier does not match the code_challenge")
	}
	return s.issue(rec.Subject, c.ID, rec.Scopes, rec.Resource, rec.Family, time.Now().Add(s.opts.RefreshTokenTTL))
}

// pkceMatches checks an S256 verifier (RFC 7636 §4.6); a verifier is 43
// to 128 unreserved characters.
func pkceMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

// refreshGrant rotates a refresh token (RFC 6749 §6, OAuth 2.1 §4.3.1).
// A scope parameter may narrow the grant, never widen it.
func (s *Server) refreshGrant(r *http.Request, c *client) (*tokenResponse, *oauthError) {
	old := r.PostForm.Get("refresh_token")
	if old == "" {
		return nil, errInvalidRequest("refresh_token is missing")
	}
	next := newSecret()
	rec, err := s.opts.Store.RotateRefresh(old, next, time.Now(), func(rec Refresh) error {
		if rec.ClientID != c.ID {
			return errNotFound
		}
		return nil
	})
	switch {
	case errors.Is(err, errReused):
		s.log.Warn("a refresh token was presented again: its family is revoked", "client_id", c.ID, "sub", rec.Subject)
		return nil, errInvalidGrant("the refresh token was already used; every token of its sign-in is revoked: sign in again")
	case errors.Is(err, errNotFound), errors.Is(err, errExpired), errors.Is(err, errRevoked):
		return nil, errInvalidGrant("the refresh token is unknown, expired or revoked: sign in again")
	case err != nil:
		s.log.Error("rotating a refresh token", "err", err)
		return nil, errServer("the refresh token could not be rotated")
	}
	scopes := rec.Scopes
	if want := strings.Fields(r.PostForm.Get("scope")); len(want) > 0 {
		for _, sc := range want {
			if !slices.Contains(rec.Scopes, sc) {
				return nil, errInvalidScope(fmt.Sprintf("scope %q was not granted to this refresh token: authorize again to get it", sc))
			}
		}
		scopes = want
	}
	tok, e := s.accessToken(rec.Subject, c.ID, scopes, rec.Resource)
	if e != nil {
		return nil, e
	}
	tok.RefreshToken = next
	return tok, nil
}

// clientGrant issues a machine client a token of its own (RFC 6749 §4.4):
// the scopes it asks for, within those configured for it; all of them when
// it asks for none.
func (s *Server) clientGrant(r *http.Request, c *client) (*tokenResponse, *oauthError) {
	scopes := c.scopes
	if want := strings.Fields(r.PostForm.Get("scope")); len(want) > 0 {
		for _, sc := range want {
			if !slices.Contains(c.scopes, sc) {
				return nil, errInvalidScope(fmt.Sprintf("client %s may not have scope %q", c.ID, sc))
			}
		}
		scopes = want
	}
	return s.accessToken(c.ID, c.ID, scopes, s.opts.Resource)
}

// issue makes an access token and the first refresh token of a family.
func (s *Server) issue(sub, clientID string, scopes []string, resource, fam string, expires time.Time) (*tokenResponse, *oauthError) {
	tok, e := s.accessToken(sub, clientID, scopes, resource)
	if e != nil {
		return nil, e
	}
	refresh := newSecret()
	err := s.opts.Store.PutRefresh(refresh, Refresh{
		Family: fam, ClientID: clientID, Subject: sub, Scopes: scopes, Resource: resource, Expires: expires,
	})
	if err != nil {
		s.log.Error("saving a refresh token", "err", err)
		return nil, errServer("the refresh token could not be saved")
	}
	tok.RefreshToken = refresh
	return tok, nil
}

// accessToken signs an RFC 9068 token bound to the resource.
func (s *Server) accessToken(sub, clientID string, scopes []string, resource string) (*tokenResponse, *oauthError) {
	jwt, err := s.opts.Issuer.Mint(localissuer.Token{
		Subject: sub, ClientID: clientID, Scopes: scopes, Audience: resource, TTL: s.opts.AccessTokenTTL,
	})
	if err != nil {
		s.log.Error("signing an access token", "err", err)
		return nil, errServer("the access token could not be signed")
	}
	return &tokenResponse{
		AccessToken: jwt, TokenType: "Bearer", ExpiresIn: int64(s.opts.AccessTokenTTL / time.Second),
		Scope: strings.Join(scopes, " "),
	}, nil
}
