package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/toolgate/toolgate/sdk"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
	"github.com/toolgate/toolgate/sdk/sdktest"
)

// allCapabilities declares everything the input tools may ask.
var allCapabilities = map[string]any{"elicitation": map[string]any{}, "sampling": map[string]any{}, "roots": map[string]any{}}

// answer answers each question as the conformance suite does.
func answer(method string, _ json.RawMessage) (any, error) {
	switch method {
	case "elicitation/create":
		return map[string]any{"action": "accept", "content": map[string]any{"name": "Alice", "ok": true, "color": "blue", "context": "tests", "value": "v"}}, nil
	case "sampling/createMessage":
		return map[string]any{"role": "assistant", "content": map[string]any{"type": "text", "text": "Paris"}, "model": "test-model"}, nil
	}
	return map[string]any{"roots": []map[string]string{{"uri": "file:///test/root", "name": "Test Root"}}}, nil
}

func keys(r sdktest.Round) []string {
	var ks []string
	for k := range r.Requests {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestInputTools(t *testing.T) {
	c := sdktest.Start(t, &sdk.Plugin{Tools: tools(), Prompts: inputPrompts()}, nil)
	tests := []struct {
		tool   string
		rounds [][]string // the keys asked in each round
		want   string     // in the final text
	}{
		{"test_input_required_result_elicitation", [][]string{{"user_name"}}, "Hello, Alice!"},
		{"test_input_required_result_sampling", [][]string{{"capital_question"}}, "Paris"},
		{"test_input_required_result_list_roots", [][]string{{"client_roots"}}, "file:///test/root"},
		{"test_input_required_result_request_state", [][]string{{"confirm"}}, "state-ok"},
		{"test_input_required_result_multiple_inputs", [][]string{{"client_roots", "greeting", "user_name"}}, "Alice"},
		{"test_input_required_result_multi_round", [][]string{{"step1"}, {"step2"}}, "Alice likes blue."},
		{"test_input_required_result_capabilities", [][]string{{"capital_question", "user_name"}}, "Paris"},
		{"test_missing_capability", [][]string{{"sample-"}}, "Paris"},
		{"test_streaming_elicitation", [][]string{{"elicit-"}}, "You entered: v"},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			res, rounds, err := c.CallWithInput(t.Context(), tt.tool, nil, sdktest.ClientInput{Capabilities: allCapabilities, Answer: answer})
			if err != nil {
				t.Fatal(err)
			}
			if len(rounds) != len(tt.rounds) {
				t.Fatalf("got %d rounds of questions, want %d", len(rounds), len(tt.rounds))
			}
			for i, r := range rounds {
				got := keys(r)
				// Keys the SDK derives end in a digest of the question.
				for j := range got {
					if strings.HasSuffix(tt.rounds[i][j], "-") && strings.HasPrefix(got[j], tt.rounds[i][j]) {
						got[j] = tt.rounds[i][j]
					}
				}
				if !slices.Equal(got, tt.rounds[i]) {
					t.Errorf("round %d asked %v, want %v", i+1, got, tt.rounds[i])
				}
			}
			if text := sdktest.Text(res); res.GetIsError() || !strings.Contains(text, tt.want) {
				t.Errorf("got isError %v, %q; want a result with %q", res.GetIsError(), text, tt.want)
			}
		})
	}
}

// A client that declares only sampling is asked only the sampling question,
// and one that declares nothing cannot be asked for a sample at all.
func TestInputToolsAskWhatTheClientCan(t *testing.T) {
	c := sdktest.Start(t, &sdk.Plugin{Tools: tools()}, nil)
	_, rounds, err := c.CallWithInput(t.Context(), "test_input_required_result_capabilities", nil,
		sdktest.ClientInput{Capabilities: map[string]any{"sampling": map[string]any{}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rounds) != 1 || !slices.Equal(keys(rounds[0]), []string{"capital_question"}) {
		t.Errorf("got rounds %v, want one asking capital_question only", rounds)
	}
	_, rounds, err = c.CallWithInput(t.Context(), "test_missing_capability", nil, sdktest.ClientInput{})
	if err != nil {
		t.Fatal(err)
	}
	// The SDK hands the question on for the host to refuse: it has no state.
	if len(rounds) != 1 || len(rounds[0].State) != 0 {
		t.Errorf("got rounds %v, want the sampling question alone, for the host to refuse", rounds)
	}
}

// The request-state tool's state must come back: a retry without it fails.
func TestRequestStateMustComeBack(t *testing.T) {
	c := sdktest.Start(t, &sdk.Plugin{Tools: tools()}, nil)
	res, _, err := c.CallRequest(t.Context(), &toolgatev1.CallToolRequest{
		Name: "test_input_required_result_request_state", Arguments: []byte("{}"), ClientCapabilities: []byte(`{"elicitation":{}}`),
		InputResponses: map[string][]byte{"confirm": []byte(`{"action":"accept","content":{"ok":true}}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.GetIsError() {
		t.Errorf("got %q, want an error: the state did not come back", sdktest.Text(res))
	}
}

func TestInputPrompt(t *testing.T) {
	c := sdktest.Start(t, &sdk.Plugin{Tools: tools(), Prompts: inputPrompts()}, nil)
	res, rounds, err := c.GetPromptWithInput(t.Context(), "test_input_required_result_prompt", nil,
		sdktest.ClientInput{Capabilities: allCapabilities, Answer: answer})
	if err != nil {
		t.Fatal(err)
	}
	if len(rounds) != 1 || !slices.Equal(keys(rounds[0]), []string{"user_context"}) {
		t.Fatalf("got rounds %v, want one asking user_context", rounds)
	}
	if len(res.GetMessages()) != 1 || !strings.Contains(res.GetMessages()[0].GetContent().GetText().GetText(), "tests") {
		t.Errorf("got %v, want one message with the context the user gave", res.GetMessages())
	}
}
