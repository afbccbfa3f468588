// Command everything is the Toolgate plugin that exercises every feature the
// plugin contract carries: each content type, log and progress events, tool
// errors, JSON Schema 2020-12 input schemas, prompts, resources and their
// templates, completions, resource updates, and tools that ask the client
// for input. Its tools, prompts and resources carry the names the official
// MCP conformance suite calls, so the suite can run against a host that
// loads it; the README documents each one as an example for plugin authors.
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
// its watched resource.
func plugin(w *watched) *sdk.Plugin {
	p := &sdk.Plugin{
		Tools:             tools(),
		Prompts:           prompts(),
		Resources:         append(resources(), w.resource()),
		ResourceTemplates: templates(),
	}
	for i := range p.Prompts {
		p.Prompts[i].Scopes = []string{scope}
	}
	for i := range p.Resources {
		p.Resources[i].Scopes = []string{scope}
	}
	for i := range p.ResourceTemplates {
		p.ResourceTemplates[i].Scopes = []string{scope}
	}
	return p
}

// tools are every tool of the plugin.
func tools() []sdk.Tool {
	all := concat(contentTools(), eventTools(), errorTools(), schemaTools(), samplingTools(), elicitationTools())
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
