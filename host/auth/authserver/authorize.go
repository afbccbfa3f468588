package authserver

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// challengePattern is an S256 code challenge: the base64url SHA-256 of the
// verifier, 43 characters (RFC 7636 §4.2).
var challengePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// serveAuthorize is the authorization endpoint: GET shows the consent page
// for a request, POST takes the form back.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.startAuthorization(w, r)
	case http.MethodPost:
		s.finishAuthorization(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		s.showError(w, http.StatusMethodNotAllowed, "Method not allowed", "The authorization endpoint answers GET and the consent form's POST.")
	}
}

// startAuthorization checks a request. Until the client and its redirect
// URI are known good, errors go to the user; after, to the client
// (RFC 6749 §4.1.2.1).
func (s *Server) startAuthorization(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c, err := s.lookupClient(r.Context(), q.Get("client_id"))
	if err != nil {
		s.showError(w, http.StatusBadRequest, "Unknown application", err.Error())
		return
	}
	if !c.allowsGrant("authorization_code") {
		s.showError(w, http.StatusBadRequest, "Application cannot sign in users", fmt.Sprintf("Client %s is registered for machine use only: it gets tokens with its own credentials.", c.ID))
		return
	}
	redirect := q.Get("redirect_uri")
	switch {
	case redirect == "":
		s.showError(w, http.StatusBadRequest, "Invalid request", "The redirect_uri parameter is missing.")
		return
	case len(q["redirect_uri"]) > 1 || !matchRedirectURI(c.RedirectURIs, redirect):
		s.showError(w, http.StatusBadRequest, "Invalid redirect URI", fmt.Sprintf("%q is not a redirect URI registered for %s, so you are not sent there.", redirect, c.displayName()))
		return
	}
	state := q.Get("state")
	fail := func(code, description string) {
		s.log.Info("authorization request refused", "client_id", c.ID, "error", code, "error_description", description)
		s.redirect(w, r, redirect, url.Values{"error": {code}, "error_description": {description}, "state": {state}})
	}
	for k, v := range q {
		if len(v) > 1 {
			fail("invalid_request", "parameter "+k+" is given more than once")
			return
		}
	}
	if q.Get("response_type") != "code" {
		fail("unsupported_response_type", "response_type must be code")
		return
	}
	if e := checkPKCE(q.Get("code_challenge"), q.Get("code_challenge_method")); e != "" {
		fail("invalid_request", e)
		return
	}
	resource, e := s.resourceParam(q["resource"])
	if e != nil {
		fail(e.Code, e.Description)
		return
	}
	scopes, e := s.requestedScopes(q.Get("scope"))
	if e != nil {
		fail(e.Code, e.Description)
		return
	}
	req := &authRequest{
		ID: newSecret(), CSRF: newSecret(), Browser: s.browserToken(w, r), Client: c, RedirectURI: redirect,
		State: state, Challenge: q.Get("code_challenge"), Resource: resource, Scopes: scopes,
		Expires: time.Now().Add(pendingTTL),
	}
	if !s.pending.add(req) {
		s.showError(w, http.StatusServiceUnavailable, "Too many sign-ins waiting", "Too many sign-ins are waiting for an answer. Try again in a few minutes.")
		return
	}
	s.showConsent(w, http.StatusOK, *req, scopes, "", "")
}

// checkPKCE requires an S256 challenge: plain would put the verifier
// itself in the browser's history.
func checkPKCE(challenge, method string) string {
	switch {
	case challenge == "":
		return "code_challenge is required: this server needs PKCE with S256"
	case method == "plain":
		return "code_challenge_method plain is refused: use S256"
	case method != "S256":
		return "code_challenge_method must be S256"
	case !challengePattern.MatchString(challenge):
		return "code_challenge is not the 43-character base64url SHA-256 of a verifier"
	}
	return ""
}

// resourceParam checks the RFC 8707 resource parameters of a request:
// absent means this server's resource, the only one there is; any other
// is refused.
func (s *Server) resourceParam(values []string) (string, *oauthError) {
	for _, v := range values {
		if !sameResource(v, s.opts.Resource) {
			return "", errInvalidTarget(fmt.Sprintf("resource %q is not served here: this server issues tokens for %s only", v, s.opts.Resource))
		}
	}
	return s.opts.Resource, nil
}

// sameResource compares resource URLs as clients write them: scheme and
// host without regard to case, a trailing slash ignored.
func sameResource(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil || ua.Fragment != "" || ua.RawQuery != ub.RawQuery {
		return false
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host) &&
		strings.TrimSuffix(ua.EscapedPath(), "/") == strings.TrimSuffix(ub.EscapedPath(), "/")
}

// requestedScopes parses a scope parameter. None named means every scope
// the tools need. offline_access is dropped: every code-flow client gets
// a refresh token anyway, and it names no access.
func (s *Server) requestedScopes(param string) ([]string, *oauthError) {
	var out []string
	for _, sc := range strings.Fields(param) {
		if sc == "offline_access" || slices.Contains(out, sc) {
			continue
		}
		if !slices.Contains(s.opts.Scopes, sc) {
			return nil, errInvalidScope(fmt.Sprintf("scope %q is not one this server grants; it grants %s", sc, strings.Join(s.opts.Scopes, " ")))
		}
		out = append(out, sc)
	}
	if len(out) == 0 {
		out = slices.Clone(s.opts.Scopes)
	}
	return out, nil
}

// finishAuthorization takes the consent form: it checks the CSRF tokens,
// signs the user in, and sends the client a code for the scopes ticked.
func (s *Server) finishAuthorization(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.showError(w, http.StatusBadRequest, "Invalid form", "The form could not be read.")
		return
	}
	f := r.PostForm
	req, ok := s.pending.get(f.Get("request_id"))
	if !ok {
		s.showError(w, http.StatusBadRequest, "This page has expired", "This consent form has expired or was already answered. Go back to the application and connect again.")
		return
	}
	if !csrfOK(r, req) {
		s.log.Warn("consent form refused: the CSRF check failed", logRequest(req)...)
		s.showError(w, http.StatusForbidden, "Form not accepted", "The form did not come from this sign-in page (the CSRF check failed). Go back to the application and connect again.")
		return
	}
	back := url.Values{"state": {req.State}}
	switch f.Get("action") {
	case "deny":
		if s.pending.take(req.ID) {
			s.log.Info("authorization denied by the user", logRequest(req)...)
			back.Set("error", "access_denied")
			back.Set("error_description", "the user denied access")
			s.redirect(w, r, req.RedirectURI, back)
		}
		return
	case "approve":
	default:
		s.showConsent(w, http.StatusBadRequest, req, f["scope"], f.Get("username"), "Choose Allow or Deny.")
		return
	}
	username := f.Get("username")
	user, ok := s.signIn(username, f.Get("password"))
	if !ok {
		if !s.pending.fail(req.ID) {
			s.log.Warn("authorization ended after repeated failed sign-ins", logRequest(req)...)
			back.Set("error", "access_denied")
			back.Set("error_description", "too many failed sign-ins")
			s.redirect(w, r, req.RedirectURI, back)
			return
		}
		s.log.Info("sign-in failed", "username", username, "client_id", req.Client.ID)
		s.showConsent(w, http.StatusUnauthorized, req, f["scope"], username, "Wrong username or password.")
		return
	}
	granted, problem := grantable(req.Scopes, f["scope"], user)
	if problem != "" {
		s.showConsent(w, http.StatusBadRequest, req, f["scope"], username, problem)
		return
	}
	if !s.pending.take(req.ID) {
		s.showError(w, http.StatusBadRequest, "This page has expired", "This consent form was already answered. Go back to the application.")
		return
	}
	code := newSecret()
	err := s.opts.Store.PutCode(code, Code{
		ClientID: req.Client.ID, RedirectURI: req.RedirectURI, Challenge: req.Challenge, Subject: user.Username,
		Scopes: granted, Resource: req.Resource, Expires: time.Now().Add(s.opts.CodeTTL),
	})
	if err != nil {
		s.log.Error("saving an authorization code", "err", err)
		back.Set("error", "server_error")
		back.Set("error_description", "the authorization could not be saved")
		s.redirect(w, r, req.RedirectURI, back)
		return
	}
	if err := s.opts.Store.PutConsent(user.Username, req.Client.ID, granted); err != nil {
		s.log.Warn("saving a consent", "err", err)
	}
	s.log.Info("authorization granted", "sub", user.Username, "client_id", req.Client.ID, "scopes", granted, "requested", req.Scopes)
	back.Set("code", code)
	s.redirect(w, r, req.RedirectURI, back)
}

// dummyHash is compared against when the username is unknown, so that
// the answer takes as long as for a known one.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("no user has this password"), bcrypt.DefaultCost)

func (s *Server) signIn(username, password string) (User, bool) {
	u, ok := s.users[username]
	hash := dummyHash
	if ok {
		hash = []byte(u.PasswordHash)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !ok {
		return User{}, false
	}
	return u, true
}

// grantable checks the ticked scopes: at least one, each requested, each
// the user's to grant. The problem is for the user to read.
func grantable(requested, ticked []string, u User) ([]string, string) {
	var out, notYours []string
	for _, sc := range ticked {
		switch {
		case !slices.Contains(requested, sc) || slices.Contains(out, sc):
		case !slices.Contains(u.Scopes, sc):
			notYours = append(notYours, sc)
		default:
			out = append(out, sc)
		}
	}
	if len(notYours) > 0 {
		return nil, fmt.Sprintf("%s may not grant %s. Clear %s and allow again.", u.Username, strings.Join(notYours, " "), plural(len(notYours), "that box", "those boxes"))
	}
	// Where no tool needs a scope there is nothing to tick, and a token
	// with no scope is what the client needs.
	if len(out) == 0 && len(requested) > 0 {
		return nil, "Tick at least one scope to allow, or choose Deny."
	}
	return out, ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// redirect sends the browser back to the client with params, and with iss
// naming this server (RFC 9207), so a client talking to several servers
// can tell whose answer it got. Empty values are left out.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, to string, params url.Values) {
	u, err := url.Parse(to)
	if err != nil {
		s.showError(w, http.StatusBadRequest, "Invalid redirect URI", "The redirect URI cannot be parsed.")
		return
	}
	q := u.Query()
	for k, v := range params {
		if len(v) > 0 && v[0] != "" {
			q.Set(k, v[0])
		}
	}
	q.Set("iss", s.issuer())
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}
