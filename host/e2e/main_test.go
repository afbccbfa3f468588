//go:build unix

// Package e2e tests Toolgate end to end: it builds the real toolgate binary,
// the shipped plugins and a probe plugin (testdata/probe), runs
// `toolgate serve` on a free loopback port and talks to it over HTTP, both
// with raw requests and with the official Go SDK client.
package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binDir holds the binaries TestMain built: toolgate, echo, files,
// everything, probe; srcRoot is the module they were built from.
var binDir, srcRoot string

var watchOnce sync.Once

// bin returns the path of a built binary.
func bin(name string) string {
	// go test records only what the tests touch, and TestMain runs before
	// it records anything.
	watchOnce.Do(func() { watchSources(srcRoot) })
	return filepath.Join(binDir, name)
}

// hostCanary is set in every host's environment; no plugin may see it.
const hostCanary = "E2E_HOST_CANARY"

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		fmt.Fprintln(os.Stderr, "e2e: skipped in -short mode (it builds and runs the real binaries)")
		return 0
	}
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: finding the module root with `go env GOMOD`: %v\n", err)
		return 1
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	dir, err := os.MkdirTemp("", "toolgate-e2e-bin-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)

	pkgs := []string{"./cmd/toolgate", "./plugins/echo", "./plugins/files", "./plugins/everything", "./host/e2e/testdata/probe"}
	fmt.Fprintf(os.Stderr, "e2e: building %s into %s\n", strings.Join(pkgs, " "), dir)
	start := time.Now()
	cmd := exec.Command("go", append([]string{"build", "-o", dir + string(filepath.Separator)}, pkgs...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build failed: %v\n%s", err, out)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: built in %s\n", time.Since(start).Round(time.Millisecond))
	binDir, srcRoot = dir, root
	return m.Run()
}

// watchSources stats every Go source and module file under root, so that
// go test's result cache, which only sees the files the test binary itself
// touches, is invalidated when the sources of the built binaries change.
func watchSources(root string) {
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") || d.Name() == "go.mod" || d.Name() == "go.sum" {
			_, _ = os.Stat(path)
		}
		return nil
	})
}

// hostConfig returns an mcp.toml that serves on a free loopback port without
// authorization and logs JSON lines, with extra keys for [server] and the
// rest of the file (plugins, tools). "@BIN@" in rest is replaced by the
// binaries' directory.
func hostConfig(server, rest string) string {
	return "[server]\nlisten = \"127.0.0.1:0\"\n" + server + "\n\n" +
		"[log]\nformat = \"json\"\nlevel = \"info\"\n\n" +
		"[auth]\nenabled = false\n\n" +
		strings.ReplaceAll(rest, "@BIN@", filepath.Dir(bin("toolgate"))) + "\n"
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string { return strconv.Quote(s) }

// hostProc is a running `toolgate serve`.
type hostProc struct {
	cmd     *exec.Cmd
	cfgPath string
	// url is the MCP endpoint; addr its host:port.
	url, addr string
	log       *logBuffer
	// plugins maps a plugin's name to its pid, from the "plugin started"
	// log lines.
	plugins map[string]int

	exited  chan struct{} // closed when the process has been waited for
	waitErr error

	stopOnce sync.Once
}

// startHost writes cfg to mcp.toml in a new temporary directory, starts
// `toolgate serve` on it and waits until it serves. The host is stopped with
// SIGTERM when the test ends; the test fails if it does not exit with 0 or a
// plugin outlives it.
func startHost(t *testing.T, cfg string) *hostProc {
	t.Helper()
	h := launch(t, cfg, "serve")
	t.Cleanup(func() { h.stop(t) })
	if err := h.waitServing(15 * time.Second); err != nil {
		t.Fatalf("toolgate did not start serving: %v\nits log:\n%s", err, h.log.String())
	}
	return h
}

// launch writes the config and starts toolgate with the given command.
func launch(t *testing.T, cfg, command string) *hostProc {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "mcp.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return run(t, path, command)
}

// run starts toolgate with the given command on the config file at path,
// in the config's directory.
func run(t *testing.T, path, command string) *hostProc {
	t.Helper()
	h := &hostProc{cfgPath: path, log: newLogBuffer(), plugins: map[string]int{}, exited: make(chan struct{})}
	h.cmd = exec.Command(bin("toolgate"), command, "--config", path)
	h.cmd.Dir = filepath.Dir(path)
	h.cmd.Env = hostEnv()
	h.cmd.Stdout = h.log
	h.cmd.Stderr = h.log
	// Its own process group, so a failed test can still reach every
	// plugin the host started.
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := h.cmd.Start(); err != nil {
		t.Fatalf("starting toolgate: %v", err)
	}
	go func() {
		h.waitErr = h.cmd.Wait()
		close(h.exited)
	}()
	return h
}

// hostEnv is the test's environment without TOOLGATE_* variables (which
// would override the config), plus the canary.
func hostEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TOOLGATE_") {
			env = append(env, kv)
		}
	}
	return append(env, hostCanary+"=the-host-environment-leaked")
}

// waitServing waits for the "serving MCP" log line and reads the address
// and the plugins' pids from the log.
func (h *hostProc) waitServing(timeout time.Duration) error {
	rec, err := h.log.waitFor(timeout, h.exited, func(r logRecord) bool { return r.msg() == "serving MCP" })
	if err != nil {
		return err
	}
	h.addr, _ = rec["listen"].(string)
	if h.addr == "" {
		return fmt.Errorf("the serving MCP line has no listen attribute: %v", rec)
	}
	h.url = "http://" + h.addr + "/mcp"
	for _, r := range h.log.records() {
		if r.msg() != "plugin started" {
			continue
		}
		name, _ := r["plugin"].(string)
		pid, _ := r["pid"].(float64)
		if name == "" || pid <= 0 {
			return fmt.Errorf("plugin started line without plugin or pid: %v", r)
		}
		h.plugins[name] = int(pid)
	}
	return nil
}

// stop sends SIGTERM and checks that the host exits with 0 and that no
// plugin process outlives it.
func (h *hostProc) stop(t *testing.T) { h.stopWith(t, syscall.SIGTERM) }

// kill is stop with SIGKILL: the host can clean nothing up, and still no
// plugin may outlive it.
func (h *hostProc) kill(t *testing.T) { h.stopWith(t, syscall.SIGKILL) }

func (h *hostProc) stopWith(t *testing.T, sig syscall.Signal) {
	t.Helper()
	h.stopOnce.Do(func() {
		_ = h.cmd.Process.Signal(sig)
		select {
		case <-h.exited:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-h.cmd.Process.Pid, syscall.SIGKILL)
			<-h.exited
			t.Errorf("toolgate did not exit within 20s of SIGTERM; killed it")
		}
		if h.waitErr != nil && sig == syscall.SIGTERM {
			t.Errorf("toolgate exited with %v after SIGTERM, want exit status 0", h.waitErr)
		}
		for name, pid := range h.plugins {
			if !waitGone(pid, 5*time.Second) {
				t.Errorf("plugin %s (pid %d) is still running 5s after toolgate exited", name, pid)
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		// Whatever is left in the group was started by this test.
		_ = syscall.Kill(-h.cmd.Process.Pid, syscall.SIGKILL)
		if t.Failed() {
			t.Logf("toolgate log (%s):\n%s", h.cfgPath, h.log.tail(200))
		}
	})
}

// waitGone polls until the process is gone (or a zombie), up to timeout.
func waitGone(pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if !alive(pid) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive reports whether pid names a running process; a zombie, which has
// exited and only waits to be reaped, does not count.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !os.IsNotExist(err) // no /proc: trust kill
	}
	// The state follows the parenthesised command name.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z' && stat[i+2] != 'X'
	}
	return true
}

// logRecord is one JSON log line of the host.
type logRecord map[string]any

// keyValues returns every value the JSON object line holds under key at its
// top level: more than one means the key is duplicated.
func keyValues(line, key string) []any {
	dec := json.NewDecoder(strings.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var out []any
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return out
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return out
		}
		if k == key {
			out = append(out, v)
		}
	}
	return out
}

// line returns the first raw output line containing s, waiting up to timeout.
func (b *logBuffer) line(s string, timeout time.Duration) (string, bool) {
	deadline := time.Now().Add(timeout)
	for {
		b.mu.Lock()
		for _, l := range b.lines {
			if strings.Contains(l, s) {
				b.mu.Unlock()
				return l, true
			}
		}
		changed := b.changed
		b.mu.Unlock()
		wait := time.Until(deadline)
		if wait <= 0 {
			return "", false
		}
		select {
		case <-changed:
		case <-time.After(wait):
		}
	}
}

func (r logRecord) msg() string { s, _ := r["msg"].(string); return s }

// logBuffer collects the host's output; it is safe for concurrent use.
type logBuffer struct {
	mu      sync.Mutex
	partial []byte
	lines   []string
	recs    []logRecord
	changed chan struct{} // closed and replaced on every new line
}

func newLogBuffer() *logBuffer { return &logBuffer{changed: make(chan struct{})} }

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.partial = append(b.partial, p...)
	added := false
	for {
		i := bytes.IndexByte(b.partial, '\n')
		if i < 0 {
			break
		}
		line := string(b.partial[:i])
		b.partial = b.partial[i+1:]
		b.lines = append(b.lines, line)
		var r logRecord
		if json.Unmarshal([]byte(line), &r) == nil {
			b.recs = append(b.recs, r)
		}
		added = true
	}
	if added {
		close(b.changed)
		b.changed = make(chan struct{})
	}
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n") + string(b.partial)
}

func (b *logBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := b.lines
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n") + string(b.partial)
}

func (b *logBuffer) records() []logRecord {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]logRecord(nil), b.recs...)
}

// waitFor returns the first record that matches, waiting up to timeout; it
// gives up early when done is closed (the process exited) and no record
// matches.
func (b *logBuffer) waitFor(timeout time.Duration, done <-chan struct{}, match func(logRecord) bool) (logRecord, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		changed := b.changed
		recs := b.recs
		b.mu.Unlock()
		for _, r := range recs {
			if match(r) {
				return r, nil
			}
		}
		select {
		case <-changed:
		case <-done:
			// The last lines may have landed just before the exit.
			for _, r := range b.records() {
				if match(r) {
					return r, nil
				}
			}
			return nil, errors.New("the process exited")
		case <-deadline.C:
			return nil, fmt.Errorf("no matching log line within %s", timeout)
		}
	}
}

// runToolgate runs toolgate to its end with the given arguments and returns
// its exit code, stdout and stderr; it fails the test if it runs longer than
// 30s.
func runToolgate(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(bin("toolgate"), args...)
	cmd.Env = hostEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting toolgate %s: %v", strings.Join(args, " "), err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		t.Fatalf("toolgate %s ran for more than 30s; killed it\nstderr:\n%s", strings.Join(args, " "), errb.String())
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // plugins it may have left
	var exit *exec.ExitError
	switch {
	case err == nil:
		code = 0
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("toolgate %s: %v", strings.Join(args, " "), err)
	}
	return code, out.String(), errb.String()
}

// writeConfig writes cfg into a new temporary directory and returns its path.
func writeConfig(t *testing.T, cfg string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mcp.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// lineOf returns the 1-based line of the first line of text holding s, or 0.
func lineOf(text, s string) int {
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		if strings.Contains(sc.Text(), s) {
			return n
		}
	}
	return 0
}
