package main

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/toolgate/toolgate/sdk/sdktest"
)

// client answers the way the conformance suite's client does: a fixed
// model message, or the form accepted with content.
func client(content map[string]any) sdktest.ClientInput {
	return sdktest.ClientInput{
		Capabilities: map[string]any{"sampling": map[string]any{}, "elicitation": map[string]any{}},
		Answer: func(method string, _ json.RawMessage) (any, error) {
			switch method {
			case "sampling/createMessage":
				return map[string]any{"role": "assistant", "model": "test-model", "stopReason": "endTurn",
					"content": map[string]any{"type": "text", "text": "This is a test response from the client"}}, nil
			case "elicitation/create":
				return map[string]any{"action": "accept", "content": content}, nil
			}
			return nil, errors.New("unexpected question " + method)
		},
	}
}

func TestSampling(t *testing.T) {
	res, rounds, err := start(t).CallWithInput(t.Context(), "test_sampling", map[string]any{"prompt": "Test prompt"}, client(nil))
	if err != nil || len(rounds) != 1 {
		t.Fatalf("got %d rounds, %v", len(rounds), err)
	}
	var q map[string]any
	for _, r := range rounds[0].Requests {
		mustJSON(t, r.GetParams(), &q)
	}
	want := map[string]any{"maxTokens": 100.0, "messages": []any{map[string]any{"role": "user",
		"content": map[string]any{"type": "text", "text": "Test prompt"}}}}
	if !reflect.DeepEqual(q, want) {
		t.Errorf("asked %v, want %v", q, want)
	}
	if got := sdktest.Text(res); got != "LLM response: This is a test response from the client" {
		t.Errorf("got %q", got)
	}
}

func TestElicitation(t *testing.T) {
	c := start(t)
	tests := []struct {
		tool    string
		args    map[string]any
		answer  map[string]any
		message string
		fields  []string
		want    string
	}{
		{"test_elicitation", map[string]any{"message": "Who are you?"},
			map[string]any{"username": "testuser", "email": "test@example.com"}, "Who are you?",
			[]string{"email", "username"}, `User response: action=accept, content={"email":"test@example.com","username":"testuser"}`},
		{"test_elicitation_sep1034_defaults", nil, map[string]any{"name": "Jane Smith"},
			"Please review and update the form fields with defaults",
			[]string{"age", "name", "score", "status", "verified"}, `Elicitation completed: action=accept, content={"name":"Jane Smith"}`},
		{"test_elicitation_sep1330_enums", nil, map[string]any{"untitledSingle": "option1"},
			"Please select options from the enum fields",
			[]string{"legacyEnum", "titledMulti", "titledSingle", "untitledMulti", "untitledSingle"},
			`Elicitation completed: action=accept, content={"untitledSingle":"option1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			res, rounds, err := c.CallWithInput(t.Context(), tt.tool, tt.args, client(tt.answer))
			if err != nil || len(rounds) != 1 || len(rounds[0].Requests) != 1 {
				t.Fatalf("got rounds %v, %v; want one round of one question", rounds, err)
			}
			var q struct {
				Message         string
				RequestedSchema struct {
					Properties map[string]any
				}
			}
			for _, r := range rounds[0].Requests {
				if r.GetMethod() != "elicitation/create" {
					t.Errorf("asked %s", r.GetMethod())
				}
				mustJSON(t, r.GetParams(), &q)
			}
			var fields []string
			for f := range q.RequestedSchema.Properties {
				fields = append(fields, f)
			}
			if q.Message != tt.message || len(fields) != len(tt.fields) {
				t.Errorf("asked %q with fields %v, want %q with %v", q.Message, fields, tt.message, tt.fields)
			}
			if got := sdktest.Text(res); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
}
