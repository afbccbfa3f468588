//go:build unix

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestCallLimits checks plugins.max_concurrent / max_queue and the per-tool
// [tools.NAME] limits: calls beyond the slots wait in the queue, a call that
// finds the queue full is refused at once with a retryable error, and the
// queue shows on /metrics.
func TestCallLimits(t *testing.T) {
	h := startHost(t, hostConfig("", `
[[plugins]]
name = "probe"
path = "@BIN@/probe"
max_concurrent = 1
max_queue = 1

[[plugins]]
name = "echo"
path = "@BIN@/echo"

[tools.echo]
max_concurrent = 1
max_queue = 0
`))
	sid := h.initialize(t, sessionVersion)
	url := h.url
	call := func(id int, tool string, args map[string]any) (time.Duration, map[string]any) {
		body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": "tools/call",
			"params": map[string]any{"name": tool, "arguments": args}})
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Session-Id", sid)
		req.Header.Set("MCP-Protocol-Version", sessionVersion)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return time.Since(start), map[string]any{"transport": err.Error()}
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		return time.Since(start), m
	}
	queueDepth := func() string { return h.metric(t, `toolgate_plugin_queue_depth{plugin="probe"}`) }

	// One slow call runs, a second waits in the queue of one.
	results := make(chan map[string]any, 2)
	for i := range 2 {
		go func() {
			_, m := call(10+i, "slow", map[string]any{"seconds": 1.5})
			results <- m
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for queueDepth() != "1" {
		if time.Now().After(deadline) {
			t.Fatalf("toolgate_plugin_queue_depth{plugin=probe} never reached 1 (got %s)", queueDepth())
		}
		time.Sleep(10 * time.Millisecond)
	}

	took, m := call(20, "fail", map[string]any{"message": "x"})
	e, _ := m["error"].(map[string]any)
	if e == nil || e["code"] != float64(-32003) || !strings.Contains(fmt.Sprint(e["message"]), "busy") {
		t.Errorf("a call with the slot taken and the queue full: got %v, want -32003 saying the tool is busy", m)
	}
	if took > time.Second {
		t.Errorf("the refusal took %s: a full queue must refuse at once", took)
	}
	for range 2 {
		if m := <-results; m["result"] == nil {
			t.Errorf("a call within the limits: got %v, want a result", m)
		}
	}
	if q := queueDepth(); q != "0" {
		t.Errorf("queue depth after the calls: got %s, want 0", q)
	}
	if _, m := call(21, "fail", map[string]any{"message": "x"}); m["result"] == nil {
		t.Errorf("a call once the plugin is free: got %v, want a result", m)
	}

	t.Run("per-tool limit", func(t *testing.T) {
		// slow alone may run one call and queue none, while its plugin's
		// own limit (64 by default) is far away: only the tool's limit can
		// refuse the second call.
		h := startHost(t, hostConfig("", probePlugin("")+`
[tools.slow]
max_concurrent = 1
max_queue = 0
`))
		sid, url = h.initialize(t, sessionVersion), h.url
		first := make(chan map[string]any, 1)
		go func() {
			_, m := call(30, "slow", map[string]any{"seconds": 1.5})
			first <- m
		}()
		deadline := time.Now().Add(5 * time.Second)
		for h.metric(t, `toolgate_plugin_in_flight{plugin="probe"}`) != "1" {
			if time.Now().After(deadline) {
				t.Fatal("the first slow call never started")
			}
			time.Sleep(10 * time.Millisecond)
		}
		_, m := call(31, "slow", map[string]any{"seconds": 0})
		e, _ := m["error"].(map[string]any)
		if e == nil || e["code"] != float64(-32003) || !strings.Contains(fmt.Sprint(e["message"]), "[tools.slow]") {
			t.Errorf("a second slow call: got %v, want -32003 naming [tools.slow]", m)
		}
		if m := <-first; m["result"] == nil {
			t.Errorf("the first slow call: got %v, want a result", m)
		}
	})
}

// metric returns the value of one series on the host's /metrics, as text
// ("missing" when it is not there).
func (h *hostProc) metric(t *testing.T, series string) string {
	t.Helper()
	resp, err := http.Get("http://" + h.addr + "/metrics")
	if err != nil {
		t.Fatalf("scraping /metrics: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, series+" ") {
			return strings.Fields(line)[1]
		}
	}
	return "missing"
}
