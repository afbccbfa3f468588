package sdktest_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/toolgate/toolgate/sdk"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
	"github.com/toolgate/toolgate/sdk/sdktest"
)

// greeterPlugin greets with the word its config names.
func greeterPlugin() *sdk.Plugin {
	var cfg struct {
		Word string `json:"word"`
	}
	return &sdk.Plugin{
		Setup: func(_ context.Context, c sdk.Config) error { return c.Decode(&cfg) },
		Tools: []sdk.Tool{handlerTool("greet", func(context.Context, *sdk.Call) (*sdk.Result, error) {
			return sdk.TextResult(cfg.Word), nil
		})},
	}
}

func TestStartPassesConfigToSetup(t *testing.T) {
	tests := []struct {
		name   string
		config any
		want   string
	}{
		{"map", map[string]any{"word": "hi"}, "hi"},
		{"struct", struct {
			Word string `json:"word"`
		}{"hey"}, "hey"},
		{"none", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sdktest.Start(t, greeterPlugin(), tt.config)
			res, _ := mustCall(t, c, "greet", nil)
			if got := sdktest.Text(res); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestInitReportsSetupError(t *testing.T) {
	_, err := sdktest.Init(t, greeterPlugin(), map[string]any{"wrod": "hi"})
	if got := status.Code(err); got != codes.InvalidArgument {
		t.Fatalf("got code %v (%v), want %v", got, err, codes.InvalidArgument)
	}
	if msg := status.Convert(err).Message(); !strings.Contains(msg, `unknown field "wrod"`) {
		t.Errorf("got message %q, want it to name the unknown key", msg)
	}
}

func TestCallRequestPassesCaller(t *testing.T) {
	var got sdk.Caller
	var gotID string
	c := startTools(t, handlerTool("who", func(_ context.Context, call *sdk.Call) (*sdk.Result, error) {
		got, gotID = call.Caller, call.RequestID
		return nil, nil
	}))
	_, _, err := c.CallRequest(t.Context(), &toolgatev1.CallToolRequest{
		Name:      "who",
		RequestId: "req-7",
		Caller: &toolgatev1.Caller{
			Subject: "ada", ClientId: "cli", Issuer: "https://issuer.example", Scopes: []string{"a", "b"},
			Claims: []byte(`{"email":"ada@example.com"}`),
		},
	})
	if err != nil {
		t.Fatalf("calling who: %v", err)
	}
	if got.Subject != "ada" || got.ClientID != "cli" || got.Issuer != "https://issuer.example" ||
		strings.Join(got.Scopes, " ") != "a b" || got.Claims["email"] != "ada@example.com" || gotID != "req-7" {
		t.Errorf("got caller %+v and request id %q, want them as sent", got, gotID)
	}
}

func TestTextJoinsTextBlocks(t *testing.T) {
	r := &toolgatev1.CallToolResult{Content: []*toolgatev1.Content{
		{Kind: &toolgatev1.Content_Text{Text: &toolgatev1.TextContent{Text: "a"}}},
		{Kind: &toolgatev1.Content_Image{Image: &toolgatev1.ImageContent{}}},
		{Kind: &toolgatev1.Content_Text{Text: &toolgatev1.TextContent{Text: "b"}}},
	}}
	if got := sdktest.Text(r); got != "a\nb" {
		t.Errorf("got %q, want %q", got, "a\nb")
	}
}
