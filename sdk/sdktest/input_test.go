package sdktest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/toolgate/toolgate/sdk"
	"github.com/toolgate/toolgate/sdk/sdktest"
)

var allCaps = map[string]any{"elicitation": map[string]any{"form": map[string]any{}, "url": map[string]any{}}, "sampling": map[string]any{}, "roots": map[string]any{}}

// answerAll answers every question the way a cooperative client would.
func answerAll(method string, params json.RawMessage) (any, error) {
	switch method {
	case "elicitation/create":
		var p struct{ Message string }
		_ = json.Unmarshal(params, &p)
		return map[string]any{"action": "accept", "content": map[string]any{"name": "answer to " + p.Message}}, nil
	case "sampling/createMessage":
		return map[string]any{"role": "assistant", "content": map[string]any{"type": "text", "text": "Paris"}, "model": "m"}, nil
	case "roots/list":
		return map[string]any{"roots": []map[string]any{{"uri": "file:///work", "name": "work"}}}, nil
	}
	return nil, fmt.Errorf("unexpected method %s", method)
}

// TestInputRoundsReexecuteWithAnswers: each question costs a round, the
// handler runs again from the top and earlier answers stay known.
func TestInputRoundsReexecuteWithAnswers(t *testing.T) {
	runs := 0
	c := startTools(t, handlerTool("ask", func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
		runs++
		first, err := call.Elicit("first", map[string]any{"type": "object"})
		if err != nil {
			return nil, err
		}
		second, err := call.Elicit("second", map[string]any{"type": "object"})
		if err != nil {
			return nil, err
		}
		return sdk.TextResult(first.Content["name"].(string) + "," + second.Content["name"].(string)), nil
	}))
	res, rounds, err := c.CallWithInput(t.Context(), "ask", nil, sdktest.ClientInput{Capabilities: allCaps, Answer: answerAll})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sdktest.Text(res), "answer to first,answer to second"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if len(rounds) != 2 || runs != 3 {
		t.Errorf("got %d rounds and %d runs, want 2 and 3", len(rounds), runs)
	}
	for i, r := range rounds {
		if len(r.Requests) != 1 {
			t.Errorf("round %d asked %d questions, want 1", i, len(r.Requests))
		}
	}
}

// TestInputBatchedQuestionsShareARound: questions asked before the handler
// returns go out together, each with a key derived from the question.
func TestInputBatchedQuestionsShareARound(t *testing.T) {
	h := func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
		name, err1 := call.Elicit("name?", map[string]any{"type": "object"})
		answer, err2 := call.Sample(&sdk.SamplingRequest{Messages: []sdk.SamplingMessage{sdk.UserText("capital of France?")}, MaxTokens: 10})
		roots, err3 := call.Roots()
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, err
		}
		return sdk.TextResult(fmt.Sprintf("%s %s %s", name.Content["name"], answer.Text(), roots[0].URI)), nil
	}
	c := startTools(t, handlerTool("batch", h))
	res, rounds, err := c.CallWithInput(t.Context(), "batch", nil, sdktest.ClientInput{Capabilities: allCaps, Answer: answerAll})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sdktest.Text(res), "answer to name? Paris file:///work"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if len(rounds) != 1 || len(rounds[0].Requests) != 3 {
		t.Fatalf("got rounds %v, want one round of 3 questions", rounds)
	}
	// The same question gets the same key in another call.
	_, again, _ := c.CallWithInput(t.Context(), "batch", nil, sdktest.ClientInput{Capabilities: allCaps})
	for key, q := range rounds[0].Requests {
		if again[0].Requests[key] == nil {
			t.Errorf("key %s (%s) changed between calls", key, q.GetMethod())
		}
		if !strings.HasPrefix(key, map[string]string{"elicitation/create": "elicit-", "sampling/createMessage": "sample-", "roots/list": "roots-"}[q.GetMethod()]) {
			t.Errorf("key %s does not name its method %s", key, q.GetMethod())
		}
	}
}

func TestInputStateSurvivesRounds(t *testing.T) {
	c := startTools(t, handlerTool("stateful", func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
		var id string
		if ok, err := call.LoadState(&id); err != nil {
			return nil, err
		} else if !ok {
			id = "minted-once"
			if err := call.SaveState(id); err != nil {
				return nil, err
			}
		}
		if _, err := call.ElicitURL("connect", "https://example.com/connect?id="+id); err != nil {
			return nil, err
		}
		return sdk.TextResult(id), nil
	}))
	res, rounds, err := c.CallWithInput(t.Context(), "stateful", nil, sdktest.ClientInput{Capabilities: allCaps,
		Answer: func(string, json.RawMessage) (any, error) { return map[string]string{"action": "accept"}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if sdktest.Text(res) != "minted-once" || len(rounds) != 1 {
		t.Errorf("got %q after %d rounds, want minted-once after 1", sdktest.Text(res), len(rounds))
	}
	var p map[string]string
	for _, q := range rounds[0].Requests {
		_ = json.Unmarshal(q.GetParams(), &p)
	}
	if p["mode"] != "url" || p["url"] != "https://example.com/connect?id=minted-once" {
		t.Errorf("got params %v, want a url mode elicitation", p)
	}
}

// TestInputMissingCapability: a question the client cannot answer is an
// error the handler can act on; returned, it reaches the host as the
// question, for the host to refuse in the client's terms.
func TestInputMissingCapability(t *testing.T) {
	c := startTools(t,
		handlerTool("fallback", func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
			_, err := call.Sample(&sdk.SamplingRequest{Messages: []sdk.SamplingMessage{sdk.UserText("hi")}, MaxTokens: 5})
			var ce *sdk.CapabilityError
			if errors.As(err, &ce) && errors.Is(err, sdk.ErrMissingCapability) {
				return sdk.TextResult("fell back: " + ce.Error()), nil
			}
			return nil, fmt.Errorf("want a capability error, got %v", err)
		}),
		handlerTool("strict", func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
			if _, err := call.ElicitURL("pay", "https://example.com/pay"); err != nil {
				return nil, err
			}
			return sdk.TextResult("paid"), nil
		}))
	res, _, err := c.CallWithInput(t.Context(), "fallback", nil, sdktest.ClientInput{Capabilities: map[string]any{"elicitation": map[string]any{}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := sdktest.Text(res); got != "fell back: the client did not declare the sampling capability, which sampling/createMessage needs" {
		t.Errorf("got %q", got)
	}
	// elicitation {} means form mode only: a URL question is refused.
	_, rounds, err := c.CallWithInput(t.Context(), "strict", nil, sdktest.ClientInput{Capabilities: map[string]any{"elicitation": map[string]any{}}})
	if err != nil || len(rounds) != 1 {
		t.Fatalf("got %v, %d rounds; want the question passed on", err, len(rounds))
	}
	for _, q := range rounds[0].Requests {
		if q.GetMethod() != "elicitation/create" {
			t.Errorf("got %s, want elicitation/create", q.GetMethod())
		}
	}
}

// TestInputChosenKey: Ask keys a question as the plugin says, and the state
// of a first round carries no answer.
func TestInputChosenKey(t *testing.T) {
	c := startTools(t, handlerTool("named", func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
		raw, err := call.Ask("user_name", "elicitation/create", map[string]any{"message": "name?", "requestedSchema": map[string]any{"type": "object"}})
		if err != nil {
			return nil, err
		}
		return sdk.TextResult(string(raw)), nil
	}))
	res, rounds, err := c.CallWithInput(t.Context(), "named", nil, sdktest.ClientInput{Capabilities: allCaps,
		Answer: func(string, json.RawMessage) (any, error) { return map[string]string{"action": "decline"}, nil }})
	if err != nil || rounds[0].Requests["user_name"] == nil {
		t.Fatalf("got %v, rounds %v; want the key user_name", err, rounds)
	}
	if got := sdktest.Text(res); got != `{"action":"decline"}` {
		t.Errorf("got %q", got)
	}
	if strings.Contains(string(rounds[0].State), "decline") {
		t.Errorf("the first round's state carries an answer: %s", rounds[0].State)
	}
}

func TestInputMalformedAnswer(t *testing.T) {
	c := startTools(t, handlerTool("confirm", func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
		if _, err := call.Elicit("sure?", map[string]any{"type": "object"}); err != nil {
			return nil, err
		}
		return sdk.TextResult("confirmed"), nil
	}))
	res, _, err := c.CallWithInput(t.Context(), "confirm", nil, sdktest.ClientInput{Capabilities: allCaps,
		Answer: func(string, json.RawMessage) (any, error) { return map[string]any{"role": "assistant"}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if !res.GetIsError() || !strings.Contains(sdktest.Text(res), "malformed") {
		t.Errorf("got %q (isError %v), want a malformed-answer error", sdktest.Text(res), res.GetIsError())
	}
}
