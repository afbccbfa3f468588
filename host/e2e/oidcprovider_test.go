//go:build unix

package e2e

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// A real third-party authorization server: oidc-provider, an OpenID
// Certified implementation, run with node from testdata/oidcprovider
// (server.mjs says what it offers). Its packages are installed by `npm ci`
// (as .ci/test does); without node or them these tests fail, they do not
// skip.
const (
	oidcDir  = "testdata/oidcprovider"
	oidcHint = "run: npm ci --prefix host/e2e/testdata/oidcprovider"
	// otherResource is the second protected resource server.mjs knows.
	otherResource = "https://other.example/api"
)

// The clients server.mjs registers, each getting one kind of token; a
// client's secret is its id followed by "-secret".
const (
	jwtClient         = "jwt-client"          // JWT access tokens, an hour
	es256Client       = "es256-client"        // as jwtClient, signed with ES256
	ps256Client       = "ps256-client"        // as jwtClient, signed with PS256
	opaqueClient      = "opaque-client"       // opaque access tokens, an hour
	briefJWTClient    = "brief-jwt-client"    // JWT access tokens, one second
	briefOpaqueClient = "brief-opaque-client" // opaque access tokens, one second
	// introspector is Toolgate's own client, the only one allowed to
	// introspect.
	introspector = "toolgate"
)

func clientSecret(id string) string { return id + "-secret" }

// oidcProvider is a running server.mjs.
type oidcProvider struct {
	// issuer is http://127.0.0.1:PORT; port is PORT.
	issuer, port string
	// resource is the resource indicator of Toolgate's tokens.
	resource string
	// discovery is the provider's OpenID configuration.
	discovery struct {
		Issuer                string `json:"issuer"`
		TokenEndpoint         string `json:"token_endpoint"`
		IntrospectionEndpoint string `json:"introspection_endpoint"`
		RevocationEndpoint    string `json:"revocation_endpoint"`
		RegistrationEndpoint  string `json:"registration_endpoint"`
		JWKSURI               string `json:"jwks_uri"`
	}

	cmd    *exec.Cmd
	exited chan struct{}
	out    *testLogWriter
}

// checkOIDCProvider fails the test unless node and the pinned
// oidc-provider are installed.
func checkOIDCProvider(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is not installed (%v); the identity provider tests need Node.js 20 or later and their packages: %s", err, oidcHint)
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	b, err := os.ReadFile(filepath.Join(oidcDir, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	mustUnmarshal(t, b, &pkg)
	want := pkg.Dependencies["oidc-provider"]
	var installed struct {
		Version string `json:"version"`
	}
	b, err = os.ReadFile(filepath.Join(oidcDir, "node_modules", "oidc-provider", "package.json"))
	if err != nil {
		t.Fatalf("oidc-provider is not installed (%v): %s", err, oidcHint)
	}
	mustUnmarshal(t, b, &installed)
	if installed.Version != want {
		t.Fatalf("node_modules holds oidc-provider %s, package.json pins %s: %s", installed.Version, want, oidcHint)
	}
}

// idpKey writes a new RSA private key as a JWK with the given kid into
// dir and returns the file's path, for server.mjs.
func idpKey(t *testing.T, dir, kid string) string {
	t.Helper()
	return writeJWK(t, dir, kid, newRSAKey(t))
}

// idpECKey is idpKey for a P-256 key, for ES256.
func idpECKey(t *testing.T, dir, kid string) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return writeJWK(t, dir, kid, k)
}

// writeJWK writes a private key as a JWK with the given kid into dir and
// returns the file's path.
func writeJWK(t *testing.T, dir, kid string, priv any) string {
	t.Helper()
	k, err := jwk.Import(priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Set(jwk.KeyIDKey, kid); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, kid+".jwk.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startOIDCProvider starts server.mjs on a free loopback port, issuing
// tokens for resource and signing with the first of keyFiles, and waits
// for its discovery document. It is stopped when the test ends.
func startOIDCProvider(t *testing.T, resource string, keyFiles ...string) *oidcProvider {
	t.Helper()
	checkOIDCProvider(t)
	for attempt := 1; ; attempt++ {
		p := unstartedOIDCProvider(t, resource)
		err := p.start(t, keyFiles)
		if err == nil {
			t.Cleanup(func() { p.stop(t) })
			return p
		}
		if !errors.Is(err, errPortTaken) || attempt == 5 {
			t.Fatal(err)
		}
	}
}

// unstartedOIDCProvider is a provider not running yet, on a port that was
// free a moment ago; launch starts it.
func unstartedOIDCProvider(t *testing.T, resource string) *oidcProvider {
	t.Helper()
	addr := freeLoopbackAddr(t)
	_, port, _ := strings.Cut(addr, ":")
	return &oidcProvider{issuer: "http://" + addr, port: port, resource: resource}
}

// launch starts an unstarted provider, failing the test if it cannot; it
// is stopped when the test ends.
func (p *oidcProvider) launch(t *testing.T, keyFiles ...string) {
	t.Helper()
	checkOIDCProvider(t)
	if err := p.start(t, keyFiles); err != nil {
		t.Fatalf("starting oidc-provider on port %s: %v", p.port, err)
	}
	t.Cleanup(func() { p.stop(t) })
}

// errPortTaken is start's error when the port was taken meanwhile.
var errPortTaken = errors.New("the port is taken")

// start runs server.mjs on p.port and waits up to 20 s for its discovery
// document to name p.issuer.
func (p *oidcProvider) start(t *testing.T, keyFiles []string) error {
	t.Helper()
	p.out = &testLogWriter{t: t, prefix: "oidc-provider " + p.port + ": "}
	p.exited = make(chan struct{})
	p.cmd = exec.Command("node", append([]string{"server.mjs", p.port, p.resource}, keyFiles...)...)
	p.cmd.Dir = oidcDir
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("starting node server.mjs: %w", err)
	}
	go func() {
		p.cmd.Wait()
		close(p.exited)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := p.discover()
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			if p.cmd.ProcessState.ExitCode() == 3 {
				return errPortTaken
			}
			return fmt.Errorf("oidc-provider exited with %s before serving its discovery document", p.cmd.ProcessState)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.kill()
			return fmt.Errorf("oidc-provider served no discovery document within 20s: %v", err)
		}
	}
}

// discover reads the OpenID configuration and checks it names p.issuer.
func (p *oidcProvider) discover() error {
	resp, err := httpClient.Get(p.issuer + "/.well-known/openid-configuration")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("discovery answered %s", resp.Status)
	}
	if err := json.Unmarshal(b, &p.discovery); err != nil {
		return err
	}
	if p.discovery.Issuer != p.issuer {
		return fmt.Errorf("discovery names issuer %q, want %q", p.discovery.Issuer, p.issuer)
	}
	return nil
}

// stop ends the provider with SIGTERM, then SIGKILL after 10 s, and waits
// for it; its output is in the test log by then.
func (p *oidcProvider) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Errorf("oidc-provider did not exit within 10s of SIGTERM; killing it")
		p.kill()
	}
}

func (p *oidcProvider) kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.exited
}

// restart stops the provider and starts it again on the same port, so with
// the same issuer, with the given keys. Every token it issued is forgotten.
func (p *oidcProvider) restart(t *testing.T, keyFiles ...string) {
	t.Helper()
	p.stop(t)
	if err := p.start(t, keyFiles); err != nil {
		t.Fatalf("restarting oidc-provider on port %s: %v", p.port, err)
	}
}

// form posts a form to an endpoint of the provider, authenticated as the
// client id with client_secret_basic, and returns the status and body.
func (p *oidcProvider) form(t *testing.T, endpoint, id, secret string, form url.Values) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	return p.roundTrip(t, req)
}

func (p *oidcProvider) roundTrip(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// token asks for an access token as one of server.mjs's clients with the
// client credentials grant, for resource (RFC 8707) and scope, and returns
// it.
func (p *oidcProvider) token(t *testing.T, client, resource, scope string) string {
	t.Helper()
	return p.tokenAs(t, client, clientSecret(client), resource, scope)
}

// tokenAs is token for any client.
func (p *oidcProvider) tokenAs(t *testing.T, client, secret, resource, scope string) string {
	t.Helper()
	status, body := p.form(t, p.discovery.TokenEndpoint, client, secret, url.Values{
		"grant_type": {"client_credentials"}, "resource": {resource}, "scope": {scope},
	})
	var tr struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		Scope       string `json:"scope"`
	}
	if status != http.StatusOK {
		t.Fatalf("token request of %s for %s: %d %s", client, resource, status, body)
	}
	mustUnmarshal(t, body, &tr)
	if tr.AccessToken == "" || tr.TokenType != "Bearer" || tr.Scope != scope {
		t.Fatalf("token response of %s: %s; want a Bearer token with scope %q", client, body, scope)
	}
	return tr.AccessToken
}

// revoke revokes a token of client (RFC 7009).
func (p *oidcProvider) revoke(t *testing.T, client, token string) {
	t.Helper()
	status, body := p.form(t, p.discovery.RevocationEndpoint, client, clientSecret(client), url.Values{"token": {token}, "token_type_hint": {"access_token"}})
	if status != http.StatusOK {
		t.Fatalf("revoking a token of %s: %d %s", client, status, body)
	}
}

// register registers a confidential client for the client credentials
// grant with RFC 7591 dynamic client registration, as an MCP client
// without a preregistered client id does, and returns its credentials.
func (p *oidcProvider) register(t *testing.T) (id, secret string) {
	t.Helper()
	meta := `{"client_name":"e2e agent","grant_types":["client_credentials"],"response_types":[],"redirect_uris":[],"token_endpoint_auth_method":"client_secret_basic"}`
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, p.discovery.RegistrationEndpoint, strings.NewReader(meta))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	status, body := p.roundTrip(t, req)
	var reg struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if status != http.StatusCreated {
		t.Fatalf("registering a client: %d %s", status, body)
	}
	mustUnmarshal(t, body, &reg)
	if reg.ClientID == "" || reg.ClientSecret == "" {
		t.Fatalf("registration answered %s, want a client id and secret", body)
	}
	return reg.ClientID, reg.ClientSecret
}

// testLogWriter copies a process's output into the test log, line by line.
type testLogWriter struct {
	t       *testing.T
	prefix  string
	mu      sync.Mutex
	partial []byte
}

func (w *testLogWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, b...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(b), nil
		}
		w.t.Log(w.prefix + string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
}
