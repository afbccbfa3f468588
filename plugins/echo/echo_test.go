package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/toolgate/toolgate/sdk"
	"github.com/toolgate/toolgate/sdk/sdktest"
)

func startEcho(tb testing.TB) *sdktest.Client {
	tb.Helper()
	return sdktest.Start(tb, newPlugin(), nil)
}

func TestEchoCalls(t *testing.T) {
	c := startEcho(t)
	tests := []struct {
		name    string
		args    any
		want    string // structured content, or a part of the error text
		isError bool
	}{
		{"once by default", map[string]any{"message": "hi"}, `{"text":"hi","repeat_count":1}`, false},
		{"repeated", map[string]any{"message": "hi", "repeat_count": 3}, `{"text":"hi hi hi","repeat_count":3}`, false},
		{"at the maximum", map[string]any{"message": "a b", "repeat_count": 10}, `{"text":"` + strings.Repeat("a b ", 9) + `a b","repeat_count":10}`, false},
		{"unicode", map[string]any{"message": "héllo 👋", "repeat_count": 2}, `{"text":"héllo 👋 héllo 👋","repeat_count":2}`, false},
		{"zero repeats", map[string]any{"message": "hi", "repeat_count": 0}, "repeat_count is 0, want 1 to 10", true},
		{"too many repeats", map[string]any{"message": "hi", "repeat_count": 11}, "repeat_count is 11, want 1 to 10", true},
		{"empty message", map[string]any{"message": ""}, "message must not be empty", true},
		{"missing message", map[string]any{}, "message must not be empty", true},
		{"unknown field", map[string]any{"message": "hi", "loud": true}, `unknown field "loud"`, true},
		{"wrong type", map[string]any{"message": "hi", "repeat_count": "2"}, "cannot unmarshal string", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _, err := c.Call(t.Context(), "echo", tt.args)
			if err != nil {
				t.Fatalf("calling echo: %v", err)
			}
			if res.GetIsError() != tt.isError {
				t.Fatalf("got isError %v, want %v (result %v)", res.GetIsError(), tt.isError, res)
			}
			if tt.isError {
				if got := sdktest.Text(res); !strings.Contains(got, tt.want) {
					t.Errorf("got error text %q, want it to contain %q", got, tt.want)
				}
				return
			}
			if got := string(res.GetStructuredContent()); got != tt.want {
				t.Errorf("got structured content %s, want %s", got, tt.want)
			}
			if got := sdktest.Text(res); got != tt.want {
				t.Errorf("got text mirror %s, want %s", got, tt.want)
			}
		})
	}
}

func TestEchoDescription(t *testing.T) {
	tools := startEcho(t).Tools()
	if len(tools) != 1 {
		t.Fatalf("got %d tools, want 1", len(tools))
	}
	tool := tools[0]
	if tool.GetName() != "echo" || tool.GetTitle() != "Echo" || tool.GetDescription() == "" {
		t.Errorf("got name %q, title %q, description %q", tool.GetName(), tool.GetTitle(), tool.GetDescription())
	}
	if got, want := tool.GetSuggestedScopes(), []string{"tools:echo"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got scopes %v, want %v", got, want)
	}

	a := tool.GetAnnotations()
	hints := []struct {
		name string
		got  *bool
		want bool
	}{
		{"readOnlyHint", a.ReadOnlyHint, true},
		{"destructiveHint", a.DestructiveHint, false},
		{"idempotentHint", a.IdempotentHint, true},
		{"openWorldHint", a.OpenWorldHint, false},
	}
	for _, h := range hints {
		if h.got == nil || *h.got != h.want {
			t.Errorf("got %s %v, want %v", h.name, h.got, h.want)
		}
	}

	in, out := sdktest.Object(t, tool.GetInputSchema()), sdktest.Object(t, tool.GetOutputSchema())
	schema := []struct {
		name   string
		schema map[string]any
		path   []string
		want   any
	}{
		{"input required", in, []string{"required"}, []any{"message"}},
		{"input additionalProperties", in, []string{"additionalProperties"}, false},
		{"message minLength", in, []string{"properties", "message", "minLength"}, 1.0},
		{"repeat_count type", in, []string{"properties", "repeat_count", "type"}, "integer"},
		{"repeat_count minimum", in, []string{"properties", "repeat_count", "minimum"}, 1.0},
		{"repeat_count maximum", in, []string{"properties", "repeat_count", "maximum"}, 10.0},
		{"repeat_count default", in, []string{"properties", "repeat_count", "default"}, 1.0},
		{"output type", out, []string{"type"}, "object"},
		{"output required", out, []string{"required"}, []any{"text", "repeat_count"}},
	}
	for _, s := range schema {
		if got := sdktest.Lookup(s.schema, s.path...); !reflect.DeepEqual(got, s.want) {
			t.Errorf("got %s %#v, want %#v", s.name, got, s.want)
		}
	}
}

// BenchmarkEcho measures a whole call through the plugin contract.
func BenchmarkEcho(b *testing.B) {
	c := startEcho(b)
	args := json.RawMessage(`{"message":"hello","repeat_count":3}`)
	for b.Loop() {
		res, _, err := c.Call(b.Context(), "echo", args)
		if err != nil || res.GetIsError() {
			b.Fatalf("got %v, %v", res, err)
		}
	}
}

// BenchmarkEchoHandler measures the tool alone: decoding, echoing, encoding.
func BenchmarkEchoHandler(b *testing.B) {
	call := &sdk.Call{Tool: "echo", Arguments: json.RawMessage(`{"message":"hello","repeat_count":3}`)}
	for b.Loop() {
		if _, err := echoTool.Handler(b.Context(), call); err != nil {
			b.Fatal(err)
		}
	}
}
