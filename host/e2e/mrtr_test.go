//go:build unix

package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The 2026-07-28 multi round-trip requests, over raw HTTP against the real
// binary and the probe plugin: a tool that asks the client answers
// input_required, the retry with the answers and the sealed requestState
// goes on, and a state that was altered, has expired or belongs to another
// caller or call is refused.

const (
	codeInvalidParams      = -32602
	codeMissingCapability  = -32021
	elicitationOnly        = `{"elicitation":{}}`
	requestStateKeyContent = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
)

// mrtrCall is a 2026-07-28 tools/call with the given client capabilities
// and extra params (inputResponses, requestState).
func mrtrCall(id any, tool, caps string, args map[string]any, extra map[string]any) string {
	meta := modernMeta(modernVersion)
	meta["io.modelcontextprotocol/clientCapabilities"] = json.RawMessage(caps)
	p := map[string]any{"_meta": meta, "name": tool, "arguments": args}
	for k, v := range extra {
		p[k] = v
	}
	return rpcBody(id, "tools/call", p)
}

type inputRequired struct {
	ResultType    string `json:"resultType"`
	InputRequests map[string]struct {
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
	} `json:"inputRequests"`
	RequestState string `json:"requestState"`
}

// wantInputRequired checks an input_required result asking exactly one
// elicitation and returns it with that request's key.
func wantInputRequired(t *testing.T, r *reply) (*inputRequired, string) {
	t.Helper()
	var ir inputRequired
	mustUnmarshal(t, wantResult(t, r), &ir)
	if ir.ResultType != "input_required" || len(ir.InputRequests) != 1 || ir.RequestState == "" {
		t.Fatalf("got %s, want input_required with one input request and a requestState", r.Body)
	}
	for key, q := range ir.InputRequests {
		if q.Method != "elicitation/create" {
			t.Fatalf("got method %q, want elicitation/create", q.Method)
		}
		return &ir, key
	}
	return nil, ""
}

func accept(content map[string]any) map[string]any {
	return map[string]any{"action": "accept", "content": content}
}

// writeKeyFile writes the shared request state key next to a config.
func writeKeyFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "request_state.key")
	if err := os.WriteFile(path, []byte(requestStateKeyContent), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMultiRoundTripRequests(t *testing.T) {
	h := startHost(t, authHostConfig(probePlugin("")))
	alice := bearer(mintToken(t, h, "alice", "tools"))
	mallory := bearer(mintToken(t, h, "mallory", "tools"))
	hdr := modernHeaders("tools/call", "ask").with(alice)
	args := map[string]any{"greeting": "Hello"}

	// Round 1: the plugin asks for a name.
	ir1, nameKey := wantInputRequired(t, h.post(t, hdr, mrtrCall(1, "ask", elicitationOnly, args, nil)))
	if nameKey != "user_name" || !strings.Contains(string(ir1.InputRequests[nameKey].Params), "What is your name?") {
		t.Fatalf("round 1 asked %q: %s", nameKey, ir1.InputRequests[nameKey].Params)
	}
	// Round 2: with the name, it asks for a colour, under a new state.
	ir2, colorKey := wantInputRequired(t, h.post(t, hdr, mrtrCall(2, "ask", elicitationOnly, args, map[string]any{
		"inputResponses": map[string]any{nameKey: accept(map[string]any{"name": "Alice"})},
		"requestState":   ir1.RequestState,
	})))
	if ir2.RequestState == ir1.RequestState || colorKey == nameKey {
		t.Fatalf("round 2 repeated round 1: %q %q", colorKey, ir2.RequestState)
	}
	// Round 3: done. The earlier answer and the plugin's state survived.
	final := map[string]any{
		"inputResponses": map[string]any{colorKey: accept(map[string]any{"color": "blue"}), "unasked": map[string]any{"action": "cancel"}},
		"requestState":   ir2.RequestState,
	}
	var done struct {
		ResultType        string `json:"resultType"`
		StructuredContent struct{ Text, First string }
	}
	mustUnmarshal(t, wantResult(t, h.post(t, hdr, mrtrCall(3, "ask", elicitationOnly, args, final))), &done)
	if done.ResultType != "complete" || done.StructuredContent.Text != "Hello, Alice! You like blue." || done.StructuredContent.First == "" {
		t.Fatalf("got %+v, want a complete greeting", done)
	}

	refused := func(t *testing.T, hdr headers, tool string, args map[string]any, extra map[string]any, contains string) {
		t.Helper()
		r := h.post(t, hdr, mrtrCall(4, tool, elicitationOnly, args, extra))
		wantError(t, r, http.StatusOK, codeInvalidParams, contains)
	}
	t.Run("tampered state", func(t *testing.T) {
		refused(t, hdr, "ask", args, map[string]any{"inputResponses": final["inputResponses"], "requestState": ir2.RequestState + "-TAMPERED"}, "altered")
	})
	t.Run("another caller's state", func(t *testing.T) {
		refused(t, modernHeaders("tools/call", "ask").with(mallory), "ask", args, final, "another caller")
	})
	t.Run("state of other arguments", func(t *testing.T) {
		refused(t, hdr, "ask", map[string]any{"greeting": "Hi"}, final, "another caller, tool or set of arguments")
	})
	t.Run("malformed inputResponses", func(t *testing.T) {
		refused(t, hdr, "ask", args, map[string]any{"inputResponses": map[string]any{"user_name": 12345}}, "must be an object")
	})
	t.Run("missing capability", func(t *testing.T) {
		r := h.post(t, modernHeaders("tools/call", "sample").with(alice), mrtrCall(5, "sample", elicitationOnly, map[string]any{}, nil))
		m := wantError(t, r, http.StatusBadRequest, codeMissingCapability, "sampling")
		if got := compact(t, m.Error.Data); got != `{"requiredCapabilities":{"sampling":{}}}` {
			t.Errorf("got data %s, want requiredCapabilities naming sampling", got)
		}
	})
	t.Run("sampling round", func(t *testing.T) {
		caps := `{"sampling":{}}`
		r := h.post(t, modernHeaders("tools/call", "sample").with(alice), mrtrCall(6, "sample", caps, map[string]any{}, nil))
		var ir inputRequired
		mustUnmarshal(t, wantResult(t, r), &ir)
		var key string
		for k, q := range ir.InputRequests {
			if q.Method != "sampling/createMessage" {
				t.Fatalf("got %s, want sampling/createMessage", q.Method)
			}
			key = k
		}
		r = h.post(t, modernHeaders("tools/call", "sample").with(alice), mrtrCall(7, "sample", caps, map[string]any{}, map[string]any{
			"inputResponses": map[string]any{key: map[string]any{"role": "assistant", "content": map[string]any{"type": "text", "text": "Paris"}, "model": "m"}},
			"requestState":   ir.RequestState,
		}))
		var res struct {
			Content []struct{ Text string }
		}
		mustUnmarshal(t, wantResult(t, r), &res)
		if len(res.Content) != 1 || res.Content[0].Text != "LLM response: Paris" {
			t.Errorf("got %s", r.Body)
		}
	})
}

// TestRequestStateAcrossReplicasAndExpiry: two hosts sharing
// server.request_state_key_file take each other's states; a state is refused
// once server.request_state_ttl has passed.
func TestRequestStateAcrossReplicasAndExpiry(t *testing.T) {
	key := writeKeyFile(t)
	server := func(ttl string) string {
		return "request_state_key_file = " + tomlString(key) + "\nrequest_state_ttl = " + tomlString(ttl)
	}
	a := startHost(t, hostConfig(server("10m"), probePlugin("")))
	b := startHost(t, hostConfig(server("1s"), probePlugin("")))
	hdr := modernHeaders("tools/call", "ask")
	args := map[string]any{"greeting": "Hi"}

	ir, nameKey := wantInputRequired(t, a.post(t, hdr, mrtrCall(1, "ask", elicitationOnly, args, nil)))
	retry := map[string]any{"inputResponses": map[string]any{nameKey: accept(map[string]any{"name": "Bo"})}, "requestState": ir.RequestState}
	// The replica opens the other's state and goes on to the next round.
	wantInputRequired(t, b.post(t, hdr, mrtrCall(2, "ask", elicitationOnly, args, retry)))

	// b seals with a one-second lifetime.
	ir, _ = wantInputRequired(t, b.post(t, hdr, mrtrCall(3, "ask", elicitationOnly, args, nil)))
	time.Sleep(2100 * time.Millisecond)
	retry["requestState"] = ir.RequestState
	wantError(t, b.post(t, hdr, mrtrCall(4, "ask", elicitationOnly, args, retry)), http.StatusOK, codeInvalidParams, "expired")
}
