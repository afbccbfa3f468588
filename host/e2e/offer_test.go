//go:build unix

package e2e

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A plugin that changes its tools or prompts while it runs (plugins/
// everything's triggers) has the catalog rebuilt with them, and listen
// streams hear the list change, each only the lists it asked for. The
// plugin announces the change after its call returns, so the lists are
// read once the notification has come.
func TestPluginChangesItsOffer(t *testing.T) {
	h := startHost(t, hostConfig("", everythingPlugin))
	listen := func(id string, filter map[string]any) *sseStream {
		st := h.openStream(t, t.Context(), http.MethodPost, modernHeaders("subscriptions/listen", ""),
			modernBody(id, "subscriptions/listen", map[string]any{"notifications": filter}))
		ev, err := st.next()
		if err != nil {
			t.Fatal(err)
		}
		if m := decodeEvent(t, ev); m.Method != "notifications/subscriptions/acknowledged" {
			t.Fatalf("got first message %s, want the acknowledgement", ev.Data)
		}
		return st
	}
	trigger := func(tool string) {
		res := wantResult(t, h.post(t, modernHeaders("tools/call", tool), modernBody(1, "tools/call", map[string]any{"name": tool, "arguments": map[string]any{}})))
		if !strings.Contains(string(res), "now offers") {
			t.Fatalf("%s: got %s", tool, res)
		}
	}
	listed := func(method, name string) bool {
		return strings.Contains(string(wantResult(t, h.post(t, modernHeaders(method, ""), modernBody(1, method, map[string]any{})))), `"`+name+`"`)
	}
	next := func(st *sseStream) string {
		ev, err := st.next()
		if err != nil {
			t.Fatal(err)
		}
		return decodeEvent(t, ev).Method
	}

	prompts := listen("prompts-only", map[string]any{"promptsListChanged": true})
	both := listen("both", map[string]any{"toolsListChanged": true, "promptsListChanged": true})

	trigger("test_trigger_tool_change")
	if got := next(both); got != "notifications/tools/list_changed" {
		t.Errorf("got %s, want the tool list change", got)
	}
	if !listed("tools/list", "test_dynamic_tool") {
		t.Error("test_dynamic_tool is not listed after the trigger added it")
	}
	trigger("test_trigger_prompt_change")
	if got := next(both); got != "notifications/prompts/list_changed" {
		t.Errorf("got %s, want the prompt list change", got)
	}
	if !listed("prompts/list", "test_dynamic_prompt") {
		t.Error("test_dynamic_prompt is not listed after the trigger added it")
	}
	// The prompts-only stream never heard of the tool change.
	if got := next(prompts); got != "notifications/prompts/list_changed" {
		t.Errorf("prompts-only stream: got %s, want the prompt list change first", got)
	}
	wantResult(t, h.post(t, modernHeaders("tools/call", "test_dynamic_tool"), modernBody(1, "tools/call", map[string]any{"name": "test_dynamic_tool", "arguments": map[string]any{}})))

	trigger("test_trigger_tool_change")
	if got := next(both); got != "notifications/tools/list_changed" {
		t.Errorf("got %s, want the tool list change", got)
	}
	if listed("tools/list", "test_dynamic_tool") {
		t.Error("test_dynamic_tool is still listed after the trigger removed it")
	}

	// A restarted process offers what it offered at start: the prompt it
	// added before it died goes, and the clients hear of it.
	if err := syscall.Kill(latestPID(h, "everything"), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitLog(t, h, "plugin restarted", 1, 10*time.Second)
	if got := next(both); got != "notifications/prompts/list_changed" {
		t.Errorf("after the restart: got %s, want the prompt list change", got)
	}
	if listed("prompts/list", "test_dynamic_prompt") {
		t.Error("test_dynamic_prompt is still listed after the plugin restarted")
	}
}
