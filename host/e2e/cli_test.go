//go:build unix

package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sha256File returns the hex SHA-256 of a file.
func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// shippedConfig returns the repository's mcp.toml with its plugin paths
// pointed at the built binaries.
func shippedConfig(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(srcRoot, "mcp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(doc)
	for _, p := range []string{"echo", "files"} {
		old := `path = "bin/` + p + `"`
		if !strings.Contains(cfg, old) {
			t.Fatalf("the shipped mcp.toml has no %s line", old)
		}
		cfg = strings.Replace(cfg, old, "path = "+tomlString(bin(p)), 1)
	}
	return cfg
}

func TestCheckShippedConfig(t *testing.T) {
	path := writeConfig(t, shippedConfig(t))
	code, stdout, stderr := runToolgate(t, "check", "--config", path)
	if code != 0 {
		t.Fatalf("toolgate check: got exit code %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	want := []struct{ tool, plugin, scopes string }{
		{"echo", "echo", "tools:echo"},
		{"list_directory", "files", "files:read"},
		{"read_file", "files", "files:read"},
		{"search_files", "files", "files:read"},
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) < len(want)+1 || !regexp.MustCompile(`^TOOL\s+PLUGIN\s+SCOPES\s+TIMEOUT$`).MatchString(lines[0]) {
		t.Fatalf("got output\n%s\nwant a TOOL PLUGIN SCOPES TIMEOUT table", stdout)
	}
	for i, w := range want {
		fields := strings.Fields(lines[i+1])
		if len(fields) != 4 || fields[0] != w.tool || fields[1] != w.plugin || fields[2] != w.scopes || fields[3] != "1m0s" {
			t.Errorf("table row %d: got %q, want %s %s %s 1m0s", i+1, lines[i+1], w.tool, w.plugin, w.scopes)
		}
	}
	if !strings.Contains(stdout, "OK, 2 plugins, 4 tools") {
		t.Errorf("got output\n%s\nwant it to end with OK, 2 plugins, 4 tools", stdout)
	}
}

// TestCheckTimeoutsAndScopes checks the table shows the timeout and scopes
// each tool ends up with: [tools.NAME] over the plugin's over the server's.
func TestCheckTimeoutsAndScopes(t *testing.T) {
	cfg := hostConfig("call_timeout = \"45s\"", `
[[plugins]]
name = "echo"
path = "@BIN@/echo"
call_timeout = "5s"

[[plugins]]
name = "files"
path = "@BIN@/files"
call_timeout = "7s"

[plugins.config]
root = `+tomlString(t.TempDir())+`

[[plugins]]
name = "probe"
path = "@BIN@/probe"

[tools.echo]
call_timeout = "2s"
scopes = ["a:b", "c:d"]

[tools.read_file]
scopes = []
`)
	code, stdout, stderr := runToolgate(t, "check", "--config", writeConfig(t, cfg))
	if code != 0 {
		t.Fatalf("got exit code %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(stdout, "\n") {
		if f := strings.Fields(line); len(f) >= 4 {
			rows[f[0]] = f[1:]
		}
	}
	want := map[string]string{
		"echo":           "echo a:b c:d 2s",
		"read_file":      "files - 7s",
		"list_directory": "files files:read 7s",
		"slow":           "probe - 45s",
	}
	for tool, w := range want {
		if got := strings.Join(rows[tool], " "); got != w {
			t.Errorf("row %s: got %q, want %q", tool, got, w)
		}
	}
	if !strings.Contains(stdout, "OK, 3 plugins, 15 tools") {
		t.Errorf("got\n%s\nwant OK, 3 plugins, 15 tools", stdout)
	}
}

func TestStartupFailures(t *testing.T) {
	echoDigest := sha256File(t, bin("echo"))
	const zeros = "0000000000000000000000000000000000000000000000000000000000000000"
	badKey := hostConfig("lissten = \"127.0.0.1:1\"", `
[[plugins]]
name = "echo"
path = "@BIN@/echo"
`)
	tests := []struct {
		name string
		cfg  string
		want []string // in stderr
	}{
		{
			name: "sha256 mismatch",
			cfg: hostConfig("", `
[[plugins]]
name = "echo"
path = "@BIN@/echo"
sha256 = "`+zeros+`"
`),
			want: []string{echoDigest, zeros, "echo"},
		},
		{
			name: "duplicate tool names",
			cfg: hostConfig("", `
[[plugins]]
name = "echo1"
path = "@BIN@/echo"

[[plugins]]
name = "echo2"
path = "@BIN@/echo"
`),
			want: []string{"plugin echo1", "plugin echo2", "unique"},
		},
		{
			name: "unknown key",
			cfg:  badKey,
			want: []string{"server.lissten", "line " + strconv.Itoa(lineOf(badKey, "lissten"))},
		},
		{
			name: "missing plugin binary",
			cfg: hostConfig("", `
[[plugins]]
name = "ghost"
path = "bin/ghost"
`),
			want: []string{"ghost", "go build"},
		},
		{
			name: "tools table for no tool",
			cfg: hostConfig("", `
[[plugins]]
name = "echo"
path = "@BIN@/echo"

[tools.ecko]
call_timeout = "1s"
`),
			want: []string{"tools.ecko", "no plugin offers"},
		},
		{
			name: "plugin setup fails",
			cfg: hostConfig("", `
[[plugins]]
name = "files"
path = "@BIN@/files"

[plugins.config]
root = "/nonexistent/files/root"
`),
			want: []string{"files", "/nonexistent/files/root"},
		},
		{
			name: "not a plugin",
			cfg: hostConfig("", `
[[plugins]]
name = "imposter"
path = "@BIN@/toolgate"
args = ["version"]
`),
			want: []string{"imposter"},
		},
		{
			name: "bad value",
			cfg: hostConfig("call_timeout = \"soon\"", `
[[plugins]]
name = "echo"
path = "@BIN@/echo"
`),
			want: []string{"server.call_timeout", "soon"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, command := range []string{"serve", "check"} {
				code, _, stderr := runToolgate(t, command, "--config", writeConfig(t, tt.cfg))
				if code == 0 {
					t.Errorf("toolgate %s: got exit code 0, want non-zero\nstderr:\n%s", command, stderr)
					continue
				}
				for _, w := range tt.want {
					if !strings.Contains(stderr, w) {
						t.Errorf("toolgate %s: stderr does not mention %q:\n%s", command, w, stderr)
					}
				}
			}
		})
	}
}

func TestPinnedDigestStarts(t *testing.T) {
	digest := sha256File(t, bin("echo"))
	h := startHost(t, hostConfig("", `
[[plugins]]
name = "echo"
path = "@BIN@/echo"
sha256 = "`+strings.ToUpper(digest)+`"
`))
	rec, err := h.log.waitFor(time.Second, nil, func(r logRecord) bool { return r.msg() == "plugin started" })
	if err != nil {
		t.Fatal(err)
	}
	if got := rec["sha256"]; got != digest {
		t.Errorf("got logged sha256 %v, want %s", got, digest)
	}
	sid := h.initialize(t, sessionVersion)
	if res := h.callTool(t, sid, "echo", map[string]any{"message": "pinned"}); res.IsError {
		t.Errorf("echo: %s", res.text())
	}
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr *regexp.Regexp
	}{
		{"version", []string{"version"}, 0, regexp.MustCompile(`^toolgate \S+\n$`), regexp.MustCompile(`^$`)},
		{"help", []string{"help"}, 0, regexp.MustCompile(`(?s)^usage: toolgate .*serve.*check.*version`), regexp.MustCompile(`^$`)},
		{"unknown command", []string{"bogus"}, 2, regexp.MustCompile(`^$`), regexp.MustCompile(`unknown command "bogus"`)},
		{"unknown flag", []string{"serve", "--nope"}, 2, regexp.MustCompile(`^$`), regexp.MustCompile(`-nope`)},
		{"missing config", []string{"check", "--config", "/nonexistent/mcp.toml"}, 1, regexp.MustCompile(`^$`),
			regexp.MustCompile(`/nonexistent/mcp.toml`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runToolgate(t, tt.args...)
			if code != tt.code {
				t.Errorf("got exit code %d, want %d", code, tt.code)
			}
			if !tt.stdout.MatchString(stdout) {
				t.Errorf("got stdout %q, want it to match %s", stdout, tt.stdout)
			}
			if !tt.stderr.MatchString(stderr) {
				t.Errorf("got stderr %q, want it to match %s", stderr, tt.stderr)
			}
		})
	}
}

// TestPluginRunByHand checks a plugin binary started outside a host says
// what it is and exits.
func TestPluginRunByHand(t *testing.T) {
	for _, p := range []string{"echo", "files", "probe"} {
		t.Run(p, func(t *testing.T) {
			cmd := exec.Command(bin(p))
			cmd.Env = []string{}
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Errorf("got exit status 0, want an error")
			}
			if !strings.Contains(string(out), "plugin") {
				t.Errorf("got output %q, want it to say it is a plugin", out)
			}
		})
	}
}

func TestSIGTERM(t *testing.T) {
	h := startHost(t, hostConfig("", shippedPlugins(t.TempDir())+probePlugin("")))
	if len(h.plugins) != 3 {
		t.Fatalf("got plugin pids %v, want 3 plugins", h.plugins)
	}
	for name, pid := range h.plugins {
		if !alive(pid) {
			t.Fatalf("plugin %s (pid %d) is not running", name, pid)
		}
	}
	sid := h.initialize(t, sessionVersion)
	h.callTool(t, sid, "echo", map[string]any{"message": "before SIGTERM"})

	// stop sends SIGTERM and fails the test unless toolgate exits with 0
	// and every plugin is gone.
	h.stop(t)
	if code := h.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("got exit code %d, want 0", code)
	}
	for name, pid := range h.plugins {
		if alive(pid) {
			t.Errorf("plugin %s (pid %d) outlived toolgate", name, pid)
		}
	}
	if _, err := h.log.waitFor(time.Second, nil, func(r logRecord) bool { return r.msg() == "stopped" }); err != nil {
		t.Errorf("no \"stopped\" log line: %v", err)
	}
}

// TestServingURL checks the "serving MCP" log line names the endpoint
// clients can reach, also when the port was chosen at random.
func TestServingURL(t *testing.T) {
	h := startHost(t, hostConfig("", ""))
	rec, err := h.log.waitFor(time.Second, nil, func(r logRecord) bool { return r.msg() == "serving MCP" })
	if err != nil {
		t.Fatal(err)
	}
	if got := rec["url"]; got != h.url {
		t.Errorf("got url %v, want %s (listen %s)", got, h.url, h.addr)
	}
}

// TestGracefulShutdown interrupts a host the way a terminal's Ctrl-C does,
// with SIGINT to its whole process group, while a call runs: the call
// finishes, then the host exits with 0 and stops its plugins.
func TestGracefulShutdown(t *testing.T) {
	for _, era := range []string{"session era", "stateless"} {
		t.Run(era, func(t *testing.T) {
			marks := t.TempDir()
			h := startHost(t, hostConfig("", probePlugin(`PROBE_MARK_DIR = `+tomlString(marks))))
			hdr, body := modernHeaders("tools/call", "slow"), modernBody(1, "tools/call",
				map[string]any{"name": "slow", "arguments": map[string]any{"seconds": 1, "mark": "drain"}})
			if era == "session era" {
				sid := h.initialize(t, sessionVersion)
				hdr = headers{"Mcp-Session-Id": sid, "MCP-Protocol-Version": sessionVersion}
				body = rpcBody(1, "tools/call", map[string]any{"name": "slow", "arguments": map[string]any{"seconds": 1, "mark": "drain"}})
			}
			type answer struct {
				r   *reply
				err error
			}
			done := make(chan answer, 1)
			go func() {
				r, err := h.do(t.Context(), http.MethodPost, hdr, body)
				done <- answer{r, err}
			}()
			waitFile(t, filepath.Join(marks, "drain.started"), 10*time.Second)
			if err := syscall.Kill(-h.cmd.Process.Pid, syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			a := <-done
			if a.err != nil {
				t.Fatalf("the running call: %v", a.err)
			}
			var res toolResult
			mustUnmarshal(t, wantResult(t, a.r), &res)
			if res.IsError || res.text() != "slept" {
				t.Errorf("got isError %v text %q, want the running call to finish", res.IsError, res.text())
			}
			select {
			case <-h.exited:
			case <-time.After(15 * time.Second):
				t.Fatal("toolgate did not exit within 15s of SIGINT")
			}
			if h.waitErr != nil {
				t.Errorf("toolgate exited with %v, want status 0", h.waitErr)
			}
		})
	}
}
