//go:build unix

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// waitFile polls for a file until it exists, up to timeout, and returns its
// contents.
func waitFile(t *testing.T, path string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			return string(b)
		}
		if !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within %s", path, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPlugins(t *testing.T) {
	marks := t.TempDir()
	h := startHost(t, hostConfig("", `
[[plugins]]
name = "echo"
path = "@BIN@/echo"
`+probePlugin(`PROBE_MARK_DIR = `+tomlString(marks)+`
PROBE_GREETING = "hello there"`)+`
[tools.slow]
call_timeout = "300ms"
`))
	sid := h.initialize(t, sessionVersion)

	t.Run("env", func(t *testing.T) {
		res := h.callTool(t, sid, "env", nil)
		var out struct{ Env map[string]string }
		mustUnmarshal(t, res.StructuredContent, &out)
		want := map[string]string{"PROBE_MARK_DIR": marks, "PROBE_GREETING": "hello there"}
		for k, v := range want {
			if got, ok := out.Env[k]; !ok || got != v {
				t.Errorf("got %s=%q (set: %v), want %q", k, got, ok, v)
			}
		}
		for k := range out.Env {
			_, configured := want[k]
			if !configured && !strings.HasPrefix(k, "PLUGIN_") && k != "TOOLGATE_PLUGIN" {
				t.Errorf("the plugin sees %s, which neither [plugins.env] nor go-plugin set", k)
			}
		}
		if _, ok := out.Env[hostCanary]; ok {
			t.Errorf("the plugin sees the host's %s", hostCanary)
		}
		if out.Env["TOOLGATE_PLUGIN"] == "" {
			t.Errorf("got no TOOLGATE_PLUGIN cookie in %v", keys(out.Env))
		}
	})

	t.Run("panic", func(t *testing.T) {
		res := h.callTool(t, sid, "panic", nil)
		if !res.IsError || !strings.Contains(res.text(), "panic") {
			t.Errorf("got isError %v text %q, want an isError result naming the tool", res.IsError, res.text())
		}
		if strings.Contains(res.text(), "on purpose") {
			t.Errorf("got text %q: the panic value reached the client", res.text())
		}
		// The plugin lives on.
		if res := h.callTool(t, sid, "fail", map[string]any{"message": "after panic"}); !strings.Contains(res.text(), "after panic") {
			t.Errorf("the call after the panic got %q, want the plugin to answer", res.text())
		}
		if _, err := h.log.waitFor(5*time.Second, nil, func(r logRecord) bool {
			return r.msg() == "tool handler panicked" && r["plugin"] == "probe"
		}); err != nil {
			t.Errorf("no log line about the panic tagged plugin=probe: %v", err)
		}
	})

	t.Run("fail", func(t *testing.T) {
		res := h.callTool(t, sid, "fail", map[string]any{"message": "disk on fire"})
		if !res.IsError {
			t.Fatalf("got success, want isError")
		}
		if want := "probe failure: disk on fire"; res.text() != want {
			t.Errorf("got text %q, want %q", res.text(), want)
		}
	})

	t.Run("print", func(t *testing.T) {
		token := fmt.Sprintf("tok-%d", time.Now().UnixNano())
		res := h.callTool(t, sid, "print", map[string]any{"token": token})
		if res.IsError || res.text() != "printed "+token {
			t.Fatalf("got isError %v text %q, want printed %s", res.IsError, res.text(), token)
		}
		for _, prefix := range []string{"fmt-stdout", "fmt-stderr", "raw-fd1", "raw-fd2"} {
			line := prefix + " " + token
			if _, err := h.log.waitFor(5*time.Second, nil, func(r logRecord) bool {
				return r.msg() == line && r["plugin"] == "probe"
			}); err != nil {
				t.Errorf("no host log line %q tagged plugin=probe: %v", line, err)
			}
		}
		// Raw writes to descriptor 1 must not have broken anything.
		if res := h.callTool(t, sid, "echo", map[string]any{"message": "still here"}); res.IsError {
			t.Errorf("echo after print: %s", res.text())
		}
		if res := h.callTool(t, sid, "fail", map[string]any{"message": "still here"}); !strings.Contains(res.text(), "still here") {
			t.Errorf("probe after print: got %q", res.text())
		}
	})

	t.Run("plugin cannot forge its log tags", func(t *testing.T) {
		token := fmt.Sprintf("forged-%d", time.Now().UnixNano())
		raw := `{"level":"ERROR","msg":"` + token + `","plugin":"echo","component":"dispatch"}` + "\n"
		if res := h.callTool(t, sid, "print", map[string]any{"token": token, "raw": raw}); res.IsError {
			t.Fatalf("print: %s", res.text())
		}
		line, ok := h.log.line(token, 5*time.Second)
		if !ok {
			t.Fatalf("no host log line holds %q", token)
		}
		if got := keyValues(line, "plugin"); len(got) != 1 || got[0] != "probe" {
			t.Errorf("got plugin keys %v in %s, want exactly one: probe", got, line)
		}
	})

	t.Run("caller", func(t *testing.T) {
		var ids []string
		for range 2 {
			res := h.callTool(t, sid, "caller", nil)
			var out struct {
				RequestID string `json:"request_id"`
				Caller    struct {
					Subject  string   `json:"subject"`
					ClientID string   `json:"client_id"`
					Issuer   string   `json:"issuer"`
					Scopes   []string `json:"scopes"`
				} `json:"caller"`
			}
			mustUnmarshal(t, res.StructuredContent, &out)
			if out.RequestID == "" {
				t.Errorf("got an empty request id")
			}
			if c := out.Caller; c.Subject != "" || c.ClientID != "" || c.Issuer != "" || len(c.Scopes) != 0 {
				t.Errorf("got caller %+v, want none (no authentication)", c)
			}
			ids = append(ids, out.RequestID)
		}
		if ids[0] == ids[1] {
			t.Errorf("two calls got the same request id %q", ids[0])
		}
	})

	t.Run("bad_output", func(t *testing.T) {
		r := h.inSession(t, sid, rpcBody(20, "tools/call", map[string]any{"name": "bad_output", "arguments": map[string]any{}}))
		wantID(t, wantError(t, r, http.StatusOK, -32603, "outputSchema", "bad_output"), "20")
	})

	t.Run("call_timeout", func(t *testing.T) {
		start := time.Now()
		res := h.callTool(t, sid, "slow", map[string]any{"seconds": 30, "mark": "timeout"})
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("the call took %s, want it cut at 300ms", took)
		}
		if !res.IsError || !strings.Contains(res.text(), "did not finish within 300ms") {
			t.Errorf("got isError %v text %q, want isError saying it did not finish within 300ms", res.IsError, res.text())
		}
		if got := waitFile(t, filepath.Join(marks, "timeout"), 2*time.Second); !strings.Contains(got, "context") {
			t.Errorf("got marker %q, want the plugin's context error", got)
		}
	})

	t.Run("concurrent calls", func(t *testing.T) {
		const n = 24
		errs := make(chan error, n)
		for i := range n {
			go func() {
				msg := fmt.Sprintf("message-%d", i)
				args := map[string]any{"name": "echo", "arguments": map[string]any{"message": msg}}
				var (
					r   *reply
					err error
				)
				if i%2 == 0 {
					r, err = h.do(t.Context(), http.MethodPost, modernHeaders("tools/call", "echo"), modernBody(i, "tools/call", args))
				} else {
					r, err = h.do(t.Context(), http.MethodPost, headers{"Mcp-Session-Id": sid, "MCP-Protocol-Version": sessionVersion},
						rpcBody(i, "tools/call", args))
				}
				switch {
				case err != nil:
				case r.Status != http.StatusOK:
					err = fmt.Errorf("call %d: got status %d: %s", i, r.Status, r.Body)
				default:
					var m rpcMessage
					var res toolResult
					if err = json.Unmarshal(r.Body, &m); err == nil && m.Result != nil {
						err = json.Unmarshal(m.Result, &res)
					}
					if want := `{"text":"` + msg + `","repeat_count":1}`; err == nil && (string(m.ID) != fmt.Sprint(i) || string(res.StructuredContent) != want) {
						err = fmt.Errorf("call %d: got id %s and %s, want its own answer %s", i, m.ID, r.Body, want)
					}
				}
				errs <- err
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})

	t.Run("call within call_timeout", func(t *testing.T) {
		res := h.callTool(t, sid, "slow", map[string]any{"seconds": 0.01, "mark": "quick"})
		if res.IsError || res.text() != "slept" {
			t.Errorf("got isError %v text %q, want slept", res.IsError, res.text())
		}
	})
}

// TestCancelledNotification cancels a running call with the session era's
// notifications/cancelled and checks the plugin's context ends.
func TestCancelledNotification(t *testing.T) {
	marks := t.TempDir()
	h := startHost(t, hostConfig("", probePlugin(`PROBE_MARK_DIR = `+tomlString(marks))))
	sid := h.initialize(t, sessionVersion)

	tests := []struct {
		name string
		id   any // the call's JSON-RPC id, written back in requestId
	}{
		{"string id", "slow-call"},
		{"number id", 4711},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mark := strings.ReplaceAll(tt.name, " ", "-")
			type answer struct {
				r   *reply
				err error
			}
			done := make(chan answer, 1)
			go func() {
				r, err := h.do(t.Context(), http.MethodPost, headers{"Mcp-Session-Id": sid, "MCP-Protocol-Version": sessionVersion},
					rpcBody(tt.id, "tools/call", map[string]any{"name": "slow", "arguments": map[string]any{"seconds": 60, "mark": mark}}))
				done <- answer{r, err}
			}()
			waitFile(t, filepath.Join(marks, mark+".started"), 10*time.Second)

			cancelAt := time.Now()
			r := h.inSession(t, sid, rpcBody(nil, "notifications/cancelled", map[string]any{"requestId": tt.id, "reason": "test"}))
			wantEmpty(t, r, http.StatusAccepted)

			if got := waitFile(t, filepath.Join(marks, mark), 5*time.Second); !strings.Contains(got, "canceled") {
				t.Errorf("got marker %q, want the plugin's context cancelled", got)
			}
			select {
			case a := <-done:
				if a.err != nil {
					t.Fatalf("the cancelled call: %v", a.err)
				}
				if a.r.Status != http.StatusOK && a.r.Status < 400 {
					t.Errorf("got status %d for the cancelled call, want a response", a.r.Status)
				}
				var m rpcMessage
				if len(a.r.Body) > 0 && json.Unmarshal(a.r.Body, &m) == nil && m.Result != nil {
					var res toolResult
					mustUnmarshal(t, m.Result, &res)
					if !res.IsError {
						t.Errorf("got a successful result for a cancelled call: %s", a.r.Body)
					}
				}
				t.Logf("cancelled call answered %d %s, %s after the cancel", a.r.Status, a.r.Body, time.Since(cancelAt).Round(time.Millisecond))
			case <-time.After(10 * time.Second):
				t.Fatalf("the cancelled call got no response within 10s")
			}
		})
	}
	// The session still works.
	if res := h.callTool(t, sid, "slow", map[string]any{"seconds": 0}); res.IsError {
		t.Errorf("a call after the cancellations failed: %s", res.text())
	}

	t.Run("other session cannot cancel", func(t *testing.T) {
		other := h.initialize(t, sessionVersion)
		done := make(chan *reply, 1)
		go func() {
			r, err := h.do(t.Context(), http.MethodPost, headers{"Mcp-Session-Id": sid, "MCP-Protocol-Version": sessionVersion},
				rpcBody("shared-id", "tools/call", map[string]any{"name": "slow", "arguments": map[string]any{"seconds": 0.5, "mark": "isolated"}}))
			if err != nil {
				t.Errorf("the call: %v", err)
			}
			done <- r
		}()
		waitFile(t, filepath.Join(marks, "isolated.started"), 10*time.Second)
		wantEmpty(t, h.inSession(t, other, rpcBody(nil, "notifications/cancelled", map[string]any{"requestId": "shared-id"})), http.StatusAccepted)
		select {
		case r := <-done:
			if r == nil {
				return
			}
			var res toolResult
			mustUnmarshal(t, wantResult(t, r), &res)
			if res.IsError || res.text() != "slept" {
				t.Errorf("got isError %v text %q, want the call to finish: another session's cancel must not reach it", res.IsError, res.text())
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the call got no response within 10s")
		}
	})
}

// TestDisconnectCancels checks that a client closing its connection cancels
// the call in the plugin, in both eras (2026-07-28: closing the response
// stream is the cancellation signal).
func TestDisconnectCancels(t *testing.T) {
	marks := t.TempDir()
	h := startHost(t, hostConfig("", probePlugin(`PROBE_MARK_DIR = `+tomlString(marks))))
	sid := h.initialize(t, sessionVersion)

	slow := func(mark string) map[string]any {
		return map[string]any{"name": "slow", "arguments": map[string]any{"seconds": 60, "mark": mark}}
	}
	tests := []struct {
		name, mark string
		hdr        headers
		body       string
	}{
		{"session era", "disconnect-session", headers{"Mcp-Session-Id": sid, "MCP-Protocol-Version": sessionVersion},
			rpcBody(1, "tools/call", slow("disconnect-session"))},
		{"stateless", "disconnect-stateless", modernHeaders("tools/call", "slow"),
			modernBody(1, "tools/call", slow("disconnect-stateless"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mark := tt.mark
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := h.do(ctx, http.MethodPost, tt.hdr, tt.body)
				done <- err
			}()
			waitFile(t, filepath.Join(marks, mark+".started"), 10*time.Second)
			cancel()
			if got := waitFile(t, filepath.Join(marks, mark), 5*time.Second); !strings.Contains(got, "canceled") {
				t.Errorf("got marker %q, want the plugin's context cancelled", got)
			}
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("got %v from the abandoned request, want context.Canceled", err)
			}
		})
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestPluginCrash checks a plugin that dies mid-call: the call fails with a
// retryable JSON-RPC error, the host and its other plugins keep serving, and
// the plugin is restarted.
func TestPluginCrash(t *testing.T) {
	h := startHost(t, hostConfig("", `
[[plugins]]
name = "echo"
path = "@BIN@/echo"
`+probePlugin("")))
	sid := h.initialize(t, sessionVersion)

	r := h.inSession(t, sid, rpcBody(1, "tools/call", map[string]any{"name": "exit", "arguments": map[string]any{}}))
	t.Logf("the call that killed the plugin got %d %s", r.Status, r.Body)
	wantID(t, wantError(t, r, http.StatusOK, -32003, "probe"), "1")
	if !waitGone(h.plugins["probe"], 5*time.Second) {
		t.Fatalf("the probe (pid %d) is still running after exiting", h.plugins["probe"])
	}

	if res := h.callTool(t, sid, "echo", map[string]any{"message": "still serving"}); res.IsError {
		t.Errorf("echo after the probe died: %s", res.text())
	}
	wantResult(t, h.post(t, modernHeaders("tools/list", ""), modernBody(3, "tools/list", nil)))

	t.Run("the exit is logged", func(t *testing.T) {
		if _, err := h.log.waitFor(5*time.Second, nil, func(r logRecord) bool {
			return r["plugin"] == "probe" && strings.Contains(strings.ToLower(r.msg()), "exit")
		}); err != nil {
			t.Errorf("no log line tagged plugin=probe about its exit: %v", err)
		}
	})

	t.Run("the plugin is restarted and serves again", func(t *testing.T) {
		start := time.Now()
		deadline := start.Add(10 * time.Second)
		for {
			r := h.inSession(t, sid, rpcBody(4, "tools/call", map[string]any{"name": "fail", "arguments": map[string]any{"message": "back"}}))
			if m := wantJSONRPC(t, r); m.Error == nil {
				t.Logf("served again %s after the crash", time.Since(start).Round(time.Millisecond))
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("still failing 10s after the crash: %s", r.Body)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if _, err := h.log.waitFor(5*time.Second, nil, func(r logRecord) bool {
			return r["plugin"] == "probe" && r.msg() == "plugin restarted"
		}); err != nil {
			t.Errorf("no \"plugin restarted\" log line: %v", err)
		}
	})
}

// TestHostKilled checks that no plugin outlives a host killed with SIGKILL,
// when none of its own cleanup can run.
func TestHostKilled(t *testing.T) {
	h := startHost(t, hostConfig("", `
[[plugins]]
name = "echo"
path = "@BIN@/echo"
`+probePlugin("")))
	if len(h.plugins) != 2 {
		t.Fatalf("got plugins %v, want echo and probe", h.plugins)
	}
	h.kill(t) // fails the test if a plugin is still running 5s later
}
