package authserver

import (
	"crypto/subtle"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

//go:embed consent.html error.html
var pages embed.FS

var (
	consentPage = template.Must(template.ParseFS(pages, "consent.html"))
	errorPage   = template.Must(template.ParseFS(pages, "error.html"))
)

// csrfCookie holds the browser's half of the consent form's CSRF check.
const csrfCookie = "toolgate_csrf"

// consentView is what the consent page shows.
type consentView struct {
	ClientName, ClientID, RedirectHost, Resource string
	// NameNote says who vouches for the client's name.
	NameNote                                 string
	Action, RequestID, CSRF, Username, Error string
	Scopes                                   []scopeBox
}

// scopeBox is one scope's checkbox; ID is stable, for scripts that drive
// the page: "scope-" and the scope with each run of other characters than
// letters and digits made one "-" (tools:echo is scope-tools-echo).
type scopeBox struct {
	Name, ID string
	Checked  bool
}

var nonAlnum = regexp.MustCompile(`[^A-Za-z0-9]+`)

func scopeID(scope string) string { return "scope-" + nonAlnum.ReplaceAllString(scope, "-") }

// pageHeaders keep the page out of frames (clickjacking) and caches, and
// keep the code out of Referer headers.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
}

// showConsent renders the consent page for req, with an error when a
// submission was refused; checked are the boxes to tick.
func (s *Server) showConsent(w http.ResponseWriter, status int, req authRequest, checked []string, username, problem string) {
	redirectHost := req.RedirectURI
	if u, err := url.Parse(req.RedirectURI); err == nil && u.Host != "" {
		redirectHost = u.Scheme + "://" + u.Host
	}
	v := consentView{
		ClientName: req.Client.displayName(), ClientID: req.Client.ID, RedirectHost: redirectHost,
		Resource: req.Resource, Action: PathAuthorize, RequestID: req.ID, CSRF: req.CSRF,
		Username: username, Error: problem, NameNote: nameNote(req.Client),
	}
	for _, sc := range req.Scopes {
		v.Scopes = append(v.Scopes, scopeBox{Name: sc, ID: scopeID(sc), Checked: slices.Contains(checked, sc)})
	}
	pageHeaders(w)
	w.WriteHeader(status)
	if err := consentPage.Execute(w, v); err != nil {
		s.log.Warn("writing the consent page", "err", err)
	}
}

// nameNote says where the client's name comes from: a client names
// itself, so the user should judge it by where it sends them.
func nameNote(c *client) string {
	if isURLClientID(c.ID) {
		if u, err := url.Parse(c.ID); err == nil {
			return "The name is published by " + u.Host + "."
		}
	}
	return "The application chose this name itself when it registered: judge it by where it returns you."
}

// showError tells the user of a request that cannot go back to the client:
// no trusted redirect URI, or a form that cannot be checked.
func (s *Server) showError(w http.ResponseWriter, status int, title, message string) {
	pageHeaders(w)
	w.WriteHeader(status)
	if err := errorPage.Execute(w, map[string]string{"Title": title, "Message": message}); err != nil {
		s.log.Warn("writing the error page", "err", err)
	}
}

// browserToken returns the browser's CSRF cookie value, setting a new one
// when it has none.
func (s *Server) browserToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 26 {
		return c.Value
	}
	v := newSecret()
	http.SetCookie(w, &http.Cookie{
		Name: csrfCookie, Value: v, Path: PathAuthorize, HttpOnly: true,
		Secure: strings.HasPrefix(s.issuer(), "https://"), SameSite: http.SameSiteLaxMode,
	})
	return v
}

// csrfOK checks both halves of the CSRF check against the request.
func csrfOK(r *http.Request, req authRequest) bool {
	c, err := r.Cookie(csrfCookie)
	return err == nil &&
		subtle.ConstantTimeCompare([]byte(c.Value), []byte(req.Browser)) == 1 &&
		subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf_token")), []byte(req.CSRF)) == 1
}

// logRequest names an authorization request in logs, with no secret.
func logRequest(req authRequest) []any {
	return []any{slog.String("client_id", req.Client.ID), slog.String("redirect_uri", req.RedirectURI), slog.Any("scopes", req.Scopes)}
}
