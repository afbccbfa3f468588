// Command everything is the Toolgate plugin that exercises every feature the
// plugin contract carries: each content type, log and progress events, tool
// errors, JSON Schema 2020-12 input schemas, prompts, resources and their
// templates, completions, resource updates, tools and prompts that ask the
// client for input, and lists that change while it runs. Its tools, prompts
// and resources carry the names the official MCP conformance suite calls, so
// the suite can run against a host that loads it; the README documents each
// one as an example for plugin authors.
//
// The default mcp.toml does not load it: what it offers are fixtures, of no
// use to a model.
package main

import (
	"context"

	"github.com/toolgate/toolgate/sdk"
)

func main() {
	w := &watched{}
	p := plugin(w)
	// The plugin process lives until the host stops it, and so does the
	// watched resource's timer.
	go w.keepChanging(context.Background(), p, watchedEvery)
	sdk.Serve(p)
}

// scope is the OAuth scope the plugin suggests for everything it offers.
const scope = "tools:everything"

// plugin is everything the plugin offers, one file per concern, with w as
// its watched resource, wired to change its own lists (see changes.go).
func plugin(w *watched) *sdk.Plugin {
	p := &sdk.Plugin{
		Prompts:           append(prompts(), inputPrompts()...),
		Resources:         append(resources(), w.resource()),
		ResourceTemplates: templates(),
	}
	c := &changer{plugin: p}
	p.Tools = tools(c.triggers())
	for i := range p.Prompts {
		p.Prompts[i].Scopes = []string{scope}
	}
	for i := range p.Resources {
		p.Resources[i].Scopes = []string{scope}
	}
	for i := range p.ResourceTemplates {
		p.ResourceTemplates[i].Scopes = []string{scope}
	}
	c.tools, c.prompts = p.Tools, p.Prompts
	return p
}

// tools are every tool of the plugin, one file per concern, and the
// extra ones given.
func tools(extra ...[]sdk.Tool) []sdk.Tool {
	all := concat(append([][]sdk.Tool{contentTools(), eventTools(), errorTools(), schemaTools(),
		samplingTools(), elicitationTools(), inputTools()}, extra...)...)
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
