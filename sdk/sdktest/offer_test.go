package sdktest_test

import (
	"context"
	"testing"

	"github.com/toolgate/toolgate/sdk"
	"github.com/toolgate/toolgate/sdk/sdktest"
)

func textTool(name, text string) sdk.Tool {
	return sdk.Tool{Name: name, InputSchema: []byte(`{"type":"object"}`),
		Handler: func(context.Context, *sdk.Call) (*sdk.Result, error) { return sdk.TextResult(text), nil }}
}

func toolNames(ts []sdk.Tool) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

// SetTools serves the new tools at once and streams the new offer to the
// host; an invalid offer is refused and changes nothing.
func TestSetToolsChangesTheOffer(t *testing.T) {
	p := &sdk.Plugin{Tools: []sdk.Tool{textTool("a", "A")}}
	if err := p.SetTools(nil); err == nil {
		t.Error("SetTools before the plugin serves: got no error")
	}
	c := sdktest.Start(t, p, nil)
	offers, err := c.WatchOffer(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := <-offers; len(got.GetTools()) != 1 {
		t.Errorf("the stream opened with %d tools, want the offer as it is: a", len(got.GetTools()))
	}

	if err := p.SetTools([]sdk.Tool{textTool("a", "A"), textTool("b", "B")}); err != nil {
		t.Fatal(err)
	}
	got := <-offers
	if n := len(got.GetTools()); n != 2 || got.GetTools()[1].GetName() != "b" {
		t.Errorf("got an offer of %d tools, want a and b", n)
	}
	if res, _ := mustCall(t, c, "b", nil); sdktest.Text(res) != "B" {
		t.Errorf("calling the new tool: got %q", sdktest.Text(res))
	}

	err = p.SetTools([]sdk.Tool{textTool("a", "A"), textTool("a", "again")})
	if err == nil {
		t.Fatal("two tools of one name: got no error")
	}
	if res, _ := mustCall(t, c, "b", nil); sdktest.Text(res) != "B" || len(p.Tools) != 2 {
		t.Errorf("after a refused offer: got %q and tools %v, want the offer before it", sdktest.Text(res), toolNames(p.Tools))
	}

	if err := p.SetPrompts([]sdk.Prompt{{Name: "p", Handler: func(context.Context, *sdk.PromptRequest) (*sdk.PromptResult, error) {
		return &sdk.PromptResult{}, nil
	}}}); err != nil {
		t.Fatal(err)
	}
	if got := <-offers; len(got.GetPrompts()) != 1 || len(got.GetTools()) != 2 {
		t.Errorf("got %d prompts and %d tools, want the new prompt and the tools as they were", len(got.GetPrompts()), len(got.GetTools()))
	}
	if _, err := c.GetPrompt(t.Context(), "p", nil); err != nil {
		t.Errorf("getting the new prompt: %v", err)
	}
}
