//go:build unix

package e2e

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestReloadScopes: a reload that changes a tool's scopes rebuilds the
// authorization: the next call needs the new scope, the metadata lists it,
// and tokens signed before still verify. With server.watch off, only
// `toolgate reload` (SIGHUP) applies the file.
func TestReloadScopes(t *testing.T) {
	echo := "\n[[plugins]]\nname = \"echo\"\npath = \"@BIN@/echo\"\n"
	config := func(rest string) string {
		return strings.Replace(authHostConfig(echo+rest), "[server]\n", "[server]\nwatch = false\n", 1)
	}
	h := startHost(t, config(""))
	tok := mintToken(t, h, "alice", "tools:echo")
	call := func(id string) *reply {
		return h.post(t, bearer(tok).with(modernHeaders("tools/call", "echo")),
			modernBody(id, "tools/call", map[string]any{"name": "echo", "arguments": map[string]any{"message": "hi"}}))
	}
	wantResult(t, call("before"))

	writeConfigAtomic(t, h, config("\n[tools.echo]\nscopes = [\"tools:other\"]\n"))
	code, stdout, stderr := runToolgate(t, "reload", "--config", h.cfgPath)
	t.Logf("toolgate reload: exit %d, %s%s", code, stdout, stderr)
	if code != 0 || !strings.Contains(stdout, "authorization rebuilt") {
		t.Fatalf("toolgate reload: exit %d, stdout %q, stderr %q; want 0 and the authorization rebuilt", code, stdout, stderr)
	}
	if n := countMsg(h, "reload applied"); n != 1 {
		t.Errorf("%d reloads applied, want 1: with server.watch off the file change alone must not reload", n)
	}

	wantError(t, call("after"), http.StatusForbidden, codeForbidden, "tools:other")
	r := h.get(t, http.MethodGet, "/.well-known/oauth-protected-resource/mcp", "mcp.test", nil)
	var prm struct {
		ScopesSupported []string `json:"scopes_supported"`
	}
	mustUnmarshal(t, r.Body, &prm)
	// prompts:echo is echo_prompt's, which the reload left alone.
	if !slices.Equal(prm.ScopesSupported, []string{"prompts:echo", "tools:other"}) {
		t.Errorf("after the reload scopes_supported is %v, want [prompts:echo tools:other]", prm.ScopesSupported)
	}
	// The rebuilt authorization's metrics replaced the old ones.
	if got := h.metric(t, `toolgate_auth_decisions_total{reason="insufficient_scope",result="refused"}`); got != "1" {
		t.Errorf("toolgate_auth_decisions_total for insufficient_scope after the reload = %s, want 1", got)
	}
}

// countMsg counts the host's log records with the message msg.
func countMsg(h *hostProc, msg string) int {
	n := 0
	for _, r := range h.log.records() {
		if r.msg() == msg {
			n++
		}
	}
	return n
}

// TestReloadCommandNoHost: `toolgate reload` says plainly when no host
// serves the file, and when the pid file is stale.
func TestReloadCommandNoHost(t *testing.T) {
	path := writeConfig(t, hostConfig("", ""))
	code, _, stderr := runToolgate(t, "reload", "--config", path)
	if code != 1 || !strings.Contains(stderr, "no toolgate serves") || !strings.Contains(stderr, "toolgate.pid does not exist") {
		t.Errorf("reload with no host: exit %d, stderr %q; want 1 saying no toolgate serves the file", code, stderr)
	}

	// A pid file left by a host that is gone: this test's own child, reaped.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(filepath.Dir(path), "data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "toolgate.pid"), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runToolgate(t, "reload", "--config", path)
	if code != 1 || !strings.Contains(stderr, "has exited") {
		t.Errorf("reload with a stale pid file: exit %d, stderr %q; want 1 saying the pid has exited", code, stderr)
	}
}
