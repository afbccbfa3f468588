//go:build unix

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The chaos tests run a bounded concurrent load on two plugins (echo, and
// the probe's slow tool, whose calls stay in flight for a while) and break
// things under it: a plugin killed, a binary replaced, a broken config, a
// plugin added and removed. Each counts every call's outcome per plugin and
// logs the counts.

const loadWorkers = 8

// target is what one worker calls.
type target struct {
	plugin, tool string
	args         map[string]any
}

// chaosTargets: half the workers on echo, half on probe's slow tool.
var chaosTargets = []target{
	{"echo", "echo", map[string]any{"message": "chaos"}},
	{"probe", "slow", map[string]any{"seconds": 0.02}},
}

// outcomes count the calls to one plugin.
type outcomes struct {
	ok, failed int
	errors     []string // the first few failures, for the log
}

// load is a running load generator.
type load struct {
	h      *hostProc
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	counts map[string]*outcomes
}

// startLoad starts loadWorkers workers calling the targets in turn, each
// call a stateless 2026-07-28 tools/call.
func startLoad(h *hostProc, targets []target) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{h: h, cancel: cancel, counts: map[string]*outcomes{}}
	for _, tg := range targets {
		l.counts[tg.plugin] = &outcomes{}
	}
	for i := range loadWorkers {
		tg := targets[i%len(targets)]
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for n := 0; ctx.Err() == nil; n++ {
				err := l.call(ctx, tg, fmt.Sprintf("w%d-%d", i, n))
				if ctx.Err() != nil && err != nil {
					return // cut short by stop, not by the host
				}
				l.record(tg.plugin, err)
			}
		}()
	}
	return l
}

// call makes one call and says how it failed, if it did.
func (l *load) call(ctx context.Context, tg target, id string) error {
	body := modernBody(id, "tools/call", map[string]any{"name": tg.tool, "arguments": tg.args})
	r, err := l.h.do(ctx, "POST", modernHeaders("tools/call", tg.tool), body)
	if err != nil {
		return err
	}
	var m struct {
		Result *toolResult `json:"result"`
		Error  *rpcError   `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &m); err != nil {
		return fmt.Errorf("status %d, body %q", r.Status, r.Body)
	}
	switch {
	case m.Error != nil:
		return fmt.Errorf("error %d: %s", m.Error.Code, m.Error.Message)
	case m.Result == nil:
		return fmt.Errorf("status %d, no result: %s", r.Status, r.Body)
	case m.Result.IsError:
		return fmt.Errorf("isError: %s", m.Result.text())
	}
	return nil
}

func (l *load) record(plugin string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	o := l.counts[plugin]
	if err == nil {
		o.ok++
		return
	}
	o.failed++
	if len(o.errors) < 5 {
		o.errors = append(o.errors, err.Error())
	}
}

// snapshot returns the counts so far.
func (l *load) snapshot() map[string]outcomes {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]outcomes{}
	for k, v := range l.counts {
		out[k] = *v
	}
	return out
}

// waitCalls waits until every plugin has at least n more successful calls
// than in since.
func (l *load) waitCalls(t *testing.T, since map[string]outcomes, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		now := l.snapshot()
		done := true
		for p, o := range now {
			if o.ok-since[p].ok < n {
				done = false
			}
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the load did not make %d more successful calls per plugin within %s: %+v", n, timeout, now)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop ends the load and logs and returns the counts.
func (l *load) stop(t *testing.T) map[string]outcomes {
	t.Helper()
	l.cancel()
	l.wg.Wait()
	counts := l.snapshot()
	for _, p := range slices.Sorted(maps.Keys(counts)) {
		o := counts[p]
		t.Logf("calls to %s: %d ok, %d failed %q", p, o.ok, o.failed, o.errors)
	}
	return counts
}

// wantNoFailures fails the test for every failed call to the plugins.
func wantNoFailures(t *testing.T, counts map[string]outcomes, plugins ...string) {
	t.Helper()
	for _, p := range plugins {
		if o := counts[p]; o.failed > 0 || o.ok == 0 {
			t.Errorf("calls to %s: %d ok, %d failed (%q); want all to succeed", p, o.ok, o.failed, o.errors)
		}
	}
}

// chaosConfig is echo and the probe, the probe's binary at probePath.
func chaosConfig(probePath, extra string) string {
	return hostConfig("", `
[[plugins]]
name = "echo"
path = "@BIN@/echo"

[[plugins]]
name = "probe"
path = `+tomlString(probePath)+`
`+extra)
}

// copyBinary copies a built binary into dir, adding tail to its end (an
// ELF file runs the same with bytes after it), so that it has another
// digest. The copy is written beside the destination and renamed over it,
// the safe way to replace a plugin binary.
func copyBinary(t *testing.T, name, dst, tail string) {
	t.Helper()
	b, err := os.ReadFile(bin(name))
	if err != nil {
		t.Fatal(err)
	}
	tmp := dst + ".new"
	if err := os.WriteFile(tmp, append(b, tail...), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}

// writeConfigAtomic replaces the host's config file the way editors do:
// a new file renamed over the old.
func writeConfigAtomic(t *testing.T, h *hostProc, cfg string) {
	t.Helper()
	tmp := h.cfgPath + ".swp"
	if err := os.WriteFile(tmp, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, h.cfgPath); err != nil {
		t.Fatal(err)
	}
}

// waitLog waits for the n-th log record with message msg and returns it.
func waitLog(t *testing.T, h *hostProc, msg string, n int, timeout time.Duration) logRecord {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		seen := 0
		for _, r := range h.log.records() {
			if r.msg() == msg {
				if seen++; seen == n {
					return r
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %d-th %q log line within %s\n%s", n, msg, timeout, h.log.tail(50))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// latestPID is the pid of the last process started for the plugin.
func latestPID(h *hostProc, plugin string) int {
	pid := 0
	for _, r := range h.log.records() {
		if r.msg() == "plugin started" && r["plugin"] == plugin {
			p, _ := r["pid"].(float64)
			pid = int(p)
		}
	}
	return pid
}

// toolNames lists the host's tools with a stateless tools/list.
func toolNames(t *testing.T, h *hostProc) []string {
	t.Helper()
	r := h.post(t, modernHeaders("tools/list", ""), modernBody("list", "tools/list", nil))
	var res struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	mustUnmarshal(t, wantResult(t, r), &res)
	var names []string
	for _, tl := range res.Tools {
		names = append(names, tl.Name)
	}
	return names
}

// startChaosHost starts the host on echo and a copy of the probe binary in
// its own directory, so the test may replace it.
func startChaosHost(t *testing.T, extra string) (*hostProc, string) {
	t.Helper()
	probePath := filepath.Join(t.TempDir(), "probe")
	copyBinary(t, "probe", probePath, "")
	return startHost(t, chaosConfig(probePath, extra)), probePath
}

// TestChaosPluginKilled: SIGKILL a plugin under load. Only the calls in
// flight on it fail; it is back within a bound; the other plugin loses
// nothing.
func TestChaosPluginKilled(t *testing.T) {
	h, _ := startChaosHost(t, "")
	l := startLoad(h, chaosTargets)
	l.waitCalls(t, nil, 20, 10*time.Second)

	pid := latestPID(h, "probe")
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitLog(t, h, "plugin restarted", 1, 10*time.Second)
	back := time.Since(killed)
	l.waitCalls(t, l.snapshot(), 20, 10*time.Second)
	counts := l.stop(t)

	t.Logf("probe (pid %d) killed; serving again after %s (new pid %d)", pid, back.Round(time.Millisecond), latestPID(h, "probe"))
	if back > 5*time.Second {
		t.Errorf("the killed plugin took %s to come back, want under 5s", back)
	}
	wantNoFailures(t, counts, "echo")
	// At most one call per probe worker was in flight when the process died.
	if p := counts["probe"]; p.failed > loadWorkers/2 {
		t.Errorf("%d probe calls failed, want at most the %d in flight when it was killed: %q", p.failed, loadWorkers/2, p.errors)
	}
}

// TestChaosUpgrade: replace the probe's binary on disk under load. The
// host starts the new one beside the old, moves the traffic and drains the
// old: no call fails.
func TestChaosUpgrade(t *testing.T) {
	h, probePath := startChaosHost(t, "")
	oldPID := latestPID(h, "probe")
	l := startLoad(h, chaosTargets)
	l.waitCalls(t, nil, 20, 10*time.Second)

	copyBinary(t, "probe", probePath, "\x00upgrade-1")
	rec := waitLog(t, h, "reload applied", 1, 15*time.Second)
	l.waitCalls(t, l.snapshot(), 20, 10*time.Second)
	counts := l.stop(t)

	if ch, _ := rec["changes"].(string); !strings.Contains(ch, "upgraded probe") {
		t.Errorf("the reload changed %q, want the probe upgraded", ch)
	}
	newPID := latestPID(h, "probe")
	t.Logf("probe upgraded from pid %d to pid %d", oldPID, newPID)
	if newPID == oldPID {
		t.Errorf("the probe still runs as pid %d after its binary changed", oldPID)
	}
	if !waitGone(oldPID, 10*time.Second) {
		t.Errorf("the old probe process (pid %d) still runs after the upgrade", oldPID)
	}
	delete(h.plugins, "probe") // the old pid is checked above
	wantNoFailures(t, counts, "echo", "probe")
}

// TestChaosBrokenConfig: a broken mcp.toml under load is refused, the old
// config keeps serving, the refusal is counted, and `toolgate reload`
// reports it.
func TestChaosBrokenConfig(t *testing.T) {
	h, probePath := startChaosHost(t, "")
	l := startLoad(h, chaosTargets)
	l.waitCalls(t, nil, 20, 10*time.Second)

	writeConfigAtomic(t, h, chaosConfig(probePath, "[tools.echo]\nmax_queue = \"many\"\n"))
	rec := waitLog(t, h, "reload refused: the config in service is kept", 1, 15*time.Second)
	l.waitCalls(t, l.snapshot(), 20, 10*time.Second)
	counts := l.stop(t)
	wantNoFailures(t, counts, "echo", "probe")

	if e, _ := rec["error"].(string); !strings.Contains(e, "tools.echo.max_queue") {
		t.Errorf("the refusal says %q, want it to name tools.echo.max_queue", e)
	}
	if got := h.metric(t, `toolgate_config_reloads_total{result="refused"}`); got != "1" {
		t.Errorf(`toolgate_config_reloads_total{result="refused"} = %s, want 1`, got)
	}
	code, stdout, stderr := runToolgate(t, "reload", "--config", h.cfgPath)
	if code != 1 || !strings.Contains(stderr, "refused") || !strings.Contains(stderr, "tools.echo.max_queue") {
		t.Errorf("toolgate reload on the broken file: exit %d, stdout %q, stderr %q; want 1 naming the key", code, stdout, stderr)
	}

	// A key that cannot change while serving is refused by name.
	writeConfigAtomic(t, h, strings.Replace(chaosConfig(probePath, ""), "[server]\n", "[server]\npage_size = 7\n", 1))
	code, _, stderr = runToolgate(t, "reload", "--config", h.cfgPath)
	if code != 1 || !strings.Contains(stderr, "server.page_size cannot change while serving") {
		t.Errorf("toolgate reload with server.page_size changed: exit %d, stderr %q; want 1 naming the key", code, stderr)
	}

	// The fixed file applies.
	writeConfigAtomic(t, h, chaosConfig(probePath, ""))
	code, stdout, stderr = runToolgate(t, "reload", "--config", h.cfgPath)
	if code != 0 || !strings.Contains(stdout, "applied") {
		t.Errorf("toolgate reload on the fixed file: exit %d, stdout %q, stderr %q; want 0, applied", code, stdout, stderr)
	}
	if got := h.metric(t, `toolgate_config_reloads_total{result="applied"}`); got == "missing" || got == "0" {
		t.Errorf(`toolgate_config_reloads_total{result="applied"} = %s, want at least 1`, got)
	}
}

// TestChaosAddRemove: add a plugin under load, then remove it. tools/list
// follows, clients of both eras are told each time, and the calls to the
// others never fail.
func TestChaosAddRemove(t *testing.T) {
	h, probePath := startChaosHost(t, "")
	before := toolNames(t, h)
	watchers := watchListChanges(t, h)
	l := startLoad(h, chaosTargets)
	l.waitCalls(t, nil, 20, 10*time.Second)

	files := `
[[plugins]]
name = "files"
path = "@BIN@/files"

[plugins.config]
root = ` + tomlString(filesRoot(t)) + "\n"
	writeConfigAtomic(t, h, chaosConfig(probePath, files))
	waitLog(t, h, "reload applied", 1, 15*time.Second)
	added := toolNames(t, h)
	l.waitCalls(t, l.snapshot(), 20, 10*time.Second)
	watchers.want(t, "after adding files")

	writeConfigAtomic(t, h, chaosConfig(probePath, ""))
	waitLog(t, h, "reload applied", 2, 15*time.Second)
	after := toolNames(t, h)
	watchers.want(t, "after removing files")
	l.waitCalls(t, l.snapshot(), 20, 10*time.Second)
	counts := l.stop(t)

	t.Logf("tools before %v, with files %v, after %v", before, added, after)
	if len(added) <= len(before) {
		t.Errorf("adding the files plugin did not add its tools: before %v, after %v", before, added)
	}
	if !slices.Equal(before, after) {
		t.Errorf("after removing the files plugin tools/list is %v, want %v", after, before)
	}
	wantNoFailures(t, counts, "echo", "probe")
}

// listWatchers are a session-era GET stream and a 2026-07-28 listen stream
// waiting for tools/list changes.
type listWatchers struct{ get, listen *sseStream }

// watchListChanges opens both streams and reads what they send first (the
// GET stream's priming event, the listen acknowledgement).
func watchListChanges(t *testing.T, h *hostProc) *listWatchers {
	t.Helper()
	sid := h.initialize(t, "2025-11-25")
	w := &listWatchers{
		get: h.openStream(t, t.Context(), http.MethodGet, sessionHeaders(sid), ""),
		listen: h.openStream(t, t.Context(), http.MethodPost, modernHeaders("subscriptions/listen", ""),
			modernBody("watch", "subscriptions/listen", map[string]any{"notifications": map[string]any{"toolsListChanged": true}})),
	}
	if ev, err := w.get.next(); err != nil || ev.Data != "" {
		t.Fatalf("GET stream: got %+v, %v; want the priming event", ev, err)
	}
	if ev, err := w.listen.next(); err != nil || decodeEvent(t, ev).Method != "notifications/subscriptions/acknowledged" {
		t.Fatalf("listen stream: got %+v, %v; want the acknowledgement", ev, err)
	}
	return w
}

// want checks that each stream's next message is notifications/tools/list_changed.
func (w *listWatchers) want(t *testing.T, when string) {
	t.Helper()
	for name, st := range map[string]*sseStream{"GET": w.get, "listen": w.listen} {
		ev, err := st.nextWithin(15 * time.Second)
		if err != nil {
			t.Fatalf("%s: %s stream: %v", when, name, err)
		}
		if m := decodeEvent(t, ev); m.Method != "notifications/tools/list_changed" {
			t.Errorf("%s: %s stream got %s, want notifications/tools/list_changed", when, name, ev.Data)
		}
	}
}
