package authserver

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/toolgate/toolgate/host/auth/localissuer"
)

const (
	testResource = "http://mcp.test/mcp"
	testPassword = "correct horse"
	testRedirect = "http://127.0.0.1:8765/callback"
)

// testServer is a Server behind a real HTTP listener, with a real store
// and the local issuer's real key.
type testServer struct {
	*Server
	http  *httptest.Server
	store *Store
	dir   string
}

func hashFor(t *testing.T, secret string) string {
	t.Helper()
	// The lowest cost keeps the tests quick; the check is the same.
	h, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// newTestServer starts a server with user alice (tools:echo files:read),
// user bob (tools:echo) and machine client "robot" (files:read), each
// with testPassword as password or secret.
func newTestServer(t *testing.T, edit ...func(*Options)) *testServer {
	t.Helper()
	dir := t.TempDir()
	ts := &testServer{dir: dir}
	ts.http = httptest.NewUnstartedServer(nil)
	ts.http.Start()
	t.Cleanup(ts.http.Close)
	ts.start(t, edit...)
	return ts
}

// start (re)builds the Server on the store in dir, as a restart would.
func (ts *testServer) start(t *testing.T, edit ...func(*Options)) {
	t.Helper()
	li, err := localissuer.Open(filepath.Join(ts.dir, "key.pem"), ts.http.URL)
	if err != nil {
		t.Fatal(err)
	}
	store, err := OpenStore(filepath.Join(ts.dir, "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	hash := hashFor(t, testPassword)
	opts := Options{
		Issuer: li, Store: store, Resource: testResource, Scopes: []string{"files:read", "tools:echo"},
		AccessTokenTTL: time.Hour, CodeTTL: time.Minute, RefreshTokenTTL: 24 * time.Hour,
		DynamicRegistration: true, MetadataDocuments: true, DevHTTPClientIDs: true,
		Users: []User{
			{Username: "alice", PasswordHash: hash, Scopes: []string{"tools:echo", "files:read"}},
			{Username: "bob", PasswordHash: hash, Scopes: []string{"tools:echo"}},
		},
		Clients:    []MachineClient{{ClientID: "robot", SecretHash: hash, Scopes: []string{"files:read"}}},
		Logger:     slog.New(slog.DiscardHandler),
		Registerer: prometheus.NewRegistry(),
	}
	for _, e := range edit {
		e(&opts)
	}
	ts.Server, ts.store = New(opts), store
	mux := http.NewServeMux()
	for p, h := range ts.Routes() {
		mux.Handle(p, h)
	}
	ts.http.Config.Handler = mux
}

// restart closes the store and starts a new Server on it.
func (ts *testServer) restart(t *testing.T) {
	t.Helper()
	ts.store.Close()
	ts.start(t)
}

// browser is a user agent with cookies that does not follow redirects.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, c *http.Client, req *http.Request) *response {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &response{resp.StatusCode, resp.Header, string(b)}
}

func (ts *testServer) get(t *testing.T, c *http.Client, path string, q url.Values) *response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.http.URL+path+"?"+q.Encode(), nil)
	return do(t, c, req)
}

func (ts *testServer) postForm(t *testing.T, c *http.Client, path string, f url.Values, edit ...func(*http.Request)) *response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.http.URL+path, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, e := range edit {
		e(req)
	}
	return do(t, c, req)
}

func (ts *testServer) postJSON(t *testing.T, path string, v any) *response {
	t.Helper()
	b, _ := json.Marshal(v)
	req, _ := http.NewRequest(http.MethodPost, ts.http.URL+path, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	return do(t, http.DefaultClient, req)
}

// registerPublic registers a public client with testRedirect.
func (ts *testServer) registerPublic(t *testing.T) string {
	t.Helper()
	r := ts.postJSON(t, PathRegister, map[string]any{
		"redirect_uris": []string{testRedirect}, "token_endpoint_auth_method": "none", "client_name": "Test Client",
	})
	if r.status != http.StatusCreated {
		t.Fatalf("registration: %d %s", r.status, r.body)
	}
	var out map[string]any
	mustJSON(t, r.body, &out)
	return out["client_id"].(string)
}

func mustJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("%v in %q", err, s)
	}
}

// pkce returns a verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	verifier = newSecret() + newSecret()
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeQuery is a good authorization request.
func authorizeQuery(clientID, challenge, scope string) url.Values {
	return url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {testRedirect},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {"st-1"},
		"scope": {scope}, "resource": {testResource},
	}
}

var hiddenField = regexp.MustCompile(`name="(request_id|csrf_token)"[^>]*value="([^"]*)"`)

// consentForm reads the hidden fields of a consent page.
func consentForm(t *testing.T, page string) url.Values {
	t.Helper()
	f := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(page, -1) {
		f.Set(m[1], m[2])
	}
	if f.Get("request_id") == "" || f.Get("csrf_token") == "" {
		t.Fatalf("no consent form in the page:\n%s", page)
	}
	return f
}

// signIn answers a consent page as user with the scopes ticked.
func signIn(form url.Values, user, password string, scopes ...string) url.Values {
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("username", user)
	f.Set("password", password)
	f.Set("action", "approve")
	f["scope"] = scopes
	return f
}

// redirectParams are the query parameters of a redirect to testRedirect.
func redirectParams(t *testing.T, r *response) url.Values {
	t.Helper()
	if r.status != http.StatusSeeOther {
		t.Fatalf("got %d, want a 303 redirect; body:\n%s", r.status, r.body)
	}
	u, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != testRedirect {
		t.Fatalf("redirected to %s, want %s", got, testRedirect)
	}
	return u.Query()
}

// authorize runs the code flow up to the code, as user granting scopes.
func (ts *testServer) authorize(t *testing.T, clientID, challenge, scope, user string, grant ...string) url.Values {
	t.Helper()
	b := browser(t)
	page := ts.get(t, b, PathAuthorize, authorizeQuery(clientID, challenge, scope))
	if page.status != http.StatusOK {
		t.Fatalf("authorization page: %d\n%s", page.status, page.body)
	}
	return redirectParams(t, ts.postForm(t, b, PathAuthorize, signIn(consentForm(t, page.body), user, testPassword, grant...)))
}

// tokenResponse posts a token request as a public client.
func (ts *testServer) token(t *testing.T, f url.Values, edit ...func(*http.Request)) (map[string]any, *response) {
	t.Helper()
	r := ts.postForm(t, http.DefaultClient, PathToken, f, edit...)
	var out map[string]any
	mustJSON(t, r.body, &out)
	return out, r
}

// codeTokens redeems a code as a public client.
func (ts *testServer) codeTokens(t *testing.T, clientID, code, verifier string) map[string]any {
	t.Helper()
	out, r := ts.token(t, url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
		"redirect_uri": {testRedirect}, "client_id": {clientID}, "resource": {testResource},
	})
	if r.status != http.StatusOK {
		t.Fatalf("token request: %d %s", r.status, r.body)
	}
	return out
}

// claims decodes a JWT's claims without checking it; the verifier's own
// tests check signatures.
func claims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	mustJSON(t, string(b), &c)
	return c
}
