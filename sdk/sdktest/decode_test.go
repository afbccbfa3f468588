package sdktest_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/toolgate/toolgate/sdk"
)

type greetIn struct {
	Name  string `json:"name"`
	Times int    `json:"times,omitempty"`
}

type greetOut struct {
	Greeting string `json:"greeting"`
}

var greetTool = sdk.Typed(sdk.Tool{Name: "greet"},
	func(_ context.Context, _ *sdk.Call, in greetIn) (greetOut, error) {
		return greetOut{Greeting: "hello " + in.Name}, nil
	})

func TestTypedDecodesStrictly(t *testing.T) {
	c := startTools(t, greetTool)
	tests := []struct {
		name string
		args json.RawMessage
		want string // in the error text
	}{
		{"unknown field", json.RawMessage(`{"name":"ada","colour":"red"}`), `unknown field "colour"`},
		{"wrong type", json.RawMessage(`{"name":42}`), "cannot unmarshal number"},
		{"trailing value", json.RawMessage(`{"name":"ada"} {"name":"bob"}`), "trailing data"},
		{"trailing brace", json.RawMessage(`{"name":"ada"}}`), "trailing data"},
		{"not an object", json.RawMessage(`["ada"]`), "cannot unmarshal array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := mustCall(t, c, "greet", tt.args)
			if !res.GetIsError() {
				t.Fatalf("got isError false, want true (result %v)", res)
			}
			text := res.GetContent()[0].GetText().GetText()
			if !strings.Contains(text, tt.want) || !strings.Contains(text, "greet") {
				t.Errorf("got error text %q, want it to name the tool and contain %q", text, tt.want)
			}
		})
	}
}

func TestTypedReturnsStructuredContent(t *testing.T) {
	c := startTools(t, greetTool)
	res, _ := mustCall(t, c, "greet", map[string]any{"name": "ada"})
	if res.GetIsError() {
		t.Fatalf("got isError true: %v", res)
	}
	const want = `{"greeting":"hello ada"}`
	if got := string(res.GetStructuredContent()); got != want {
		t.Errorf("got structured content %s, want %s", got, want)
	}
	if got := res.GetContent()[0].GetText().GetText(); got != want {
		t.Errorf("got text mirror %s, want %s", got, want)
	}
}
