//go:build linux

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// vmSize reads a process's address space size from /proc, for the log.
func vmSize(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return err.Error()
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmSize:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmSize:"))
		}
	}
	return "unknown"
}

// TestMemoryLimit: a plugin that allocates past plugins.memory_limit fails
// its call and is restarted with the limit in force again; its other calls
// come back.
func TestMemoryLimit(t *testing.T) {
	h := startHost(t, hostConfig("", `
[[plugins]]
name = "probe"
path = "@BIN@/probe"
memory_limit = 4294967296
`))
	pid := latestPID(h, "probe")
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		t.Fatal(err)
	}
	as := grepLines(string(limits), "Max address space")
	t.Logf("probe pid %d: VmSize %s; %s", pid, vmSize(pid), as)
	if !strings.Contains(as, "4294967296") {
		t.Fatalf("the probe's address space limit is %q, want 4294967296", as)
	}

	r := h.post(t, modernHeaders("tools/call", "alloc"), modernBody(1, "tools/call", map[string]any{"name": "alloc", "arguments": map[string]any{"mib": 64}}))
	wantResult(t, r)
	r = h.post(t, modernHeaders("tools/call", "alloc"), modernBody(2, "tools/call", map[string]any{"name": "alloc", "arguments": map[string]any{"mib": 8192}}))
	if m := wantJSONRPC(t, r); m.Error == nil {
		t.Fatalf("allocating 8 GiB under a 4 GiB limit succeeded: %s", r.Body)
	} else {
		t.Logf("the call over the limit: %d %s", m.Error.Code, m.Error.Message)
	}
	waitLog(t, h, "plugin restarted", 1, 10*time.Second)
	newPID := latestPID(h, "probe")
	if newPID == pid {
		t.Fatalf("no new probe process after the one over its limit died")
	}
	limits, _ = os.ReadFile(fmt.Sprintf("/proc/%d/limits", newPID))
	if as := grepLines(string(limits), "Max address space"); !strings.Contains(as, "4294967296") {
		t.Errorf("the restarted probe's address space limit is %q, want 4294967296", as)
	}
	r = h.post(t, modernHeaders("tools/call", "alloc"), modernBody(3, "tools/call", map[string]any{"name": "alloc", "arguments": map[string]any{"mib": 16}}))
	wantResult(t, r)
}

// TestHungPlugin: a plugin that stops answering (SIGSTOP) fails its health
// pings, is killed and restarted, and its tools answer again.
func TestHungPlugin(t *testing.T) {
	h := startHost(t, hostConfig("", `
[[plugins]]
name = "probe"
path = "@BIN@/probe"
ping_interval = "200ms"
`))
	pid := latestPID(h, "probe")
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	waitLog(t, h, "plugin is hung: killing it to restart it", 1, 10*time.Second)
	waitLog(t, h, "plugin restarted", 1, 10*time.Second)
	t.Logf("hung probe (pid %d) replaced by pid %d after %s", pid, latestPID(h, "probe"), time.Since(stopped).Round(time.Millisecond))
	if !waitGone(pid, 5*time.Second) {
		t.Errorf("the hung probe (pid %d) still runs", pid)
	}
	r := h.post(t, modernHeaders("tools/call", "slow"), modernBody(1, "tools/call", map[string]any{"name": "slow", "arguments": map[string]any{"seconds": 0}}))
	wantResult(t, r)
}

// TestParkedHidden: with plugins.when_parked = "hide", a plugin that keeps
// failing to restart is parked and its tools leave tools/list; a working
// binary put back (renamed into place) brings them back through a reload.
func TestParkedHidden(t *testing.T) {
	probePath := filepath.Join(t.TempDir(), "probe")
	copyBinary(t, "probe", probePath, "")
	h := startHost(t, chaosConfig(probePath, "when_parked = \"hide\"\n"))
	before := toolNames(t, h)

	// A binary that cannot run, then the process killed: every restart
	// fails until the circuit opens.
	broken := probePath + ".broken"
	if err := os.WriteFile(broken, []byte("not a program\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(broken, probePath); err != nil {
		t.Fatal(err)
	}
	pid := latestPID(h, "probe")
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	delete(h.plugins, "probe")
	waitLog(t, h, "plugin keeps failing: parked", 1, 20*time.Second)
	hidden := toolNames(t, h)
	t.Logf("tools before %v, while parked %v", before, hidden)
	if slices.Contains(hidden, "slow") || !slices.Contains(hidden, "echo") {
		t.Errorf("while the probe is parked tools/list is %v, want echo's tools without the probe's", hidden)
	}
	if got := h.metric(t, `toolgate_plugin_circuit_open{plugin="probe"}`); got != "1" {
		t.Errorf(`toolgate_plugin_circuit_open{plugin="probe"} = %s, want 1`, got)
	}

	copyBinary(t, "probe", probePath, "")
	waitLog(t, h, "reload applied", 1, 15*time.Second)
	if after := toolNames(t, h); !slices.Equal(after, before) {
		t.Errorf("after the binary was fixed tools/list is %v, want %v", after, before)
	}
}

// TestShutdownStoppedPlugin: a plugin that cannot answer the request to
// exit (stopped, and not yet found hung) does not hold the host's
// shutdown: it is killed after a grace period.
func TestShutdownStoppedPlugin(t *testing.T) {
	h := startHost(t, hostConfig("", `
[[plugins]]
name = "probe"
path = "@BIN@/probe"
ping_interval = "10m"
`))
	pid := latestPID(h, "probe")
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	h.stop(t) // fails the test unless the host exits with 0 and the plugin is gone
	t.Logf("the host stopped in %s with its plugin stopped (SIGSTOP)", time.Since(start).Round(time.Millisecond))
	waitLog(t, h, "plugin did not exit when asked: killing it", 1, time.Second)
}
