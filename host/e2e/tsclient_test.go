//go:build unix

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The official TypeScript SDK client, run with node from testdata/tsclient.
// Its packages are installed by `npm ci` (as .ci/test does); without node or
// them these tests fail, they do not skip.
const (
	tsclientDir = "testdata/tsclient"
	npmHint     = "run: npm ci --prefix host/e2e/testdata/tsclient"
)

// tsRequest is one HTTP request the TypeScript client made, as its
// recording fetch saw it (record.mjs).
type tsRequest struct {
	Method          string `json:"method"`
	URL             string `json:"url"`
	Authorization   bool   `json:"authorization"`
	Status          int    `json:"status"`
	WWWAuthenticate string `json:"wwwAuthenticate"`
	// Parsed is what the SDK read from WWW-Authenticate.
	Parsed *struct {
		ResourceMetadataURL *string `json:"resourceMetadataUrl"`
		Scope               *string `json:"scope"`
		Error               *string `json:"error"`
	} `json:"parsed"`
	Error string `json:"error"`
}

// tsError is an error the SDK raised.
type tsError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
	Code    any    `json:"code"`
}

// checkNode fails the test unless node and the pinned SDK are installed.
func checkNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is not installed (%v); the TypeScript SDK tests need Node.js 20 or later and its packages: %s", err, npmHint)
	}
	checkPinned(t, tsclientDir, "@modelcontextprotocol/sdk", npmHint)
}

// checkPinned fails the test unless the Node project in dir has pkg
// installed at the version its package.json pins; hint says how to
// install it.
func checkPinned(t *testing.T, dir, pkg, hint string) {
	t.Helper()
	var manifest struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	mustUnmarshal(t, b, &manifest)
	want := manifest.Dependencies[pkg]
	var installed struct {
		Version string `json:"version"`
	}
	b, err = os.ReadFile(filepath.Join(dir, "node_modules", filepath.FromSlash(pkg), "package.json"))
	if err != nil {
		t.Fatalf("%s is not installed (%v): %s", pkg, err, hint)
	}
	mustUnmarshal(t, b, &installed)
	if installed.Version != want {
		t.Fatalf("node_modules holds %s %s, package.json pins %s: %s", pkg, installed.Version, want, hint)
	}
}

// runNode runs a script of testdata/tsclient with node and decodes the JSON
// it prints into out. The script must exit with 0.
func runNode(t *testing.T, out any, script string, args ...string) {
	t.Helper()
	checkNode(t)
	runNodeIn(t, tsclientDir, out, script, args...)
}

// runNodeIn runs script in dir with node, as runNode does.
func runNodeIn(t *testing.T, dir string, out any, script string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{script}, args...)...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("node %s ran for more than 60s\nstdout:\n%s\nstderr:\n%s", script, stdout.String(), stderr.String())
	}
	if err != nil {
		t.Fatalf("node %s: %v\nstdout:\n%s\nstderr:\n%s", script, err, stdout.String(), stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("node %s printed no JSON document: %v\nstdout:\n%s\nstderr:\n%s", script, err, stdout.String(), stderr.String())
	}
	t.Logf("node %s:\n%s", script, stdout.String())
}

func TestTSClientListAndCall(t *testing.T) {
	checkNode(t)
	h := startHost(t, authHostConfig(shippedPlugins(filesRoot(t))))
	tests := []struct {
		name, scope string
		tools       []string
	}{
		{"both scopes", "tools:echo files:read", shippedTools},
		{"tools:echo", "tools:echo", []string{"echo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := mintToken(t, h, "alice", tt.scope)
			var out struct {
				Requests        []tsRequest `json:"requests"`
				ProtocolVersion string      `json:"protocolVersion"`
				ServerInfo      struct {
					Name string `json:"name"`
				} `json:"serverInfo"`
				HadSession bool `json:"hadSession"`
				Tools      []struct {
					Name string `json:"name"`
					Meta struct {
						RequiredScopes []string `json:"toolgate/requiredScopes"`
					} `json:"meta"`
				} `json:"tools"`
				Echo struct {
					IsError           bool            `json:"isError"`
					StructuredContent json.RawMessage `json:"structuredContent"`
				} `json:"echo"`
				SessionAfterDelete *string `json:"sessionAfterDelete"`
				Error              *tsError
			}
			runNode(t, &out, "list-and-call.mjs", h.url, tok)
			if out.ProtocolVersion != sessionVersion || !out.HadSession || out.ServerInfo.Name != "toolgate" {
				t.Errorf("got protocol version %q, session %v, server %q; want %s, a session, toolgate",
					out.ProtocolVersion, out.HadSession, out.ServerInfo.Name, sessionVersion)
			}
			var names []string
			for _, tool := range out.Tools {
				names = append(names, tool.Name)
				if len(tool.Meta.RequiredScopes) == 0 {
					t.Errorf("%s: no toolgate/requiredScopes in _meta", tool.Name)
				}
			}
			if !slices.Equal(names, tt.tools) {
				t.Errorf("got tools %v, want %v", names, tt.tools)
			}
			if out.Echo.IsError {
				t.Errorf("echo failed")
			}
			if got, want := compact(t, out.Echo.StructuredContent), `{"text":"from ts from ts","repeat_count":2}`; got != want {
				t.Errorf("got echo structuredContent %s, want %s", got, want)
			}
			if out.SessionAfterDelete != nil {
				t.Errorf("the session %q outlived DELETE", *out.SessionAfterDelete)
			}
			var methods []string
			for _, r := range out.Requests {
				methods = append(methods, r.Method)
				if !r.Authorization {
					t.Errorf("%s %s went without the token", r.Method, r.URL)
				}
				if r.URL != h.url {
					t.Errorf("the client requested %s, want only %s", r.URL, h.url)
				}
				if r.Status >= 400 && !(r.Method == "GET" && r.Status == 405) {
					t.Errorf("%s %s: status %d", r.Method, r.URL, r.Status)
				}
			}
			if len(methods) == 0 || methods[len(methods)-1] != "DELETE" {
				t.Errorf("got requests %v, want the last to be the DELETE ending the session", methods)
			}
		})
	}
}

func TestTSClientDiscovery(t *testing.T) {
	checkNode(t)
	// The client checks that the metadata's resource is the URL it uses,
	// so this host's public_url is its real URL.
	h := startHostAt(t, func(addr string) string {
		return authConfigFor(addr, "http://"+addr+"/mcp", "signing-key.pem", "", shippedPlugins(t.TempDir()))
	})
	origin := "http://" + h.addr
	var out struct {
		Requests         []tsRequest `json:"requests"`
		Error            *tsError    `json:"error"`
		RedirectedTo     []string    `json:"redirectedTo"`
		RegisteredClient bool        `json:"registeredClient"`
		GotTokens        bool        `json:"gotTokens"`
	}
	runNode(t, &out, "discover.mjs", h.url)

	want := []struct {
		method, url string
		status      int
	}{
		{"POST", h.url, 401},
		{"GET", origin + "/.well-known/oauth-protected-resource/mcp", 200},
		{"GET", origin + "/.well-known/oauth-authorization-server", 200},
	}
	if len(out.Requests) != len(want) {
		t.Errorf("got %d requests, want %d: %+v", len(out.Requests), len(want), out.Requests)
	}
	for i, w := range want {
		if i >= len(out.Requests) {
			break
		}
		r := out.Requests[i]
		if r.Method != w.method || r.URL != w.url || r.Status != w.status {
			t.Errorf("request %d: got %s %s → %d, want %s %s → %d", i+1, r.Method, r.URL, r.Status, w.method, w.url, w.status)
		}
	}
	for _, r := range out.Requests {
		if r.Authorization {
			t.Errorf("%s %s carried a token", r.Method, r.URL)
		}
	}
	if len(out.Requests) > 0 {
		first := out.Requests[0]
		wantParams(t, parseParams(t, first.WWWAuthenticate), map[string]string{
			"resource_metadata": origin + "/.well-known/oauth-protected-resource/mcp",
			"scope":             shippedScopes,
		})
		if p := first.Parsed; p == nil || p.ResourceMetadataURL == nil || *p.ResourceMetadataURL != want[1].url ||
			p.Scope == nil || *p.Scope != shippedScopes || p.Error != nil {
			t.Errorf("the SDK read the challenge as %+v", first.Parsed)
		}
	}
	// The local issuer offers no authorization or registration endpoint,
	// so the flow stops at its metadata.
	if out.Error == nil {
		t.Errorf("connecting without a token succeeded")
	}
	if len(out.RedirectedTo) > 0 || out.RegisteredClient || out.GotTokens {
		t.Errorf("got redirects %v, registered %v, tokens %v; want none", out.RedirectedTo, out.RegisteredClient, out.GotTokens)
	}
}

// parseParams parses a Bearer challenge the TypeScript client received.
func parseParams(t *testing.T, challenge string) map[string]string {
	t.Helper()
	scheme, params, err := parseChallenge(challenge)
	if err != nil || scheme != "Bearer" {
		t.Fatalf("challenge %q: scheme %q, %v", challenge, scheme, err)
	}
	return params
}

func TestTSClientInsufficientScope(t *testing.T) {
	checkNode(t)
	h := startHost(t, authHostConfig(shippedPlugins(filesRoot(t))))
	tok := mintToken(t, h, "alice", "tools:echo")
	var out struct {
		Requests []tsRequest `json:"requests"`
		Tools    []string    `json:"tools"`
		Error    *tsError    `json:"error"`
		Result   any         `json:"result"`
	}
	runNode(t, &out, "insufficient.mjs", h.url, tok)
	if !slices.Equal(out.Tools, []string{"echo"}) {
		t.Errorf("got tools %v, want [echo]", out.Tools)
	}
	if out.Error == nil {
		t.Fatalf("read_file without files:read succeeded: %v", out.Result)
	}
	if code, _ := out.Error.Code.(float64); code != 403 {
		t.Errorf("the SDK raised %s %q with code %v, want HTTP 403", out.Error.Name, out.Error.Message, out.Error.Code)
	}
	if !strings.Contains(out.Error.Message, "files:read") {
		t.Errorf("the SDK's error %q does not name files:read", out.Error.Message)
	}
	var forbidden []tsRequest
	for _, r := range out.Requests {
		if r.Status == 403 {
			forbidden = append(forbidden, r)
		}
	}
	if len(forbidden) != 1 {
		t.Fatalf("got %d answers with status 403, want one: %+v", len(forbidden), out.Requests)
	}
	r := forbidden[0]
	// What read_file needs together with what the token already grants.
	const stepUp = "files:read tools:echo"
	if r.Method != "POST" || r.URL != h.url {
		t.Errorf("the 403 answered %s %s, want POST %s", r.Method, r.URL, h.url)
	}
	wantParams(t, parseParams(t, r.WWWAuthenticate), map[string]string{
		"resource_metadata": authMetadataURL,
		"error":             "insufficient_scope",
		"error_description": "*",
		"scope":             stepUp,
	})
	if p := r.Parsed; p == nil || p.Error == nil || *p.Error != "insufficient_scope" ||
		p.Scope == nil || *p.Scope != stepUp || p.ResourceMetadataURL == nil || *p.ResourceMetadataURL != authMetadataURL {
		t.Errorf("the SDK read the challenge as %+v", r.Parsed)
	}
	wantNoPiece(t, "what the client printed", r.WWWAuthenticate+out.Error.Message, tok)
}
