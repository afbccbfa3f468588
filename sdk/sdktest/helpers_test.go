package sdktest_test

import (
	"context"
	"testing"

	"github.com/toolgate/toolgate/sdk"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
	"github.com/toolgate/toolgate/sdk/sdktest"
)

// startTools serves a plugin made of tools, without a Setup.
func startTools(t *testing.T, tools ...sdk.Tool) *sdktest.Client {
	t.Helper()
	return sdktest.Start(t, &sdk.Plugin{Tools: tools}, nil)
}

// handlerTool is a tool with a raw handler, for tests about the server.
func handlerTool(name string, h sdk.Handler) sdk.Tool {
	return sdk.Tool{Name: name, InputSchema: []byte(`{"type":"object"}`), Handler: h}
}

// mustCall calls a tool and fails the test when the call fails as a whole.
func mustCall(t *testing.T, c *sdktest.Client, name string, args any) (*toolgatev1.CallToolResult, []*toolgatev1.CallToolEvent) {
	t.Helper()
	res, events, err := c.Call(t.Context(), name, args)
	if err != nil {
		t.Fatalf("calling %s: %v", name, err)
	}
	return res, events
}

// okTool answers "ok", to show a plugin still serves after a failed call.
var okTool = handlerTool("ok", func(context.Context, *sdk.Call) (*sdk.Result, error) {
	return sdk.TextResult("ok"), nil
})
