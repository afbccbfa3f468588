// Command everything is the Toolgate plugin that exercises every feature the
// plugin contract carries: each content type, log and progress events, tool
// errors, JSON Schema 2020-12 input schemas. Its tools carry the names the
// official MCP conformance suite calls, so the suite can run against a host
// that loads it; the README documents each one as an example for plugin
// authors.
//
// The default mcp.toml does not load it: its tools are fixtures, of no use
// to a model.
package main

import "github.com/toolgate/toolgate/sdk"

func main() { sdk.Serve(newPlugin()) }

// newPlugin is the plugin with every tool and prompt, wired to change its
// own lists (see changes.go).
func newPlugin() *sdk.Plugin {
	p := &sdk.Plugin{Prompts: inputPrompts()}
	c := &changer{plugin: p}
	p.Tools = tools(c.triggers())
	c.tools, c.prompts = p.Tools, p.Prompts
	return p
}

// scope is the OAuth scope the plugin suggests for all its tools.
const scope = "tools:everything"

// tools are every tool of the plugin, one file per concern, and the
// extra ones given.
func tools(extra ...[]sdk.Tool) []sdk.Tool {
	all := concat(append([][]sdk.Tool{contentTools(), eventTools(), errorTools(), schemaTools(), inputTools()}, extra...)...)
	for i := range all {
		all[i].Scopes = []string{scope}
	}
	return all
}

func concat(lists ...[]sdk.Tool) []sdk.Tool {
	var out []sdk.Tool
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
