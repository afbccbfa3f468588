package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/toolgate/toolgate/sdk"
)

// changer changes the plugin's own lists while it runs: each call of a
// trigger adds its extra tool or prompt when it is absent and removes it
// when it is there. The host takes the new list and tells the clients that
// listen for it that the list changed.
type changer struct {
	plugin *sdk.Plugin

	mu sync.Mutex
	// tools and prompts are the lists at start, which the extras join.
	tools            []sdk.Tool
	prompts          []sdk.Prompt
	toolOn, promptOn bool
}

// changes is how the triggers are annotated: they change the plugin's
// state, which nothing outside it sees but its lists.
var changes = sdk.Annotations{
	ReadOnlyHint: sdk.Hint(false), DestructiveHint: sdk.Hint(false),
	IdempotentHint: sdk.Hint(false), OpenWorldHint: sdk.Hint(false),
}

func (c *changer) triggers() []sdk.Tool {
	return []sdk.Tool{
		{
			Name:        "test_trigger_tool_change",
			Description: "Adds the tool test_dynamic_tool, or removes it when it is there: the tool list changes.",
			InputSchema: noArguments,
			Annotations: changes,
			Handler:     func(context.Context, *sdk.Call) (*sdk.Result, error) { return c.flip(&c.toolOn, c.setTools) },
		},
		{
			Name:        "test_trigger_prompt_change",
			Description: "Adds the prompt test_dynamic_prompt, or removes it when it is there: the prompt list changes.",
			InputSchema: noArguments,
			Annotations: changes,
			Handler:     func(context.Context, *sdk.Call) (*sdk.Result, error) { return c.flip(&c.promptOn, c.setPrompts) },
		},
	}
}

// flip turns an extra on or off and offers the lists that follow.
func (c *changer) flip(on *bool, set func() (string, error)) (*sdk.Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	*on = !*on
	what, err := set()
	if err != nil {
		*on = !*on
		return nil, err
	}
	return sdk.TextResult(what), nil
}

func (c *changer) setTools() (string, error) {
	tools := c.tools
	if c.toolOn {
		tools = append(tools[:len(tools):len(tools)], sdk.Tool{
			Name: "test_dynamic_tool", Description: "A tool test_trigger_tool_change added.",
			InputSchema: noArguments, Annotations: readOnly, Scopes: []string{scope},
			Handler: func(context.Context, *sdk.Call) (*sdk.Result, error) {
				return sdk.TextResult("This tool was added while the plugin ran."), nil
			},
		})
	}
	return fmt.Sprintf("The plugin now offers %d tools.", len(tools)), c.plugin.SetTools(tools)
}

func (c *changer) setPrompts() (string, error) {
	prompts := c.prompts
	if c.promptOn {
		prompts = append(prompts[:len(prompts):len(prompts)], sdk.Prompt{
			Name: "test_dynamic_prompt", Description: "A prompt test_trigger_prompt_change added.", Scopes: []string{scope},
			Handler: func(context.Context, *sdk.PromptRequest) (*sdk.PromptResult, error) {
				return &sdk.PromptResult{Messages: []sdk.PromptMessage{sdk.UserMessage(sdk.Text("This prompt was added while the plugin ran."))}}, nil
			},
		})
	}
	return fmt.Sprintf("The plugin now offers %d prompts.", len(prompts)), c.plugin.SetPrompts(prompts)
}
